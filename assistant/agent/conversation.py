"""One conversation with the agent: its messages, session log, token usage and context files.

Every front end holds one: the chat keeps it across turns and can resume the last saved one,
`assistant run` resumes it with `--resume`, and batch targets and editor actions use a
fresh, unsaved one per run. `runner.build_agent` builds an agent on it, and `run` passes the
agent's events through while keeping usage and leaving the history fit to send again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.agent.events import Event, UsageUpdate
from assistant.agent.prompt import read_repo_text
from assistant.agent.session import SessionLog, complete_exchanges, sessions_dir
from assistant.config import Settings
from assistant.config.paths import cache_root
from assistant.errors import ConfigError, PathOutsideRepository
from assistant.llm.types import Usage
from assistant.tools.base import TodoItem, ToolError
from assistant.tools.todo import parse_todos
from assistant.workspace import is_secret_file, resolve_repo_path

if TYPE_CHECKING:
    from assistant.agent.loop import Agent

MAX_CONTEXT_FILE_BYTES = 200_000


class Conversation:
    """The messages of one conversation with one repository, and what goes with them.

    `saved` conversations write every message to a session log (made on the first message),
    so they can be resumed and audited; unsaved ones live in memory only.
    """

    def __init__(self, root: Path, settings: Settings, *, saved: bool = True) -> None:
        self.root = root
        self.settings = settings
        self.saved = saved
        self.history: list[dict[str, Any]] = []
        self.session: SessionLog | None = None
        self.context_files: list[str] = []
        self.usage = Usage()  # of every turn so far
        self.cost: float | None = 0.0  # in money, every turn so far (None: a price is unknown)
        self.currency = ""
        self.context_tokens = 0  # the prompt size of the last request
        self.todos: list[TodoItem] = []  # the model's todo list (todo_write), for every turn

    # -- turns -------------------------------------------------------------------------------

    async def run(self, agent: Agent, task: str) -> AsyncIterator[Event]:
        """Run `task` with an agent built on this conversation; pass its events through."""
        if agent.history is not self.history:
            raise ValueError("the agent was not built on this conversation")
        try:
            async for event in agent.run(task):
                if isinstance(event, UsageUpdate):
                    self.usage = self.usage + event.last
                    if event.cost is None or self.cost is None:
                        self.cost = None
                    else:
                        self.cost += event.cost
                    self.currency = event.currency
                    self.context_tokens = event.context_tokens
                yield event
        finally:
            # A cancelled turn can leave tool calls without results: drop them.
            complete_exchanges(self.history)

    def record(self, message: dict[str, Any]) -> None:
        """Write a message the agent added to the history to the session log, if saved."""
        if not self.saved:
            return
        if self.session is None:
            self.session = SessionLog.new(self._sessions_folder())
        self.session.append(message)

    # -- the conversation as a whole ---------------------------------------------------------

    def resume(self, *, missing_ok: bool = False) -> int:
        """Continue the latest saved session of this repository; return its message count."""
        latest = SessionLog.latest(self._sessions_folder())
        if latest is None:
            if missing_ok:
                return 0
            raise ConfigError("no saved session for this repository", hint="start chatting")
        self.history[:] = latest.messages()
        self.session = latest
        self.todos[:] = last_todo_list(self.history)
        return len(self.history)

    def clear(self) -> None:
        """Forget the messages; the next one starts a new session file."""
        self.history.clear()
        self.session = None
        self.context_tokens = 0
        self.todos.clear()

    def _sessions_folder(self) -> Path:
        return sessions_dir(cache_root(self.settings), self.root)

    # -- files in the context ----------------------------------------------------------------

    def add_files(self, names: list[str]) -> list[str]:
        """Add repository files to the context; return the ones that were added."""
        added = []
        for name in names:
            path = self._existing_file(name)
            if is_secret_file(self.root, path):
                raise ConfigError(f"{name} is a secrets file; it never goes into a prompt")
            if name not in self.context_files:
                self.context_files.append(name)
                added.append(name)
        return added

    def drop_files(self, names: list[str]) -> list[str]:
        """Drop files from the context (all of them when `names` is empty)."""
        dropped = [n for n in self.context_files if not names or n in names]
        self.context_files = [n for n in self.context_files if n not in dropped]
        return dropped

    def file_contents(self) -> tuple[tuple[str, str], ...]:
        """Return (path, text) of each context file that can still be read, redacted."""
        files = []
        for name in self.context_files:
            text = read_repo_text(self.root, name, MAX_CONTEXT_FILE_BYTES)
            if text is not None:
                files.append((name, text))
        return tuple(files)

    def _existing_file(self, name: str) -> Path:
        missing = ConfigError(f"no file {name!r} in the repository", hint="try @ completion")
        try:
            path = resolve_repo_path(self.root, name)
        except PathOutsideRepository:
            raise missing from None
        if not path.is_file():
            raise missing
        return path


def last_todo_list(history: list[dict[str, Any]]) -> list[TodoItem]:
    """Return the todo list the last valid todo_write call of a session set ([] if none)."""
    for message in reversed(history):
        for call in reversed(message.get("tool_calls") or []):
            function = call.get("function") or {}
            if function.get("name") != "todo_write":
                continue
            try:
                return parse_todos(json.loads(function.get("arguments") or "{}").get("todos"))
            except (ToolError, ValueError, AttributeError):
                continue
    return []
