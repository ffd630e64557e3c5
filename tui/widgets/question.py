"""A yes/no modal: the answer is the button pressed, or the key bound to `answer`."""

from __future__ import annotations

from textual.screen import ModalScreen
from textual.widgets import Button


class Question(ModalScreen[bool]):
    """Dismiss with True when the button whose id is `yes_id` is pressed, else False."""

    yes_id = ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the pressed button."""
        event.stop()
        self.dismiss(event.button.id == self.yes_id)

    def action_answer(self, answer: bool) -> None:
        """Answer from the keyboard."""
        self.dismiss(answer)
