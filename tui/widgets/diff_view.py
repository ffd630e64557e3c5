"""A unified diff, coloured line by line (added, removed, hunk headers)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

MAX_DIFF_LINES = 400
STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def render_diff(diff: str) -> Text:
    """Return the diff as styled text, cut to a readable length."""
    lines = diff.splitlines()
    text = Text()
    for line in lines[:MAX_DIFF_LINES]:
        style = next((s for prefix, s in STYLES if line.startswith(prefix)), "")
        text.append(line + "\n", style=style)
    if len(lines) > MAX_DIFF_LINES:
        text.append(f"… {len(lines) - MAX_DIFF_LINES} more lines\n", style="dim")
    text.rstrip()
    return text


class DiffView(Static):
    """Show one diff."""

    def __init__(self, diff: str, **kwargs: Any) -> None:
        super().__init__(render_diff(diff), **kwargs)
