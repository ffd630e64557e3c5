"""Tool calls that may run side by side: consecutive sub-agent calls (`task`) of one turn, whose
events are passed on as they come; every other call runs alone, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar, cast

from assistant.llm import ToolCall

T = TypeVar("T")
PARALLEL_TOOL = "task"  # sub-agents only read: several run side by side


def tool_batches(calls: Sequence[ToolCall]) -> list[list[ToolCall]]:
    """Group a turn's calls: consecutive sub-agent calls (`task`) run together, the rest one
    at a time in order (an edit must not race the read it depends on)."""
    batches: list[list[ToolCall]] = []
    for call in calls:
        if call.name == PARALLEL_TOOL and batches and batches[-1][0].name == PARALLEL_TOOL:
            batches[-1].append(call)
        else:
            batches.append([call])
    return batches


async def merged(streams: Sequence[AsyncIterator[T]]) -> AsyncIterator[T]:
    """Yield the items of several async iterators as they come (one: simply in order)."""
    if len(streams) == 1:
        async for item in streams[0]:
            yield item
        return
    queue: asyncio.Queue[object] = asyncio.Queue()
    end = object()  # put by each stream when it is done

    async def pump(stream: AsyncIterator[T]) -> None:
        try:
            async for item in stream:
                queue.put_nowait(item)
        finally:
            queue.put_nowait(end)

    pumps = [asyncio.ensure_future(pump(stream)) for stream in streams]
    try:
        finished = 0
        while finished < len(pumps):
            got = await queue.get()
            if got is end:
                finished += 1
            else:
                yield cast(T, got)
        for pumped in pumps:
            pumped.result()  # a failure of the loop itself is not swallowed
    finally:
        for running in pumps:
            running.cancel()
