"""Opening a repository's index and running work against it: the one place damage is repaired.

A command runs its reads through `use_index` (open, update, work, close); a long-lived holder
of a store (an agent run's tools) through `query_index`. Inside them every SQLite error becomes
an IndexCorrupted or IndexStoreError (faults.py). On IndexCorrupted the damaged database is kept
aside, the index rebuilt from the repository, and the work run once more, with a one-line
notice; any other error, or damage found again, reaches the caller as one clear IndexStoreError.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from assistant.config import Settings
from assistant.errors import IndexStoreError
from assistant.index.faults import CACHE_HINT, IndexCorrupted, remove, store_errors
from assistant.index.indexer import Progress, update_index
from assistant.index.store import IndexStore

log = logging.getLogger(__name__)
T = TypeVar("T")
Notice = Callable[[str], None]  # receives one line the user should see (default: a warning)


def db_path_for(root: Path, settings: Settings) -> Path:
    """Return where a repository's index lives: the user cache unless settings say otherwise."""
    from assistant.config.paths import cache_root

    root = Path(root).resolve()
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    # absolute (not resolved: a link in the cache path keeps the indexes it names): the caches
    # kept beside the index name it by this path, so a relative cache_dir must not change it
    return Path(os.path.abspath(cache_root(settings))) / "index" / f"{root.name}-{digest}.sqlite"


def open_index(
    root: Path,
    settings: Settings,
    *,
    update: bool = True,
    progress: Progress | None = None,
    rebuild: bool = False,
    notice: Notice | None = None,
) -> IndexStore:
    """Open a repository's index, brought up to date first unless `update` is False (damage
    found by the update is repaired); the caller closes it."""
    from assistant.config.paths import cache_notice

    path = db_path_for(root, settings)
    if rebuild:
        remove(path, None)
    store = _open_store(path, notice)
    # Already told once (a warning) by cache_root; kept here for `assistant index --json`.
    store.notice = "; ".join(text for text in (cache_notice(settings), store.notice) if text)
    if update:
        try:
            query_index(
                store, root, settings, _nothing, update=True, progress=progress, notice=notice
            )
        except BaseException:
            store.close()
            raise
    return store


def use_index(
    root: Path,
    settings: Settings,
    work: Callable[[IndexStore], T],
    *,
    update: bool = True,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> T:
    """Open the index, bring it up to date unless `update` is False, run `work` on it, close it;
    return what `work` returned."""
    with open_index(root, settings, update=False, notice=notice) as store:
        return query_index(
            store, root, settings, work, update=update, progress=progress, notice=notice
        )


def query_index(
    store: IndexStore,
    root: Path,
    settings: Settings,
    work: Callable[[IndexStore], T],
    *,
    update: bool = False,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> T:
    """Run `work` on an open store (updated first if `update`); when the database turns out to
    be damaged, keep it aside, rebuild the index in its place and run `work` once more."""

    def attempt(refresh: bool) -> T:
        """Run the work once, updating the index first if `refresh`."""
        with store_errors(store.db_path):
            if refresh:
                update_index(store, Path(root).resolve(), settings.max_file_bytes, progress)
            return work(store)

    try:
        return attempt(update)
    except IndexCorrupted as error:
        _tell(notice, store.start_over(error.__cause__ or error))
    try:
        return attempt(True)  # the new database is empty: always fill it first
    except IndexCorrupted as error:
        raise IndexStoreError(
            f"the index at {store.db_path} was damaged again right after a rebuild ({error})",
            hint="the disk may be failing; set cache_dir (or ASSISTANT_CACHE_DIR) elsewhere",
        ) from error


def _open_store(path: Path, notice: Notice | None) -> IndexStore:
    """Open the store at `path`, or in the private temp folder when that cannot be written."""
    from assistant.config.paths import private_temp_dir

    try:
        store = IndexStore(path)
    except (OSError, IndexStoreError) as error:
        fallback = private_temp_dir() / "index" / path.name
        reason = error.strerror if isinstance(error, OSError) else error.one_line()
        text = f"the index cannot be written at {path} ({reason}); using {fallback}"
        try:
            store = IndexStore(fallback)
        except OSError as second:
            raise IndexStoreError(
                f"cannot write the index at {path} ({reason}) nor at {fallback} "
                f"({second.strerror})",
                hint=CACHE_HINT,
            ) from second
        store.notice = "; ".join(part for part in (text, store.notice) if part)
    if store.notice:
        _tell(notice, store.notice)
    return store


def _tell(notice: Notice | None, text: str) -> None:
    """Give a notice to the caller's receiver, or log it as a warning when there is none."""
    if notice is not None:
        notice(text)
    else:
        log.warning("%s", text)


def _nothing(store: IndexStore) -> None:
    """Do no work (an update alone)."""
