"""The chat's link to the core: the model connection, the permission mode, the conversation
(`assistant.conversation`), the session's MCP servers, and the git commands the chat offers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import AsyncExitStack
from pathlib import Path

from assistant.agent.conversation import Conversation
from assistant.agent.events import Event
from assistant.agent.loop import Agent, Approver
from assistant.agent.permissions import MODES
from assistant.agent.runner import build_agent, policy_for
from assistant.config import Settings, load_settings
from assistant.config.paths import cache_root
from assistant.edits.undo import UndoJournal, UndoPlan, restore_anyway
from assistant.errors import AssistantError, ConfigError
from assistant.git import WorkTree
from assistant.llm import ModelClient
from assistant.llm.connect import connect_model
from assistant.mcp.client_resources import Attachments, attach_resources
from assistant.mcp.registry import McpRegistry, ServerStatus
from assistant.security.secrets import is_secret_path


class ChatEngine:
    """One chat with one repository: owns the model client, the mode and the conversation."""

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
        self.mode_before_plan = self.mode if self.mode != "plan" else "ask"
        self.notice = notice
        self.conversation = Conversation(root, settings)
        # Started on the first turn (or by /mcp), stopped by close().
        self.mcp = McpRegistry(root, settings, notice=self._mcp_notice)
        self._client: ModelClient | None = None
        self._stack: AsyncExitStack | None = None
        self._settled = asyncio.Event()  # set when a connection attempt ended, either way

    # -- the model connection ----------------------------------------------------------------

    async def open(self) -> None:
        """Connect to the model endpoint named by the settings (start the local model if so)."""
        stack = AsyncExitStack()
        self._settled.clear()
        try:
            self._client = await stack.enter_async_context(
                connect_model(self.settings, notice=self.notice)
            )
        except BaseException:
            await stack.aclose()
            raise
        finally:
            self._settled.set()
        self._stack = stack

    async def connected_client(self, wait: float = 30.0) -> ModelClient:
        """Return the model connection, waiting (at most `wait` seconds) for one being opened;
        raise a clear error when there is none."""
        if self._client is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), wait)
        if self._client is None:
            raise ConfigError("no model connection", hint="check the endpoint with /model")
        return self._client

    async def close(self) -> None:
        """Close the model connection and stop the MCP servers."""
        await self._close_model()
        await self.mcp.close()

    async def _close_model(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def switch_profile(self, profile: str) -> Settings:
        """Reconnect with another model profile; the conversation carries on."""
        settings = await asyncio.to_thread(load_settings, self.root, {"profile": profile})
        await self._close_model()
        self.settings = self.conversation.settings = settings
        await self.open()
        return settings

    @property
    def model(self) -> str:
        """Return the model name answering this chat."""
        return self._client.model if self._client is not None else self.settings.model

    # -- turns -------------------------------------------------------------------------------

    async def run_turn(self, task: str, approve: Approver) -> AsyncIterator[Event]:
        """Run one task with the agent, carrying on the conversation."""
        if self._client is None:
            raise ConfigError("no model connection", hint="check the endpoint with /model")
        agent = await asyncio.to_thread(self._build_agent, self._client, task, approve)
        async for event in self.conversation.run(agent, task):
            yield event

    def _build_agent(self, client: ModelClient, task: str, approve: Approver) -> Agent:
        return build_agent(
            self.root, self.settings, client, task,
            policy=policy_for(
                self.settings, self.mode, headless=False, root=self.root,
                after_plan=self.mode_before_plan,
            ),
            approve=approve, conversation=self.conversation, mcp=self.mcp,
        )  # fmt: skip

    # -- MCP servers -------------------------------------------------------------------------

    async def mcp_status(self) -> list[ServerStatus]:
        """Start the MCP servers if they are not yet, and say where each stands."""
        await self.mcp.start()
        return self.mcp.status()

    async def attach_resources(self, text: str) -> Attachments:
        """Return the message with the MCP resources it mentions (`@server:resource`) attached."""
        return await attach_resources(self.mcp, text, self.settings)

    def _mcp_notice(self, text: str) -> None:
        if self.notice is not None:
            self.notice(text)

    def set_mode(self, mode: str) -> None:
        """Switch the permission mode for the next turns."""
        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}", hint=f"choose one of: {', '.join(MODES)}")
        if mode == "plan" and self.mode != "plan":
            self.mode_before_plan = self.mode  # what an approved plan goes back to
        self.mode = mode

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
        return result.to_text(one_line=True)

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
