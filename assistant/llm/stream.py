"""Assemble streamed chunks into one answer: chat (text, tool calls by index, usage) or a
completion (text, finish reason, usage)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.llm.types import ChatResult, ToolCall, ToolCallError, Usage
from assistant.llm.xml_tools import XmlTextFilter, split_xml_tool_calls


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ChatAssembler:
    """Feed it `ChatCompletionChunk`s; it returns visible text and builds the final result."""

    def __init__(
        self, tools: Sequence[Mapping[str, Any]] | None = None, prompt_chars: int = 0
    ) -> None:
        self._tools = tools
        self._prompt_chars = prompt_chars
        self._usage_reported = False
        self._text: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._usage = Usage()
        self._finish: str | None = None
        self._filter = XmlTextFilter()

    def feed(self, chunk: Any) -> str:
        """Take one chunk; return the text in it that the user may see now."""
        if getattr(chunk, "usage", None) is not None:
            self._usage = _usage(chunk.usage)
            self._usage_reported = True
        visible = []
        for choice in chunk.choices or ():
            delta = choice.delta
            if delta is not None and delta.content:
                self._text.append(delta.content)
                visible.append(self._filter.feed(delta.content))
            for call in (delta.tool_calls or ()) if delta is not None else ():
                self._add_call_delta(call)
            if choice.finish_reason:
                self._finish = choice.finish_reason
        return "".join(visible)

    @property
    def finish_reason(self) -> str | None:
        """Return the finish reason the stream gave, None while it has given none."""
        return self._finish

    def flush(self) -> str:
        """Return text held back while looking for a tool-call tag, at the end of the stream."""
        return self._filter.flush()

    def result(self) -> ChatResult:
        """Return the whole answer assembled so far (usage estimated if none was reported)."""
        text = "".join(self._text)
        calls = [(c.id, c.name, "".join(c.arguments)) for _, c in sorted(self._calls.items())]
        usage = self._usage
        if not self._usage_reported:
            completion_chars = len(text) + sum(len(n) + len(a) for _, n, a in calls)
            usage = Usage.estimate(self._prompt_chars, completion_chars)
        return build_result(text, calls, self._tools, usage, self._finish)

    def _add_call_delta(self, delta: Any) -> None:
        index = delta.index if delta.index is not None else len(self._calls)
        partial = self._calls.setdefault(index, _PartialCall())
        if delta.id:
            partial.id = delta.id
        function = delta.function
        if function is not None:
            if function.name:
                partial.name += function.name
            if function.arguments:
                partial.arguments.append(function.arguments)


class CompletionTally:
    """Follow a streamed completion (FIM, or FIM wrapped in chat): its text, finish, usage."""

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.prompt_chars = 0  # for the estimate, when the server reports no usage
        self._reported: Usage | None = None
        self._chars = 0

    def feed(self, chunk: Any) -> str:
        """Take one chunk (a completion's or a chat's); return the text in it."""
        if getattr(chunk, "usage", None) is not None:
            self._reported = _usage(chunk.usage)
        pieces = []
        for choice in getattr(chunk, "choices", None) or ():
            delta = getattr(choice, "delta", None)
            piece = delta.content if delta is not None else getattr(choice, "text", None)
            pieces.append(piece if isinstance(piece, str) else "")
            self.finish_reason = choice.finish_reason or self.finish_reason
        text = "".join(pieces)
        self._chars += len(text)
        return text

    def usage(self) -> Usage:
        """Return the usage the server reported, or an estimate when it reported none."""
        return self._reported or Usage.estimate(self.prompt_chars, self._chars)


def build_result(
    content: str,
    raw_calls: Sequence[tuple[str, str, str]],
    tools: Sequence[Mapping[str, Any]] | None,
    usage: Usage,
    finish_reason: str | None,
) -> ChatResult:
    """Parse raw (id, name, arguments) calls and any XML calls in `content` into a ChatResult."""
    calls: list[ToolCall] = []
    errors: list[ToolCallError] = []
    for number, (call_id, name, raw) in enumerate(raw_calls):
        parsed = parse_arguments(call_id or f"call_{number}", name, raw)
        if isinstance(parsed, ToolCall):
            calls.append(parsed)
        else:
            errors.append(parsed)
    text, xml_calls, xml_errors = split_xml_tool_calls(content, tools)
    calls += xml_calls
    errors += xml_errors
    if (xml_calls or xml_errors) and finish_reason == "stop":
        finish_reason = "tool_calls"
    return ChatResult(text, tuple(calls), tuple(errors), usage, finish_reason)


def parse_arguments(call_id: str, name: str, raw: str) -> ToolCall | ToolCallError:
    """Parse a call's JSON arguments; a malformed one becomes a ToolCallError."""
    if not name:
        return ToolCallError(call_id, "", raw, "tool call has no function name")
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as error:
        message = (
            f"arguments of {name} are not valid JSON ({error.msg} at column {error.colno}); "
            "send the call again with a complete JSON object"
        )
        return ToolCallError(call_id, name, raw, message)
    if not isinstance(arguments, dict):
        return ToolCallError(call_id, name, raw, f"arguments of {name} must be a JSON object")
    return ToolCall(call_id, name, arguments, raw)


def _usage(raw: Any) -> Usage:
    return Usage(
        prompt_tokens=raw.prompt_tokens or 0,
        completion_tokens=raw.completion_tokens or 0,
        total_tokens=raw.total_tokens or 0,
    )


def usage_of(raw: Any) -> Usage:
    """Return our Usage for an openai usage object (or an empty one for None)."""
    return _usage(raw) if raw is not None else Usage()
