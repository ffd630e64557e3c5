"""`assistant mcp serve`: this repository's context engine served read-only over MCP.

Over stdio by default (the client starts the process; stdout carries only the protocol, as the
SDK moves anything else written to it onto stderr), or over streamable HTTP on 127.0.0.1 only,
with the SDK's check of the Host and Origin headers pinned to that address and port (a web
page the user visits cannot reach it through DNS rebinding). The tools are in engine_tools.py,
the index they read in serve_engine.py.
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from assistant import __version__
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.mcp.engine_tools import INSTRUCTIONS, EngineTools, register
from assistant.mcp.serve_engine import ContextEngine
from assistant.security.secrets import Redactor

log = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"
ENDPOINT = "/mcp"


def serve(root: Path, settings: Settings, http_port: int | None) -> None:
    """Serve the repository's context engine until the client leaves (stdio) or the process is
    stopped (HTTP on 127.0.0.1:`http_port`; 0 picks a free port)."""
    anyio.run(_serve, Path(root).resolve(), settings, http_port)


def build_server(engine: ContextEngine, settings: Settings) -> MCPServer:
    """Return an MCP server offering the engine's tools, every answer redacted (the user's own
    API keys too)."""
    keys = settings.known_secrets
    server: MCPServer = MCPServer(
        "assistant",
        title=f"assistant context engine ({engine.root.name})",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    register(server, EngineTools(engine, Redactor(keys)))
    return server


async def _serve(root: Path, settings: Settings, http_port: int | None) -> None:
    """Start the engine, serve on the chosen transport, close the engine."""
    engine = ContextEngine(root, settings)
    await engine.start()
    try:
        server = build_server(engine, settings)
        if http_port is None:
            await server.run_stdio_async()
        else:
            await _serve_http(server, http_port)
    finally:
        await engine.close()


async def _serve_http(server: MCPServer, port: int) -> None:
    """Serve streamable HTTP on 127.0.0.1 only, until the process is stopped."""
    import uvicorn

    listener = _listen(port)
    bound = listener.getsockname()[1]
    hosts = [f"{LOOPBACK}:{bound}", f"localhost:{bound}"]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"http://{host}" for host in hosts],
    )
    app = server.streamable_http_app(
        streamable_http_path=ENDPOINT, transport_security=security, host=LOOPBACK
    )
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    # The one line this command prints: where to connect (stdout is for nothing else).
    print(f"serving MCP at http://{LOOPBACK}:{bound}{ENDPOINT}", file=sys.stderr, flush=True)
    await uvicorn.Server(config).serve(sockets=[listener])


def _listen(port: int) -> socket.socket:
    """Return a socket listening on 127.0.0.1:`port` (connections wait in its backlog until
    the server accepts them)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((LOOPBACK, port))
    except OSError as error:
        listener.close()
        raise ConfigError(
            f"cannot listen on {LOOPBACK}:{port} ({error.strerror})",
            hint="choose another port with --http PORT, or --http 0 for any free one",
        ) from error
    listener.listen(128)
    return listener
