"""Bring the index up to date: reparse only what changed, on every core when it is worth it."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from assistant.index.bulk import bulk_index
from assistant.index.model import IndexStats, Unindexed
from assistant.index.packed import train
from assistant.index.parse import (
    ParseOutcome,
    digest,
    parse_in_worker,
    parse_one,
    sample_files,
    use_dictionary,
)
from assistant.index.reparse import TreeCache
from assistant.index.rows import IndexedFile
from assistant.index.store import IndexStore
from assistant.walk import through_link
from assistant.workspace import (
    CONTENT_REASONS,
    Listing,
    list_files,
    skip_fingerprint,
    skip_mark,
)

POOL_THRESHOLD = 64  # below this many files, starting worker processes costs more than it saves
WRITE_BATCH = 400
BULK_THRESHOLD = 1_000  # changed files from which shard workers and remade indexes pay off
TRAIN_FROM = 256  # changed files from which an index without a packing dictionary trains one
TRAIN_FILES = 1_000  # ...on this many of them (0.1 s), spread over the list
TRAIN_BYTES = 8 * 1024**2
# Files re-indexed in this process (edits in a long-lived front end) re-parse incrementally.
RECENT_TREES = TreeCache()

Progress = Callable[[int, int], None]


def update_index(
    store: IndexStore, root: Path, max_bytes: int, progress: Progress | None = None
) -> IndexStats:
    """Reparse changed files, drop deleted ones; return what happened."""
    started = time.perf_counter()
    known = store.file_stats()
    # A first build checks contents as it parses (in the workers, in parallel, as they read
    # each file anyway). Later updates sniff while listing: the files skipped for their contents are
    # not in the store, and unsniffed they would all look new, every time.
    fingerprint = skip_fingerprint(root, max_bytes)
    remembered = store.skipped_files(fingerprint)
    # Under other rules (an edited .assistantignore, a new size limit) the indexed files are
    # judged again too: a file the user now ignores must leave the index, unchanged or not.
    listing = list_files(
        root, max_bytes, {p: (size, mtime) for p, (size, mtime, _) in known.items()},
        sniff=bool(known),
        remembered=remembered or {},
        judge_known=remembered is None,
    )  # fmt: skip
    if remembered is None or listing.marks != remembered:
        store.remember_skipped(fingerprint, listing.marks)
    stats = IndexStats(files=len(listing.files), skipped=listing.skipped, notice=store.notice)
    current = set(listing.files)
    removed = [path for path in known if path not in current]
    fresh = [path for path in listing.files if path not in listing.unchanged]
    changed, touched = _changed_files(root, fresh, known)
    stats.unchanged = len(listing.files) - len(changed)
    stats.added = sum(1 for path in changed if path not in known)
    store.touch(touched)
    workers = os.cpu_count() or 1
    if len(changed) >= BULK_THRESHOLD and workers >= 2:
        dictionary = _dictionary(store, root, list(changed))
        judged = _bulk(store, root, changed, removed, workers, stats, progress, dictionary)
    else:
        dictionary = _dictionary(store, root, list(changed))
        judged = _incremental(store, root, list(changed), removed, stats, progress, dictionary)
    _remember_content_skips(store, root, fingerprint, listing.marks, judged)
    stats.removed = len([p for p in known if p not in current])
    stats.symbols = store.symbol_count()
    stats.seconds = time.perf_counter() - started
    store.last_stats = stats
    return stats


def update_paths(store: IndexStore, root: Path, paths: Sequence[str], max_bytes: int) -> IndexStats:
    """Re-index the named files only (an editor saved them, an agent edited, made or removed
    them): the listing's rules applied to these paths alone, not to the whole repository (at
    100,000 files a new file indexed in ~20 ms, not 1.3 s).

    Under other rules than the index was listed by (an edited .assistantignore may now leave
    out a file the index holds), or for a path that is not a clean relative one, the whole
    update runs through `update_index` instead.
    """
    started = time.perf_counter()
    wanted = list(dict.fromkeys(paths))
    if store.skip_rules() != skip_fingerprint(root, max_bytes) or not all(
        map(_clean_relative, wanted)
    ):
        return update_index(store, root, max_bytes)
    records = {
        path: (record.size, record.mtime, record.sha)
        for path in wanted
        if (record := store.file(path)) is not None
    }
    # An indexed file still a plain one within the limit was listed and judged before: only
    # its content changed. Any other path (new, gone, now a link...) is listed and judged.
    edited = [path for path in records if _plain_file(root, path, max_bytes)]
    others = [path for path in wanted if path not in edited]
    listing = list_files(root, max_bytes, only=others) if others else Listing()
    files = len(edited) + len(listing.files)
    stats = IndexStats(files=files, skipped=listing.skipped, notice=store.notice)
    changed, touched = _changed_files(root, edited + listing.files, records)
    store.touch(touched)
    present = {*edited, *listing.files}
    removed = [path for path in records if path not in present]
    dictionary = store.pack_dictionary()
    _incremental(store, root, list(changed), list(removed), stats, None, dictionary)
    stats.unchanged = stats.files - len(changed)
    stats.added = sum(1 for path in changed if path not in records)
    stats.removed = len(removed)
    stats.seconds = time.perf_counter() - started
    store.last_stats = stats
    return stats


def _plain_file(root: Path, path: str, max_bytes: int) -> bool:
    """Return whether `path` is a regular file of at most `max_bytes`, reached through no link
    (neither it nor a folder on its way: a folder replaced by a link leads outside) and not
    hard-linked (a secrets file may have another name)."""
    try:
        status = os.lstat(os.path.join(root, path))
    except OSError:
        return False
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_nlink == 1
        and status.st_size <= max_bytes
        and not through_link(str(root) + os.sep, path.rpartition("/")[0], {})
    )


def _clean_relative(path: str) -> bool:
    """Return whether `path` is a plain relative POSIX path inside the root (no `..`, `.`,
    empty part, backslash or leading slash): one a listing could hold, as it spells it."""
    parts = path.split("/")
    return bool(path) and "\\" not in path and all(p not in ("", ".", "..") for p in parts)


def _incremental(
    store: IndexStore,
    root: Path,
    changed: list[str],
    removed: list[str],
    stats: IndexStats,
    progress: Progress | None,
    dictionary: bytes | None,
) -> list[Unindexed]:
    """Parse changed files (on a pool when there are many) and write them in batches, their
    texts packed with `dictionary`; return the files found not worth indexing when read."""
    batch: list[IndexedFile] = []
    judged: list[Unindexed] = []
    for done, outcome in enumerate(_parse_all(root, changed, dictionary), start=1):
        if isinstance(outcome, Unindexed):
            _record(stats, outcome)
            if outcome.reason in CONTENT_REASONS:
                removed.append(outcome.path)  # it was indexed before it became binary
                judged.append(outcome)
        else:
            batch.append(outcome)
            stats.parsed += 1
        if len(batch) >= WRITE_BATCH:
            store.write(batch, removed)
            removed, batch = [], []
        if progress is not None:
            progress(done, len(changed))
    store.write(batch, removed)
    return judged


def _bulk(
    store: IndexStore,
    root: Path,
    changed: dict[str, int],
    removed: list[str],
    workers: int,
    stats: IndexStats,
    progress: Progress | None,
    dictionary: bytes | None,
) -> list[Unindexed]:
    """Index many files through worker shards, their texts packed with `dictionary`, with the
    secondary indexes dropped meanwhile; return the files found not worth indexing when read."""
    store.write((), removed)
    store.begin_bulk()
    left_out = []
    judged = []
    try:
        for path, unindexed in bulk_index(store, root, changed, workers, progress, dictionary):
            if unindexed is None:
                stats.parsed += 1
            else:
                _record(stats, unindexed)
                left_out.append(path)
                if unindexed.reason in CONTENT_REASONS:
                    judged.append(unindexed)
    finally:
        store.end_bulk()
    store.write((), [path for path in left_out if store.file(path) is not None])
    return judged


def _record(stats: IndexStats, item: Unindexed) -> None:
    """Count a file left out: skipped for its reason, unreadable ones also as errors."""
    if item.reason == "unreadable":
        stats.errors[item.path] = item.detail
    elif item.reason in CONTENT_REASONS:
        stats.files -= 1  # listed, but found not worth indexing only when read
    stats.skipped.setdefault(item.reason, []).append(item.path)


def _changed_files(
    root: Path, paths: Sequence[str], known: dict[str, tuple[int, int, str]]
) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """Return files to reparse (with their sizes, in listing order), and (path, size, mtime)
    of files touched but not changed; `known` holds the indexed files' (size, mtime, sha)."""
    changed: dict[str, int] = {}
    touched = []
    for path in paths:
        record = known.get(path)
        try:
            status = os.stat(os.path.join(root, path))
        except OSError:
            continue  # deleted since the listing: the next update removes it
        if record is not None and record[:2] == (status.st_size, status.st_mtime_ns):
            continue
        if record is not None and record[0] == status.st_size and _sha(root / path) == record[2]:
            touched.append((path, status.st_size, status.st_mtime_ns))
            continue
        changed[path] = status.st_size
    return changed, touched


def _remember_content_skips(
    store: IndexStore,
    root: Path,
    fingerprint: str,
    marks: dict[str, tuple[int, int, str]],
    judged: list[Unindexed],
) -> None:
    """Remember the files the parse found not worth indexing (binaries, generated code): a
    first build does not sniff while listing, and without this the next update would open
    every one of them again to find out. Only with the stat they were read at: a file changed
    since is judged again next time."""
    found = dict(marks)
    for item in judged:
        mark = skip_mark(os.path.join(root, item.path), item.reason)
        if item.path not in found and mark is not None and mark[:2] == item.judged:
            found[item.path] = mark
    if len(found) != len(marks):
        store.remember_skipped(fingerprint, found)


def _dictionary(store: IndexStore, root: Path, changed: list[str]) -> bytes | None:
    """Return the dictionary new texts are packed with: a big update of an index without one
    first trains it on a sample of the files it is about to parse (see packed.py)."""
    if not changed:
        return None  # nothing to pack: no reason to read the dictionary
    current = store.pack_dictionary()
    if current is not None or len(changed) < TRAIN_FROM:
        return current
    trained = train(sample_files(str(root), changed, TRAIN_FILES, TRAIN_BYTES))
    if trained is None or not store.keep_dictionary(trained):
        return None
    return trained


def _parse_all(root: Path, paths: list[str], dictionary: bytes | None) -> Iterator[ParseOutcome]:
    """Parse files here when they are few, else on a pool of every core, in order."""
    if len(paths) < POOL_THRESHOLD or (os.cpu_count() or 1) < 2:
        for path in paths:
            yield parse_one(str(root), path, RECENT_TREES, dictionary)
        return
    workers = os.cpu_count() or 2
    chunksize = max(1, min(64, len(paths) // (workers * 8)))
    with ProcessPoolExecutor(workers, initializer=use_dictionary, initargs=(dictionary,)) as pool:
        yield from pool.map(parse_in_worker, [str(root)] * len(paths), paths, chunksize=chunksize)


def _sha(path: Path) -> str:
    """Return a file's content hash ("" when it cannot be read)."""
    try:
        return digest(path.read_bytes())
    except OSError:
        return ""
