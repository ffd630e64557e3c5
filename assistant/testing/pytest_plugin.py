"""pytest fixture `scripted_server`: a factory of started scripted servers, stopped at teardown."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from assistant.testing.script import Script
from assistant.testing.server import ScriptedServer

ServerFactory = Callable[..., ScriptedServer]


def pytest_configure(config: pytest.Config) -> None:
    """Let the tests' child processes be interrupted, however pytest was started.

    A shell starts a background job (`make test &`, `nohup ... &`) with SIGINT ignored, and an
    ignored signal stays ignored across exec: every CLI a test starts would then shrug off the
    Ctrl+C the interruption tests send it. A handled signal is reset to the default in a child.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
