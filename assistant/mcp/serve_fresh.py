"""Telling cheaply whether a repository's files changed since its index was last brought up to
date, so the server re-indexes before an answer only when something moved.

A full `update_index` lists the repository and stats every listed file: about 0.12 s on
Django's 6,900 files, more than a search. `TreeWatch` asks the file system less: the size and
modification time of every indexed file (against what the index recorded of it), of every file
left out for what it holds (it may now be worth indexing), of every folder above a listed file
(a file made, removed or renamed in a folder changes the folder's time), and of the ignore
files and git's folder (`git add` replaces `.git/index`). When only indexed files changed,
those files are re-indexed alone; any other difference means a full update.

What it cannot see (a file made in a folder that held no listed file, a global ignore file
edited) the server's periodic full update catches; see serve_engine.RESCAN_SECONDS.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.index import FileRecord
from assistant.workspace import CONTENT_REASONS, IGNORE_FILE

# Files skipped for reasons an edit of the file itself can undo; the rest (secret, data,
# vendored, ignored by name) stay skipped whatever they come to hold.
RECHECKED_REASONS = CONTENT_REASONS | {"too large", "unreadable", "not a file"}
WATCHED_EXTRAS = (".gitignore", IGNORE_FILE, ".git", ".git/info/exclude")
Stamp = tuple[int, int] | None  # (size, mtime_ns); None for a path that could not be stat'ed


@dataclass(frozen=True)
class TreeWatch:
    """The stamps of the paths whose change means the index may be out of date."""

    stamps: Mapping[str, Stamp]  # absolute path -> stamp when the index last looked
    indexed: Mapping[str, str]  # the indexed files among them: absolute -> relative path

    @classmethod
    def take(
        cls,
        root: Path,
        records: Iterable[FileRecord],
        skipped: Mapping[str, list[str]],
        earlier: TreeWatch | None = None,
    ) -> TreeWatch:
        """Return the watch for an index holding `records`, with `skipped` left out (reason ->
        paths, from the update that just ran). Folders and skipped files keep the stamp of
        `earlier` when it had them: taken before that update, it cannot miss a change made
        while the update ran."""
        top = str(Path(root).resolve())
        stamps: dict[str, Stamp] = {}
        indexed: dict[str, str] = {}
        folders: set[str] = {""}
        for record in records:
            path = _join(top, record.path)
            stamps[path], indexed[path] = (record.size, record.mtime), record.path
            folders.update(_parents(record.path))
        previous = earlier.stamps if earlier is not None else {}
        for reason, paths in skipped.items():
            for rel in paths:
                if reason != "vendored":
                    folders.update(_parents(rel))
                if reason in RECHECKED_REASONS:
                    path = _join(top, rel)
                    stamps[path] = previous[path] if path in previous else _stamp(path)
        for rel in (*folders, *WATCHED_EXTRAS):
            path = _join(top, rel)
            stamps[path] = previous[path] if path in previous else _stamp(path)
        return cls(stamps, indexed)

    def edited(self) -> list[str] | None:
        """Return the indexed files (relative paths) whose stamps changed, [] when no watched
        path changed, or None when something else did (a folder, a skipped file, an ignore
        file): then only a full update will do."""
        changed = [path for path, stamp in self.stamps.items() if _stamp(path) != stamp]
        if any(path not in self.indexed for path in changed):
            return None
        return [self.indexed[path] for path in changed]

    def restamped(self) -> TreeWatch:
        """Return the same paths stamped as they are now (taken before an update runs)."""
        return TreeWatch({path: _stamp(path) for path in self.stamps}, self.indexed)

    def with_records(self, records: Iterable[FileRecord]) -> TreeWatch:
        """Return the watch with these indexed files stamped as the index now records them."""
        stamps = dict(self.stamps)
        by_rel = {rel: path for path, rel in self.indexed.items()}
        for record in records:
            stamps[by_rel[record.path]] = (record.size, record.mtime)
        return TreeWatch(stamps, self.indexed)


def _stamp(path: str) -> Stamp:
    """Return a path's size and modification time (following links, as the indexer reads)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns)


def _join(top: str, rel: str) -> str:
    """Return the absolute path of a repository-relative POSIX path (the root for "")."""
    return os.path.join(top, rel) if rel else top


def _parents(rel: str) -> list[str]:
    """Return the folders above a relative POSIX path, nearest last ("" is the root)."""
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
