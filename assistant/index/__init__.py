"""The code index: tree-sitter parsing, symbol and reference extraction, the SQLite store."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IndexStoreError
from assistant.index.indexer import IndexStats, Progress, update_index
from assistant.index.store import FileRecord, IndexStore

log = logging.getLogger(__name__)

__all__ = ["FileRecord", "IndexStats", "IndexStore", "db_path_for", "open_index"]


def db_path_for(root: Path, settings: Settings) -> Path:
    """Return where a repository's index lives: the user cache unless settings say otherwise."""
    from assistant.paths import cache_root

    root = Path(root).resolve()
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return cache_root(settings) / "index" / f"{root.name}-{digest}.sqlite"


def open_index(
    root: Path,
    settings: Settings,
    *,
    update: bool = True,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> IndexStore:
    """Open a repository's index, bringing it up to date first unless `update` is False."""
    path = db_path_for(root, settings)
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    try:
        store = IndexStore(path)
    except (OSError, IndexStoreError) as error:
        fallback = Path(tempfile.gettempdir()) / "assistant-index" / path.name
        log.warning("cannot write the index cache (%s); using %s", error, fallback)
        store = IndexStore(fallback)
        store.notice = f"the cache directory is not writable; the index is at {fallback}"
    if update:
        update_index(store, Path(root).resolve(), settings.max_file_bytes, progress)
    return store
