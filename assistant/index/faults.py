"""What can go wrong with the index database, told apart by what fixes it.

    IndexStoreError (assistant.errors)  the index cannot be opened, written or rebuilt: a full
     |                                  disk, a read-only folder, a lock held too long
     +-- IndexCorrupted                 the file is damaged: moving it aside and rebuilding it
                                        from the repository fixes it (the index is a cache)

`store_errors` turns the SQLite errors raised inside it into these; `use_index` and
`query_index` (assistant/index/access.py) are the one place that acts on IndexCorrupted.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import IndexStoreError

SUFFIXES = ("", "-wal", "-shm")
# Primary SQLite result codes (the low byte of an extended code).
DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
CONTENDED = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
NO_SPACE = {sqlite3.SQLITE_FULL}
NOT_WRITABLE = {
    sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_IOERR,
}  # fmt: skip
# A generic SQLite error naming a missing part of the schema: a damaged file, not our SQL.
DAMAGED_WORDS = ("no such table", "no such column", "malformed", "corrupt")
CACHE_HINT = "set cache_dir in the user config, or ASSISTANT_CACHE_DIR, to another folder"

Identity = tuple[int, int]  # (device, inode) of the database file a connection opened


class IndexCorrupted(IndexStoreError):
    """The index database is damaged; rebuilding it from the repository fixes it."""

    hint = "`assistant index --rebuild` rebuilds it from the repository"


@contextmanager
def store_errors(db_path: Path) -> Iterator[None]:
    """Raise the SQLite errors of the block as IndexCorrupted or IndexStoreError.

    Errors of our own making (a closed connection, wrong parameters) pass through unchanged:
    rebuilding would not fix them and their traceback is what finds the bug.
    """
    try:
        yield
    except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.DatabaseError as error:
        raise translate(error, db_path) from error


def translate(error: sqlite3.DatabaseError, db_path: Path) -> IndexStoreError:
    """Return the index error that says what went wrong and what to do about it."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(error)
    if code in DAMAGED or (code == sqlite3.SQLITE_ERROR and _names_damage(text)):
        return IndexCorrupted(f"the index at {db_path} is damaged ({text})")
    if code in CONTENDED:
        return IndexStoreError(
            f"the index at {db_path} stayed locked by another process ({text})",
            hint="try again once the other assistant process has finished",
        )
    if code in NO_SPACE:
        return IndexStoreError(
            f"no space left to write the index at {db_path}",
            hint=f"free some disk space, or {CACHE_HINT} on another disk",
        )
    if code in NOT_WRITABLE:
        return IndexStoreError(f"cannot write the index at {db_path} ({text})", hint=CACHE_HINT)
    return IndexStoreError(
        f"the index at {db_path} failed ({text})",
        hint="`assistant index --rebuild` starts it over",
    )


def identity(path: Path) -> Identity | None:
    """Return the (device, inode) of a file, or None when there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def move_aside(db_path: Path, opened: Identity | None) -> Path | None:
    """Keep a damaged database, with its -wal and -shm, as NAME.corrupt-STAMP for a bug report;
    return the new name, or None when the file is no longer the one we `opened` (another
    process has already replaced it: the new one is left alone)."""
    if opened is not None and identity(db_path) != opened:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%S")
    kept = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    count = 1
    while kept.exists():
        count += 1
        kept = db_path.with_name(f"{db_path.name}.corrupt-{stamp}-{count}")
    try:
        for suffix in SUFFIXES:
            part = Path(f"{db_path}{suffix}")
            if part.exists():
                part.replace(f"{kept}{suffix}")
    except OSError as error:
        raise IndexStoreError(
            f"the index at {db_path} is damaged and cannot be moved aside ({error.strerror})",
            hint=f"delete it by hand, or {CACHE_HINT}",
        ) from error
    return kept


def remove(db_path: Path, opened: Identity | None) -> None:
    """Delete a database and its -wal and -shm, unless another process already replaced it."""
    if opened is not None and identity(db_path) != opened:
        return
    try:
        for suffix in SUFFIXES:
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    except OSError as error:
        raise IndexStoreError(
            f"cannot remove the old index at {db_path} ({error.strerror})", hint=CACHE_HINT
        ) from error


def _names_damage(text: str) -> bool:
    lowered = text.lower()
    return any(words in lowered for words in DAMAGED_WORDS)
