"""Open a model client for the effective settings, starting the local model when needed."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from assistant.config import Settings
from assistant.config.paths import cache_root
from assistant.llm.client import ModelClient
from assistant.llm.local import DEMO_MODEL_NOTICE, server_for


def needs_local_server(settings: Settings) -> bool:
    """Return whether the settings ask for a model run on this machine."""
    return settings.profile == "local" and not settings.base_url


@asynccontextmanager
async def connect_model(
    settings: Settings, notice: Callable[[str], None] | None = None
) -> AsyncIterator[ModelClient]:
    """Yield a ModelClient; for the `local` profile, run llama.cpp for as long as it is open.

    `notice` receives a plain message when the tiny demo model is the one answering.
    """
    if not needs_local_server(settings):
        async with ModelClient(settings) as client:
            yield client
        return
    server, is_demo = server_for(settings.local_gguf, cache_root(settings), settings.context_window)
    if is_demo and notice is not None:
        notice(DEMO_MODEL_NOTICE)
    async with server:
        local = dataclasses.replace(
            settings, base_url=server.base_url, model=server.alias, api_key="local"
        )
        async with ModelClient(local) as client:
            yield client
