"""An edit waiting for the user: its diff, and approve / reject / approve all for this turn."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label

from assistant.agent.events import ApprovalRequest
from tui.widgets.diff_view import DiffView


class DiffApproval(Vertical, can_focus=True):
    """The diff of a proposed edit with its three answers; posts Decided once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide(True, False)", "Approve"),
        Binding("n", "decide(False, False)", "Reject"),
        Binding("a", "decide(True, True)", "Approve all this turn"),
    ]

    class Decided(Message):
        """The user answered an edit."""

        def __init__(self, call_id: str, approved: bool, all_for_turn: bool) -> None:
            super().__init__()
            self.call_id = call_id
            self.approved = approved
            self.all_for_turn = all_for_turn

    def __init__(self, request: ApprovalRequest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.decided = False

    def compose(self) -> ComposeResult:
        """Lay out title, diff and buttons."""
        memory = self.request.kind == "memory"  # the user's own memory: one answer at a time
        question = "save it?" if memory else "apply this edit?"
        yield Label(f"✎ {self.request.summary}: {question}", classes="title")
        yield DiffView(self.request.detail, classes="diff")
        with Horizontal(classes="buttons"):
            yield Button("Approve (y)", id="approve", variant="success", compact=True)
            yield Button("Reject (n)", id="reject", variant="error", compact=True)
            if not memory:
                yield Button("Approve all this turn (a)", id="approve-all", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Turn a button press into a decision."""
        event.stop()
        choices = {"approve": (True, False), "reject": (False, False), "approve-all": (True, True)}
        self.action_decide(*choices[event.button.id or "reject"])

    def action_decide(self, approved: bool, all_for_turn: bool) -> None:
        """Answer once, then show the answer instead of the buttons."""
        if self.decided:
            return
        all_for_turn = all_for_turn and self.request.kind != "memory"
        self.decided = True
        self.can_focus = False
        self.query_one(".buttons").remove()
        verdict = "approved" if approved else "rejected"
        self.query_one(".title", Label).update(f"✎ {self.request.summary}: {verdict}")
        self.add_class(verdict)
        self.post_message(self.Decided(self.request.call_id, approved, all_for_turn))
