"""`assistant mcp list` and the chat's `/mcp`: the configured MCP servers, their state, and the
tools, resources and prompts each offers. Everything a server says is shown without control
characters (no terminal escapes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.mcp.registry import McpRegistry, ServerStatus


def list_servers(root: Path, settings: Settings, as_json: bool = False) -> int:
    """Start each configured server, print what it offers, stop them; return the exit code
    (1 when a server failed to start)."""
    statuses = asyncio.run(collect_status(root, settings))
    if as_json:
        print(json.dumps(status_json(statuses), indent=2))
    else:
        print(format_status(statuses))
    return 1 if any(status.state == "failed" for status in statuses) else 0


async def collect_status(root: Path, settings: Settings) -> list[ServerStatus]:
    """Start the servers, note where each stands, and stop them all."""
    async with McpRegistry(root, settings) as registry:
        await registry.start()
        return registry.status()


def status_json(statuses: Sequence[ServerStatus]) -> dict[str, Any]:
    """Return the statuses as JSON-ready data."""
    return {"servers": [asdict(status) for status in statuses]}


def format_status(statuses: Sequence[ServerStatus]) -> str:
    """Return the statuses as text for a terminal or the chat."""
    if not statuses:
        return (
            "no MCP servers configured: add a [mcp_servers.NAME] table (command and args, or "
            "url) to your user config (docs/mcp.md)"
        )
    return "\n\n".join(_server_text(status) for status in statuses)


def _server_text(status: ServerStatus) -> str:
    lines = [f"{status.name}  {status.state}  ({status.transport}, from {status.source})"]
    if status.error:
        lines.append(f"  {status.error}")
    if status.state in ("failed", "crashed"):
        lines.append(f"  log: {status.log}")
    if status.tools:
        lines.append("  tools:")
        lines += [f"    {t.exposed}  {_first_line(t.description)}" for t in status.tools]
    if status.resources:
        lines.append("  resources:")
        lines += [f"    @{status.name}:{r.name or r.uri}  {r.uri}" for r in status.resources]
    if status.prompts:
        lines.append("  prompts:")
        for prompt in status.prompts:
            arguments = f"({', '.join(prompt.arguments)})" if prompt.arguments else ""
            lines.append(f"    {prompt.name}{arguments}  {_first_line(prompt.description)}")
    return "\n".join(lines)


def _first_line(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 100 else line[:99] + "…"
