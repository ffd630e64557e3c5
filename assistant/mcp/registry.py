"""The MCP servers of one session: started lazily (all at once, each within its time-out, on
the first turn), their tools offered to the agent as `mcp__server__tool`, calls routed to them
(a crashed server is restarted once, on the next call), resources read, and every server
stopped when the session ends.

A server that fails to start is reported (one notice) and the session goes on without it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from assistant.config import Settings
from assistant.config.mcp_servers import McpServerConfig
from assistant.config.paths import cache_root
from assistant.mcp.client import (
    McpConnection,
    McpServerError,
    RemotePrompt,
    RemoteResource,
    RemoteTool,
    ServerCrashed,
    ServerListing,
)
from assistant.mcp.client_schema import clean_name, clean_text, exposed_name, normalize_schema
from assistant.mcp.client_tools import McpTool, resource_text, result_output
from assistant.security.secrets import Redactor
from assistant.tools.base import Tool, ToolOutput, ToolSpec

log = logging.getLogger(__name__)
LOG_FOLDER = "mcp"
# OpenAI-compatible APIs take 128 tools at most; the agent's own come first.
MAX_TOOLS = 100
State = Literal["disabled", "not started", "starting", "ready", "failed", "crashed", "stopped"]


@dataclass(frozen=True)
class ToolInfo:
    """A server's tool: its name there, its name for the model, its description."""

    name: str
    exposed: str
    description: str = ""


@dataclass(frozen=True)
class ServerStatus:
    """Where one server stands, and what it offers (for `/mcp` and `assistant mcp list`)."""

    name: str
    transport: str
    source: str
    state: State
    error: str = ""
    log: str = ""
    tools: tuple[ToolInfo, ...] = ()
    resources: tuple[RemoteResource, ...] = ()
    prompts: tuple[RemotePrompt, ...] = ()


@dataclass
class _Server:
    config: McpServerConfig
    state: State
    error: str = ""
    connection: McpConnection | None = None
    listing: ServerListing = field(default_factory=ServerListing)
    restarts: int = 0
    tools: list[McpTool] = field(default_factory=list)


class McpRegistry:
    """The session's MCP servers; use as `async with McpRegistry(...) as mcp:`."""

    def __init__(
        self, root: Path, settings: Settings, notice: Callable[[str], None] | None = None
    ) -> None:
        self.root = root
        self.settings = settings
        self.notice = notice
        self._servers = {
            config.name: _Server(config, "not started" if config.enabled else "disabled")
            for config in settings.mcp_servers
        }
        self._starting: asyncio.Future[None] | None = None
        self._redactor = Redactor(settings.known_secrets)

    @property
    def names(self) -> tuple[str, ...]:
        """Return the names of the configured servers."""
        return tuple(self._servers)

    @property
    def started(self) -> bool:
        """Return whether the servers were started (successfully or not)."""
        return self._starting is not None and self._starting.done()

    async def __aenter__(self) -> McpRegistry:
        """Return the registry; nothing starts before the first `start`."""
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop every server."""
        await self.close()

    async def start(self) -> None:
        """Start every enabled server once, in parallel; later calls wait for that start.

        A caller cancelled while waiting (a cancelled turn) leaves the start running."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start_all())
        await asyncio.shield(self._starting)

    def tools(self) -> list[Tool]:
        """Return the tools of the servers that started, for the agent."""
        return [tool for server in self._servers.values() for tool in server.tools]

    async def call_tool(self, server: str, tool: str, arguments: Mapping[str, Any]) -> ToolOutput:
        """Call `tool` on `server`; every failure becomes an error output for the model."""
        record = self._servers.get(server)
        if record is None:
            return ToolOutput(f"error: no MCP server {server!r}", ok=False)
        problem = await self._ensure_running(record)
        if problem:
            return ToolOutput(f"error: {problem}", ok=False)
        assert record.connection is not None  # _ensure_running said it runs
        try:
            result = await record.connection.call_tool(tool, arguments)
        except ServerCrashed as error:
            await self._crashed(record, error)
            return ToolOutput(f"error: {error.one_line()}", ok=False)
        except McpServerError as error:
            return ToolOutput(f"error: {error.one_line()}", ok=False)
        return result_output(result)

    async def read_resource(self, server: str, ref: str) -> tuple[str, str]:
        """Return (uri, text) of a server's resource, named by its name or its URI."""
        await self.start()
        record = self._servers.get(server)
        if record is None:
            raise McpServerError(f"no MCP server {server!r}", hint="/mcp lists them")
        problem = await self._ensure_running(record)
        if problem:
            raise McpServerError(problem)
        assert record.connection is not None
        resources = record.listing.resources
        uri = next((r.uri for r in resources if ref in (r.name, r.uri)), ref)
        try:
            result = await record.connection.read_resource(uri)
        except ServerCrashed as error:
            await self._crashed(record, error)
            raise
        return uri, resource_text(result)

    def status(self) -> list[ServerStatus]:
        """Return where each configured server stands."""
        return [
            _status(record, self.log_path(record.config.name)) for record in self._servers.values()
        ]

    def log_path(self, name: str) -> Path:
        """Return the file a server's stderr goes to, in the cache."""
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "server"
        if safe != name:
            safe += "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
        return cache_root(self.settings) / LOG_FOLDER / f"{safe}.log"

    async def close(self) -> None:
        """Stop every server (their whole process groups); the registry can start again."""
        starting, self._starting = self._starting, None
        if starting is not None and not starting.done():
            starting.cancel()
            await asyncio.wait({starting})
        records = [r for r in self._servers.values() if r.connection is not None]
        await asyncio.gather(*(r.connection.stop() for r in records if r.connection))
        for record in self._servers.values():
            record.connection = None
            record.tools = []
            if record.state in ("starting", "ready", "crashed"):
                record.state = "stopped"

    async def _start_all(self) -> None:
        enabled = [r for r in self._servers.values() if r.config.enabled]
        await asyncio.gather(*(self._start_one(record) for record in enabled))
        self._offer_tools(enabled)

    async def _start_one(self, record: _Server) -> None:
        config = record.config
        connection = McpConnection(config, self.root, self.log_path(config.name))
        record.connection, record.state, record.error = connection, "starting", ""
        try:
            record.listing = await connection.start()
        except McpServerError as error:
            record.connection, record.state, record.error = None, "failed", error.one_line()
            self._say(f"{error.one_line()}; going on without it")
            return
        record.state = "ready"

    async def _ensure_running(self, record: _Server) -> str:
        """Return "" when the server runs (restarting it once after a crash), else why not."""
        if record.state == "ready" and not (record.connection and record.connection.running):
            record.state = "crashed"
        if record.state == "crashed":
            if record.restarts >= 1:
                return (f"MCP server {record.config.name!r} stopped again after a restart; "
                        "it is off for the rest of this session")  # fmt: skip
            record.restarts += 1
            await self._start_one(record)
        if record.state != "ready" or record.connection is None:
            why = f": {record.error}" if record.error else ""
            return f"MCP server {record.config.name!r} is {record.state}{why}"
        return ""

    async def _crashed(self, record: _Server, error: McpServerError) -> None:
        record.state, record.error = "crashed", error.one_line()
        if record.connection is not None:
            await record.connection.stop()

    def _offer_tools(self, records: list[_Server]) -> None:
        """Make each started server's tools into the agent's tools, within MAX_TOOLS."""
        taken: set[str] = set()
        for record in records:
            for remote in record.listing.tools:
                if len(taken) >= MAX_TOOLS:
                    self._say(f"MCP servers offer more than {MAX_TOOLS} tools; "
                              f"{record.config.name!r} and later ones are cut short")  # fmt: skip
                    return
                record.tools.append(self._tool(record.config.name, remote.name, remote, taken))

    def _tool(self, server: str, name: str, remote: RemoteTool, taken: set[str]) -> McpTool:
        redact = self._redactor.redact  # the request's tools are not redacted on the way out
        schema, replaced = normalize_schema(remote.schema, redact)
        description = clean_text(redact(remote.description)) or f"the {name} tool"
        if replaced:
            description += " (its parameter schema was not usable and is not shown)"
        spec = ToolSpec(
            exposed_name(server, name, taken),
            f"[MCP server {clean_name(server)}, tool {clean_name(name)}] {description}",
            schema,
        )
        return McpTool(spec, server, name, self)

    def _say(self, text: str) -> None:
        if self.notice is not None:
            self.notice(text)
        else:
            log.warning("%s", text)


def _status(record: _Server, log_file: Path) -> ServerStatus:
    config = record.config
    described = {tool.name: tool.description for tool in record.listing.tools}
    tools = tuple(
        ToolInfo(clean_name(tool.remote), tool.spec.name, clean_text(described[tool.remote], 300))
        for tool in record.tools
    )
    resources = tuple(
        RemoteResource(clean_name(r.uri), clean_name(r.name), clean_text(r.description, 300),
                       clean_name(r.mime_type))
        for r in record.listing.resources
    )  # fmt: skip
    prompts = tuple(
        RemotePrompt(clean_name(p.name), clean_text(p.description, 300),
                     tuple(clean_name(a) for a in p.arguments))
        for p in record.listing.prompts
    )  # fmt: skip
    return ServerStatus(
        config.name, config.transport, config.source, record.state, record.error,
        str(log_file), tools, resources, prompts,
    )  # fmt: skip
