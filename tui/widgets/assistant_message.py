"""The model's answer, rendered as markdown while it streams in."""

from __future__ import annotations

from typing import Any

from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownStream


class AssistantMessage(Markdown):
    """Markdown that grows as text deltas arrive (code blocks highlighted)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.text = ""
        self._stream: MarkdownStream | None = None

    async def write(self, fragment: str) -> None:
        """Append a fragment of the answer."""
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        self.text += fragment
        await self._stream.write(fragment)

    async def restart(self) -> None:
        """Discard the partial answer (the connection dropped and the answer restarts)."""
        await self.finish()
        self.text = ""
        await self.update("")

    async def finish(self) -> None:
        """Flush what is pending and stop streaming."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
