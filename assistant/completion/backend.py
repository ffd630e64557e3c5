"""Streamed fill-in-the-middle requests, so a suggestion can stop as soon as it is complete.

`ModelClient.complete_fim` waits for the whole answer. An editor wants less: the first line,
or the current block, and then to hang up, which spares the server the rest of the tokens and
the user the wait. Closing the stream (or cancelling the task reading it) closes the HTTP
request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import openai

from assistant.config import Settings
from assistant.errors import EndpointError
from assistant.llm import fim
from assistant.llm.bounds import ReplyLimits, ReplyMeter, next_chunk, within
from assistant.llm.outbound import OutboundRedactor
from assistant.llm.retry import to_endpoint_error

REQUEST_TIMEOUT = 30.0


class FimStream:
    """Open streamed FIM completions against the completion endpoint of `settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.effective_completion_base_url
        self.model = settings.effective_completion_model
        timeout = httpx.Timeout(
            min(settings.request_timeout, REQUEST_TIMEOUT), connect=settings.connect_timeout
        )
        # What every model request gets (see ModelClient): redaction and bounds on the reply.
        self._outbound = OutboundRedactor((settings.api_key, settings.completion_api_key))
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url or None,
            api_key=settings.completion_api_key or settings.api_key or "not-needed",
            max_retries=0,  # a stale completion is worth nothing: no retries
            timeout=timeout,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def stream(
        self,
        prefix: str,
        suffix: str,
        *,
        repo_name: str | None,
        context_files: Sequence[fim.ContextFile],
        path: str | None,
        max_tokens: int,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the middle as it streams, cut at the first FIM control token (or code fence)."""
        chat = self.settings.completion_backend == "chat"
        settings = self.settings
        limits = ReplyLimits(settings.max_reply_seconds, settings.max_reply_chars, max_tokens)
        deadline, meter = limits.deadline(), ReplyMeter(limits)
        parts = self._outbound.fim_parts(prefix, suffix)
        if parts is None:
            return  # a secret spans the cursor: ask nothing, suggest nothing
        prefix, suffix = parts
        try:
            if chat:
                messages = self._outbound.messages(
                    chat_messages(prefix, suffix, context_files, path)
                )
                request = self._client.chat.completions.create(
                    model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0,
                    stop=list(stop) or None, stream=True,
                )  # fmt: skip
            else:
                prompt = self._outbound.prompt(
                    fim.build_prompt(
                        prefix, suffix, repo_name=repo_name, context_files=context_files, path=path
                    )
                )
                # Servers take four stops at most; the caller's first, `cut_middle` does the rest.
                stops = list(dict.fromkeys([*stop, *fim.FIM_STOP_SEQUENCES]))[:4]
                request = self._client.completions.create(
                    model=self.model, prompt=prompt, max_tokens=max_tokens, temperature=0.0,
                    stop=stops, stream=True,
                )  # fmt: skip
            response: Any = await within(deadline, request, limits)
        except (asyncio.CancelledError, EndpointError):
            raise
        except Exception as error:
            raise to_endpoint_error(error, self.base_url, self.model) from error
        cleaner = _FenceCutter() if chat else _TokenCutter()
        try:
            while (chunk := await next_chunk(response, deadline, limits)) is not None:
                meter.chunk(chunk)
                piece, done = cleaner.feed(_piece(chunk, chat))
                if piece:
                    yield piece
                if done:
                    return
            if rest := cleaner.flush():
                yield rest
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except Exception as error:
            raise to_endpoint_error(error, self.base_url, self.model) from error
        finally:
            await response.close()


CHAT_SYSTEM = (
    "You complete code. You are shown files from a repository, then the file being edited, "
    "with the cursor marked <CURSOR>. Reply with only the code that belongs at <CURSOR>: no "
    "explanation, no code fences, nothing that already follows the cursor."
)


def chat_messages(
    prefix: str, suffix: str, context_files: Sequence[fim.ContextFile], path: str | None
) -> list[dict[str, str]]:
    """Return a chat request asking for the middle, for endpoints that serve no FIM."""
    parts = [f"{item.path}:\n```\n{item.content}\n```" for item in context_files]
    parts.append(f"{path or 'the file'} (being edited):\n```\n{prefix}<CURSOR>{suffix}\n```")
    return [
        {"role": "system", "content": CHAT_SYSTEM},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def _piece(chunk: object, chat: bool) -> str:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return ""
    if chat:
        return choices[0].delta.content or ""
    return choices[0].text or ""


_CONTROL = (*fim.FIM_STOP_SEQUENCES, fim.FIM_PREFIX, fim.FIM_SUFFIX, fim.FIM_MIDDLE)


class _TokenCutter:
    """Pass text through until a FIM control token appears (holding back a partial one)."""

    def __init__(self) -> None:
        self.text = ""
        self.sent = 0

    def feed(self, piece: str) -> tuple[str, bool]:
        """Return the new text to emit and whether the answer is over."""
        joined = self.text + piece
        self.text = fim.cut_middle(joined)
        if len(self.text) < len(joined):
            return self.flush(), True
        start = self.text.rfind("<")
        partial = start >= 0 and any(t.startswith(self.text[start:]) for t in _CONTROL)
        ready = start if partial else len(self.text)
        new, self.sent = self.text[self.sent : ready], max(self.sent, ready)
        return new, False

    def flush(self) -> str:
        """Return what was held back, at the end of the answer."""
        new, self.sent = self.text[self.sent :], len(self.text)
        return new


class _FenceCutter:
    """Drop an opening code fence line a chat model adds, and stop at its closing fence."""

    def __init__(self) -> None:
        self.head = ""
        self.started = False
        self.text = ""
        self.sent = 0

    def feed(self, piece: str) -> tuple[str, bool]:
        """Return the new text to emit and whether the answer is over."""
        if not piece:
            return "", False
        if not self.started:
            self.head += piece
            if "\n" not in self.head and self.head.lstrip().startswith("`"):
                return "", False  # maybe a fence: wait for the end of its line
            self.started = True
            first, sep, rest = self.head.partition("\n")
            piece = rest if first.lstrip().startswith("```") and sep else self.head
        self.text += piece
        end = self.text.find("```")
        if end >= 0:
            self.text = self.text[:end].rstrip("\n")
            return self.flush(), True
        ready = len(self.text.rstrip("`\n"))  # a closing fence may be arriving
        new, self.sent = self.text[self.sent : ready], max(self.sent, ready)
        return new, False

    def flush(self) -> str:
        """Return what was held back, at the end of the answer."""
        if not self.started:
            self.text, self.started = self.head, True
        new, self.sent = self.text[self.sent :], len(self.text)
        return new
