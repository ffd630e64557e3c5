"""The agent's events: a small closed set of records that every front end matches on.

`RunSummary` folds a run's events into what the run came to (the one fold the CLI, batch and
editor actions share); `EventHandler` dispatches each event to a `handle_*` method that a
front end overrides for what it shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.llm.types import Usage
from assistant.tools.base import PATH_KEYS, TodoItem

DoneReason = Literal["completed", "turn_limit", "failed", "checks_failed", "budget"]
ErrorKind = Literal["endpoint", "turn_limit", "checks", "hook", "budget"]
CheckKind = Literal["lint", "test"]
ApprovalKind = Literal["edit", "command", "mcp", "plan", "memory", "fetch"]


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

    def brief(self) -> str:
        """Return the call as a short progress line: the tool and what it works on."""
        keys = (*PATH_KEYS, "pattern", "query")
        target = next((str(self.arguments[k]) for k in keys if self.arguments.get(k)), "")
        return f"{self.name} {target}".strip()


@dataclass(frozen=True)
class ApprovalRequest:
    """A decision the user must make before a tool runs: an edit or a command."""

    call_id: str
    tool: str
    kind: ApprovalKind
    summary: str
    detail: str = ""  # the diff of an edit, or the command and its working directory


@dataclass(frozen=True)
class ToolProgress:
    """A line of a running tool's work (a sub-agent's step), shown under its call."""

    call_id: str
    text: str


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
class TodoUpdated:
    """The model's todo list changed (todo_write): the whole list, in its order."""

    todos: tuple[TodoItem, ...]


@dataclass(frozen=True)
class ModeChanged:
    """The permission mode changed during the run (the user approved a plan)."""

    mode: str


@dataclass(frozen=True)
class CheckResult:
    """A lint or test command the user configured, run after the agent's edits."""

    kind: CheckKind
    command: str
    ok: bool
    output: str
    round: int  # 0: after the task; n: after the model's n-th fix


@dataclass(frozen=True)
class UsageUpdate:
    """Token usage of the last request, and of the whole run so far."""

    last: Usage
    total: Usage
    context_tokens: int = 0
    cost: float | None = None  # of the last request(s), in `currency`; None: price unknown
    currency: str = ""


@dataclass(frozen=True)
class ErrorEvent:
    """Something failed: the model endpoint (fatal: the run stops) or the turn limit."""

    message: str
    kind: ErrorKind
    fatal: bool = False


@dataclass(frozen=True)
class Done:
    """The run ended: the model finished, the turn limit stopped it, or the endpoint failed."""

    reason: DoneReason
    text: str = ""
    edited: tuple[str, ...] = field(default=())


Event = (
    TextDelta
    | TextReset
    | ToolCallStarted
    | ApprovalRequest
    | ToolProgress
    | ToolResult
    | FileEdited
    | TodoUpdated
    | ModeChanged
    | CheckResult
    | UsageUpdate
    | ErrorEvent
    | Done
)


def event_to_json(event: Event) -> dict[str, Any]:
    """Return an event as a JSON-ready dict with its type name under "event"."""
    return {"event": type(event).__name__, **asdict(event)}


@dataclass
class RunSummary:
    """What a run came to, folded from its events one at a time with `add`."""

    reason: DoneReason = "failed"  # until a Done says otherwise
    text: str = ""  # the final answer: text before the last tool call is narration, dropped
    edited: list[str] = field(default_factory=list)
    refused: bool = False  # the policy or the user refused at least one tool
    usage: Usage = field(default_factory=Usage)
    cost: float | None = 0.0  # in money (None once any request's price was unknown)
    context_tokens: int = 0  # the prompt size of the last request
    error: str = ""  # why the run failed, when it did
    endpoint_failed: bool = False

    @classmethod
    async def collect(cls, events: AsyncIterable[Event]) -> RunSummary:
        """Return the summary of a whole run."""
        summary = cls()
        async for event in events:
            summary.add(event)
        return summary

    def add(self, event: Event) -> None:
        """Fold one event in."""
        match event:
            case TextDelta(text=piece):
                self.text += piece
            case TextReset() | ToolCallStarted():
                self.text = ""
            case ToolResult(refused=refused):
                self.refused = self.refused or refused
            case FileEdited(path=path) if path not in self.edited:
                self.edited.append(path)
            case UsageUpdate(last=last, context_tokens=tokens, cost=cost):
                self.usage = self.usage + last
                self.context_tokens = tokens
                self.cost = None if cost is None or self.cost is None else self.cost + cost
            case ErrorEvent(message=message, kind=kind, fatal=True):
                self.error, self.endpoint_failed = message, kind == "endpoint"
            case Done(reason=reason, text=text):
                self.reason = reason
                self.text = text or self.text


class EventHandler:
    """Dispatch each event to its `handle_*` method; a front end overrides those it shows."""

    async def handle(self, event: Event) -> None:
        """Pass `event` to the method for its type."""
        match event:
            case TextDelta():
                await self.handle_text_delta(event)
            case TextReset():
                await self.handle_text_reset(event)
            case ToolCallStarted():
                await self.handle_tool_call(event)
            case ApprovalRequest():
                await self.handle_approval_request(event)
            case ToolProgress():
                await self.handle_tool_progress(event)
            case ToolResult():
                await self.handle_tool_result(event)
            case FileEdited():
                await self.handle_file_edited(event)
            case TodoUpdated():
                await self.handle_todos(event)
            case ModeChanged():
                await self.handle_mode(event)
            case CheckResult():
                await self.handle_check(event)
            case UsageUpdate():
                await self.handle_usage(event)
            case ErrorEvent():
                await self.handle_error(event)
            case Done():
                await self.handle_done(event)

    async def handle_text_delta(self, event: TextDelta) -> None:
        """Show a piece of the answer."""

    async def handle_text_reset(self, event: TextReset) -> None:
        """Discard the partial answer."""

    async def handle_tool_call(self, event: ToolCallStarted) -> None:
        """Show a tool call."""

    async def handle_approval_request(self, event: ApprovalRequest) -> None:
        """Show that a decision is asked for (the approval callback takes the answer)."""

    async def handle_tool_progress(self, event: ToolProgress) -> None:
        """Show a step of a running tool."""

    async def handle_tool_result(self, event: ToolResult) -> None:
        """Show a tool's result."""

    async def handle_file_edited(self, event: FileEdited) -> None:
        """Show an edit that was applied."""

    async def handle_todos(self, event: TodoUpdated) -> None:
        """Show the todo list."""

    async def handle_mode(self, event: ModeChanged) -> None:
        """Show the new permission mode."""

    async def handle_check(self, event: CheckResult) -> None:
        """Show a lint or test run."""

    async def handle_usage(self, event: UsageUpdate) -> None:
        """Show token usage."""

    async def handle_error(self, event: ErrorEvent) -> None:
        """Show an error."""

    async def handle_done(self, event: Done) -> None:
        """Show how the run ended."""
