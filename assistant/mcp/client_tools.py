"""An MCP server's tool as one of the agent's tools: it asks the permission policy (kind "mcp")
before every call, and turns the server's answer into text for the model.

The text is the content's text parts joined; images, audio and resources are described, not
inlined. The agent redacts and caps every tool output before it joins the conversation; a
result too large even to redact cheaply is cut here first (redacted before the cut, so the cut
cannot leave half a secret behind).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.mcp.client_schema import clean_text
from assistant.security.secrets import Redactor
from assistant.tools.base import ToolContext, ToolOutput, ToolSpec, cut_middle

MAX_RESULT_CHARS = 4_000_000  # above this, cut here; the agent cuts far lower anyway
PREVIEW_CHARS = 160
DETAIL_CHARS = 4_000


class ToolCaller(Protocol):
    """What calls a tool on a server (the registry: it restarts a crashed server once)."""

    async def call_tool(self, server: str, tool: str, arguments: Mapping[str, Any]) -> ToolOutput:
        """Return the server's answer to the call as the model will read it."""
        ...


@dataclass
class McpTool:
    """A tool of an MCP server, offered to the model as `mcp__server__tool`."""

    spec: ToolSpec
    server: str
    remote: str  # the tool's name on its server
    caller: ToolCaller

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Ask the policy (and maybe the user), then call the tool on its server."""
        grant = await ctx.authorize("mcp", self.summary(args), _detail(args))
        if not grant:
            return ToolOutput.refusal(f"MCP tool {self.remote!r} of server {self.server!r}")
        output = await self.caller.call_tool(self.server, self.remote, args)
        if len(output.text) > MAX_RESULT_CHARS:
            keys = ctx.settings.known_secrets
            text = cut_middle(Redactor(keys).redact(output.text), MAX_RESULT_CHARS)
            return ToolOutput(text, ok=output.ok)
        return output

    def summary(self, args: Mapping[str, Any]) -> str:
        """Return the one line a person approves: the server, the tool, the arguments."""
        preview = json.dumps(dict(args), ensure_ascii=False, default=str)
        if len(preview) > PREVIEW_CHARS:
            preview = preview[: PREVIEW_CHARS - 1] + "…"
        return f"MCP {self.server} · {self.remote} {clean_text(preview, PREVIEW_CHARS)}"


def result_output(result: Any) -> ToolOutput:
    """Return a CallToolResult as the text the model reads (`ok` False when it is an error)."""
    parts = [_content_text(block) for block in getattr(result, "content", None) or ()]
    structured = getattr(result, "structured_content", None)
    if not any(parts) and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, default=str)[:MAX_RESULT_CHARS])
    text = "\n".join(part for part in parts if part) or "(the tool returned nothing)"
    if getattr(result, "is_error", False):
        return ToolOutput(f"error: {text}", ok=False)
    return ToolOutput(text)


def resource_text(result: Any) -> str:
    """Return the text of a ReadResourceResult; binary parts are described, not inlined."""
    parts = []
    for item in getattr(result, "contents", None) or ():
        text = getattr(item, "text", None)
        if isinstance(text, str):
            parts.append(text)
        else:
            size = len(getattr(item, "blob", "") or "") * 3 // 4
            parts.append(f"[binary resource {item.uri} ({item.mime_type or 'unknown'}), {size} B]")
    return "\n".join(parts)


def _content_text(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        size = len(block.data or "") * 3 // 4
        return f"[{kind} ({clean_text(block.mime_type, 80)}), {size} bytes: not shown]"
    if kind == "resource_link":
        return f"[resource link {clean_text(block.uri, 300)} ({clean_text(block.name, 100)})]"
    if kind == "resource":
        inner = block.resource
        size = len(getattr(inner, "text", None) or getattr(inner, "blob", "") or "")
        mime = clean_text(inner.mime_type or "unknown type", 80)
        return f"[embedded resource {clean_text(inner.uri, 300)} ({mime}), {size} chars: not shown]"
    return f"[{clean_text(kind, 40) or 'unknown'} content: not shown]"


def _detail(args: Mapping[str, Any]) -> str:
    text = json.dumps(dict(args), ensure_ascii=False, indent=2, default=str)
    return clean_text(text, DETAIL_CHARS)
