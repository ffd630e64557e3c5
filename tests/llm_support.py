"""Helpers for the model client's tests: reading a stream, cancelling one part-way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar

import pytest

from assistant.llm import ChatResult, ModelClient, TextDelta

T = TypeVar("T")
HI = [{"role": "user", "content": "hi"}]


async def chat_pieces(
    client: ModelClient, messages: Sequence[Mapping[str, Any]] = HI, **options: Any
) -> tuple[list[str], ChatResult]:
    """Stream a chat; return its text deltas and its final result."""
    pieces: list[str] = []
    result: ChatResult | None = None
    async for event in client.stream_chat(messages, **options):
        if isinstance(event, TextDelta):
            pieces.append(event.text)
        elif isinstance(event, ChatResult):
            result = event
    assert result is not None, "the stream ended without a result"
    return pieces, result


async def cancel_after(events: AsyncIterator[T], count: int, timeout: float = 10.0) -> list[T]:
    """Read `events` in a task until `count` have come, then cancel it; return what came."""
    received: list[T] = []
    enough = asyncio.Event()

    async def consume() -> None:
        async for event in events:
            received.append(event)
            if len(received) >= count:
                enough.set()
        enough.set()  # the stream ended first: the check below says so

    task = asyncio.create_task(consume())
    await asyncio.wait_for(enough.wait(), timeout)
    assert not task.done(), f"the stream ended after {len(received)} events, before the cancel"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return received
