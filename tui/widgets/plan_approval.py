"""The modal that asks whether to approve the model's plan and leave plan mode."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Markdown

from assistant.agent.events import ApprovalRequest
from tui.widgets.question import Question


class PlanApproval(Question):
    """Show the plan; dismiss with True (approve: start making changes) or False (keep planning)."""

    yes_id = "approve"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Approve"),
        Binding("n,escape", "answer(False)", "Keep planning"),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        """Lay out the plan and the answers."""
        with Vertical(id="dialog"):
            yield Label("Approve this plan and start making changes?", id="question")
            with VerticalScroll(id="plan"):
                yield Markdown(self.request.detail)
            with Horizontal(id="answers"):
                yield Button("Approve (y)", id="approve", variant="warning", compact=True)
                yield Button("Keep planning (n)", id="keep", variant="primary", compact=True)

    def on_mount(self) -> None:
        """Focus Keep planning, the safe answer."""
        self.query_one("#keep", Button).focus()
