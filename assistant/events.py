"""The agent's events: a small closed set of records that every front end matches on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from assistant.llm.types import Usage


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's visible answer."""

    text: str


@dataclass(frozen=True)
class TextReset:
    """The connection dropped mid-answer and the answer restarts: discard its partial text."""

    reason: str


@dataclass(frozen=True)
class ToolCallStarted:
    """The model asked for a tool."""

    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ApprovalRequest:
    """A decision the user must make before a tool runs (an edit or a command)."""

    call_id: str
    tool: str
    summary: str
    detail: str = ""  # the diff of an edit, or the command and its working directory
    kind: str = ""  # "edit" or "command"


@dataclass(frozen=True)
class ToolResult:
    """What a tool returned (or why it did not run); the same text goes back to the model."""

    call_id: str
    name: str
    ok: bool
    output: str
    refused: bool = False  # the permission policy or the user said no


@dataclass(frozen=True)
class FileEdited:
    """A file in the repository was written by the agent."""

    path: str
    diff: str
    created: bool = False


@dataclass(frozen=True)
class UsageUpdate:
    """Token usage of the last request, and of the whole run so far."""

    last: Usage
    total: Usage
    context_tokens: int = 0


@dataclass(frozen=True)
class ErrorEvent:
    """Something failed; `fatal` means the run stops; `kind` is "endpoint" for model failures."""

    message: str
    fatal: bool = False
    kind: str = ""


@dataclass(frozen=True)
class Done:
    """The run ended: completed, turn_limit, refused, cancelled or failed."""

    reason: str
    text: str = ""
    edited: tuple[str, ...] = field(default=())


Event = (
    TextDelta
    | TextReset
    | ToolCallStarted
    | ApprovalRequest
    | ToolResult
    | FileEdited
    | UsageUpdate
    | ErrorEvent
    | Done
)


def event_to_json(event: Event) -> dict[str, Any]:
    """Return an event as a JSON-ready dict with its type name under "event"."""
    data = asdict(event) if is_dataclass(event) else {}
    return {"event": type(event).__name__, **data}
