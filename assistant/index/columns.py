"""Many rows read as numpy columns: SQLite joins each column's values into one text that numpy
parses, instead of a Python tuple per row (at 100,000 files, the reference graph's million
definitions and two million uses read in ~3 s instead of ~7, the map's million symbols with
their signatures in ~2 s instead of ~5)."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from assistant.index.reads import marks

SYMBOL_BATCH = 10_000  # symbols a read joins the signatures of (0.5 MB; 8 MB at most)
T = TypeVar("T")


def integer_rows(
    conn: sqlite3.Connection, query: str, args: Sequence[object], width: int
) -> np.ndarray:
    """Return the rows of `query`, `width` integer columns none of them NULL, as an (n, width)
    int64 array, in an order SQLite chooses (the same for every column: one aggregate pass)."""
    columns = ", ".join(f"c{i}" for i in range(width))
    joined = ", ".join(f"group_concat(c{i})" for i in range(width))
    count, *texts = conn.execute(
        f"WITH q({columns}) AS ({query}) SELECT count(*), {joined} FROM q", args
    ).fetchone()
    rows = np.empty((count, width), dtype=np.int64)
    for i in range(width):
        rows[:, i] = _integers(texts[i] or "", count)
        texts[i] = None  # (each text goes once parsed: at 100,000 files, tens of megabytes)
    return rows


def _integers(text: str, count: int) -> np.ndarray:
    """Return the `count` integers of a comma-separated text, or raise ValueError."""
    wrong = ValueError("a column read in bulk holds something other than whole numbers")
    with warnings.catch_warnings():  # (older numpy warns and stops where newer raises)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            values = np.fromstring(text, dtype=np.int64, sep=",") if count else np.zeros(0)
        except ValueError:
            raise wrong from None
    if len(values) != count or text.count(",") != max(count - 1, 0):
        raise wrong
    return values.astype(np.int64, copy=False)


def _characters(text: str, sizes: np.ndarray) -> np.ndarray:
    """Return how many characters each of the strings joined in `text` has, from their sizes
    in UTF-8 bytes (SQLite counts a text's characters only up to a NUL in it)."""
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    if int(sizes.sum()) != len(data) or np.any(sizes < 0):
        raise ValueError("the signatures read in bulk disagree with their sizes")
    starts = np.zeros(len(data) + 1, dtype=np.int32)  # characters before each byte
    np.cumsum((data & 0xC0) != 0x80, out=starts[1:])  # (a character's first byte)
    ends = np.cumsum(sizes)
    return starts[ends] - starts[ends - sizes]


@dataclass(frozen=True)
class SymbolColumns:
    """A batch of definitions as columns, their signatures joined into one text."""

    rowid: np.ndarray
    file_id: np.ndarray
    name_id: np.ndarray
    start_line: np.ndarray
    signature_chars: np.ndarray  # each signature's length in characters (0: none)
    signatures: str  # the signatures, one after another


def symbol_columns(
    conn: sqlite3.Connection,
    kinds: Collection[str],
    path: str | None,
    each: Callable[[SymbolColumns], T],
) -> list[T]:
    """Return what `each` makes of the definitions of these kinds (of one file, or all), in
    batches by row id, all read in one transaction: a file written again between two batches
    is never read twice."""
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        return [each(batch) for batch in _symbol_batches(conn, kinds, path)]
    finally:
        if began:
            conn.execute("COMMIT")  # (a read: nothing to keep or undo)


def _symbol_batches(
    conn: sqlite3.Connection, kinds: Collection[str], path: str | None
) -> Iterator[SymbolColumns]:
    ordered = sorted(kinds)
    where = f"s.kind_id IN (SELECT id FROM names WHERE name IN ({marks(ordered)}))"
    args: tuple[object, ...] = tuple(ordered)
    if path is not None:
        where += " AND s.file_id = (SELECT id FROM files WHERE path = ?)"
        args += (path,)
    after = -(2**63)
    while True:
        count, *numbers, text = conn.execute(
            "WITH q AS (SELECT s.rowid AS r, s.file_id AS f, s.name_id AS n, "
            "ifnull(s.start_line, 0) AS l, ifnull(s.signature, '') AS t FROM symbol_rows s "
            f"WHERE {where} AND s.rowid > ? ORDER BY s.rowid LIMIT ?) "
            "SELECT count(*), group_concat(r), group_concat(f), group_concat(n), "
            "group_concat(l), group_concat(length(CAST(t AS BLOB))), group_concat(t, '') FROM q",
            (*args, after, SYMBOL_BATCH),
        ).fetchone()
        if not count:
            return
        rowid, file_id, name_id, start_line, sizes = (_integers(t, count) for t in numbers)
        chars = _characters(text or "", sizes)
        yield SymbolColumns(rowid, file_id, name_id, start_line, chars, text or "")
        after = int(rowid[-1])
