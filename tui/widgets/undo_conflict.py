"""The modal that asks what to do with a file changed since the agent wrote it, at /undo."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from assistant.edits import unified_diff
from assistant.edits.journal import UndoConflict
from tui.widgets.diff_view import DiffView


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


class UndoConflictDialog(ModalScreen[bool]):
    """Show the three versions of a file; dismiss with True (restore) or False (keep now)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer(True)", "Restore"),
        Binding("k,escape", "answer(False)", "Keep"),
    ]

    def __init__(self, conflict: UndoConflict) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        """Lay out what changed since the agent's write and what undo would restore."""
        c = self.conflict
        since = unified_diff(c.path, _text(c.agent), _text(c.current))
        restore = unified_diff(c.path, _text(c.current), _text(c.before))
        with Vertical(id="dialog"):
            yield Label(f"{c.path} changed after the agent wrote it.", id="question")
            with VerticalScroll(id="versions"):
                yield Label("changed since the agent's version:", classes="dim")
                yield DiffView(since or "(the file was removed)", classes="diff")
                yield Label("undo would make it (as before the agent):", classes="dim")
                yield DiffView(restore or "(no difference)", classes="diff")
            with Horizontal(id="answers"):
                yield Button("Keep yours (k)", id="keep", variant="primary", compact=True)
                yield Button("Restore anyway (r)", id="restore", variant="warning", compact=True)

    def on_mount(self) -> None:
        """Focus Keep, the answer that loses nothing."""
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the pressed button."""
        event.stop()
        self.dismiss(event.button.id == "restore")

    def action_answer(self, restore: bool) -> None:
        """Answer from the keyboard."""
        self.dismiss(restore)
