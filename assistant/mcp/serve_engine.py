"""The context engine as a long-lived, read-only service: one index, kept current, worked on
off the event loop.

`ContextEngine` opens the repository's index once and answers searches, symbol look-ups, repo
maps, file reads and its own status. Before each index answer it asks `TreeWatch` whether files
changed on disk and, when they did, brings the index up to date first (the edited files alone
when only indexed files changed, else a full incremental update); after an answer, when
the last full update is older than RESCAN_SECONDS, one runs in the background for what the
cheap check cannot see. Index work runs in a worker thread, one piece at a time (one SQLite
connection); a damaged database is rebuilt by `query_index` and the rebuild reported by
`status()`. Nothing is written to the repository: the index lives in the cache folder.

Hits in secrets files are dropped here even though the index skips them by name: a hard link
to `.env` under another name is indexed like any file. Such files are found after each update
(`is_secret_file` sees through the link) and left out of every answer, the map included.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.config import Settings
from assistant.context import SearchResult, repo_map, search
from assistant.context.repomap import fit_map, ranked_symbols
from assistant.index import IndexStore, open_index, query_index
from assistant.index.indexer import update_paths
from assistant.index.model import Reference, Symbol
from assistant.llm.embeddings import semantic_signal
from assistant.mcp.serve_fresh import TreeWatch
from assistant.security.secrets import is_secret_path
from assistant.tools.base import Grant, ToolContext, ToolError
from assistant.tools.files import ReadFile
from assistant.workspace import is_secret_file, relative_posix, resolve_repo_path

if TYPE_CHECKING:
    from collections.abc import Coroutine

log = logging.getLogger(__name__)
T = TypeVar("T")
_READ_ON = re.compile(r"Read on with offset=(\d+)\.")
RESCAN_SECONDS = 10.0  # the longest a change the cheap check cannot see goes unnoticed
MAX_NOTICES = 10


@dataclass(frozen=True)
class SymbolFindings:
    """A name's definitions and the places that reference it."""

    name: str
    definitions: tuple[Symbol, ...]
    references: tuple[Reference, ...]
    references_total: int  # before the limit


@dataclass(frozen=True)
class EngineStatus:
    """What the index holds and when it was last brought up to date."""

    root: str
    files: int
    symbols: int
    chunks: int
    updated_at: float | None  # seconds since the epoch; None before the first update
    last_update_seconds: float
    last_update_parsed: int
    notices: tuple[str, ...]


class ContextEngine:
    """One repository's index, opened once, kept current, read from a worker thread."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = Path(root).resolve()
        self.settings = settings
        self._store: IndexStore | None = None
        self._lock = threading.Lock()  # one piece of index work at a time, on one connection
        self._watch: TreeWatch | None = None
        self._updated_at: float | None = None
        self._last_full = 0.0  # time.monotonic() of the last full update
        self._notices: list[str] = []
        self._hidden: frozenset[str] = frozenset()  # indexed files that are secrets files
        self._background: set[asyncio.Task[None]] = set()
        # The watch's check runs here while the index answers (see _fresh).
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tree-watch")
        self._semantic = semantic_signal(settings, self.root, self._notice)  # None: off

    async def start(self) -> None:
        """Open the index and bring it up to date in the background: the first calls wait for
        it, the protocol's handshake does not."""
        self._spawn(self._in_thread(self._open))

    async def close(self) -> None:
        """Wait for index work under way, then close the database."""
        for task in list(self._background):
            task.cancel()
        await self._in_thread(self._close)
        self._checker.shutdown(wait=False)

    async def search(self, query: str, limit: int) -> SearchResult:
        """Return ranked files and chunks for `query`, none of them in a secrets file."""

        def find(store: IndexStore) -> SearchResult:
            result = search(store, query, limit, semantic=self._semantic)
            hidden = self._hidden
            return replace(
                result,
                files=tuple(hit for hit in result.files if hit.path not in hidden),
                chunks=tuple(hit for hit in result.chunks if hit.chunk.path not in hidden),
            )

        return await self._answer(find)

    async def symbols(self, name: str, limit: int) -> SymbolFindings:
        """Return where `name` (its last dotted part) is defined and referenced."""
        short = name.strip().split(".")[-1]

        def find(store: IndexStore) -> SymbolFindings:
            hidden = self._hidden
            found = [s for s in store.symbols(name=short) if s.path not in hidden]
            used = [r for r in store.references(name=short) if r.path not in hidden]
            return SymbolFindings(short, tuple(found), tuple(used[:limit]), len(used))

        return await self._answer(find)

    async def repo_map(self, tokens: int, focus: Sequence[str], mentioned: Sequence[str]) -> str:
        """Return the ranked repo map within `tokens`, personalised by focus files and names
        (focus paths are resolved like any path a model names: inside the repository only)."""

        def draw(store: IndexStore) -> str:
            paths = [relative_posix(self.root, resolve_repo_path(self.root, p)) for p in focus]
            if not self._hidden:  # the usual case: the cached map of the whole index
                return repo_map(store, tokens, focus=paths, mentioned=list(mentioned))
            ranked = ranked_symbols(store, focus=paths, mentioned=list(mentioned), fit=tokens)
            return fit_map([r for r in ranked if r.symbol.path not in self._hidden], tokens)

        return await self._answer(draw)

    async def read(self, arguments: Mapping[str, Any]) -> str:
        """Read a file page as the agent's read_file tool does (the same path checks, the
        same secrets refusals, the same paging), in a worker thread."""
        context = ToolContext(self.root, self.settings, authorize=_refuse)
        output = await asyncio.to_thread(_run_to_end, ReadFile().run(arguments, context))
        if not output.ok:
            raise ToolError(output.text)
        # The agent's tool pages by a 0-based offset; this server's read_file by start_line.
        return _READ_ON.sub(lambda m: f"Read on with start_line={int(m[1]) + 1}.", output.text, 1)

    async def status(self) -> EngineStatus:
        """Return what the index holds now (after bringing it up to date)."""

        def counts(store: IndexStore) -> EngineStatus:
            stats = store.last_stats
            return EngineStatus(
                str(self.root),
                len(store.files()),
                store.symbol_count(),
                store.terms.chunk_count(),
                self._updated_at,
                stats.seconds if stats else 0.0,
                stats.parsed if stats else 0,
                tuple(self._notices),
            )

        return await self._answer(counts)

    # -- the worker side -------------------------------------------------------------------

    async def _answer(self, work: Callable[[IndexStore], T]) -> T:
        """Bring the index up to date if files changed, run `work` on it; then start a full
        update in the background when the last one is old."""
        result = await self._in_thread(lambda: self._fresh(work))
        if time.monotonic() - self._last_full > RESCAN_SECONDS and not self._background:
            self._spawn(self._in_thread(lambda: self._update(force=True)))
        return result

    async def _in_thread(self, work: Callable[[], T]) -> T:
        """Run `work` in a worker thread holding the index lock (a cancelled caller leaves it
        to finish: the lock is released by the thread, not by the caller)."""

        def locked() -> T:
            with self._lock:
                return work()

        return await asyncio.to_thread(locked)

    def _spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        """Run a job in the background, logging (never raising) what it fails with."""

        async def guarded() -> None:
            try:
                await job
            except Exception:
                log.exception("index update in the background failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _open(self) -> None:
        """Open the database (in the thread) and bring the index up to date."""
        if self._store is None:
            self._store = open_index(self.root, self.settings, update=False, notice=self._notice)
            self._update(force=True)
            self._store.warm_cache()

    def _fresh(self, work: Callable[[IndexStore], T]) -> T:
        """Run `work` on an up-to-date index (rebuilding a damaged database and running it
        again, through query_index). The watch's check (stats, mostly waiting on the system)
        runs in a second thread while `work` runs on the index as it is (SQLite, mostly
        outside the GIL too); only when the check saw a change is the index brought up to
        date and `work` run again on it."""
        self._open()
        store, watch = self._store, self._watch
        assert store is not None
        if watch is None:
            self._update(force=False)
            return query_index(store, self.root, self.settings, work, notice=self._notice)
        checked = self._checker.submit(watch.edited)
        result = query_index(store, self.root, self.settings, work, notice=self._notice)
        edited = checked.result()
        if edited == []:
            return result
        self._bring_up_to_date(edited)
        return query_index(store, self.root, self.settings, work, notice=self._notice)

    def _update(self, *, force: bool) -> None:
        """Bring the index up to date: nothing when the watch saw no change (unless forced),
        the edited files alone when only indexed files changed, else a full update."""
        if self._store is None:
            return
        edited = self._watch.edited() if self._watch is not None and not force else None
        self._bring_up_to_date(edited)

    def _bring_up_to_date(self, edited: list[str] | None) -> None:
        """Act on what the watch saw: nothing ([]), re-index the edited files alone, or (None,
        or an edited file that left the index) a full update."""
        if edited == [] or (edited and self._reindex(edited)):
            return
        before = self._watch.restamped() if self._watch is not None else None
        store = self._store
        assert store is not None
        query_index(store, self.root, self.settings, _nothing, update=True, notice=self._notice)
        skipped = store.last_stats.skipped if store.last_stats else {}
        records = store.files()
        self._watch = TreeWatch.take(self.root, records, skipped, before)
        self._hidden = frozenset(self._secrets(record.path for record in records))
        self._updated_at, self._last_full = time.time(), time.monotonic()

    def _reindex(self, paths: list[str]) -> bool:
        """Re-index these edited files alone; False when one left the index (it may now be
        binary or too large: a full update sorts that out)."""
        assert self._store is not None and self._watch is not None
        store, limit = self._store, self.settings.max_file_bytes
        query_index(
            store, self.root, self.settings,
            lambda s: update_paths(s, self.root, paths, limit), notice=self._notice,
        )  # fmt: skip
        records = [store.file(path) for path in paths]
        if any(record is None for record in records):
            return False
        self._watch = self._watch.with_records(r for r in records if r is not None)
        self._hidden = (self._hidden - set(paths)) | self._secrets(paths)
        self._updated_at = time.time()
        return True

    def _close(self) -> None:
        """Close the database (in the thread, under the lock)."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _notice(self, text: str) -> None:
        """Keep a notice about the index (a rebuild, a cache problem) for `status()`."""
        log.warning("%s", text)
        self._notices = [*self._notices, text][-MAX_NOTICES:]

    def _secrets(self, paths: Iterable[str]) -> frozenset[str]:
        """Return the indexed files among `paths` that are secrets files: by name, or as a hard
        link to one (the index takes those for ordinary files), or gone unreadable."""
        found = set()
        for rel in paths:
            path = self.root / rel
            try:
                linked = os.stat(path).st_nlink > 1
                if is_secret_path(rel) or (linked and is_secret_file(self.root, path)):
                    found.add(rel)
            except (OSError, ValueError):  # gone, or leads outside now: show nothing of it
                found.add(rel)
        return frozenset(found)


async def _refuse(kind: str, summary: str, detail: str) -> Grant:
    """Refuse every permission request: the served engine only reads."""
    return Grant.REFUSED


def _run_to_end(job: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on a loop of this (worker) thread: the read tool is async
    but does its file work without awaiting, which must stay off the protocol's loop."""
    return asyncio.run(job)


def _nothing(store: IndexStore) -> None:
    """Do no work (an update alone)."""
