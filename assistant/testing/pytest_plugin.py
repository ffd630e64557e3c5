"""pytest fixture `scripted_server`: a factory of started scripted servers, stopped at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from assistant.testing.script import Script
from assistant.testing.server import ScriptedServer

ServerFactory = Callable[..., ScriptedServer]


@pytest.fixture
def scripted_server() -> Iterator[ServerFactory]:
    """Return `make(script)`, which starts a ScriptedServer for the script."""
    servers: list[ScriptedServer] = []

    def make(script: Script | Mapping[str, Any] | None = None, **kwargs: Any) -> ScriptedServer:
        server = ScriptedServer(script if script is not None else {}, **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
