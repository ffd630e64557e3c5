"""The MCP servers the agent may start: the user's own `[mcp_servers.NAME]` tables (spelled as
Codex CLI spells them), and a project's list (`.mcp.json` as Claude Code and Qwen Code read it,
or `.assistant/mcp.toml`) only in a folder the user trusted.

A project list is repository content: in a folder that is not trusted it is ignored with one
notice. Even in a trusted folder it cannot allow tools without asking (`allow`) or name a URL:
a server over HTTP is a way out of the machine, so only the user's own config connects to one.
A mistake in the user's own table is an error they can fix; one in a project list is a notice.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.config.trust import PROJECT_MCP_FILES
from assistant.errors import ConfigError

MCP_TABLE = "mcp_servers"
DEFAULT_STARTUP_TIMEOUT = 30.0
DEFAULT_TOOL_TIMEOUT = 60.0
_KNOWN_KEYS = frozenset(
    {"command", "args", "env", "cwd", "url", "type", "allow", "enabled"}
    | {"startup_timeout", "startup_timeout_sec", "tool_timeout", "tool_timeout_sec"}
)
_HTTP_TYPES = ("http", "streamable-http", "streamable_http", "sse")


@dataclass(frozen=True)
class McpServerConfig:
    """One MCP server: a command to start (stdio) or a URL (streamable HTTP), and its rules."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = ""  # relative to the repository; empty means the repository itself
    url: str = ""
    allow: tuple[str, ...] = ()  # tools that run without asking; "*" for all of them
    enabled: bool = True
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT
    source: str = "user config"  # where it was configured: the user config or a project file

    @property
    def transport(self) -> str:
        """Return "http" for a URL, "stdio" for a command."""
        return "http" if self.url else "stdio"

    def allows(self, tool: str) -> bool:
        """Say whether the user's config lets `tool` of this server run without asking."""
        return "*" in self.allow or tool in self.allow


def user_mcp_servers(data: Mapping[str, Any], path: Path) -> list[McpServerConfig]:
    """Return the servers of the user config's `[mcp_servers.NAME]` tables (errors raise)."""
    table = data.get(MCP_TABLE) or {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [{MCP_TABLE}] must be a table of servers")
    servers = []
    for name, entry in table.items():
        server, ignored = _server(str(name), entry, f"{path} [{MCP_TABLE}.{name}]", "user config")
        if ignored:
            raise ConfigError(
                f"{path}: [{MCP_TABLE}.{name}] has unknown key(s) {', '.join(ignored)}",
                hint=f"known keys: {', '.join(sorted(_KNOWN_KEYS))}",
            )
        servers.append(server)
    return servers


def project_mcp_servers(
    root: Path, trusted: bool, reason: str
) -> tuple[list[McpServerConfig], list[str]]:
    """Return a project's own servers (only when `trusted`) and the notices to show."""
    servers: list[McpServerConfig] = []
    notices: list[str] = []
    for relative in PROJECT_MCP_FILES:
        path = Path(root) / relative
        if not path.is_file():
            continue
        if not trusted:
            notices.append(
                f"ignored the MCP servers in {path} ({reason}; `assistant trust` lets this "
                "repository start them)"
            )
            continue
        found, said = _project_file(Path(root), path)
        servers += found
        notices += said
    return servers, notices


def merge_servers(
    user: list[McpServerConfig], project: list[McpServerConfig]
) -> tuple[tuple[McpServerConfig, ...], list[str]]:
    """Return the user's servers and the project's, the user's winning a shared name."""
    names = {server.name for server in user}
    kept = list(user)
    notices = []
    for server in project:
        if server.name in names:
            notices.append(f"ignored MCP server {server.name!r} from {server.source}: "
                           "your own config defines one with that name")  # fmt: skip
            continue
        names.add(server.name)
        kept.append(server)
    return tuple(kept), notices


def _project_file(root: Path, path: Path) -> tuple[list[McpServerConfig], list[str]]:
    """Read one project list; whatever is wrong in it becomes a notice, never an error."""
    if not path.resolve().is_relative_to(root.resolve()):
        return [], [f"ignored {path}: it links outside the repository"]
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        table = data.get("mcpServers" if path.suffix == ".json" else MCP_TABLE) or {}
        if not isinstance(table, Mapping):
            raise ConfigError("the server list must be a table of servers")
    except (OSError, ValueError, AttributeError, ConfigError) as error:
        return [], [f"ignored {path}: {error}"]
    servers, notices = [], []
    for name, entry in table.items():
        try:
            server, ignored = _server(str(name), entry, f"{path} server {name!r}", str(path))
        except ConfigError as error:
            notices.append(f"ignored MCP server {name!r}: {error.one_line()}")
            continue
        if ignored:
            notices.append(f"ignored {', '.join(ignored)} of MCP server {name!r} in {path}")
        if server.url:
            notices.append(
                f"ignored MCP server {name!r} in {path}: only servers in your own config may "
                "connect to a URL"
            )
            continue
        if server.allow:
            notices.append(
                f"ignored 'allow' of MCP server {name!r} in {path}: only your own config lets "
                "tools run without asking"
            )
        servers.append(replace(server, allow=()))
    return servers, notices


def _server(name: str, entry: Any, where: str, source: str) -> tuple[McpServerConfig, list[str]]:
    """Return the server an entry describes and the keys it ignored; a wrong value raises."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a table")
    if not name.strip():
        raise ConfigError(f"{where}: a server needs a name")
    command, url = _text(entry, "command", where), _text(entry, "url", where)
    kind = _text(entry, "type", where)
    if kind in _HTTP_TYPES and not url:
        raise ConfigError(f"{where}: type {kind!r} needs a url")
    if bool(command) == bool(url):
        raise ConfigError(f"{where}: set either `command` (stdio) or `url` (HTTP)")
    server = McpServerConfig(
        name=name,
        command=command,
        args=_strings(entry, "args", where),
        env=_env(entry, where),
        cwd=_text(entry, "cwd", where),
        url=url,
        allow=_strings(entry, "allow", where),
        enabled=_flag(entry, "enabled", where),
        startup_timeout=_seconds(entry, "startup_timeout", DEFAULT_STARTUP_TIMEOUT, where),
        tool_timeout=_seconds(entry, "tool_timeout", DEFAULT_TOOL_TIMEOUT, where),
        source=source,
    )
    return server, sorted(str(key) for key in entry if key not in _KNOWN_KEYS)


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: `{key}` must be a string")
    return value


def _strings(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def _env(entry: Mapping[str, Any], where: str) -> dict[str, str]:
    value = entry.get("env", {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where}: `env` must be a table of strings")
    return dict(value)


def _flag(entry: Mapping[str, Any], key: str, where: str) -> bool:
    value = entry.get(key, True)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false")
    return value


def _seconds(entry: Mapping[str, Any], key: str, default: float, where: str) -> float:
    """Return a time-out in seconds, spelled `key` or (as Codex spells it) `key_sec`."""
    value = entry.get(key, entry.get(f"{key}_sec", default))
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: `{key}` must be a number of seconds above 0")
    return float(value)
