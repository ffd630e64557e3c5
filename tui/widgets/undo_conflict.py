"""The modals /undo asks with: a file changed since the agent's change (its three versions),
and the files that changed while the agent's commands ran (restore them or not)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Label

from assistant.edits import unified_diff
from assistant.edits.undo import UndoConflict
from tui.widgets.diff_view import DiffView
from tui.widgets.question import Question


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


class _UndoQuestion(Question):
    """A question with Keep (the safe answer, focused) and Restore; dismisses True on Restore."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer(True)", "Restore"),
        Binding("k,escape", "answer(False)", "Keep"),
    ]
    question = ""
    yes_id = "restore"

    def body(self) -> Iterable[Widget]:
        """Return what the question shows between its title and its answers."""
        return ()

    def compose(self) -> ComposeResult:
        """Lay out the question, what it is about, and the answers."""
        with Vertical(id="dialog"):
            yield Label(self.question, id="question")
            with VerticalScroll(id="versions"):
                yield from self.body()
            with Horizontal(id="answers"):
                yield Button("Keep as it is now (k)", id="keep", variant="primary", compact=True)
                yield Button("Restore (r)", id="restore", variant="warning", compact=True)

    def on_mount(self) -> None:
        """Focus Keep, the answer that loses nothing."""
        self.query_one("#keep", Button).focus()


class UndoConflictDialog(_UndoQuestion):
    """A file whose undo needs a decision: what changed since, and what undo would make it."""

    def __init__(self, conflict: UndoConflict) -> None:
        super().__init__()
        self.conflict = conflict
        self.question = f"{conflict.path}: {conflict.reason}."

    def body(self) -> Iterable[Widget]:
        """Show the change since the agent's version, and the change undo would make."""
        c = self.conflict
        since = unified_diff(c.path, _text(c.agent), _text(c.current))
        restore = unified_diff(c.path, _text(c.current), _text(c.before))
        yield Label("changed since the agent's version:", classes="dim")
        yield DiffView(since or "(not kept: a command made the agent's version)", classes="diff")
        yield Label("undo would make it (as before the agent):", classes="dim")
        yield DiffView(restore or "(no difference)", classes="diff")


class UndoCommandsDialog(_UndoQuestion):
    """Files that changed while the agent's commands ran: the command, or the user, did it."""

    def __init__(self, paths: Iterable[str]) -> None:
        super().__init__()
        self.paths = tuple(paths)
        self.question = (
            f"{len(self.paths)} file(s) changed while the agent's commands ran (by them, or by "
            "you at the same time). Restore them as they were before?"
        )

    def body(self) -> Iterable[Widget]:
        """List the files."""
        yield Label("\n".join(self.paths), classes="dim")
