"""Waiting in tests for a condition that nothing signals (a terminal's screen, a port that
starts listening): poll it until it holds or a deadline passes, and say what never came.

Where something does signal (a request recorded by the scripted server, an event of the
agent), wait on that instead: `ScriptedServer.wait_for_requests`, an `asyncio.Event`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


def wait_until(
    condition: Callable[[], T], *, timeout: float = 10.0, what: str = "the condition"
) -> T:
    """Poll `condition` until it returns something truthy; return that, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g}s")
        time.sleep(POLL_SECONDS)
    return result


async def wait_until_async(
    condition: Callable[[], Awaitable[T]], *, timeout: float = 10.0, what: str = "the condition"
) -> T:
    """Await `condition()` until it gives something truthy; return that, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while not (result := await condition()):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g}s")
        await asyncio.sleep(POLL_SECONDS)
    return result
