"""Next-edit suggestions: after the user changes code, propose the edit that follows.

`NextEditEngine.suggest` gathers the context (recent edits, the code around the cursor, the
uses elsewhere of what changed; in the index's read thread), asks the model and checks the
answer before anyone sees it: it must apply to the file's current text, change something,
not undo the user's own edit, leave the file parsing if it parsed, and stay inside the
repository, out of git internals, the assistant's own configuration and secrets files.

Two ways to ask: a chat endpoint (Qwen3-Coder and any chat model) gets the prompt of
`next_edit_prompt` and answers with a search/replace block; a FIM endpoint gets the line
where the old name of a renamed symbol is still used, as the middle to fill. Cancelling the
task that awaits `suggest` closes the model request.
"""

from __future__ import annotations

import asyncio
import logging
import re
import stat
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant.editor.history import RecentEdit, line_change
from assistant.editor.live import LiveIndex
from assistant.editor.next_edit_prompt import (
    EditContext,
    ProposedEdit,
    gather,
    messages,
    parse_answer,
)
from assistant.edits.match import apply_search_replace
from assistant.edits.verify import first_error_line
from assistant.errors import AssistantError
from assistant.index.reparse import common_ends
from assistant.llm.fim import FimRequest
from assistant.llm.types import TextDelta
from assistant.security.secrets import is_secret_path
from assistant.workspace import is_secret_file, resolve_repo_path

log = logging.getLogger(__name__)
END_OF_BLOCK = ">>>>>>> REPLACE"
NEXT_EDIT_BACKENDS = ("chat", "fim")
MAX_FILE_BYTES = 1_000_000  # a suggestion for a bigger file is not checked (tree-sitter, memory)


class EditModel(Protocol):
    """The model client as next-edit uses it: a chat stream and a FIM stream."""

    def stream_chat(
        self, messages: Sequence[Mapping[str, Any]], *, max_tokens: int | None = None
    ) -> AsyncIterator[object]:
        """Yield text deltas, then a final result; closing it hangs up."""
        ...

    def stream_fim(self, request: FimRequest) -> AsyncGenerator[str, None]:
        """Yield the middle as it streams; closing the generator hangs up."""
        ...


@dataclass(frozen=True)
class NextEditOptions:
    """How next-edit suggestions behave (editor settings can change these)."""

    enabled: bool = True
    debounce_ms: int = 500
    max_tokens: int = 400
    backend: str = "chat"  # or "fim": fill the line where a renamed name is still used


@dataclass(frozen=True)
class NextEdit:
    """A checked suggestion: replace `text[start:end]` of `path` with `new_text`."""

    path: str
    text: str  # the file's text the suggestion was checked against
    start: int
    end: int
    new_text: str

    @property
    def old_text(self) -> str:
        """Return the text the suggestion replaces."""
        return self.text[self.start : self.end]

    def applied(self) -> str:
        """Return the file's text with the suggestion applied."""
        return self.text[: self.start] + self.new_text + self.text[self.end :]


class NextEditEngine:
    """Propose the next edit for one repository."""

    def __init__(
        self,
        model: EditModel,
        root: Path,
        index: LiveIndex | None,
        options: NextEditOptions | None = None,
    ) -> None:
        self.model = model
        self.root = Path(root).resolve()
        self.index = index
        self.options = options or NextEditOptions()

    async def suggest(
        self,
        path: str,
        text: str,
        offset: int,
        edits: Sequence[RecentEdit],
        buffers: Mapping[str, str],
    ) -> NextEdit | None:
        """Return the checked next edit after `edits`, with the cursor at `offset` of `text`."""
        if not self.options.enabled or not edits or self._is_secret(path):
            return None  # nothing of a secrets file, under any name, is sent to a model
        buffers = {**buffers, path: text}
        context = await self.context(path, text, offset, edits, buffers)
        if self.options.backend == "fim":
            proposal = await self._ask_fim(path, text, edits)
        else:
            proposal = parse_answer(await self._ask_chat(context), path)
        if proposal is None:
            return None
        # Off the event loop: applying and parsing a big file takes a while.
        return await asyncio.to_thread(self.check, proposal, buffers, edits)

    def _is_secret(self, path: str) -> bool:
        """Return whether `path` is a secrets file by name or as a link to one."""
        if is_secret_path(path):
            return True
        try:
            resolved = resolve_repo_path(self.root, path)
        except AssistantError:
            return True  # not the repository's to send
        return resolved.exists() and is_secret_file(self.root, resolved)

    async def context(
        self,
        path: str,
        text: str,
        offset: int,
        edits: Sequence[RecentEdit],
        buffers: Mapping[str, str],
    ) -> EditContext:
        """Return the prompt's parts (in the index's read thread when there is an index)."""
        line = text.count("\n", 0, offset)
        if self.index is None:
            return gather(_NoIndex(buffers), path, text, line, edits)
        return await self.index.read(buffers, lambda view: gather(view, path, text, line, edits))

    def check(
        self, proposal: ProposedEdit, buffers: Mapping[str, str], edits: Sequence[RecentEdit]
    ) -> NextEdit | None:
        """Return the proposal as a suggestion if it passes every check, else None."""
        path = proposal.path
        try:
            resolved = resolve_repo_path(self.root, path, for_write=True)
        except (AssistantError, OSError, ValueError) as error:
            log.info("next edit refused: %s", error)
            return None
        path = resolved.relative_to(self.root).as_posix()
        try:
            if is_secret_path(path) or (resolved.exists() and is_secret_file(self.root, resolved)):
                return None
        except OSError:  # a name too long for the file system, and the like
            return None
        current = buffers.get(path)
        if current is None:
            current = _read(resolved)
        if current is None or len(current) > MAX_FILE_BYTES:
            return None
        try:
            result = apply_search_replace(current, proposal.search, proposal.replace)
        except AssistantError:
            return None  # it does not apply to the text as it is now
        if result.strategy == "fuzzy":
            return None
        after = result.text
        change = line_change(current, after)
        if change is None or _reverts(change, path, edits):
            return None
        broken = first_error_line(after.encode(), path) is not None
        if broken and first_error_line(current.encode(), path) is None:
            return None  # it would break a file that parses
        start, end, new_text = _smallest(current, after)
        return NextEdit(path, current, start, end, new_text)

    async def _ask_chat(self, context: EditContext) -> str:
        answer = ""
        stream = self.model.stream_chat(messages(context), max_tokens=self.options.max_tokens)
        async with aclosing(stream) as events:  # type: ignore[type-var]  # an async generator
            async for event in events:
                if isinstance(event, TextDelta):
                    answer += event.text
                    if END_OF_BLOCK in answer:
                        break  # the block is whole: hang up
        return answer

    async def _ask_fim(
        self, path: str, text: str, edits: Sequence[RecentEdit]
    ) -> ProposedEdit | None:
        """Ask a FIM endpoint to rewrite the first line after the edit still using an old name."""
        site = _stale_line(text, [e for e in edits if e.path == path])
        if site is None:
            return None
        lines = text.split("\n")
        prefix = "\n".join(lines[:site]) + "\n"
        suffix = "\n" + "\n".join(lines[site + 1 :])
        request = FimRequest(prefix, suffix, path=path, max_tokens=self.options.max_tokens)
        middle = ""
        async with aclosing(self.model.stream_fim(request)) as pieces:
            async for piece in pieces:
                middle += piece
                if "\n" in middle:
                    break
        new_line = middle.split("\n", 1)[0]
        if not new_line.strip():
            return None
        return ProposedEdit(path, lines[site], new_line)


class _NoIndex:
    """Context without an index: the buffers alone, no uses elsewhere."""

    def __init__(self, buffers: Mapping[str, str]) -> None:
        self.buffers = buffers

    def symbols(self, path: str | None = None, name: str | None = None) -> list[Any]:
        return []

    def references(self, name: str) -> list[Any]:
        return []

    def text(self, path: str) -> str | None:
        return None if is_secret_path(path) else self.buffers.get(path)


def _stale_line(text: str, edits: Sequence[RecentEdit]) -> int | None:
    """Return the 0-based line nearest after the last edit that still uses a name it removed."""
    if not edits:
        return None
    last = edits[-1]
    gone = [old for old, _new in last.renamed()] or last.removed_names()
    if not gone:
        return None
    lines = text.split("\n")
    edited = range(last.change.line, last.change.end_line)
    order = [*range(last.change.end_line, len(lines)), *range(0, last.change.line)]
    for index in order:
        if index not in edited and any(_uses(lines[index], name) for name in gone):
            return index
    return None


def _uses(line: str, name: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", line) is not None


def _reverts(change: Any, path: str, edits: Sequence[RecentEdit]) -> bool:
    """Return whether `change` takes back one of the user's recent edits of `path`."""
    return any(
        e.path == path and e.change.after == change.before and e.change.before == change.after
        for e in edits
    )


def _smallest(before: str, after: str) -> tuple[int, int, str]:
    """Return (start, end, new text): the smallest span of `before` that becomes `after`."""
    start, end = common_ends(before, after)
    return start, len(before) - end, after[start : len(after) - end]


def _read(path: Path) -> str | None:
    """Return a regular file's text if it is small enough to edit (a FIFO would block)."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
