"""The chat's link to the core: the model connection, the conversation, the agent and git."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from assistant.agent import Agent, Approver
from assistant.config import Settings, load_settings
from assistant.errors import AssistantError, ConfigError
from assistant.events import Event, UsageUpdate
from assistant.llm import ModelClient, Usage
from assistant.llm.connect import connect_model
from assistant.paths import cache_root
from assistant.permissions import MODES
from assistant.runner import build_agent, policy_for
from assistant.session import SessionLog, complete_exchanges, sessions_dir
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
            policy=policy_for(self.settings, self.mode, headless=False), approve=approve,
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
            path = repo.resolve_file(self.root, name)
            if path is not None:
                text = path.read_bytes()[:MAX_CONTEXT_FILE_BYTES].decode("utf-8", "replace")
                files.append((name, text))
        return tuple(files)

    # -- git ---------------------------------------------------------------------------------

    def diff(self) -> str:
        """Return the work tree's diff against HEAD (new files included)."""
        return self._checkpoints().diff()

    def undo(self) -> str:
        """Restore the work tree to the checkpoint before the last turn's first edit."""
        checkpoint = self._checkpoints().undo()
        return f"restored the work tree to before: {checkpoint.label}"

    def commit(self, message: str) -> str:
        """Commit every changed file with `message`; return the short commit id."""
        checkpoints = self._checkpoints()
        status = checkpoints.status()
        paths = [line[3:].split(" -> ")[-1] for line in status.splitlines() if line.strip()]
        if not paths:
            raise AssistantError("nothing to commit: the work tree is clean")
        commit = checkpoints.commit(paths, message)
        return f"committed {len(paths)} file(s) as {commit[:10]}"

    def _checkpoints(self) -> Any:
        from assistant.gitops import open_checkpoints

        return open_checkpoints(self.root, self.settings)


def settle_history(history: list[dict[str, Any]]) -> None:
    """Drop a trailing tool-call exchange whose results never came (a cancelled turn)."""
    complete_exchanges(history)
