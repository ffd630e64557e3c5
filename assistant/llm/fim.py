"""Qwen fill-in-the-middle prompts, file-level and repository-level, and cutting their output."""

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

# Where the middle ends: the model starts another file, or ends the text. Four at most, since
# some OpenAI-compatible servers refuse more stop sequences; `cut_middle` checks the rest.
FIM_STOP_SEQUENCES: tuple[str, ...] = (FILE_SEP, END_OF_TEXT, FIM_PAD, "<|im_end|>")
_CUT_TOKENS: tuple[str, ...] = (*FIM_STOP_SEQUENCES, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE)


@dataclass(frozen=True)
class ContextFile:
    """Another file shown to the model before the one being completed."""

    path: str
    content: str


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


def cut_middle(text: str) -> str:
    """Cut a completion at the first FIM control token, in case the server ignored the stops."""
    cut = len(text)
    for token in _CUT_TOKENS:
        index = text.find(token)
        if index >= 0:
            cut = min(cut, index)
    return text[:cut]
