"""Fill-in-the-middle: the request, its prompt and stops, and cutting the answer as it streams.

One request (`FimRequest`) becomes either Qwen's FIM prompt for `/v1/completions` (file-level,
or repository-level when other files come with it) or, for endpoints that serve no FIM, a chat
request asking for the code at the cursor. The answer is cut as it arrives: at the first FIM
control token (the model starts another file), or, from a chat model, at its closing fence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FIM_PREFIX = "<|fim_prefix|>"
FIM_SUFFIX = "<|fim_suffix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_PAD = "<|fim_pad|>"
REPO_NAME = "<|repo_name|>"
FILE_SEP = "<|file_sep|>"
END_OF_TEXT = "<|endoftext|>"

# Where the middle ends: the model starts another file, or ends the text. Some
# OpenAI-compatible servers refuse more than four stop sequences; the cutters check the rest.
MAX_STOPS = 4
FIM_STOP_SEQUENCES: tuple[str, ...] = (FILE_SEP, END_OF_TEXT, FIM_PAD, "<|im_end|>")
_CUT_TOKENS: tuple[str, ...] = (*FIM_STOP_SEQUENCES, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE)
_FENCE = "```"

CHAT_SYSTEM = (
    "You complete code. You are shown files from a repository, then the file being edited, "
    "with the cursor marked <CURSOR>. Reply with only the code that belongs at <CURSOR>: no "
    "explanation, no code fences, nothing that already follows the cursor."
)


@dataclass(frozen=True)
class ContextFile:
    """Another file shown to the model before the one being completed."""

    path: str
    content: str


@dataclass(frozen=True)
class FimRequest:
    """One fill-in-the-middle request: the code around the cursor, and what comes with it."""

    prefix: str
    suffix: str
    repo_name: str | None = None
    context_files: tuple[ContextFile, ...] = ()
    path: str | None = None
    max_tokens: int = 128
    stop: tuple[str, ...] = ()


def file_prompt(prefix: str, suffix: str) -> str:
    """Return the file-level FIM prompt."""
    return f"{FIM_PREFIX}{prefix}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}"


def repo_prompt(
    repo_name: str, context_files: Sequence[ContextFile], path: str, prefix: str, suffix: str
) -> str:
    """Return the repository-level FIM prompt: other files first, then the current one."""
    parts = [f"{REPO_NAME}{repo_name}\n"]
    for item in context_files:
        content = item.content if item.content.endswith("\n") else item.content + "\n"
        parts.append(f"{FILE_SEP}{item.path}\n{content}")
    parts.append(f"{FILE_SEP}{path}\n{file_prompt(prefix, suffix)}")
    return "".join(parts)


def build_prompt(
    prefix: str,
    suffix: str,
    *,
    repo_name: str | None = None,
    context_files: Sequence[ContextFile] = (),
    path: str | None = None,
) -> str:
    """Return the repository-level prompt when there is repository context, else file-level."""
    if repo_name and path:
        return repo_prompt(repo_name, context_files, path, prefix, suffix)
    return file_prompt(prefix, suffix)


def chat_messages(
    prefix: str, suffix: str, context_files: Sequence[ContextFile], path: str | None
) -> list[dict[str, str]]:
    """Return a chat request asking for the middle, for endpoints that serve no FIM."""
    parts = [_fenced(f"{item.path}:", item.content) for item in context_files]
    parts.append(_fenced(f"{path or 'the file'} (being edited):", f"{prefix}<CURSOR>{suffix}"))
    return [
        {"role": "system", "content": CHAT_SYSTEM},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def _fenced(title: str, code: str) -> str:
    return f"{title}\n{_FENCE}\n{code}\n{_FENCE}"


def stop_sequences(extra: Sequence[str], *, chat: bool) -> list[str]:
    """Return the stops to send: the caller's, then (not in chat) FIM's; four at most."""
    wanted = [*extra] if chat else [*extra, *FIM_STOP_SEQUENCES]
    return list(dict.fromkeys(wanted))[:MAX_STOPS]


def cut_middle(text: str) -> str:
    """Cut a completion at the first FIM control token, in case the server ignored the stops."""
    cut = len(text)
    for token in _CUT_TOKENS:
        index = text.find(token)
        if index >= 0:
            cut = min(cut, index)
    return text[:cut]


class TokenCutter:
    """Pass streamed text through until a FIM control token appears (holding back a partial one)."""

    def __init__(self) -> None:
        self.text = ""
        self.sent = 0

    def feed(self, piece: str) -> tuple[str, bool]:
        """Return the new text to emit and whether the answer is over."""
        joined = self.text + piece
        self.text = cut_middle(joined)
        if len(self.text) < len(joined):
            return self.flush(), True
        start = self.text.rfind("<")
        partial = start >= 0 and any(t.startswith(self.text[start:]) for t in _CUT_TOKENS)
        ready = start if partial else len(self.text)
        new, self.sent = self.text[self.sent : ready], max(self.sent, ready)
        return new, False

    def flush(self) -> str:
        """Return what was held back, at the end of the answer."""
        new, self.sent = self.text[self.sent :], len(self.text)
        return new


class FenceCutter:
    """Drop an opening code fence line a chat model adds, and stop at its closing fence."""

    def __init__(self) -> None:
        self.head = ""
        self.started = False
        self.text = ""
        self.sent = 0

    def feed(self, piece: str) -> tuple[str, bool]:
        """Return the new text to emit and whether the answer is over."""
        if not piece:
            return "", False
        if not self.started:
            self.head += piece
            if "\n" not in self.head and self.head.lstrip().startswith("`"):
                return "", False  # maybe a fence: wait for the end of its line
            self.started = True
            first, sep, rest = self.head.partition("\n")
            piece = rest if first.lstrip().startswith(_FENCE) and sep else self.head
        self.text += piece
        end = self.text.find(_FENCE)
        if end >= 0:
            self.text = self.text[:end].rstrip("\n")
            return self.flush(), True
        ready = len(self.text.rstrip("`\n"))  # a closing fence may be arriving
        new, self.sent = self.text[self.sent : ready], max(self.sent, ready)
        return new, False

    def flush(self) -> str:
        """Return what was held back, at the end of the answer."""
        if not self.started:
            self.text, self.started = self.head, True
        new, self.sent = self.text[self.sent :], len(self.text)
        return new


def cutter_for(chat: bool) -> TokenCutter | FenceCutter:
    """Return the cutter for a FIM answer, or for one a chat model wrote."""
    return FenceCutter() if chat else TokenCutter()
