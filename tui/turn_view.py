"""A turn's events shown in the chat log: one `handle_*` method for each event the chat shows."""

from __future__ import annotations

from collections.abc import Callable

from assistant.agent import events as ev
from tui.widgets.chat_log import ChatLog


class TurnView(ev.EventHandler):
    """Turn the agent's events into entries of the log; usage goes to the status bar."""

    def __init__(
        self,
        log: ChatLog,
        show_usage: Callable[[], None],
        show_todos: Callable[[], None],
        set_mode: Callable[[str], None],
    ) -> None:
        self.log = log
        self.show_usage = show_usage
        self.show_todos = show_todos
        self.set_mode = set_mode

    async def handle_text_delta(self, event: ev.TextDelta) -> None:
        """Stream the piece into the answer."""
        await self.log.write_answer(event.text)

    async def handle_text_reset(self, event: ev.TextReset) -> None:
        """Throw the partial answer away and say why."""
        await self.log.restart_answer()
        await self.log.add_notice(f"connection lost ({event.reason}); the answer restarts")

    async def handle_tool_call(self, event: ev.ToolCallStarted) -> None:
        """Add the call to the log (collapsed)."""
        await self.log.add_tool(event.call_id, event.name, event.arguments)

    async def handle_tool_progress(self, event: ev.ToolProgress) -> None:
        """Show the step under its call (a sub-agent's, nested and collapsible)."""
        self.log.add_tool_progress(event.call_id, event.text)

    async def handle_tool_result(self, event: ev.ToolResult) -> None:
        """Put the result on its call, or show it as an error."""
        if not self.log.set_tool_result(event):
            await self.log.add_error(f"{event.name}: {event.output}")

    async def handle_file_edited(self, event: ev.FileEdited) -> None:
        """Show the edit (its diff unless it was reviewed)."""
        await self.log.add_edit(event.path, event.diff, event.created)

    async def handle_todos(self, event: ev.TodoUpdated) -> None:
        """Refresh the checklist above the prompt."""
        self.show_todos()

    async def handle_mode(self, event: ev.ModeChanged) -> None:
        """Follow the mode the agent switched to (a plan was approved), and say so."""
        self.set_mode(event.mode)
        self.show_usage()
        await self.log.add_notice(f"plan approved: permission mode {event.mode}")

    async def handle_check(self, event: ev.CheckResult) -> None:
        """Show a lint or test run after the edits: one line, the output when it failed."""
        mark = "✓" if event.ok else "✗"
        after = f" (after fix {event.round})" if event.round else ""
        await self.log.add_notice(f"{mark} {event.kind}{after}: {event.command}")
        if not event.ok:
            await self.log.add_output(f"```\n{event.output[-4000:]}\n```", markdown=True)

    async def handle_usage(self, event: ev.UsageUpdate) -> None:
        """Refresh the status bar."""
        self.show_usage()

    async def handle_error(self, event: ev.ErrorEvent) -> None:
        """Show the error."""
        await self.log.add_error(event.message)

    async def handle_done(self, event: ev.Done) -> None:
        """Say so when the turn limit ended the turn."""
        if event.reason == "turn_limit":  # the others speak for themselves
            await self.log.add_notice(f"turn ended: {event.reason}")
