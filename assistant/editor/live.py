"""A live index for an editor session: built in the background, updated file by file.

Reads (context assembly) and writes (the first build, saved files) each get their own thread
and their own SQLite connection, so a long first build never holds up a completion: until it
ends, completions go without cross-file context. The database is the one `assistant
index`, the chat and batch runs use; WAL mode lets them all read and write it at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from assistant.config import Settings
from assistant.editor.overlay import IndexView, ParseCache

if TYPE_CHECKING:
    from assistant.index import IndexStats, IndexStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class LiveIndex:
    """One repository's index, kept current while an editor works on it."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = Path(root).resolve()
        self.settings = settings
        self.cache = ParseCache()
        self.opened = asyncio.Event()  # the database exists: other connections may open it
        self.ready = asyncio.Event()  # the first build is over
        self._reads = ThreadPoolExecutor(1, thread_name_prefix="assistant-index-read")
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="assistant-index-write")
        self._reader: IndexStore | None = None
        self._writer: IndexStore | None = None
        self._db_path: Path | None = None

    async def build(self) -> IndexStats | None:
        """Bring the index up to date (incrementally, from what is stored); set `ready`."""
        try:
            await self._write(self._open)
            self.opened.set()
            return await self._write(self._build)
        finally:
            self.opened.set()
            self.ready.set()
            # Open the reading side now, so the first completion does not pay for it.
            await self.read({}, lambda view: view.rare_terms(["index"], 1))

    async def read(self, buffers: Mapping[str, str], work: Callable[[IndexView], T]) -> T:
        """Run `work` on the index seen through the modified `buffers`, in the read thread."""

        def call() -> T:
            """Run `work` on a view built in this thread."""
            return work(IndexView(self._reading_store(), self.root, buffers, self.cache))

        return await asyncio.get_running_loop().run_in_executor(self._reads, call)

    async def update(self, paths: Iterable[str]) -> None:
        """Reparse these files (saved or changed on disk), or drop them if they are gone."""
        wanted = list(dict.fromkeys(paths))
        if wanted:
            await self._write(lambda: self._update(wanted))

    def close(self) -> None:
        """Close the reader now; the writer closes after its current work, without waiting.

        A first build cut short by the process ending is safe: each batch is committed, and
        the next build resumes from what was stored.
        """
        self._reads.submit(self._close_store, "_reader").result()
        self._reads.shutdown(wait=True)
        self._writes.submit(self._close_store, "_writer")
        self._writes.shutdown(wait=False)

    # -- in the threads ----------------------------------------------------------------------

    async def _write(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writes, work)

    def _open(self) -> None:
        from assistant.index import open_index

        if self._writer is None:
            self._writer = open_index(self.root, self.settings, update=False)
            self._db_path = self._writer.db_path

    def _build(self) -> IndexStats | None:
        from assistant.index.indexer import update_index

        if self._writer is None:
            return None
        try:
            return update_index(self._writer, self.root, self.settings.max_file_bytes)
        finally:
            self.cache.forget_files()

    def _update(self, paths: list[str]) -> None:
        from assistant.index.indexer import update_paths

        store = self._writer
        if store is None:
            return  # the first build has not started; it will see these files anyway
        update_paths(store, self.root, paths, self.settings.max_file_bytes)
        self.cache.forget_files()

    def _reading_store(self) -> IndexStore | None:
        if self._reader is None and self.ready.is_set() and self._db_path is not None:
            from assistant.index import IndexStore

            self._reader = IndexStore(self._db_path)
        return self._reader

    def _close_store(self, name: str) -> None:
        store = getattr(self, name)
        if store is not None:
            store.close()
            setattr(self, name, None)
