"""The chat app: lays out the log, the prompt and the status bar; turns events into entries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerFailed, WorkerState

from assistant.agent import events as ev
from assistant.config.custom_commands import CommandSet, discover_commands
from assistant.config.paths import commands_path
from assistant.config.settings import folder_trusted
from assistant.errors import AssistantError
from assistant.llm.pricing import format_cost
from tui import repo
from tui.commands import COMMANDS, complete_command, run_slash_command
from tui.engine import ChatEngine
from tui.turn_view import TurnView
from tui.widgets.chat_log import ChatLog
from tui.widgets.command_approval import CommandApproval
from tui.widgets.composer import Composer
from tui.widgets.diff_approval import DiffApproval
from tui.widgets.plan_approval import PlanApproval
from tui.widgets.question import Question
from tui.widgets.status_bar import StatusBar, StatusInfo
from tui.widgets.todo_list import TodoList

logger = logging.getLogger(__name__)
QUIT_WINDOW_SECONDS = 3.0
MENTIONS = re.compile(r"(?:^|\s)@([\w./\-]+)")
THEMES = ("textual-dark", "textual-light")


class ChatApp(App[None]):
    """Chat with the agent about one repository."""

    CSS_PATH = "app.tcss"
    TITLE = "assistant"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "interrupt", "Cancel / quit", priority=True, show=False),
        Binding("escape", "cancel_turn", "Cancel turn", show=False),
        Binding("ctrl+t", "toggle_theme", "Light/dark theme", show=False),
        Binding("ctrl+l", "clear_log", "Clear screen", show=False),
        Binding("pageup", "scroll_log(-1)", "Scroll up", priority=True, show=False),
        Binding("pagedown", "scroll_log(1)", "Scroll down", priority=True, show=False),
    ]

    def __init__(
        self, engine: ChatEngine, *, theme: str = "textual-dark", index: bool = True
    ) -> None:
        super().__init__()
        self.index_on_start = index
        self.engine = engine
        self.catalog = repo.RepoCatalog()
        self.custom_commands = CommandSet()  # as last read: what / completion offers
        self._said: set[str] = set()  # the custom commands' notices already shown
        self.turn: Worker[None] | None = None
        self._connecting: Worker[None] | None = None
        self._indexing: Worker[None] | None = None
        self._approve_all = False
        self._pending: dict[str, asyncio.Future[bool]] = {}
        self._last_interrupt = 0.0
        self._initial_theme = theme
        engine.notice = self._notice_from_core

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Lay out the log, the prompt and the status bar."""
        yield ChatLog(self.engine.root, id="log")
        yield TodoList(id="todos")
        yield Composer(self._complete, id="composer")
        yield StatusBar(id="status")

    def show_todos(self) -> None:
        """Show the conversation's todo list above the prompt (hidden when empty)."""
        self.query_one(TodoList).show(self.engine.conversation.todos)

    @property
    def chat_log(self) -> ChatLog:
        """Return the conversation log."""
        return self.query_one(ChatLog)

    @property
    def status(self) -> StatusBar:
        """Return the status bar."""
        return self.query_one(StatusBar)

    @property
    def turn_running(self) -> bool:
        """Return whether the agent is working on a turn."""
        return _running(self.turn)

    async def on_mount(self) -> None:
        """Greet, focus the prompt, connect to the model and index in the background."""
        self.theme = self._initial_theme
        self.query_one(Composer).prompt.focus()
        self.update_status()
        await self.chat_log.add_notice(
            f"assistant in {self.engine.root.name}. Ask anything; /help lists the commands."
        )
        for notice in self.engine.settings.notices:
            await self.chat_log.add_notice(notice)
        if self.engine.conversation.history:
            count = len(self.engine.conversation.history)
            await self.chat_log.add_notice(f"resumed the last session ({count} messages)")
        self._connecting = self.connect()
        self._indexing = self.load_catalog()
        self.refresh_commands()

    async def on_unmount(self) -> None:
        """Close the model connection."""
        await self.engine.close()

    def update_status(self) -> None:
        """Copy the engine's state into the status bar."""
        engine, conversation = self.engine, self.engine.conversation
        self.status.info = StatusInfo(
            model=engine.model,
            mode=engine.mode,
            context_tokens=conversation.context_tokens,
            context_window=engine.settings.context_window,
            tokens_in=conversation.usage.prompt_tokens,
            tokens_out=conversation.usage.completion_tokens,
            cost=format_cost(conversation.cost, conversation.currency)
            if conversation.usage.total_tokens
            else "",
            busy=self.turn_running,
        )

    # -- background work ---------------------------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        """Open the model connection; a failure is reported and /model can retry."""
        try:
            await self.engine.open()
        except AssistantError as error:
            await self.chat_log.add_error(f"cannot connect to the model: {error.one_line()}")
        self.update_status()

    @work(exclusive=True, group="index", exit_on_error=False)
    async def load_catalog(self) -> None:
        """Index the repository (with progress) without blocking the prompt."""
        root, settings = self.engine.root, self.engine.settings
        self.status.index_state = "indexing…"
        try:
            catalog = await asyncio.to_thread(
                repo.build_catalog, root, settings, self._progress, self.index_on_start
            )
        except AssistantError as error:
            self.status.index_state = "index failed"
            await self.chat_log.add_error(f"index: {error.one_line()}")
            files = await asyncio.to_thread(repo.list_files, root, settings)
            catalog = repo.RepoCatalog(files=files)
        self.catalog = catalog
        self.status.show_progress(0, 0)
        self.status.index_state = (
            f"index: {len(catalog.files)} files, {len(catalog.symbols)} symbols"
            if catalog.indexed
            else f"files: {len(catalog.files)} (no index)"
            if self.index_on_start
            else f"files: {len(catalog.files)} (index off)"
        )

    def _progress(self, done: int, total: int) -> None:  # called from the indexing thread
        self.call_from_thread(self.status.show_progress, done, total)

    @work(exclusive=True, group="commands", exit_on_error=False)
    async def refresh_commands(self) -> None:
        """Read the custom commands again, for the / completion."""
        await self.load_custom_commands()

    async def load_custom_commands(self) -> CommandSet:
        """Read the custom commands as they are on disk now; show each new notice once."""
        settings, root = self.engine.settings, self.engine.root
        # Trusted at start, and still (a changed command since drops the trust): asked afresh.
        trusted = settings.project_trusted and await asyncio.to_thread(folder_trusted, root)
        folder = commands_path(settings)
        found = await asyncio.to_thread(discover_commands, root, trusted, folder, COMMANDS)
        self.custom_commands = found
        for notice in found.notices:
            if notice not in self._said:
                self._said.add(notice)
                await self.chat_log.add_notice(notice)
        return found

    def _complete(self, trigger: str, prefix: str) -> list[tuple[str, str]]:
        if trigger == "/":
            if not prefix:  # a command is being started: catch the templates' latest
                self.refresh_commands()
            return complete_command(prefix, self.custom_commands)
        return [(c.value, c.detail) for c in repo.complete(self.catalog, prefix)]

    # -- input -------------------------------------------------------------------------------

    async def on_composer_submitted(self, event: Composer.Submitted) -> None:
        """Run a slash command, or send the prompt to the agent."""
        text = event.text
        if text.startswith("/"):
            await self.chat_log.add_user(text)
            self.run_slash(text)
            return
        await self.send_prompt(text, show=True)

    async def send_prompt(self, text: str, *, show: bool = False) -> None:
        """Send `text` to the agent as the user's message (shown in the log when `show`)."""
        if self.turn_running:
            await self.chat_log.add_notice("the agent is still working: Esc cancels the turn")
            return
        if show:
            await self.chat_log.add_user(text)
        await self._add_mentions(text)
        self.turn = self.run_turn(text)
        self.update_status()

    @work(group="slash", exit_on_error=False)
    async def run_slash(self, text: str) -> None:
        """Run a slash command without holding up the prompt."""
        try:
            await run_slash_command(self, text)
        except AssistantError as error:
            await self.chat_log.add_error(error.one_line())
        self.update_status()

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show an unexpected failure of background work; the chat stays usable."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            await self.chat_log.add_error(
                f"unexpected error in {event.worker.name}: {type(error).__name__}: {error} "
                "(run with -v for details)"
            )
            logger.error("%s failed", event.worker.name, exc_info=error)

    async def _add_mentions(self, text: str) -> None:
        names = []
        for mention in MENTIONS.findall(text):
            name = mention.rstrip(".,;:")
            if repo.resolve_file(self.engine.root, name) is not None:
                names.append(name)
            elif name in self.catalog.symbols:
                names.append(self.catalog.symbols[name])
        added = self.engine.conversation.add_files(names) if names else []
        if added:
            await self.chat_log.add_notice(f"added to the context: {', '.join(added)}")

    # -- a turn ------------------------------------------------------------------------------

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def run_turn(self, task: str) -> None:
        """Run one turn of the agent and show its events as they come."""
        self._approve_all = False
        log = self.chat_log
        try:
            await self._wait_for(self._connecting)
            if self.index_on_start and _running(self._indexing):
                await log.add_notice("waiting for the index to finish…")
                await self._wait_for(self._indexing)
            task = await self._attach_resources(task)
            view = TurnView(log, self.update_status, self.show_todos, self.engine.set_mode)
            async for event in self.engine.run_turn(task, self._approve):
                await view.handle(event)
        except asyncio.CancelledError:
            await self._settle_cancelled()
            raise
        except AssistantError as error:
            await log.add_error(error.one_line())
        finally:
            await log.end_answer()
            self.turn = None
            self.update_status()

    async def _attach_resources(self, text: str) -> str:
        """Attach the MCP resources the message mentions (`@server:resource`) to it."""
        attachments = await self.engine.attach_resources(text)
        if attachments.attached:
            await self.chat_log.add_notice(f"attached: {', '.join(attachments.attached)}")
        for failure in attachments.failed:
            await self.chat_log.add_error(f"not attached: {failure}")
        return attachments.text

    async def _wait_for(self, worker: Worker[None] | None) -> None:
        """Wait for background work the turn needs (the connection, the index)."""
        if worker is not None and _running(worker):
            with contextlib.suppress(WorkerFailed):  # reported by on_worker_state_changed
                await worker.wait()

    async def _approve(self, request: ev.ApprovalRequest) -> bool:
        """Ask the user about an edit (inline diff), a command or an MCP tool call (modal)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[request.call_id] = future
        try:
            if request.kind == "plan":
                self.push_screen(
                    PlanApproval(request), callback=lambda ok: _resolve(future, bool(ok))
                )
            elif request.kind not in ("edit", "memory"):
                self.push_screen(
                    CommandApproval(request, self.engine.root),
                    callback=lambda ok: _resolve(future, bool(ok)),
                )
            elif self._approve_all and request.kind == "edit":  # never the user's memory
                await self.chat_log.add_notice(f"✎ {request.summary}: approved (all this turn)")
                return True
            else:
                widget = await self.chat_log.add_diff_approval(request)
                widget.focus()
            approved = await future
        finally:
            self._pending.pop(request.call_id, None)
        self.query_one(Composer).prompt.focus()
        return approved

    async def ask(self, question: Question) -> bool:
        """Show a yes/no modal and return the answer (for slash commands)."""
        return await self.push_screen_wait(question)

    def on_diff_approval_decided(self, event: DiffApproval.Decided) -> None:
        """Resolve the edit's pending approval."""
        self._approve_all = self._approve_all or (event.approved and event.all_for_turn)
        future = self._pending.get(event.call_id)
        if future is not None:
            _resolve(future, event.approved)

    async def _settle_cancelled(self) -> None:
        for approval in self.chat_log.query(DiffApproval):
            if not approval.decided:
                approval.action_decide(False, False)
        if isinstance(self.screen, CommandApproval):
            self.screen.dismiss(False)
        self.query_one(Composer).prompt.focus()
        await self.chat_log.add_notice("turn cancelled")

    # -- actions -----------------------------------------------------------------------------

    def action_cancel_turn(self) -> None:
        """Stop the running turn, keeping the app open."""
        if self.turn_running and self.turn is not None:
            self.turn.cancel()

    def action_interrupt(self) -> None:
        """Ctrl+C: cancel the running turn; pressed again soon after, quit."""
        now = time.monotonic()
        if now - self._last_interrupt < QUIT_WINDOW_SECONDS:
            self.exit()
            return
        self._last_interrupt = now
        if self.turn_running:
            self.action_cancel_turn()
        else:
            self.notify("Press Ctrl+C again to quit", timeout=QUIT_WINDOW_SECONDS)

    def action_scroll_log(self, direction: int) -> None:
        """Scroll the conversation a page up or down, wherever the focus is."""
        if direction < 0:
            self.chat_log.scroll_page_up(animate=False)
        else:
            self.chat_log.scroll_page_down(animate=False)

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    async def action_clear_log(self) -> None:
        """Clear the screen (the conversation stays)."""
        await self.chat_log.clear_log()

    def _notice_from_core(self, text: str) -> None:
        self.notify(text, title="model", timeout=10)


def _running(worker: Worker[None] | None) -> bool:
    return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)


def _resolve(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)
