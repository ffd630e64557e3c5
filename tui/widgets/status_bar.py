"""The status bar: model, permission mode, context used, tokens, and the index's state."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar


def short_count(n: int) -> str:
    """Return 1234 as 1.2k and 1234567 as 1.2M."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1_000:
        return f"{n / 1_000:.1f}k"
    return str(n)


@dataclass(frozen=True)
class StatusInfo:
    """What the status bar shows about the chat."""

    model: str = ""
    mode: str = "ask"
    context_tokens: int = 0
    context_window: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: str = ""  # the session's spend, e.g. "$0.0123" ("" before the first request)
    busy: bool = False

    def line(self) -> str:
        """Return the status as one line of text."""
        window = short_count(self.context_window) if self.context_window else "?"
        return (
            f"{'● ' if self.busy else ''}{self.model or 'no model'} │ {self.mode} │ "
            f"ctx {short_count(self.context_tokens)}/{window} │ "
            f"↑{short_count(self.tokens_in)} ↓{short_count(self.tokens_out)} │ "
            + (f"{self.cost} │ " if self.cost else "")
        )


class StatusBar(Horizontal):
    """One line at the bottom; the app sets `info` and `index_state`."""

    info: reactive[StatusInfo] = reactive(StatusInfo, init=False)
    index_state: reactive[str] = reactive("index: starting", init=False)

    def compose(self) -> ComposeResult:
        """Lay out the fields and the indexing progress bar."""
        yield Label(StatusInfo().line(), id="status-text")
        yield Label(self.index_state, id="index-state")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="index-progress")

    def on_mount(self) -> None:
        """Hide the progress bar until indexing reports progress."""
        self.query_one(ProgressBar).display = False

    def watch_info(self, info: StatusInfo) -> None:
        """Show the chat's state."""
        self.query_one("#status-text", Label).update(info.line())

    def watch_index_state(self, state: str) -> None:
        """Show the index's state."""
        self.query_one("#index-state", Label).update(state)

    def show_progress(self, done: int, total: int) -> None:
        """Show indexing progress; hide the bar when there is none to show."""
        bar = self.query_one(ProgressBar)
        bar.display = total > 0 and done < total
        bar.update(total=max(total, 1), progress=done)
        if bar.display:
            self.index_state = f"indexing {done}/{total} "

    @property
    def mode(self) -> str:
        """Return the permission mode shown."""
        return self.info.mode
