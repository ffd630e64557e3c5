"""Reading records back from the index: files, definitions, references, chunks, symbol names.

Each function takes the store's connection and returns the index's own records (model.py), or,
where one call may return a million rows, plain tuples of a stated shape.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from assistant.index.model import Chunk, FileRecord, Reference, Symbol
from assistant.index.packed import CHUNK_SOURCE, TEXT_JOIN, ChunkTexts

# Every column of a Symbol, joined to its file's path.
SYMBOLS = (
    "SELECT f.path, s.name, s.kind, s.start_line, s.end_line, s.signature, s.parent "
    "FROM symbols s JOIN files f ON f.id = s.file_id"
)
# The definitions' own table, by row (the symbols view has no row ids), with names and paths.
SYMBOL_ROWS = (
    "symbol_rows s JOIN names n ON n.id = s.name_id JOIN names k ON k.id = s.kind_id "
    "JOIN files f ON f.id = s.file_id"
)
FILES = "SELECT path, language, size, mtime_ns, sha, n_lines FROM files"
# Names starting with a prefix, ignoring case, as a range on the lower(name) index (LIKE scans).
PREFIX = "lower(s.name) >= ? AND lower(s.name) < ?"
ROWID_BATCH = 500  # row ids per query (SQLite bounds the parameters of one statement)


def marks(values: Collection[object]) -> str:
    """Return one SQL parameter mark per value, for `IN (...)`."""
    return ",".join("?" * len(values))


def files(conn: sqlite3.Connection) -> list[FileRecord]:
    """Return every indexed file, by path."""
    return [FileRecord(*row) for row in conn.execute(f"{FILES} ORDER BY path")]


def file_stats(conn: sqlite3.Connection) -> dict[str, tuple[int, int, str]]:
    """Return every indexed file's (size, mtime_ns, sha): what an update compares (plain
    tuples: at 100,000 files, whole records took twice as long to read)."""
    rows = conn.execute("SELECT path, size, mtime_ns, sha FROM files")
    return {path: (size, mtime, sha) for path, size, mtime, sha in rows}


def line_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Return every indexed file's number of lines, by path."""
    return dict(conn.execute("SELECT path, n_lines FROM files ORDER BY path"))


def file(conn: sqlite3.Connection, path: str) -> FileRecord | None:
    """Return one file's record, if indexed."""
    row = conn.execute(f"{FILES} WHERE path = ?", (path,)).fetchone()
    return FileRecord(*row) if row else None


def symbols(conn: sqlite3.Connection, path: str | None, name: str | None) -> list[Symbol]:
    """Return definitions, optionally of one file and/or with one name."""
    where, args = _filters(path, name)
    rows = conn.execute(f"{SYMBOLS} {where} ORDER BY f.path, s.start_line", args)
    return [Symbol(*row) for row in rows]


def symbols_by_rowid(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, Symbol]:
    """Return the definitions stored in these rows (a row rewritten since is missing)."""
    rows = rows_in(
        conn,
        "SELECT s.rowid, f.path, n.name, k.name, s.start_line, s.end_line, s.signature, "
        f"s.parent FROM {SYMBOL_ROWS} WHERE s.rowid IN ({{}})",
        rowids,
    )
    return {row[0]: Symbol(*row[1:]) for row in rows}


def rows_in(conn: sqlite3.Connection, query: str, values: Sequence[Any]) -> Iterator[Any]:
    """Yield the rows of `query` whose IN list (its `{}`) holds `values`, ROWID_BATCH values a
    statement (SQLite bounds a statement's parameters)."""
    for start in range(0, len(values), ROWID_BATCH):
        part = list(values[start : start + ROWID_BATCH])
        yield from conn.execute(query.format(marks(part)), part)


def symbol_count(conn: sqlite3.Connection) -> int:
    """Return how many definitions the index holds."""
    return int(conn.execute("SELECT count(*) FROM symbol_rows").fetchone()[0])


def references(conn: sqlite3.Connection, path: str | None, name: str | None) -> list[Reference]:
    """Return references, optionally of one file and/or to one name, by path and line."""
    where, args = _filters(path, name, table="r")
    rows = conn.execute(
        "SELECT f.path, r.name, r.kind, r.lines "
        f"FROM refs r JOIN files f ON f.id = r.file_id {where} ORDER BY f.path, r.name, r.kind",
        args,
    )
    found = [
        Reference(path, name, kind, int(line))
        for path, name, kind, lines in rows
        for line in lines.split()
    ]
    return sorted(found, key=lambda ref: (ref.path, ref.line))


def chunks(conn: sqlite3.Connection, path: str | None) -> list[Chunk]:
    """Return search chunks, optionally of one file."""
    where, args = ("WHERE f.path = ?", (path,)) if path else ("", ())
    rows = conn.execute(
        f"SELECT f.path, c.start_line, c.end_line, c.symbol, {CHUNK_SOURCE} "
        f"FROM chunks c JOIN files f ON f.id = c.file_id {TEXT_JOIN} {where} "
        "ORDER BY f.path, c.start_line",
        args,
    )
    texts = ChunkTexts(conn)
    return [
        Chunk(path, start, end, texts(*text), symbol) for path, start, end, symbol, *text in rows
    ]


def with_texts(conn: sqlite3.Connection, chunks: Sequence[Chunk]) -> list[Chunk]:
    """Return the chunks with their text; a chunk no longer in the index (its file changed
    since it was found) keeps its empty text rather than show other lines under its name."""
    texts = ChunkTexts(conn)
    filled = []
    for chunk in chunks:
        row = conn.execute(
            f"SELECT {CHUNK_SOURCE} FROM chunks c JOIN files f ON f.id = c.file_id {TEXT_JOIN} "
            "WHERE f.path = ? AND c.start_line = ? AND c.end_line = ? AND c.symbol IS ?",
            (chunk.path, chunk.start_line, chunk.end_line, chunk.symbol),
        ).fetchone()
        filled.append(chunk if row is None else chunk._replace(text=texts(*row)))
    return filled


def search_symbols(conn: sqlite3.Connection, name_query: str, limit: int) -> list[Symbol]:
    """Return definitions whose name matches exactly, ignoring case, by prefix, or fuzzily."""
    found: dict[tuple[str, str, int], Symbol] = {}
    for sql, arg in (
        ("s.name = ?", name_query),
        ("lower(s.name) = lower(?)", name_query),
        (PREFIX, name_query),
    ):
        for symbol in _symbols_where(conn, sql, arg, limit):
            found.setdefault((symbol.path, symbol.name, symbol.start_line), symbol)
        if len(found) >= limit:
            return list(found.values())[:limit]
    for symbol in _fuzzy_symbols(conn, name_query, limit):
        found.setdefault((symbol.path, symbol.name, symbol.start_line), symbol)
    return list(found.values())[:limit]


def _symbols_where(conn: sqlite3.Connection, condition: str, arg: str, limit: int) -> list[Symbol]:
    """Return up to `limit` definitions meeting one condition on the name."""
    args = _prefix_range(arg) if condition == PREFIX else (arg,)
    rows = conn.execute(f"{SYMBOLS} WHERE {condition} LIMIT ?", (*args, limit))
    return [Symbol(*row) for row in rows]


def _fuzzy_symbols(conn: sqlite3.Connection, name_query: str, limit: int) -> list[Symbol]:
    """Return definitions whose name is close to `name_query` (sharing its first two letters)."""
    if len(name_query) < 3:
        return []
    names = [row[0] for row in conn.execute(
        f"SELECT s.name FROM names s WHERE {PREFIX} "  # (s: PREFIX's table)
        "AND EXISTS (SELECT 1 FROM symbol_rows WHERE name_id = s.id)",
        _prefix_range(name_query[:2]),
    )]  # fmt: skip
    close = difflib.get_close_matches(name_query, names, n=10, cutoff=0.75)
    result = []
    for name in close:
        result += _symbols_where(conn, "s.name = ?", name, limit)
    return result[:limit]


def _filters(path: str | None, name: str | None, table: str = "s") -> tuple[str, tuple[str, ...]]:
    """Return the WHERE clause (and its arguments) for an optional file and name."""
    clauses, args = [], []
    if path is not None:
        clauses.append("f.path = ?")
        args.append(path)
    if name is not None:
        clauses.append(f"{table}.name = ?")
        args.append(name)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)


def _prefix_range(text: str) -> tuple[str, str]:
    """Return the bounds of names starting with `text`, ignoring case, for `PREFIX`."""
    low = text.lower()
    return low, low + "\U0010ffff"


# What a search reads: the full-text index, the symbols and their name indexes, the chunks.
WARM_READS = (
    "SELECT max(substr(block, -1)) FROM chunks_fts_data",
    "SELECT count(*) FROM chunks_fts_idx",
    "SELECT max(substr(sz, -1)) FROM chunks_fts_docsize",
    "SELECT count(*) FROM symbol_rows INDEXED BY symbols_name WHERE name_id > 0",
    "SELECT count(*) FROM names INDEXED BY names_lower WHERE lower(name) > ''",
    "SELECT max(substr(name, -1)) FROM names",
    "SELECT max(end_line) FROM symbol_rows",
    "SELECT max(end_line) FROM chunks",
    "SELECT max(substr(packed, -1)) FROM file_texts",
    "SELECT max(path) FROM files",
)


def warm(conn: sqlite3.Connection) -> None:
    """Read the pages a search touches once, so the first searches of a long-lived process
    find them in the connection's page cache instead of reading them one by one."""
    for statement in WARM_READS:
        conn.execute(statement).fetchall()
