"""The prompt: multi-line entry, Enter sends, history on Up/Down, completion of @ mentions
and of the /command name a prompt starts with."""

from __future__ import annotations

import re
from typing import Any

from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea

MENTION = re.compile(r"@([\w./\-]*)$")
SLASH = re.compile(r"^/([\w:\-]*)$")  # the command name, while the cursor is still in it
NEWLINE_KEYS = ("shift+enter", "ctrl+j", "alt+enter", "ctrl+n")
MENU_KEYS = ("tab", "enter", "up", "down", "escape")


class PromptInput(TextArea):
    """A TextArea that sends on Enter and keeps the history of what was sent."""

    completing: reactive[bool] = reactive(False)

    class Submitted(Message):
        """The user sent the prompt."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class MentionChanged(Message):
        """The word at the cursor is an @ mention or a /command name (prefix, after its
        `trigger` character) or stopped being one (None)."""

        def __init__(self, prefix: str | None, trigger: str = "@") -> None:
            super().__init__()
            self.prefix = prefix
            self.trigger = trigger

    class MenuKey(Message):
        """A key meant for the open completion menu."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            compact=True,
            placeholder="Ask, or /help  (Enter sends, Ctrl+J new line, @ mentions a file)",
            **kwargs,
        )
        self.sent: list[str] = []
        self._history_pos: int | None = None
        self._draft = ""
        self.trigger = "@"  # what the word being completed starts with: "@" or "/"

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if self.completing and key in MENU_KEYS:
            self._swallow(event)
            self.post_message(self.MenuKey(key))
            return
        if key == "enter":
            self._swallow(event)
            self.submit()
            return
        if key in NEWLINE_KEYS:
            self._swallow(event)
            self.insert("\n")
            return
        if key == "up" and self.cursor_location[0] == 0 and self._recall(-1):
            self._swallow(event)
            return
        last_row = self.document.line_count - 1
        if key == "down" and self.cursor_location[0] == last_row and self._recall(+1):
            self._swallow(event)
            return
        await super()._on_key(event)

    def submit(self) -> None:
        """Send the prompt (if it is not blank) and remember it."""
        text = self.text.strip()
        if not text:
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._history_pos = None
        self.clear()
        self.post_message(self.Submitted(text))

    def accept_completion(self, value: str) -> None:
        """Replace the @ mention or /command name before the cursor with the chosen `value`."""
        match = self._word_at_cursor()
        if match is None:
            return
        row, col = self.cursor_location
        self.replace(f"{self.trigger}{value} ", (row, match.start()), (row, col))
        self.completing = False

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        match = self._word_at_cursor()
        self.post_message(self.MentionChanged(match.group(1) if match else None, self.trigger))

    def _word_at_cursor(self) -> re.Match[str] | None:
        """Find the /command name or @ mention being typed; remember which one it is."""
        row, col = self.cursor_location
        before = self.document.get_line(row)[:col]
        command = SLASH.match(before) if row == 0 else None
        self.trigger = "/" if command else "@"
        return command or MENTION.search(before)

    def _recall(self, step: int) -> bool:
        """Move through the history; return whether the text changed."""
        if not self.sent:
            return False
        if self._history_pos is None:
            if step > 0:
                return False
            self._draft = self.text
            position = len(self.sent) - 1
        else:
            position = self._history_pos + step
        if position < 0:
            return True
        if position >= len(self.sent):
            self._history_pos = None
            self._set_text(self._draft)
            return True
        self._history_pos = position
        self._set_text(self.sent[position])
        return True

    def _set_text(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    @staticmethod
    def _swallow(event: events.Key) -> None:
        event.stop()
        event.prevent_default()
