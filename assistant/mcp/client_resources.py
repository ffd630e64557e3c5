"""`@server:resource` in a chat message: the resource's text is attached to the message, redacted
and capped, the way `/add` puts a file in the context. The resource is named by its name or its
URI (`@docs:readme`, `@docs:notes://readme`); only configured servers' names count, so an
`@app.py:12` mention is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from assistant.config import Settings
from assistant.mcp.client import McpServerError
from assistant.mcp.registry import McpRegistry
from assistant.security.secrets import Redactor
from assistant.tools.base import cut_middle

RESOURCE_CHARS = 40_000
_MENTION = re.compile(r"(?:^|(?<=\s))@([A-Za-z0-9_.-]+):(\S+)")


@dataclass(frozen=True)
class Attachments:
    """A message with its resources attached, what was attached, and what could not be."""

    text: str
    attached: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def resource_mentions(text: str, servers: Collection[str]) -> list[tuple[str, str]]:
    """Return the (server, resource) pairs a message mentions, once each, in order."""
    found: list[tuple[str, str]] = []
    for server, ref in _MENTION.findall(text):
        pair = (server, ref.rstrip(".,;:!?)'\""))
        if server in servers and pair[1] and pair not in found:
            found.append(pair)
    return found


async def attach_resources(registry: McpRegistry, text: str, settings: Settings) -> Attachments:
    """Return `text` with each mentioned resource's text appended (starting the servers)."""
    mentions = resource_mentions(text, registry.names)
    if not mentions:
        return Attachments(text)
    keys = settings.known_secrets
    redactor = Redactor(keys)
    blocks, attached, failed = [], [], []
    for server, ref in mentions:
        try:
            uri, body = await registry.read_resource(server, ref)
        except McpServerError as error:
            failed.append(f"@{server}:{ref}: {error.one_line()}")
            continue
        label = f"{server}:{uri}"
        body = cut_middle(redactor.redact(body), RESOURCE_CHARS)
        blocks.append(f"--- MCP resource {label} ---\n{body}\n--- end of {label} ---")
        attached.append(label)
    if not blocks:
        return Attachments(text, failed=tuple(failed))
    joined = "\n\n".join(blocks)
    return Attachments(f"{text}\n\nAttached resources:\n{joined}", tuple(attached), tuple(failed))
