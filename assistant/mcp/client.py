"""One MCP server as the agent uses it: started in a task of its own that owns the SDK client
(the connection is opened and closed in that one task, as anyio requires), listed once (tools,
resources, prompts), called with a time-out, stopped without leaving a process behind.

A server is untrusted: whatever it does (crash, hang, answer garbage, write megabytes) becomes
an `McpServerError` for the caller, never a crash of the session. Its stderr goes to a log file.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from assistant.config.mcp_servers import McpServerConfig
from assistant.errors import AssistantError

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PAGES = 20  # a listing that never ends cannot hold the start up
STOP_SECONDS = 10.0  # the SDK closes stdin, then SIGTERM, then SIGKILL: about 6 s at worst
LOG_BYTES = 4 * 1024 * 1024  # a log past this is started afresh
_GRACE = 2.0  # beyond the SDK's own time-out, in case it does not fire


class McpServerError(AssistantError):
    """An MCP server did not start, or a request to it failed."""


class ServerCrashed(McpServerError):
    """The server's process ended or its connection closed."""


class ServerTimedOut(McpServerError):
    """The server did not answer within its time-out."""


@dataclass(frozen=True)
class RemoteTool:
    """A tool as its server describes it (untrusted: checked before the model sees it)."""

    name: str
    description: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class RemoteResource:
    """A resource a server offers to read."""

    uri: str
    name: str
    description: str = ""
    mime_type: str = ""


@dataclass(frozen=True)
class RemotePrompt:
    """A prompt template a server offers, with the names of its arguments."""

    name: str
    description: str = ""
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerListing:
    """What a server offers, listed once when it starts."""

    tools: tuple[RemoteTool, ...] = ()
    resources: tuple[RemoteResource, ...] = ()
    prompts: tuple[RemotePrompt, ...] = ()


class McpConnection:
    """A running MCP server; `start` it, make requests, `stop` it (idempotent)."""

    def __init__(self, config: McpServerConfig, root: Path, log_path: Path) -> None:
        self.config = config
        self.root = root
        self.log_path = log_path
        self._client: Any = None  # mcp.Client while connected
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None

    @property
    def running(self) -> bool:
        """Return whether the server is connected and its owner task still runs."""
        return self._client is not None and self._task is not None and not self._task.done()

    async def start(self) -> ServerListing:
        """Start the server and list what it offers; raise McpServerError if it cannot."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[ServerListing] = loop.create_future()
        ready.add_done_callback(_retrieve)  # a start given up on leaves no unread error
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._own(ready, self._stop), name=self.config.name)
        seconds = self.config.startup_timeout
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.shield(ready)
        except TimeoutError:
            await self.stop()
            raise McpServerError(
                f"MCP server {self.config.name!r} did not start within {seconds:g} s",
                hint=f"its log: {self.log_path}",
            ) from None
        except McpServerError:
            await self.stop()
            raise

    async def call_tool(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Call a tool; return the SDK's CallToolResult (raise McpServerError on failure)."""
        seconds = self.config.tool_timeout
        return await self._request(
            f"tool {name!r}",
            lambda client: client.call_tool(name, dict(arguments), read_timeout_seconds=seconds),
            seconds,
        )

    async def read_resource(self, uri: str) -> Any:
        """Read a resource; return the SDK's ReadResourceResult."""
        seconds = self.config.tool_timeout
        return await self._request(
            f"resource {uri!r}", lambda client: client.read_resource(uri), seconds
        )

    async def stop(self) -> None:
        """Close the connection and end the server's process (its whole process group)."""
        task, stop, connected = self._task, self._stop, self._client is not None
        self._task = self._stop = None
        self._client = None
        if task is None or stop is None:
            return
        stop.set()
        if not connected:
            task.cancel()  # still starting: the SDK's shielded clean-up ends the process
        # asyncio.wait neither raises the task's end nor cancels it when the caller is.
        done, _ = await asyncio.wait({task}, timeout=STOP_SECONDS)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_SECONDS)

    async def _request(self, what: str, make: Callable[[Any], Awaitable[T]], seconds: float) -> T:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        name = self.config.name
        client = self._client
        if client is None or not self.running:
            raise ServerCrashed(f"MCP server {name!r} is not running")
        try:
            async with asyncio.timeout(seconds + _GRACE):
                return await make(client)
        except MCPError as error:
            if error.code == CONNECTION_CLOSED:
                raise self._crashed(what) from None
            if error.code == REQUEST_TIMEOUT:
                raise self._timed_out(what) from None
            raise McpServerError(f"MCP server {name!r} refused {what}: {error.message}") from None
        except TimeoutError:
            raise self._timed_out(what) from None
        except Exception as error:  # boundary: a broken or hostile server's answer
            if not self.running:
                raise self._crashed(what) from None
            raise McpServerError(
                f"MCP server {name!r} gave an invalid answer to {what}: {_describe(error)}"
            ) from None

    def _crashed(self, what: str) -> ServerCrashed:
        return ServerCrashed(
            f"MCP server {self.config.name!r} stopped during {what}",
            hint=f"it is restarted on the next call; its log: {self.log_path}",
        )

    def _timed_out(self, what: str) -> ServerTimedOut:
        return ServerTimedOut(
            f"MCP server {self.config.name!r} did not answer {what} within "
            f"{self.config.tool_timeout:g} s",
            hint="tool_timeout in its [mcp_servers] table sets the limit",
        )

    async def _own(self, ready: asyncio.Future[ServerListing], stop: asyncio.Event) -> None:
        """Hold the connection open until `stop` is set; report the start through `ready`."""
        from mcp import Client

        try:
            with self._open_log() as errlog:
                target = self._target(errlog)
                # Each request's own limit; the start as a whole is bounded in `start`.
                async with Client(target, read_timeout_seconds=self.config.tool_timeout) as c:
                    listing = await _list(c)
                    self._client = c
                    if not ready.done():
                        ready.set_result(listing)
                    await stop.wait()
        except Exception as error:  # boundary: spawning, the handshake, a dying transport
            started = ready.done()
            state = "stopped" if started else "did not start"
            message = f"MCP server {self.config.name!r} {state}: {_describe(error)}"
            if not started:
                ready.set_exception(McpServerError(message, hint=f"its log: {self.log_path}"))
            else:
                log.warning("%s (log: %s)", message, self.log_path)
        finally:
            self._client = None
            if not ready.done():
                ready.set_exception(McpServerError(f"MCP server {self.config.name!r} stopped"))

    def _open_log(self) -> TextIO:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        too_big = self.log_path.exists() and self.log_path.stat().st_size > LOG_BYTES
        # A chatty server cannot fill the disk across sessions: a big log starts afresh.
        if too_big:
            handle = self.log_path.open("w", encoding="utf-8", errors="replace")
        else:
            handle = self.log_path.open("a", encoding="utf-8", errors="replace")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        handle.write(f"--- {stamp} starting {self.config.name} ({self.config.transport})\n")
        handle.flush()
        return handle

    def _target(self, errlog: TextIO) -> Any:
        """Return what the SDK client connects to: a URL, or the command's stdio transport."""
        if self.config.url:
            return self.config.url
        from mcp.client.stdio import StdioServerParameters, stdio_client

        cwd = (self.root / self.config.cwd) if self.config.cwd else self.root
        parameters = StdioServerParameters(
            command=self.config.command,
            args=list(self.config.args),
            env=dict(self.config.env) or None,
            cwd=cwd,
        )
        return stdio_client(parameters, errlog=errlog)


async def _list(client: Any) -> ServerListing:
    """List tools, resources and prompts, each only when the server says it has them."""
    capabilities = client.server_capabilities
    tools, resources, prompts = [], [], []
    if capabilities.tools is not None:
        for tool in await _pages(client.list_tools, "tools"):
            schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
            tools.append(RemoteTool(tool.name, tool.description or "", schema))
    if capabilities.resources is not None:
        for item in await _pages(client.list_resources, "resources"):
            resources.append(
                RemoteResource(
                    str(item.uri), item.name, item.description or "", item.mime_type or ""
                )
            )
    if capabilities.prompts is not None:
        for prompt in await _pages(client.list_prompts, "prompts"):
            names = tuple(argument.name for argument in prompt.arguments or ())
            prompts.append(RemotePrompt(prompt.name, prompt.description or "", names))
    return ServerListing(tuple(tools), tuple(resources), tuple(prompts))


async def _pages(fetch: Callable[..., Awaitable[Any]], field_name: str) -> list[Any]:
    items: list[Any] = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = await fetch(cursor=cursor)
        items += getattr(page, field_name)
        cursor = page.next_cursor
        if not cursor:
            break
    return items


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _describe(error: BaseException) -> str:
    """Return one line for an error, looking inside exception groups and the SDK's errors."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    from mcp.shared.exceptions import MCPError

    if isinstance(error, MCPError):
        return error.message[:300]
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}{f' ({error.filename})' if error.filename else ''}"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__
