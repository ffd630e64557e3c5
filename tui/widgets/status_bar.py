"""The status bar: model, permission mode, context used, tokens, and the index's state."""

from __future__ import annotations

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


class StatusBar(Horizontal):
    """One line at the bottom; the app sets its reactive fields."""

    model: reactive[str] = reactive("")
    mode: reactive[str] = reactive("ask")
    context_tokens: reactive[int] = reactive(0)
    context_window: reactive[int] = reactive(0)
    tokens_in: reactive[int] = reactive(0)
    tokens_out: reactive[int] = reactive(0)
    index_state: reactive[str] = reactive("index: starting")
    busy: reactive[bool] = reactive(False)

    def compose(self) -> ComposeResult:
        """Lay out the fields and the indexing progress bar."""
        yield Label(id="status-text")
        yield ProgressBar(total=None, show_eta=False, show_percentage=True, id="index-progress")
        yield Label(id="index-state")

    def on_mount(self) -> None:
        """Hide the progress bar until indexing reports progress."""
        self.query_one(ProgressBar).display = False
        self._refresh_text()

    def show_progress(self, done: int, total: int) -> None:
        """Show indexing progress."""
        bar = self.query_one(ProgressBar)
        bar.display = total > 0 and done < total
        bar.update(total=max(total, 1), progress=done)

    def watch_index_state(self, state: str) -> None:
        """Show the index's state; hide the bar when it is done."""
        if self.is_mounted:
            self.query_one("#index-state", Label).update(state)

    def _refresh_text(self) -> None:
        used = short_count(self.context_tokens)
        window = short_count(self.context_window) if self.context_window else "?"
        spinner = "● " if self.busy else ""
        text = (
            f"{spinner}{self.model or 'no model'} │ {self.mode} │ ctx {used}/{window} │ "
            f"↑{short_count(self.tokens_in)} ↓{short_count(self.tokens_out)} │ "
        )
        self.query_one("#status-text", Label).update(text)
        self.query_one("#index-state", Label).update(self.index_state)

    def watch_model(self) -> None:
        """Redraw."""
        self._redraw()

    def watch_mode(self) -> None:
        """Redraw."""
        self._redraw()

    def watch_context_tokens(self) -> None:
        """Redraw."""
        self._redraw()

    def watch_tokens_out(self) -> None:
        """Redraw."""
        self._redraw()

    def watch_busy(self) -> None:
        """Redraw."""
        self._redraw()

    def _redraw(self) -> None:
        if self.is_mounted:
            self._refresh_text()
