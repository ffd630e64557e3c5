"""The chat's link to the core: the model connection, the conversation, the agent and git."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from assistant.agent import Agent, Approver
from assistant.config import Settings, load_settings
from assistant.edits.undo import UndoJournal, UndoPlan, restore_anyway
from assistant.errors import AssistantError, ConfigError
from assistant.events import Event, UsageUpdate
from assistant.git import WorkTree
from assistant.llm import ModelClient, Usage
from assistant.llm.connect import connect_model
from assistant.paths import cache_root
from assistant.permissions import MODES
from assistant.prompt import read_repo_text
from assistant.runner import build_agent, policy_for
from assistant.security.secrets import is_secret_path
from assistant.session import SessionLog, complete_exchanges, sessions_dir
from assistant.workspace import is_secret_file
from tui import repo

MAX_CONTEXT_FILE_BYTES = 200_000


class ChatEngine:
    """One chat with one repository: owns the model client, history, mode and context files."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        *,
        mode: str | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.mode = mode or settings.permission_mode
        self.notice = notice
        self.history: list[dict[str, Any]] = []
        self.context_files: list[str] = []
        self.usage = Usage()
        self.context_tokens = 0
        self.session: SessionLog | None = None
        self._client: ModelClient | None = None
        self._stack: AsyncExitStack | None = None

    # -- the model connection ----------------------------------------------------------------

    async def open(self) -> None:
        """Connect to the model endpoint named by the settings (start the local model if so)."""
        stack = AsyncExitStack()
        try:
            self._client = await stack.enter_async_context(
                connect_model(self.settings, notice=self.notice)
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack

    async def close(self) -> None:
        """Close the model connection."""
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def switch_profile(self, profile: str) -> Settings:
        """Reconnect with another model profile; the conversation carries on."""
        settings = await asyncio.to_thread(load_settings, self.root, {"profile": profile})
        await self.close()
        self.settings = settings
        await self.open()
        return settings

    @property
    def model(self) -> str:
        """Return the model name answering this chat."""
        return self._client.model if self._client is not None else self.settings.model

    # -- turns -------------------------------------------------------------------------------

    async def run_turn(self, task: str, approve: Approver) -> AsyncIterator[Event]:
        """Run one task with the agent, keeping history, usage and the session log."""
        if self._client is None:
            raise ConfigError("no model connection", hint="check the endpoint with /model")
        agent = await asyncio.to_thread(self._build_agent, self._client, task, approve)
        try:
            async for event in agent.run(task):
                if isinstance(event, UsageUpdate):
                    self.usage = self.usage + event.last
                    self.context_tokens = event.context_tokens
                yield event
        finally:
            settle_history(self.history)

    def _build_agent(self, client: ModelClient, task: str, approve: Approver) -> Agent:
        return build_agent(
            self.root, self.settings, client, task,
            policy=policy_for(self.settings, self.mode, headless=False, root=self.root),
            approve=approve,
            history=self.history, files=self._file_contents(), on_message=self._session().append,
        )  # fmt: skip

    def _session(self) -> SessionLog:
        if self.session is None:
            self.session = SessionLog.new(self._sessions_folder())
        return self.session

    def _sessions_folder(self) -> Path:
        return sessions_dir(cache_root(self.settings), self.root)

    # -- conversation state ------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """Switch the permission mode for the next turns."""
        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}", hint=f"choose one of: {', '.join(MODES)}")
        self.mode = mode

    def clear(self) -> None:
        """Forget the conversation and start a new session file on the next turn."""
        self.history.clear()
        self.session = None
        self.context_tokens = 0

    def resume(self) -> int:
        """Continue the latest saved session of this repository; return its message count."""
        latest = SessionLog.latest(self._sessions_folder())
        if latest is None:
            raise ConfigError("no saved session for this repository", hint="start chatting")
        self.history[:] = latest.messages()
        self.session = latest
        return len(self.history)

    def add_files(self, names: list[str]) -> list[str]:
        """Add repository files to the context; return the ones that were added."""
        added = []
        for name in names:
            path = repo.resolve_file(self.root, name)
            if path is None:
                raise ConfigError(f"no file {name!r} in the repository", hint="try @ completion")
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

    def _file_contents(self) -> tuple[tuple[str, str], ...]:
        files = []
        for name in self.context_files:
            text = read_repo_text(self.root, name, MAX_CONTEXT_FILE_BYTES)
            if text is not None:
                files.append((name, text))
        return tuple(files)

    # -- git ---------------------------------------------------------------------------------

    def diff(self) -> str:
        """Return the work tree's diff against HEAD (new files included)."""
        return self._work_tree().diff()

    def undo_plan(self) -> UndoPlan:
        """Return what undoing the last turn needs decided (see assistant/edits/undo.py)."""
        return self._journal().plan()

    def undo(self, restore: Collection[tuple[str, str]] = (), commands: bool = False) -> str:
        """Undo the agent's changes of the last turn. Conflicts are kept unless in `restore`
        as (path, the version shown); `commands` restores what its commands changed too."""
        result = self._journal().undo(restore_anyway(restore), commands=commands)
        parts = [f"undid: {result.label}"]
        if result.restored:
            parts.append(f"restored {', '.join(result.restored)}")
        if result.removed:
            parts.append(f"removed {', '.join(result.removed)}")
        if result.kept:
            parts.append(f"kept as you changed them: {', '.join(result.kept)}")
        return "; ".join(parts)

    def commit(self, message: str) -> str:
        """Commit every changed file with `message`; return the short commit id."""
        work_tree = self._work_tree()
        paths = [p for p in work_tree.changed_paths() if not is_secret_path(p)]
        if not paths:
            raise AssistantError("nothing to commit: the work tree is clean (secrets files aside)")
        commit = work_tree.commit(paths, message)
        return f"committed {len(paths)} file(s) as {commit[:10]}"

    def _work_tree(self) -> WorkTree:
        from assistant.git import open_work_tree

        return open_work_tree(self.root, cache_root(self.settings))

    def _journal(self) -> UndoJournal:
        return UndoJournal(self.root, cache_root(self.settings))


def settle_history(history: list[dict[str, Any]]) -> None:
    """Drop a trailing tool-call exchange whose results never came (a cancelled turn)."""
    complete_exchanges(history)
