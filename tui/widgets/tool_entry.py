"""One tool call in the log: a collapsed line with its name and arguments, then its result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import Collapsible, Static

from assistant.agent.events import ToolResult

ARGUMENT_CHARS = 60
RESULT_CHARS = 4_000


def describe_call(name: str, arguments: dict[str, Any], root: Path | None = None) -> str:
    """Return a one-line `name(arg=value, ...)` for the entry's title (a path under `root`,
    as Qwen's models write them, shown relative to it)."""
    prefix = f"{root}/" if root is not None else None
    parts = []
    for key, value in arguments.items():
        shown = value if isinstance(value, str) else json.dumps(value)
        if prefix and shown.startswith(prefix):
            shown = shown[len(prefix) :]
        shown = shown.replace("\n", "⏎")
        parts.append(f"{key}={shown[:ARGUMENT_CHARS]}{'…' if len(shown) > ARGUMENT_CHARS else ''}")
    return f"{name}({', '.join(parts)})"


class ToolEntry(Collapsible):
    """A tool call; expanding it shows the full arguments and output."""

    def __init__(
        self, call_id: str, name: str, arguments: dict[str, Any], root: Path | None = None
    ) -> None:
        self.call_id = call_id
        self.call_title = describe_call(name, arguments, root)
        body = Static(
            json.dumps(arguments, indent=2)[:RESULT_CHARS], classes="arguments", markup=False
        )
        super().__init__(body, title=f"⚙ {self.call_title}", collapsed=True, classes="tool")

    def add_progress(self, text: str) -> None:
        """Show a step of the running tool (a sub-agent's call) inside the entry, and the
        latest one in its title."""
        self.title = f"⚙ {self.call_title} — {text[:80]}"
        self.query_one(Collapsible.Contents).mount(Static(text, classes="progress", markup=False))

    def set_result(self, result: ToolResult) -> None:
        """Show the result's first line in the title and all of it inside."""
        first = next((line for line in result.output.splitlines() if line.strip()), "")
        mark = "✓" if result.ok else "✗"
        self.title = f"{mark} {self.call_title} — {first[:80]}"
        self.add_class("ok" if result.ok else "failed")
        self.set_class(result.refused, "refused")
        self.query_one(Collapsible.Contents).mount(
            Static(result.output[:RESULT_CHARS], classes="output", markup=False)
        )
