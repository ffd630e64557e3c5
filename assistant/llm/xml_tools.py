"""Qwen3-Coder's XML tool calls in content text, parsed into the same objects as API calls.

The form is `<tool_call>\\n<function=NAME>\\n<parameter=P>\\nvalue\\n</parameter>\\n</function>\\n
</tool_call>`; values are raw text, converted by the tool's JSON-schema property types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.llm.types import ToolCall, ToolCallError

OPEN_TAG = "<tool_call>"
_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_FUNCTION = re.compile(r"<function=([^>\s]+)\s*>(.*?)(?:</function>|\Z)", re.DOTALL)
_PARAMETER = re.compile(
    r"<parameter=([^>\s]+)\s*>(.*?)(?:</parameter>|(?=<parameter=)|\Z)", re.DOTALL
)


def split_xml_tool_calls(
    content: str, tools: Sequence[Mapping[str, Any]] | None, id_prefix: str = "xmlcall"
) -> tuple[str, list[ToolCall], list[ToolCallError]]:
    """Return the text outside any `<tool_call>` blocks and the calls parsed from them."""
    if OPEN_TAG not in content:
        return content, [], []
    schemas = _schemas_by_name(tools)
    calls: list[ToolCall] = []
    errors: list[ToolCallError] = []
    for number, match in enumerate(_BLOCK.finditer(content)):
        call_id = f"{id_prefix}_{number}"
        parsed = _parse_block(match.group(1), call_id, schemas)
        if isinstance(parsed, ToolCall):
            calls.append(parsed)
        else:
            errors.append(parsed)
    text = _BLOCK.sub("", content).strip()
    return text, calls, errors


def _parse_block(
    block: str, call_id: str, schemas: Mapping[str, Mapping[str, Any]]
) -> ToolCall | ToolCallError:
    function = _FUNCTION.search(block)
    if function is None:
        return ToolCallError(
            call_id, "", block, "tool call has no <function=NAME> tag; use the XML form exactly"
        )
    name, body = function.group(1), function.group(2)
    properties = schemas.get(name, {}).get("properties", {})
    arguments: dict[str, Any] = {}
    for param in _PARAMETER.finditer(body):
        key, raw = param.group(1), _strip_one_newline(param.group(2))
        try:
            arguments[key] = convert_value(raw, properties.get(key, {}))
        except ValueError as error:
            message = f"parameter {key!r} of {name}: {error}"
            return ToolCallError(call_id, name, json.dumps({key: raw}), message)
    return ToolCall(call_id, name, arguments, json.dumps(arguments))


def convert_value(raw: str, schema: Mapping[str, Any]) -> Any:
    """Convert one raw parameter text to the type its JSON schema names."""
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    text = raw.strip()
    if kind == "string":
        return raw
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if kind == "number":
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ValueError(f"expected true or false, got {text!r}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"expected JSON {kind}, got {text[:60]!r} ({error.msg})") from None


def _strip_one_newline(value: str) -> str:
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value


def _schemas_by_name(tools: Sequence[Mapping[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    result: dict[str, Mapping[str, Any]] = {}
    for tool in tools or ():
        function = tool.get("function", tool)
        if "name" in function:
            result[function["name"]] = function.get("parameters", {})
    return result


class XmlTextFilter:
    """Hold back streamed text from the start of a `<tool_call>` so users never see the XML."""

    def __init__(self) -> None:
        self._pending = ""
        self._inside = False

    def feed(self, text: str) -> str:
        """Return the part of `text` that is safe to show now."""
        if self._inside:
            return ""
        self._pending += text
        start = self._pending.find(OPEN_TAG)
        if start >= 0:
            self._inside = True
            visible, self._pending = self._pending[:start], ""
            return visible
        keep = _partial_tag_suffix(self._pending)
        visible = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(self._pending) - keep :]
        return visible

    def flush(self) -> str:
        """Return whatever is held back once the stream ends outside a tool call."""
        visible, self._pending = ("" if self._inside else self._pending), ""
        return visible


def _partial_tag_suffix(text: str) -> int:
    for size in range(min(len(OPEN_TAG) - 1, len(text)), 0, -1):
        if OPEN_TAG.startswith(text[-size:]):
            return size
    return 0
