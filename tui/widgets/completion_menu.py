"""The completion menu: files and symbols for an @ mention, commands for a leading /."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CompletionMenu(OptionList):
    """A small list under the prompt; the prompt keeps focus and forwards keys to it."""

    class Chosen(Message):
        """The user picked a completion (with Enter: `submit`, with Tab or a click: not)."""

        def __init__(self, value: str, submit: bool = False) -> None:
            super().__init__()
            self.value = value
            self.submit = submit

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.can_focus = False

    def show(self, values: list[tuple[str, str]], label: str = "") -> None:
        """Offer `(value, detail)` pairs, each shown after `label`, or hide when there are none."""
        self.clear_options()
        self.add_options(
            [
                Option(Text.assemble(label + value, ("  " + detail, "dim")), id=value)
                for value, detail in values
            ]
        )
        self.display = bool(values)
        if values:
            self.highlighted = 0

    def hide(self) -> None:
        """Close the menu."""
        self.clear_options()
        self.display = False

    def press(self, key: str) -> None:
        """Handle a key the prompt forwarded: move, choose or close."""
        if key == "down":
            self.action_cursor_down()
        elif key == "up":
            self.action_cursor_up()
        elif key in ("tab", "enter") and self.highlighted is not None:
            option = self.get_option_at_index(self.highlighted)
            self.post_message(self.Chosen(str(option.id), submit=key == "enter"))
        else:
            self.hide()

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(str(event.option.id)))
