"""The one redaction choke point: everything the client sends to a model passes through here.

Chat messages (string content and text content parts, of every role: system prompt, user,
tool output, the model's own text), completion and FIM prompts are redacted with
`assistant.security.secrets.Redactor`, which also hides the user's own API keys. Tool-call
arguments the model wrote are left as they are: they must match what was run. Redaction is
memoised, since an agent resends its whole history on every turn.

The code around an editor's cursor is redacted as the one text it is (`fim_parts`), before it
is cut into prompt pieces: a secret the cursor splits (the cursor inside a quoted token) is
whole only there. When a secret spans the cursor, nothing is sent at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.llm import fim
from assistant.security.secrets import Redactor

# Texts shorter than this are redacted again each time: hashing them costs about as much.
_MEMO_MIN_CHARS = 256
_MEMO_MAX_CHARS = 8 * 1024 * 1024
# FIM prompts hold control tokens between the code pieces; redaction must never swallow one.
_CONTROL_TOKENS = re.compile(
    "("
    + "|".join(
        re.escape(t)
        for t in (*fim.FIM_STOP_SEQUENCES, fim.FIM_PREFIX, fim.FIM_SUFFIX, fim.FIM_MIDDLE,
                  fim.REPO_NAME, "<|im_start|>")
    )
    + ")"
)  # fmt: skip


class OutboundRedactor:
    """Redact what goes to a model; `known` are exact secrets (the user's API keys)."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self._redactor = Redactor(tuple(k for k in known if k))
        self._memo: dict[str, str] = {}
        self._memo_chars = 0

    def text(self, text: str) -> str:
        """Return `text` redacted."""
        if len(text) < _MEMO_MIN_CHARS:
            return self._redactor.redact(text)
        cached = self._memo.get(text)
        if cached is None:
            cached = self._redactor.redact(text)
            if self._memo_chars + len(text) > _MEMO_MAX_CHARS:
                self._memo.clear()
                self._memo_chars = 0
            self._memo[text] = cached
            self._memo_chars += len(text)
        return cached

    def prompt(self, prompt: str) -> str:
        """Return a completion prompt redacted piece by piece, its FIM control tokens intact."""
        pieces = _CONTROL_TOKENS.split(prompt)
        # split() with a group alternates text and separators: redact the even pieces only.
        return "".join(p if i % 2 else self.text(p) for i, p in enumerate(pieces))

    def fim_parts(self, prefix: str, suffix: str) -> tuple[str, str] | None:
        """Return `prefix` and `suffix` redacted together; None when a secret spans the cursor."""
        redacted = self._redactor.redact_around(prefix + suffix, len(prefix))
        if redacted is None:
            return None
        text, cursor = redacted
        return text[:cursor], text[cursor:]

    def messages(self, messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Return copies of chat messages with their content redacted (not tool-call arguments)."""
        return [self._message(m) for m in messages]

    def _message(self, message: Mapping[str, Any]) -> dict[str, Any]:
        copy = dict(message)
        content = copy.get("content")
        if isinstance(content, str):
            copy["content"] = self.text(content)
        elif isinstance(content, list):
            copy["content"] = [self._part(part) for part in content]
        return copy

    def _part(self, part: Any) -> Any:
        if isinstance(part, str):
            return self.text(part)
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            return {**part, "text": self.text(part["text"])}
        return part
