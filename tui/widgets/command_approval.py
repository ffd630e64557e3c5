"""The modal that asks before a shell command or an MCP tool runs: exactly what, and where."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from assistant.agent.events import ApprovalRequest
from tui.widgets.question import Question


class CommandApproval(Question):
    """Ask whether to run a command or MCP tool; dismisses with True (run) or False (refuse)."""

    yes_id = "run"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Run"),
        Binding("n,escape", "answer(False)", "Refuse"),
    ]

    def __init__(self, request: ApprovalRequest, cwd: Path | str) -> None:
        super().__init__()
        self.request = request
        self.cwd = str(cwd)

    def compose(self) -> ComposeResult:
        """Lay out the command and where it runs (or the MCP tool and its arguments)."""
        with Vertical(id="dialog"):
            if self.request.kind == "fetch":
                yield Label("Fetch from this destination?", id="question")
                yield Static(Text(self.request.summary), id="command")
                yield Label("URL:", classes="dim")
                yield Static(Text(self.request.detail), id="cwd")
            elif self.request.kind == "mcp":
                yield Label("Call this MCP tool?", id="question")
                yield Static(Text(self.request.summary), id="command")
                yield Label("arguments:", classes="dim")
                with VerticalScroll(id="arguments"):
                    yield Static(Text(self.request.detail or "{}"))
            else:
                yield Label("Run this command?", id="question")
                yield Static(Text(f"$ {self.request.summary}"), id="command")
                yield Label("working directory:", classes="dim")
                yield Static(Text(self.cwd), id="cwd")
            with Horizontal(id="answers"):
                yield Button("Run (y)", id="run", variant="warning", compact=True)
                yield Button("Refuse (n)", id="refuse", variant="primary", compact=True)

    def on_mount(self) -> None:
        """Focus Refuse, the safe answer."""
        self.query_one("#refuse", Button).focus()
