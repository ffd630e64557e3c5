"""The `assistant lsp` server: the one server object, with every feature registered on it.

Handlers live in one module per area (lifecycle, documents, completion, next edit, actions);
each turns protocol messages into calls on the core and the core's answers into protocol
messages, and registers itself on `lsp.state.server` when imported. The server's state lives in
`lsp.state`, so no handler module imports this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# Importing a handler module registers its features on the server.
from lsp import actions, completion, documents, lifecycle, next_edit  # noqa: F401
from lsp.state import AssistantServer, server


def create_server(
    root: Path | None = None, overrides: Mapping[str, str] | None = None
) -> AssistantServer:
    """Return the server, features registered (`root`: used when the editor names none)."""
    server.default_root = root
    server.overrides = dict(overrides or {})
    return server
