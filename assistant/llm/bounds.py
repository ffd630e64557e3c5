"""Bounds on one model reply, whatever the server does: a wall-clock cap and a size cap.

A hostile or broken model may stream forever, ignore `max_tokens`, or stop mid-answer. The
client reads every reply through a `ReplyMeter` and a deadline; passing a bound closes the HTTP
stream and raises one of these errors (all `EndpointError`s)::

    EndpointError
    ├── ReplyTooLong    the reply passed max_reply_chars or max_tokens; never retried
    ├── ReplyTimedOut   the reply took longer than max_reply_seconds; never retried
    └── ServerFailed
        └── ReplyCut    the stream ended without a finish reason; retried, then raised
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from assistant.errors import EndpointError, ServerFailed

T = TypeVar("T")

# A generous estimate: real tokens average 3-4 characters, long whitespace runs in code more.
MAX_CHARS_PER_TOKEN = 6  # an upper bound (long whitespace runs), not an estimate
TOKEN_SLACK_CHARS = 512


class ReplyTooLong(EndpointError):
    """The model's reply passed the size cap (max_reply_chars or max_tokens) and was cut off."""


class ReplyTimedOut(EndpointError):
    """The model's reply took longer than max_reply_seconds and was cut off."""


class ReplyCut(ServerFailed):
    """The stream ended without a finish reason: the answer is incomplete."""


def reply_cut(base_url: str, how: str = "the stream ended without a finish reason") -> ReplyCut:
    """Return the error for an answer that ended before it was whole."""
    return ReplyCut(
        f"the endpoint {base_url} cut the answer short ({how}), and retries did not get a "
        "whole answer",
        hint="check the model server's logs and any proxy's timeouts in between",
    )


@dataclass(frozen=True)
class ReplyLimits:
    """The bounds of one reply: seconds in all (retries included), characters, tokens."""

    seconds: float
    max_chars: int
    max_tokens: int | None = None

    @property
    def char_cap(self) -> int:
        """Return the characters a reply may have: max_chars, or less under max_tokens."""
        if self.max_tokens is None:
            return self.max_chars
        return min(self.max_chars, self.max_tokens * MAX_CHARS_PER_TOKEN + TOKEN_SLACK_CHARS)

    def deadline(self) -> float:
        """Return the event-loop time at which a reply started now must be over."""
        return asyncio.get_running_loop().time() + self.seconds

    def too_long(self) -> ReplyTooLong:
        """Return the error for a reply that passed the character cap."""
        if self.char_cap < self.max_chars and self.max_tokens is not None:
            return ReplyTooLong(
                f"the model's reply ran past max_tokens={self.max_tokens} (over {self.char_cap} "
                "characters; the server ignored the limit), so it was cut off",
                hint="the model may be looping; ask again, or allow more tokens",
            )
        return ReplyTooLong(
            f"the model's reply passed {self.max_chars} characters (max_reply_chars), "
            "so it was cut off",
            hint="the model may be looping; raise max_reply_chars if the answer is that long",
        )

    def timed_out(self) -> ReplyTimedOut:
        """Return the error for a reply that passed the time cap."""
        return ReplyTimedOut(
            f"the model's reply took longer than {self.seconds:g}s (max_reply_seconds), "
            "so it was cut off",
            hint="the model may be looping; raise max_reply_seconds if the server is just slow",
        )


class ReplyMeter:
    """Count what one reply has produced; raise ReplyTooLong once it passes its limits."""

    def __init__(self, limits: ReplyLimits) -> None:
        self.limits = limits
        self.chars = 0
        self._cap = limits.char_cap

    def add(self, chars: int) -> None:
        """Count `chars` more characters of text, reasoning, tool names or arguments."""
        self.chars += chars
        if self.chars > self._cap:
            raise self.limits.too_long()

    def reported(self, completion_tokens: object) -> None:
        """Check the completion tokens the server says it produced against max_tokens."""
        limit = self.limits.max_tokens
        if limit is not None and isinstance(completion_tokens, int) and completion_tokens > limit:
            raise ReplyTooLong(
                f"the server reported {completion_tokens} completion tokens, more than "
                f"max_tokens={limit}; the reply was refused",
                hint="the server ignores max_tokens; check its configuration",
            )

    def chunk(self, chunk: Any) -> None:
        """Count one streamed chunk: chat (content, reasoning, tool calls) or completion text."""
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.reported(getattr(usage, "completion_tokens", None))
        chars = 0
        for choice in getattr(chunk, "choices", None) or ():
            chars += _delta_chars(getattr(choice, "delta", None))
            chars += len(_text(getattr(choice, "text", None)))
        if chars:
            self.add(chars)


async def within(deadline: float, awaitable: Awaitable[T], limits: ReplyLimits) -> T:
    """Await `awaitable`, raising ReplyTimedOut (and cancelling it) past `deadline`."""
    try:
        async with asyncio.timeout_at(deadline) as scope:
            return await awaitable
    except TimeoutError as error:
        if scope.expired():
            raise limits.timed_out() from error
        raise


async def next_chunk(stream: AsyncIterator[T], deadline: float, limits: ReplyLimits) -> T | None:
    """Return the stream's next item, None at its end; ReplyTimedOut past `deadline`."""
    try:
        return await within(deadline, anext(stream), limits)
    except StopAsyncIteration:
        return None


def _delta_chars(delta: Any) -> int:
    if delta is None:
        return 0
    chars = len(_text(getattr(delta, "content", None)))
    # Thinking servers stream reasoning outside `content`; it counts against the caps too.
    extra = getattr(delta, "model_extra", None) or {}
    for key in ("reasoning_content", "reasoning"):
        chars += len(_text(extra.get(key)))
    for call in getattr(delta, "tool_calls", None) or ():
        function = getattr(call, "function", None)
        if function is not None:
            chars += len(_text(function.name)) + len(_text(function.arguments))
    return chars


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


async def read_json(
    response_cm: Any, limits: ReplyLimits, deadline: float, base_url: str
) -> dict[str, Any]:
    """Read a non-streamed JSON reply (an openai `with_streaming_response` call), bounded."""
    return await within(deadline, _read_json(response_cm, limits, base_url), limits)


async def _read_json(response_cm: Any, limits: ReplyLimits, base_url: str) -> dict[str, Any]:
    # JSON may spend up to six bytes on a character (\uXXXX); the envelope needs some more.
    cap = limits.char_cap * 6 + 65_536
    body = bytearray()
    async with response_cm as response:
        async for piece in response.iter_bytes():
            body += piece
            if len(body) > cap:
                raise limits.too_long()
    try:
        data = json.loads(body)
    except ValueError as error:
        raise reply_cut(base_url, "its reply is not whole JSON") from error
    if not isinstance(data, dict):
        raise reply_cut(base_url, "its reply is not a JSON object")
    return data
