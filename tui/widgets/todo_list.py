"""The model's todo list as a live checklist above the prompt (hidden while it is empty)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from assistant.tools.base import TodoItem

MARKS = {"pending": "☐", "in_progress": "◐", "completed": "☑"}
STYLES = {"pending": "", "in_progress": "bold", "completed": "dim strike"}


class TodoList(Static):
    """The checklist: one line per task, the one in progress in bold, done ones struck."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.items: tuple[TodoItem, ...] = ()
        self.display = False

    def show(self, items: Sequence[TodoItem]) -> None:
        """Show this list (the whole of it, as todo_write sent it)."""
        self.items = tuple(items)
        done = sum(item.status == "completed" for item in self.items)
        text = Text(f"Todo {done}/{len(self.items)}\n", style="bold")
        for item in self.items:
            text.append(f"{MARKS[item.status]} {item.content}\n", style=STYLES[item.status])
        text.rstrip()
        self.update(text)
        self.display = bool(self.items)
