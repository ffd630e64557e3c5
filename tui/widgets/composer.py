"""The input area: the prompt with its completion menu (@ mentions, /commands) above it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message

from tui.widgets.completion_menu import CompletionMenu
from tui.widgets.prompt_input import PromptInput

# (trigger, prefix) -> (value, detail) pairs; the trigger is "@" (a mention) or "/" (a command).
Completer = Callable[[str, str], list[tuple[str, str]]]


class Composer(Vertical):
    """Prompt plus completion; posts Submitted with the text the user sent."""

    class Submitted(Message):
        """The user sent a prompt or a slash command."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, completer: Completer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.completer = completer

    def compose(self) -> ComposeResult:
        """Lay out the menu above the prompt."""
        menu = CompletionMenu(id="completion")
        menu.display = False
        yield menu
        yield PromptInput(id="prompt")

    @property
    def prompt(self) -> PromptInput:
        """Return the prompt widget."""
        return self.query_one(PromptInput)

    @property
    def menu(self) -> CompletionMenu:
        """Return the completion menu."""
        return self.query_one(CompletionMenu)

    def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        """Close the menu and pass the text on."""
        event.stop()
        self._close_menu()
        self.post_message(self.Submitted(event.text))

    def on_prompt_input_mention_changed(self, event: PromptInput.MentionChanged) -> None:
        """Offer completions for the @ mention or the /command name being typed."""
        event.stop()
        values = self.completer(event.trigger, event.prefix) if event.prefix is not None else []
        self.menu.show(values, label="/" if event.trigger == "/" else "")
        self.prompt.completing = bool(values)

    def on_prompt_input_menu_key(self, event: PromptInput.MenuKey) -> None:
        """Forward a key to the open menu."""
        event.stop()
        self.menu.press(event.key)
        if not self.menu.display:
            self.prompt.completing = False

    def on_completion_menu_chosen(self, event: CompletionMenu.Chosen) -> None:
        """Put the chosen completion into the prompt; a command chosen with Enter runs."""
        event.stop()
        command = self.prompt.trigger == "/"
        self.prompt.accept_completion(event.value)
        self._close_menu()
        if command and event.submit:
            self.prompt.submit()

    def _close_menu(self) -> None:
        self.menu.hide()
        self.prompt.completing = False
