"""One file's rows in the index tables: what the parse workers compute for FTS5 and the file's
packed text, and writing a new file or an edited one (whose unchanged chunks keep their ids and
their FTS5 entries).

What FTS5 indexes of a chunk beyond its text (the words of its symbol's name, the parts of its
camelCase words) is made from the chunk's symbol and text by `fts_names` and `hump_parts`,
never stored: an external-content FTS5 table forgets a row when told its values again, so these
must give the same words for the same chunk for as long as an index lives (a change to them
needs a new schema version)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain

from assistant.index.model import Chunk, FileRecord, ParsedFile
from assistant.index.packed import CHUNK_SOURCE, TEXT_JOIN, ChunkTexts, pack
from assistant.index.reads import rows_in
from assistant.index.tokens import code_tokens, hump_parts

# Path words; per chunk: names, hump parts; the file's bytes packed (packed.py).
FileTerms = tuple[str, tuple[tuple[str, str], ...], bytes]
IndexedFile = tuple[FileRecord, ParsedFile, FileTerms]
FtsRow = tuple[int, str, str, str]  # what FTS5 indexes of a chunk: rowid, path, names, body
NamedChunk = tuple[Chunk, str, str]  # a chunk with its names and hump parts
FTS_BATCH = 5_000  # chunks whose FTS5 values are made at a time
# The chunk_terms view's names and body (schema.py), for SQLite's own reads of FTS5's content.
CHUNK_NAMES = "chunk_names(c.symbol)"
CHUNK_BODY = f"chunk_body({CHUNK_SOURCE})"


def fts_names(symbol: str | None) -> str:
    """Return what FTS5's names column holds for a chunk of this symbol."""
    return " ".join(code_tokens(symbol or ""))


def fts_body(text: str, extra: str) -> str:
    """Return what FTS5's body column holds for a chunk: its text, then its hump parts."""
    return f"{text}\n{extra}"


def register_content(conn: sqlite3.Connection) -> None:
    """Give a connection the SQL functions of the chunk_terms view (`CHUNK_NAMES`,
    `CHUNK_BODY`), for FTS5's own reads of its content (its integrity check): no other query
    calls Python (see packed.py)."""
    texts = ChunkTexts(conn)

    def body(packed: bytes | None, start: int | None, end: int | None) -> str:
        text = texts(packed, start, end)
        return fts_body(text, hump_parts(text))

    conn.create_function("chunk_names", 1, fts_names, deterministic=True)
    conn.create_function("chunk_body", 3, body, deterministic=True)


def path_terms(path: str) -> str:
    """Return what FTS5's path column holds for the chunks of the file at `path`."""
    return " ".join(code_tokens(path))


def file_terms(parsed: ParsedFile, data: bytes, dictionary: bytes | None = None) -> FileTerms:
    """Return what FTS5 needs beyond the text itself, and the file's bytes (`data`) packed
    with the index's `dictionary` (computed in the parse workers)."""
    return (
        path_terms(parsed.path),
        tuple((fts_names(c.symbol), hump_parts(c.text)) for c in parsed.chunks),
        pack(data, dictionary),
    )


def insert_file(
    conn: sqlite3.Connection,
    record: FileRecord,
    result: ParsedFile,
    terms: FileTerms,
    first_chunk: int,
    *,
    plain: bool = False,
) -> list[FtsRow]:
    """Insert a new file's rows, its chunks with ids from `first_chunk` on; return what FTS5
    is to index of them (the caller indexes it). `plain`: into a shard's plain tables, which
    spell names and kinds (schema.TABLES), not the index's ids."""
    file_id = conn.execute(
        "INSERT INTO files (path, language, size, mtime_ns, sha, n_lines, terms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (*record.row(), terms[0]),
    ).lastrowid
    _insert_definitions(conn, file_id or 0, result, plain)
    conn.execute("INSERT INTO file_texts VALUES (?, ?)", (file_id, terms[2]))
    chunks = [(c, *t) for c, t in zip(result.chunks, terms[1], strict=True)]
    return _insert_chunks(conn, file_id or 0, terms[0], chunks, first_chunk)


def write_file(
    conn: sqlite3.Connection,
    record: FileRecord,
    result: ParsedFile,
    terms: FileTerms,
    first_chunk: int,
) -> list[FtsRow]:
    """Write a file's rows, new or edited: an edited file keeps the ids (and FTS5 entries) of
    chunks whose text did not change and only moves their lines; its chunks that are gone leave
    FTS5 and the table. New chunks take ids from `first_chunk` on; return what FTS5 is to index
    of them (the caller indexes it)."""
    row = conn.execute("SELECT id FROM files WHERE path = ?", (record.path,)).fetchone()
    if row is None:
        return insert_file(conn, record, result, terms, first_chunk)
    file_id = row[0]
    conn.execute(
        "UPDATE files SET language = ?, size = ?, mtime_ns = ?, sha = ?, n_lines = ?, terms = ? "
        "WHERE id = ?",
        (*record.row()[1:], terms[0], file_id),
    )
    conn.execute("DELETE FROM symbol_rows WHERE file_id = ?", (file_id,))
    conn.execute("DELETE FROM ref_rows WHERE file_id = ?", (file_id,))
    _insert_definitions(conn, file_id, result)
    # A chunk's FTS5 terms follow from its text and symbol: the two say whether it changed.
    old: dict[tuple[str, str | None], list[tuple[int, int, int]]] = {}
    texts = ChunkTexts(conn)
    for chunk_id, start, end, symbol, *text in conn.execute(
        f"SELECT c.id, c.start_line, c.end_line, c.symbol, {CHUNK_SOURCE} "
        f"FROM chunks c {TEXT_JOIN} WHERE c.file_id = ? ORDER BY c.id",
        (file_id,),
    ):
        old.setdefault((texts(*text), symbol), []).append((chunk_id, start, end))
    moved: list[tuple[int, int, int]] = []
    fresh: list[NamedChunk] = []
    for chunk, names, extra in zip(result.chunks, *zip(*terms[1], strict=True), strict=True):
        same = old.get((chunk.text, chunk.symbol))
        if not same:
            fresh.append((chunk, names, extra))
            continue
        chunk_id, start, end = same.pop(0)
        if (start, end) != (chunk.start_line, chunk.end_line):
            moved.append((chunk.start_line, chunk.end_line, chunk_id))
    conn.executemany("UPDATE chunks SET start_line = ?, end_line = ? WHERE id = ?", moved)
    # Gone chunks leave FTS5 while the old text is still there to tell it their terms.
    stale = [chunk_id for rows in old.values() for chunk_id, _, _ in rows]
    for at in range(0, len(stale), 500):  # (a query holds at most 32,766 values)
        some = stale[at : at + 500]
        forget_chunks(conn, f"c.id IN ({','.join('?' * len(some))})", some)
    conn.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in stale])
    conn.execute("INSERT OR REPLACE INTO file_texts VALUES (?, ?)", (file_id, terms[2]))
    return _insert_chunks(conn, file_id, terms[0], fresh, first_chunk)


def add_to_fts(conn: sqlite3.Connection, rows: Iterable[FtsRow]) -> None:
    """Index chunks in FTS5 from their values (as `insert_file` and `write_file` return them)."""
    conn.executemany("INSERT INTO chunks_fts (rowid, path, names, body) VALUES (?, ?, ?, ?)", rows)


def forget_chunks(conn: sqlite3.Connection, where: str, args: Sequence[object]) -> None:
    """Take the chunks `where` selects out of FTS5 (before their rows or text change: an
    external-content FTS5 table forgets a row when told its indexed values again)."""
    for batch in fts_values(conn, where, args):
        conn.executemany(
            "INSERT INTO chunks_fts (chunks_fts, rowid, path, names, body) "
            "VALUES ('delete', ?, ?, ?, ?)",
            batch,
        )


def fts_values(
    conn: sqlite3.Connection, where: str, args: Sequence[object]
) -> Iterator[list[FtsRow]]:
    """Yield, in batches, (rowid, path, names, body) of the chunks `where` selects, as the
    chunk_terms view has them, made in Python from the packed texts (see packed.py)."""
    texts = ChunkTexts(conn)
    rows = conn.execute(
        f"SELECT c.id, f.terms, c.symbol, {CHUNK_SOURCE} FROM chunks c "
        f"JOIN files f ON f.id = c.file_id {TEXT_JOIN} WHERE {where} ORDER BY c.id",
        list(args),
    )
    while batch := rows.fetchmany(FTS_BATCH):
        values = []
        for i, terms, symbol, *source in batch:
            text = texts(*source)
            values.append((i, terms, fts_names(symbol), fts_body(text, hump_parts(text))))
        yield values


def _insert_definitions(
    conn: sqlite3.Connection, file_id: int, result: ParsedFile, plain: bool = False
) -> None:
    lines: dict[tuple[str, str], list[int]] = {}
    for ref in result.references:
        lines.setdefault((ref.name, ref.kind), []).append(ref.line)
    # A shard's plain tables spell names and kinds; the index's own hold their ids.
    words = [w for s in result.symbols for w in (s.name, s.kind)] + [*chain(*lines)]
    word: Callable[[str], object] = str if plain else name_ids(conn, words).__getitem__
    symbols, refs = ("symbols", "refs") if plain else ("symbol_rows", "ref_rows")
    conn.executemany(
        f"INSERT INTO {symbols} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(file_id, word(s.name), word(s.kind), s.start_line, s.end_line, s.signature, s.parent)
         for s in result.symbols],
    )  # fmt: skip
    conn.executemany(
        f"INSERT INTO {refs} VALUES (?, ?, ?, ?, ?)",
        [(file_id, word(name), word(kind), len(at), " ".join(map(str, at)))
         for (name, kind), at in lines.items()],
    )  # fmt: skip


def name_ids(conn: sqlite3.Connection, words: Iterable[str]) -> dict[str, int]:
    """Return the ids of these names and kinds in the `names` table, adding the new ones."""
    wanted = list(dict.fromkeys(words))
    conn.executemany("INSERT OR IGNORE INTO names (name) VALUES (?)", [(w,) for w in wanted])
    return dict(rows_in(conn, "SELECT name, id FROM names WHERE name IN ({})", wanted))


def _insert_chunks(
    conn: sqlite3.Connection, file_id: int, path: str, chunks: list[NamedChunk], first_chunk: int
) -> list[FtsRow]:
    """Insert (chunk, names, hump parts) rows with ids from `first_chunk`; return what FTS5 is
    to index of them (`path`: the file's path words)."""
    conn.executemany(
        "INSERT INTO chunks (id, file_id, start_line, end_line, symbol) VALUES (?, ?, ?, ?, ?)",
        [(i, file_id, c.start_line, c.end_line, c.symbol)
         for i, (c, _, _) in enumerate(chunks, start=first_chunk)],
    )  # fmt: skip
    return [(i, path, names, fts_body(c.text, extra))
            for i, (c, names, extra) in enumerate(chunks, start=first_chunk)]  # fmt: skip
