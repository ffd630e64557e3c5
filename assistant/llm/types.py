"""Typed results of the model client: text deltas, tool calls, usage, whole answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.context.tokens import tokens_for


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model made, with its arguments parsed."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""

    def to_message(self) -> dict[str, Any]:
        """Return the OpenAI `tool_calls` entry that goes back into the conversation."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.raw_arguments or "{}"},
        }


@dataclass(frozen=True)
class ToolCallError:
    """A tool call that could not be parsed; the agent sends `message` back to the model."""

    id: str
    name: str
    raw_arguments: str
    message: str

    def to_message(self) -> dict[str, Any]:
        """Return the OpenAI `tool_calls` entry that goes back into the conversation."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name or "unknown", "arguments": self.raw_arguments},
        }


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's visible text, as it streams."""

    text: str


@dataclass(frozen=True)
class Usage:
    """Token counts the endpoint reported for one request."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    # True when the server reported nothing and the figures are a 4-characters-a-token estimate.
    estimated: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
            self.estimated or other.estimated,
        )

    @classmethod
    def estimate(cls, prompt_chars: int, completion_chars: int) -> Usage:
        """Return an estimate for a server that streams without reporting usage."""
        prompt, completion = tokens_for(prompt_chars), tokens_for(completion_chars)
        return cls(prompt, completion, prompt + completion, estimated=True)


@dataclass(frozen=True)
class ChatResult:
    """A whole chat answer: text, tool calls (parsed and failed), usage, finish reason."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_errors: tuple[ToolCallError, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None

    def to_message(self) -> dict[str, Any]:
        """Return the assistant message that goes back into the conversation."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        calls = [c.to_message() for c in self.tool_calls]
        calls += [e.to_message() for e in self.tool_call_errors]
        if calls:
            message["tool_calls"] = calls
        return message


@dataclass(frozen=True)
class CompletionResult:
    """A text completion (fill-in-the-middle or plain)."""

    text: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None


@dataclass(frozen=True)
class StreamRestarted:
    """The connection dropped mid-answer and the request is being retried: discard partial text."""

    reason: str
