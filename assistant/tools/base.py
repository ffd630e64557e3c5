"""What every tool shares: its spec (JSON schema), its output, and the context it runs in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from assistant.config import Settings
from assistant.edits.text import ReadLedger
from assistant.errors import AssistantError
from assistant.llm.types import Usage
from assistant.tools.changes import ChangeLog, NoChangeLog

if TYPE_CHECKING:
    from assistant.git import WorkTree
    from assistant.index import IndexStore


@dataclass(frozen=True)
class ToolSpec:
    """A tool's name, description and JSON-schema parameters, as the model sees them."""

    name: str
    description: str
    parameters: Mapping[str, Any]

    def to_openai(self) -> dict[str, Any]:
        """Return the OpenAI `tools` entry."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


@dataclass(frozen=True)
class EditRecord:
    """A file a tool wrote: its path, its diff, whether it was created."""

    path: str
    diff: str
    created: bool = False


TodoStatus = Literal["pending", "in_progress", "completed"]


@dataclass(frozen=True)
class TodoItem:
    """One task of the model's todo list (Qwen Code's todo_write item)."""

    id: str
    content: str
    status: TodoStatus


@dataclass(frozen=True)
class ToolOutput:
    """A tool's answer to the model; `ok` is False for errors and refusals, `refused` is True
    when the permission policy or the user said no; `todos` is the whole todo list when the
    tool changed it; `plan_approved` ends plan mode."""

    text: str
    ok: bool = True
    edit: EditRecord | None = None
    refused: bool = False
    todos: tuple[TodoItem, ...] | None = None
    plan_approved: bool = False  # exit_plan_mode: the user approved the plan
    usage: Usage | None = None  # model tokens the tool spent itself (a sub-agent's)
    cost: float | None = None  # and what they cost (None: unknown)

    @classmethod
    def refusal(cls, what: str) -> ToolOutput:
        """Return the answer for an action the permission policy or the user refused."""
        return cls(f"{what}: refused by the permission policy or the user", ok=False, refused=True)


class Grant(Enum):
    """The answer to a tool's request for permission; false only when it was refused."""

    REFUSED = "refused"  # the policy or the person said no
    POLICY = "policy"  # allowed by the mode or the allowlist, with no one asked
    PERSON = "person"  # a person approved this very action

    def __bool__(self) -> bool:
        return self is not Grant.REFUSED


class ToolError(Exception):
    """A tool failed in a way the model can fix; the message goes back to it."""


Authorize = Callable[[str, str, str], Awaitable[Grant]]


@dataclass
class RunState:
    """What the tools of one agent run share: built on first use, closed when the run ends."""

    ledger: ReadLedger = field(default_factory=ReadLedger)  # what the model has read
    index: IndexStore | None = None  # the repository's index, opened by the first search
    work_tree: WorkTree | None = None
    sandbox_notice_shown: bool = False
    fetch_origins: set[str] = field(default_factory=set)  # web destinations a person approved
    # The todo list: the agent's own, lent to each run so it outlives the run.
    todos: list[TodoItem] = field(default_factory=list)
    owns_index: bool = False  # False when the index was lent by the caller (editor actions)

    def close(self) -> None:
        """Close what the run opened (the index's database connection)."""
        if self.index is not None and self.owns_index:
            self.index.close()
        self.index = None


@dataclass
class ToolContext:
    """Everything a tool may use: the repository, settings, and the agent's gatekeepers.

    `authorize(kind, summary, detail)` asks the permission policy (and, when it says so, the
    user) before an edit ("edit"), a command ("command") or an MCP server's tool ("mcp");
    `changes` records every file the turn changes, for
    undo. `state` holds per-run objects tools share (the read ledger, the open index);
    `progress` shows a line of a long tool's work as it happens (a sub-agent's steps).
    """

    root: Path
    settings: Settings
    authorize: Authorize
    changes: ChangeLog = field(default_factory=NoChangeLog)
    state: RunState = field(default_factory=RunState)
    progress: Callable[[str], None] = field(default=lambda line: None)  # a line to show now


class Tool(Protocol):
    """A tool the model may call."""

    spec: ToolSpec

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Do the work and describe the outcome for the model."""
        ...


async def run_guarded(tool: Tool, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
    """Run a tool; turn its failures into outputs for the model, never a crash of the caller."""
    try:
        return await tool.run(args, ctx)
    except (ToolError, AssistantError) as error:
        text = error.one_line() if isinstance(error, AssistantError) else str(error)
        return ToolOutput(f"error: {text}", ok=False)
    except OSError as error:
        return ToolOutput(f"error: {error.strerror or error} ({error.filename or ''})", ok=False)


def require_str(args: Mapping[str, Any], key: str) -> str:
    """Return a required string argument, or raise a ToolError the model can act on."""
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise ToolError(f"missing or empty string argument {key!r}")
    return value


# The names models give a file argument: Qwen Code's (absolute_path for reads, file_path for
# writes), Gemini CLI's and our own earlier `path`. Any of them is taken, whichever a tool asks.
PATH_KEYS = ("absolute_path", "file_path", "path")


def path_arg(args: Mapping[str, Any], key: str) -> str:
    """Return the file argument `key` (or its other spelling in PATH_KEYS), required."""
    for name in (key, *PATH_KEYS):
        value = args.get(name)
        if isinstance(value, str) and value:
            return value
    raise ToolError(f"missing or empty string argument {key!r}")


def optional_int(args: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    """Return an optional integer argument (numeric strings accepted)."""
    value = args.get(key, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ToolError(f"argument {key!r} must be an integer, got {value!r}") from None


def cut_middle(text: str, budget: int) -> str:
    """Keep the head and tail of a long text within `budget` characters, marking the cut."""
    if len(text) <= budget:
        return text
    head = budget * 2 // 3
    tail = budget - head
    dropped = text[head : len(text) - tail].count("\n")
    marker = f"\n[... {len(text) - budget} characters, {dropped} lines cut ...]\n"
    return text[:head] + marker + text[len(text) - tail :]
