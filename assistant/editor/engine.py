"""Completions for an editor: debounced, cancelled when stale, cached, never blocking the loop.

One `complete` call per keystroke-triggered request. A newer request for the same file cancels
the older one (and with it its HTTP request); so does the editor's `$/cancelRequest`, which
cancels the awaiting task. Index lookups and tree-sitter run in the index's read thread; the
model call is asynchronous, through a `FimSource` (the model client). The engine hangs up as
soon as the line or block is whole. Answers are cached per position, and a suggestion the user
types into is served from memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Protocol

from assistant.editor.context import Budget, CompletionContext, Cursor, assemble
from assistant.editor.live import LiveIndex
from assistant.editor.postprocess import postprocess, stop_at_dedent
from assistant.llm.fim import FimRequest
from assistant.security.secrets import is_secret_path

log = logging.getLogger(__name__)
CACHE_SIZE = 128
KEY_PREFIX_CHARS = 2_000
KEY_SUFFIX_CHARS = 500


class FimSource(Protocol):
    """Where suggestions come from: fill-in-the-middle answers, streamed (the model client)."""

    def stream_fim(self, request: FimRequest) -> AsyncGenerator[str, None]:
        """Yield the middle as it streams; closing the generator hangs up."""
        ...


@dataclass(frozen=True)
class CompletionOptions:
    """How completions behave (editor settings can change these)."""

    enabled: bool = True
    debounce_ms: int = 75
    max_tokens: int = 160  # for a block
    max_line_tokens: int = 48  # for the rest of a line
    budget: Budget = field(default_factory=Budget)


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at the cursor, and what context the prompt carried."""

    text: str
    multiline: bool
    labels: tuple[str, ...] = ()
    cached: bool = False


class CompletionEngine:
    """Answer completion requests for one repository."""

    def __init__(
        self,
        source: FimSource,
        repo_name: str,
        index: LiveIndex | None = None,
        options: CompletionOptions | None = None,
    ) -> None:
        self.source = source
        self.repo_name = repo_name
        self.index = index
        self.options = options or CompletionOptions()
        self._inflight: dict[str, asyncio.Future[Suggestion | None]] = {}
        self._cache: OrderedDict[tuple[str, str, str], Suggestion] = OrderedDict()
        self._last: dict[str, tuple[str, str, Suggestion]] = {}

    async def complete(
        self, cursor: Cursor, buffers: Mapping[str, str] | None = None
    ) -> Suggestion | None:
        """Return a suggestion for `cursor`, or None when there is none or a newer one won."""
        if not self.options.enabled or is_secret_path(cursor.path):
            return None  # nothing of a secrets file is ever sent to a model
        remembered = self._remembered(cursor)
        if remembered is not None:
            return remembered if remembered.text else None
        previous = self._inflight.pop(cursor.path, None)
        if previous is not None:
            previous.cancel()
        work = asyncio.ensure_future(self._work(cursor, dict(buffers or {})))
        self._inflight[cursor.path] = work
        try:
            return await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if work.cancelled() and current is not None and not current.cancelling():
                return None  # superseded by a newer request for this file
            raise
        finally:
            if self._inflight.get(cursor.path) is work:
                del self._inflight[cursor.path]

    async def context_for(self, cursor: Cursor, buffers: Mapping[str, str]) -> CompletionContext:
        """Return the prompt parts for `cursor` (in the index's read thread when there is one)."""
        budget = self.options.budget
        if self.index is None:
            return assemble(None, cursor, budget)
        return await self.index.read(buffers, lambda view: assemble(view, cursor, budget))

    async def _work(self, cursor: Cursor, buffers: dict[str, str]) -> Suggestion | None:
        await asyncio.sleep(self.options.debounce_ms / 1000)
        context = await self.context_for(cursor, buffers)
        raw = await self._ask(context)
        text = await self._tidy(cursor, context, raw)
        suggestion = Suggestion(text, context.multiline, context.labels)
        self._remember(cursor, suggestion)
        return suggestion if text else None

    async def _ask(self, context: CompletionContext) -> str:
        multiline = context.multiline
        request = FimRequest(
            context.prefix,
            context.suffix,
            repo_name=self.repo_name if context.files else None,
            context_files=context.files,
            path=context.path,
            max_tokens=self.options.max_tokens if multiline else self.options.max_line_tokens,
            stop=() if multiline else ("\n",),
        )
        text = ""
        async with aclosing(self.source.stream_fim(request)) as pieces:
            async for piece in pieces:
                text += piece
                if _is_whole(context, text):
                    break  # hang up: the rest is not wanted
        return text

    async def _tidy(self, cursor: Cursor, context: CompletionContext, raw: str) -> str:
        def run() -> str:
            """Post-process the raw answer (tree-sitter runs here)."""
            return postprocess(
                cursor.prefix, cursor.suffix, raw, path=cursor.path, multiline=context.multiline
            )

        return await asyncio.get_running_loop().run_in_executor(None, run)

    # -- memory ------------------------------------------------------------------------------

    def _key(self, cursor: Cursor) -> tuple[str, str, str]:
        return (
            cursor.path,
            cursor.prefix[-KEY_PREFIX_CHARS:],
            cursor.suffix[:KEY_SUFFIX_CHARS],
        )

    def _remember(self, cursor: Cursor, suggestion: Suggestion) -> None:
        self._cache[self._key(cursor)] = suggestion
        self._cache.move_to_end(self._key(cursor))
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self._last[cursor.path] = (cursor.prefix, cursor.suffix, suggestion)

    def _remembered(self, cursor: Cursor) -> Suggestion | None:
        found = self._cache.get(self._key(cursor))
        if found is not None:
            return Suggestion(found.text, found.multiline, found.labels, cached=True)
        last = self._last.get(cursor.path)
        if last is None:
            return None
        prefix, suffix, suggestion = last
        typed = cursor.prefix[len(prefix) :]
        if (
            typed
            and cursor.prefix.startswith(prefix)
            and cursor.suffix == suffix
            and suggestion.text.startswith(typed)
            and len(suggestion.text) > len(typed)
        ):
            rest = suggestion.text[len(typed) :]
            return Suggestion(rest, suggestion.multiline, suggestion.labels, cached=True)
        return None


def _is_whole(context: CompletionContext, text: str) -> bool:
    """Return whether streamed `text` already holds the whole line (or block) wanted."""
    if not context.multiline:
        return "\n" in text.lstrip("\n")
    return text.endswith("\n") and stop_at_dedent(context.prefix, text) != text
