"""The model client: streaming chat with tools, FIM completions, retries, clear errors.

Fill-in-the-middle has one path: `stream_fim` streams the middle as it comes (an editor hangs
up as soon as its suggestion is whole, which closes the HTTP request) and `complete_fim` reads
all of it, with retries. Both redact the code around the cursor, build the prompt (or, with
`completion_backend = "chat"`, the chat request), send the stops and hold the reply to its
bounds the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import aclosing
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from assistant.config import Settings
from assistant.errors import EndpointError
from assistant.llm import fim
from assistant.llm.bounds import (
    ReplyCut,
    ReplyLimits,
    ReplyMeter,
    next_chunk,
    read_json,
    reply_cut,
    within,
)
from assistant.llm.outbound import OutboundRedactor
from assistant.llm.retry import (
    RetryPolicy,
    retry_after_seconds,
    should_retry,
    to_endpoint_error,
    with_retries,
)
from assistant.llm.stream import ChatAssembler, CompletionTally, build_result, usage_of
from assistant.llm.types import ChatResult, CompletionResult, StreamRestarted, TextDelta, Usage

log = logging.getLogger(__name__)

ChatEvent = TextDelta | StreamRestarted | ChatResult
# A FIM answer is a suggestion the user waits for: past this, it is not worth having.
FIM_REQUEST_TIMEOUT = 30.0


class ModelClient:
    """Talk to one OpenAI-compatible endpoint; every failure surfaces as an EndpointError."""

    def __init__(self, settings: Settings, *, retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(max_retries=settings.max_retries)
        self._chat = openai_client(settings.base_url, settings.api_key, settings)
        # Whatever a caller forgot, no secret and never the user's own key reaches a model.
        self._outbound = OutboundRedactor(settings.known_secrets)
        completion_url = settings.effective_completion_base_url
        self._completion = (
            self._chat
            if completion_url == settings.base_url and not settings.completion_api_key
            else openai_client(
                completion_url, settings.completion_api_key or settings.api_key, settings
            )
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._chat.close()
        if self._completion is not self._chat:
            await self._completion.close()

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def list_models(self) -> list[str]:
        """Return the ids of the models the endpoint serves."""

        async def call() -> list[str]:
            page = await self._chat.models.list()
            return [m.id for m in page.data]

        return await with_retries(call, self.retry, self.settings.base_url, self.settings.model)

    async def stream_chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        tool_choice: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncIterator[ChatEvent]:
        """Yield text deltas as they stream, then one final ChatResult.

        A connection dropped, or a stream cut, mid-answer is retried; `StreamRestarted` tells
        the consumer to discard the partial text. A reply past the time or size bounds raises
        ReplyTimedOut or ReplyTooLong. Cancelling the consuming task closes the HTTP stream.
        """
        request = self._chat_request(messages, tools, tool_choice, max_tokens, temperature)
        limits = self._limits(request["max_tokens"])
        deadline = limits.deadline()
        attempt = 0
        while True:
            shown = False
            try:
                async with aclosing(self._stream_once(request, tools, limits, deadline)) as events:
                    async for event in events:
                        shown = shown or isinstance(event, TextDelta)
                        yield event
                return
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as error:
                if not should_retry(error, attempt, self.retry):
                    raise to_endpoint_error(error, self.settings.base_url, self.model) from error
                wait = self.retry.delay(attempt, retry_after_seconds(error))
                attempt += 1
                log.info("chat request failed (%s); retry %d in %.2fs", error, attempt, wait)
                if shown:
                    yield StreamRestarted(_restart_reason(error))
                await within(deadline, asyncio.sleep(wait), limits)

    async def _stream_once(
        self,
        request: dict[str, Any],
        tools: Sequence[Mapping[str, Any]] | None,
        limits: ReplyLimits,
        deadline: float,
    ) -> AsyncGenerator[TextDelta | ChatResult, None]:
        """Make one streamed request; raise ReplyCut when it ends with no finish reason."""
        assembler = ChatAssembler(tools, prompt_chars=_prompt_chars(request["messages"]))
        meter = ReplyMeter(limits)
        create = self._chat.chat.completions.create(**request, stream=True)
        stream = await within(deadline, create, limits)
        try:
            while (chunk := await next_chunk(stream, deadline, limits)) is not None:
                meter.chunk(chunk)
                text = assembler.feed(chunk)
                if text:
                    yield TextDelta(text)
        finally:
            await stream.close()
        if assembler.finish_reason is None:
            raise reply_cut(self.settings.base_url)
        tail = assembler.flush()
        if tail:
            yield TextDelta(tail)
        yield assembler.result()

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> ChatResult:
        """Return the whole answer to a chat request (streamed underneath)."""
        result: ChatResult | None = None
        async for event in self.stream_chat(messages, tools, **options):
            if isinstance(event, ChatResult):
                result = event
        if result is None:
            raise EndpointError("the endpoint closed the stream without an answer")
        return result

    async def chat_once(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> ChatResult:
        """Return the answer to a non-streamed chat request, read within the reply bounds."""
        request = self._chat_request(
            messages,
            tools,
            options.get("tool_choice"),
            options.get("max_tokens"),
            options.get("temperature"),
        )
        request.pop("stream_options", None)
        limits = self._limits(request["max_tokens"])
        deadline = limits.deadline()
        base_url = self.settings.base_url

        async def call() -> ChatResult:
            raw = self._chat.chat.completions.with_streaming_response.create(**request)
            response = ChatCompletion.construct(**await read_json(raw, limits, deadline, base_url))
            choice = _first_choice(response, base_url)
            text = choice.message.content or ""
            calls = [
                (c.id, c.function.name or "", c.function.arguments or "")
                for c in choice.message.tool_calls or ()
            ]
            usage = usage_of(response.usage)
            _check_whole(limits, usage, len(text) + sum(len(n) + len(a) for _, n, a in calls))
            return build_result(text, calls, tools, usage, choice.finish_reason)

        return await with_retries(call, self.retry, base_url, self.model)

    async def complete_fim(
        self,
        prefix: str,
        suffix: str,
        *,
        repo_name: str | None = None,
        context_files: Sequence[fim.ContextFile] = (),
        path: str | None = None,
        max_tokens: int = 128,
        stop: Sequence[str] = (),
    ) -> CompletionResult:
        """Fill in the middle between `prefix` and `suffix`, with repository context if given.

        The whole middle, retried like any request. When a secret spans the cursor, no request
        is made and the completion is empty.
        """
        request = fim.FimRequest(
            prefix, suffix, repo_name, tuple(context_files), path, max_tokens, tuple(stop)
        )
        limits = self._limits(max_tokens)
        deadline = limits.deadline()  # for all the tries together

        async def call() -> CompletionResult:
            tally = CompletionTally()
            async with aclosing(self._fim_pieces(request, tally, limits, deadline)) as pieces:
                text = "".join([piece async for piece in pieces])
            return CompletionResult(text, tally.usage(), tally.finish_reason)

        base_url = self.settings.effective_completion_base_url
        return await with_retries(call, self.retry, base_url, self._fim_model)

    async def stream_fim(self, request: fim.FimRequest) -> AsyncGenerator[str, None]:
        """Yield the middle as it streams, cut at a FIM control token (from chat: a fence).

        Closing the generator, or cancelling the task reading it, closes the HTTP request. No
        retries: a late suggestion is worth nothing. When a secret spans the cursor, no request
        is made and nothing is yielded. Failures raise EndpointError.
        """
        limits = self._limits(request.max_tokens)
        stream = self._fim_pieces(request, CompletionTally(), limits, limits.deadline())
        try:
            async with aclosing(stream) as pieces:
                async for piece in pieces:
                    yield piece
        except Exception as error:
            base_url = self.settings.effective_completion_base_url
            raise to_endpoint_error(error, base_url, self._fim_model) from error

    async def _fim_pieces(
        self, request: fim.FimRequest, tally: CompletionTally, limits: ReplyLimits, deadline: float
    ) -> AsyncGenerator[str, None]:
        """Stream one FIM answer, cut as it arrives; raise ReplyCut if it ends unfinished."""
        parts = self._outbound.fim_parts(request.prefix, request.suffix)
        if parts is None:
            log.info("no completion requested: a secret spans the cursor")
            return
        chat = self.settings.completion_backend == "chat"
        files = request.context_files
        tally.prompt_chars = sum(map(len, parts)) + sum(len(f.content) for f in files)
        meter, cutter = ReplyMeter(limits), fim.cutter_for(chat)
        stream = await within(deadline, self._open_fim(request, *parts, chat=chat), limits)
        try:
            while (chunk := await next_chunk(stream, deadline, limits)) is not None:
                meter.chunk(chunk)
                piece, done = cutter.feed(tally.feed(chunk))
                if piece:
                    yield piece
                if done:
                    return  # the middle is whole: hang up
        finally:
            await stream.close()
        if tally.finish_reason is None:
            raise reply_cut(self.settings.effective_completion_base_url)
        if rest := cutter.flush():
            yield rest

    def _open_fim(
        self, request: fim.FimRequest, prefix: str, suffix: str, *, chat: bool
    ) -> Awaitable[Any]:
        """Start the streamed request: a FIM prompt, or the same wrapped in a chat request."""
        settings = self.settings
        options: dict[str, Any] = {
            "model": self._fim_model,
            "max_tokens": request.max_tokens,
            "temperature": 0.0,
            "stop": fim.stop_sequences(request.stop, chat=chat) or None,
            "stream": True,
            "timeout": openai.Timeout(
                min(settings.request_timeout, FIM_REQUEST_TIMEOUT),
                connect=settings.connect_timeout,
            ),
        }
        files, path = request.context_files, request.path
        if chat:
            options["messages"] = self._outbound.messages(
                fim.chat_messages(prefix, suffix, files, path)
            )
            return self._completion.chat.completions.create(**options)
        prompt = fim.build_prompt(
            prefix, suffix, repo_name=request.repo_name, context_files=files, path=path
        )
        return self._completion.completions.create(prompt=self._outbound.prompt(prompt), **options)

    @property
    def _fim_model(self) -> str:
        return self.settings.effective_completion_model

    @property
    def model(self) -> str:
        """Return the chat model's name."""
        return self.settings.model

    def _limits(self, max_tokens: int | None) -> ReplyLimits:
        settings = self.settings
        return ReplyLimits(settings.max_reply_seconds, settings.max_reply_chars, max_tokens)

    def _chat_request(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        tool_choice: Any,
        max_tokens: int | None,
        temperature: float | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": self._outbound.messages(messages),
            "max_tokens": max_tokens or self.settings.max_output_tokens,
            "temperature": self.settings.temperature if temperature is None else temperature,
            "top_p": self.settings.top_p,
            "stream_options": {"include_usage": True},
        }
        if tools:
            request["tools"] = list(tools)
        if tool_choice is not None:
            request["tool_choice"] = tool_choice
        return request


def _prompt_chars(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(len(str(m.get("content") or "")) for m in messages)


def _restart_reason(error: Exception) -> str:
    if isinstance(error, ReplyCut):
        return "the endpoint cut the answer short"
    return f"connection lost mid-answer ({type(error).__name__})"


def _first_choice(response: Any, base_url: str) -> Any:
    choices = response.choices
    if not isinstance(choices, list) or not choices:
        raise EndpointError(f"the endpoint {base_url} sent an answer with no choices")
    return choices[0]


def _check_whole(limits: ReplyLimits, usage: Usage, chars: int) -> None:
    """Hold a whole (non-streamed) answer to the same bounds as a streamed one."""
    meter = ReplyMeter(limits)
    meter.reported(usage.completion_tokens)
    meter.add(chars)


def openai_client(base_url: str, api_key: str, settings: Settings) -> openai.AsyncOpenAI:
    timeout = openai.Timeout(settings.request_timeout, connect=settings.connect_timeout)
    # Our own retries (with Retry-After and clear errors) replace the client's.
    return openai.AsyncOpenAI(
        base_url=base_url or None, api_key=api_key or "not-needed", max_retries=0, timeout=timeout
    )
