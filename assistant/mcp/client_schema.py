"""What an MCP server says about its tools, made safe to put in a model request: tool names
the OpenAI API accepts, JSON schemas reduced to known keywords within size and depth caps (the
root always an object), and descriptions without control characters, capped.

A server is untrusted: a hostile schema (huge, deeply nested, not an object, remote `$ref`s,
odd types) must not break the request or grow it without bound.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from assistant.security.terminal import without_controls

NAME_LIMIT = 64  # what OpenAI-compatible APIs accept for a function name
DESCRIPTION_CHARS = 1_024
SCHEMA_CHARS = 16_000
MAX_DEPTH = 10
MAX_ITEMS = 200  # properties, enum values, anyOf branches...
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")
_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_TEXT_KEYS = frozenset({"title", "description", "format", "pattern"})
_NUMBER_KEYS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    | {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}
)
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_ONE = frozenset({"items", "additionalProperties", "not", "contains"})
EMPTY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}


def exposed_name(server: str, tool: str, taken: set[str]) -> str:
    """Return `mcp__server__tool` as an API-safe function name not in `taken` (then add it)."""
    name = f"mcp__{_UNSAFE_NAME.sub('_', server)}__{_UNSAFE_NAME.sub('_', tool)}"
    if len(name) > NAME_LIMIT or name in taken:
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:8]
        name = f"{name[: NAME_LIMIT - 9]}_{digest}"
    while name in taken:  # two long names sharing a prefix and a digest prefix: never in practice
        name = f"{name[: NAME_LIMIT - 9]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    taken.add(name)
    return name


def clean_text(text: object, limit: int = DESCRIPTION_CHARS) -> str:
    """Return a server's text without control characters (no terminal escapes), capped."""
    cleaned = without_controls(text) if isinstance(text, str) else ""
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def clean_name(text: object) -> str:
    """Return a server's name for a thing on one line: no control characters or newlines."""
    return clean_text(text, 200).replace("\n", " ").replace("\t", " ")


def normalize_schema(
    raw: object, redact: Callable[[str], str] = str
) -> tuple[dict[str, Any], bool]:
    """Return a tool's parameters as a safe JSON schema of type object, and whether the
    server's schema was replaced by an empty one (too big, or not a schema at all). `redact`
    is applied to every description and title (the request's tools are not redacted later)."""
    if not isinstance(raw, Mapping):
        return dict(EMPTY_OBJECT), True
    schema = _clean(raw, 0, redact)
    if not isinstance(schema, dict):
        return dict(EMPTY_OBJECT), True
    schema["type"] = "object"
    properties = schema.get("properties")
    schema["properties"] = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    if isinstance(required, list):
        schema["required"] = [name for name in required if name in schema["properties"]]
    if len(json.dumps(schema)) > SCHEMA_CHARS:
        return dict(EMPTY_OBJECT), True
    return schema, False


def _clean(node: object, depth: int, redact: Callable[[str], str]) -> dict[str, Any] | bool:
    """Return a schema node with only known keywords and bounded contents."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, Mapping) or depth > MAX_DEPTH:
        return {}
    result: dict[str, Any] = {}
    for key, value in list(node.items())[:MAX_ITEMS]:
        cleaned = _keyword(str(key), value, depth, redact)
        if cleaned is not None:
            result[str(key)] = cleaned
    return result


def _keyword(key: str, value: object, depth: int, redact: Callable[[str], str]) -> Any:
    """Return a keyword's cleaned value, or None to drop the keyword."""
    if key in _SCHEMA_MAPS and isinstance(value, Mapping):
        items = list(value.items())[:MAX_ITEMS]
        return {clean_name(name): _clean(sub, depth + 1, redact) for name, sub in items}
    if key in _SCHEMA_LISTS and isinstance(value, list):
        return [_clean(sub, depth + 1, redact) for sub in value[:MAX_ITEMS]]
    if key in _SCHEMA_ONE:
        return _clean(value, depth + 1, redact)
    if key == "type":
        return _type(value)
    if key in ("title", "description") and isinstance(value, str):
        return clean_text(redact(value), DESCRIPTION_CHARS if key == "description" else 200)
    if key in _TEXT_KEYS and isinstance(value, str):
        return clean_text(value, 200)
    if key in _NUMBER_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if key == "required" and isinstance(value, list):
        return [clean_name(item) for item in value[:MAX_ITEMS] if isinstance(item, str)]
    if key == "enum" and isinstance(value, list):
        return [item for item in value[:MAX_ITEMS] if _scalar(item)] or None
    if key in ("const", "default") and _scalar(value):
        return value
    if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
        return value[:200]  # only references inside the schema itself, never a URL
    return None


def _type(value: object) -> str | list[str] | None:
    if isinstance(value, str):
        return value if value in _TYPES else None
    if isinstance(value, list):
        kept = [item for item in value if isinstance(item, str) and item in _TYPES]
        return kept or None
    return None


def _scalar(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= 200
    return value is None or isinstance(value, bool | int | float)
