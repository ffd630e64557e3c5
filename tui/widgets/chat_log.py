"""The conversation: user prompts, streamed answers, tool calls, edits, notices and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from assistant.agent.events import ApprovalRequest, ToolResult
from tui.widgets.assistant_message import AssistantMessage
from tui.widgets.diff_approval import DiffApproval
from tui.widgets.diff_view import DiffView
from tui.widgets.tool_entry import ToolEntry


class ChatLog(VerticalScroll):
    """A scrolling log that follows the newest entry."""

    def __init__(self, root: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answer: AssistantMessage | None = None
        self.root = root  # tool titles show paths under it relative to it

    def on_mount(self) -> None:
        """Stay scrolled to the newest entry until the user scrolls up."""
        self.anchor()

    async def add(self, widget: Widget) -> Widget:
        """Mount an entry at the end and keep it in view."""
        await self.mount(widget)
        return widget

    async def add_user(self, text: str) -> None:
        """Show what the user sent."""
        await self.add(Static(Text(text), classes="user"))

    async def write_answer(self, fragment: str) -> None:
        """Stream a fragment into the current answer, starting one if needed."""
        if self.answer is None:
            self.answer = AssistantMessage(classes="answer")
            await self.add(self.answer)
        await self.answer.write(fragment)

    async def restart_answer(self) -> None:
        """Throw away the partial answer (the stream restarts)."""
        if self.answer is not None:
            await self.answer.restart()

    async def end_answer(self) -> None:
        """Finish the current answer; the next text starts a new one."""
        if self.answer is not None:
            answer, self.answer = self.answer, None
            await answer.finish()

    async def add_tool(self, call_id: str, name: str, arguments: dict[str, Any]) -> None:
        """Show a tool call (collapsed)."""
        await self.end_answer()
        await self.add(ToolEntry(call_id, name, arguments, self.root))

    def add_tool_progress(self, call_id: str, text: str) -> bool:
        """Show a step of a running tool under its call; False when the call is not shown."""
        for entry in reversed(list(self.query(ToolEntry))):
            if entry.call_id == call_id:
                entry.add_progress(text)
                return True
        return False

    def set_tool_result(self, result: ToolResult) -> bool:
        """Put a result on its tool call; return False when the call is not shown."""
        for entry in reversed(list(self.query(ToolEntry))):
            if entry.call_id == result.call_id:
                entry.set_result(result)
                return True
        return False

    async def add_diff_approval(self, request: ApprovalRequest) -> DiffApproval:
        """Show an edit that waits for approval."""
        await self.end_answer()
        widget = DiffApproval(request, classes="approval")
        await self.add(widget)
        return widget

    async def add_edit(self, path: str, diff: str, created: bool) -> None:
        """Show an edit that was applied."""
        verb = "created" if created else "edited"
        await self.add(Static(Text(f"✎ {verb} {path}"), classes="edited"))
        reviewed = any(a.request.detail == diff for a in self.query(DiffApproval))
        if not reviewed:
            await self.add(DiffView(diff, classes="diff"))

    async def add_notice(self, text: str) -> None:
        """Show a dim line from the app."""
        await self.add(Static(Text(text), classes="notice"))

    async def add_output(self, text: str, markdown: bool = False) -> None:
        """Show the output of a slash command."""
        if markdown:
            message = AssistantMessage(classes="output")
            await self.add(message)
            await message.update(text)
        else:
            await self.add(Static(Text(text), classes="output"))

    async def add_error(self, text: str) -> None:
        """Show an error in red; the chat stays usable."""
        await self.end_answer()
        await self.add(Static(Text(f"✗ {text}"), classes="error"))

    async def clear_log(self) -> None:
        """Remove every entry."""
        self.answer = None
        await self.remove_children()
