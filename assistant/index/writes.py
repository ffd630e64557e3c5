"""Write transactions on the index database, and the generation log they keep.

Every write is one transaction that bumps the database's generation and logs which paths it
changed, so readers in any process can tell their derived data (graphs, maps) is stale, and
long-lived ones can bring it forward from the paths changed since (`changed_since`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.index.rows import (
    FtsRow,
    IndexedFile,
    add_to_fts,
    forget_chunks,
    write_file,
)
from assistant.index.schema import TABLES

CHANGE_LOG = 256  # generations whose changed paths are kept
NO_MTIME = -(2**63)  # 1677: before any file system's earliest time
GENERATION = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation')"


def write_files(conn: sqlite3.Connection, parsed: list[IndexedFile], removed: list[str]) -> None:
    """Replace the rows of changed files and delete removed ones, in one transaction."""
    with _writing(conn) as first:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS replaced (path TEXT)")
        conn.execute("DELETE FROM temp.replaced")
        conn.executemany("INSERT INTO temp.replaced VALUES (?)", [(p,) for p in removed])
        _delete_files(conn, "SELECT id FROM files WHERE path IN (SELECT path FROM temp.replaced)")
        conn.executemany(
            f"INSERT INTO changes VALUES ({GENERATION}, ?)",
            [(path,) for path in [*removed, *(record.path for record, _, _ in parsed)]],
        )
        fresh: list[FtsRow] = []
        for record, result, terms in parsed:
            fresh += write_file(conn, record, result, terms, first + len(fresh))
        add_to_fts(conn, fresh)


def merge_shard(
    conn: sqlite3.Connection, shard: Path, bodies: Iterable[list[FtsRow]] | None = None
) -> int:
    """Add (or replace) every file of a shard database, in one transaction; return how many
    files it held. The rows are copied with SQL alone; a bulk-build worker's shard also has its
    chunks' FTS5 bodies (indexed as they are); an import's come as `bodies`, by the shard's
    chunk ids, made from its checked texts (see bulk.chunk_fts_values)."""
    conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
    try:
        with _writing(conn) as first:
            _delete_files(conn, "SELECT id FROM files WHERE path IN (SELECT path FROM shard.files)")
            conn.execute(f"INSERT INTO changes VALUES ({GENERATION}, NULL)")
            # Shard ids shifted past every id in use: rows keep their links without joins.
            offset = conn.execute("SELECT coalesce(max(id), 0) FROM files").fetchone()[0]
            count = conn.execute(
                "INSERT INTO files (id, path, language, size, mtime_ns, sha, n_lines, terms) "
                "SELECT id + ?, path, language, size, mtime_ns, sha, n_lines, terms "
                "FROM shard.files",
                (offset,),
            ).rowcount
            _merge_named_rows(conn, offset)
            conn.execute(
                "INSERT INTO file_texts SELECT file_id + ?, packed FROM shard.file_texts",
                (offset,),
            )
            # (An import goes into a new index: none of its dictionaries' ids are taken.)
            conn.execute(
                "INSERT OR IGNORE INTO pack_dictionaries SELECT * FROM shard.pack_dictionaries"
            )
            conn.execute(
                "INSERT INTO chunks (id, file_id, start_line, end_line, symbol) "
                "SELECT id - (SELECT min(id) FROM shard.chunks) + ?, file_id + ?, "
                "start_line, end_line, symbol FROM shard.chunks",
                (first, offset),
            )
            if bodies is None:
                conn.execute(
                    "INSERT INTO chunks_fts (rowid, path, names, body) "
                    "SELECT b.chunk_id - (SELECT min(id) FROM shard.chunks) + ?, f.terms, "
                    "b.names, b.body FROM shard.fts_bodies b "
                    "JOIN shard.chunks c ON c.id = b.chunk_id "
                    "JOIN shard.files f ON f.id = c.file_id ORDER BY b.chunk_id",
                    (first,),
                )
            else:
                low = conn.execute("SELECT min(id) FROM shard.chunks").fetchone()[0] or 0
                for batch in bodies:
                    add_to_fts(conn, [(i - low + first, p, n, b) for i, p, n, b in batch])
    finally:
        conn.execute("DETACH DATABASE shard")
    return int(count)


def export_shard(conn: sqlite3.Connection, dest: Path) -> int:
    """Copy the plain tables into a new database at `dest` (a shard, as bulk workers write
    them); return how many files it holds."""
    made = sqlite3.connect(dest)
    try:
        made.executescript(TABLES)
    finally:
        made.close()
    conn.execute("ATTACH DATABASE ? AS export", (str(dest),))
    try:
        with conn:
            for table in ("files", "symbols", "refs", "chunks", "file_texts", "pack_dictionaries"):
                conn.execute(f"INSERT INTO export.{table} SELECT * FROM main.{table}")
        return int(conn.execute("SELECT count(*) FROM export.files").fetchone()[0])
    finally:
        conn.execute("DETACH DATABASE export")


def forget_mtimes(conn: sqlite3.Connection) -> None:
    """Forget every file's modification time, so the next update judges each file again (to
    a time no file has: 0 is a real one, of files unpacked from some archives)."""
    with conn:
        conn.execute("UPDATE files SET mtime_ns = ?", (NO_MTIME,))


def touch(conn: sqlite3.Connection, updates: Iterable[tuple[str, int, int]]) -> None:
    """Record new (size, mtime) for files whose content did not change."""
    with conn:
        conn.executemany(
            "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
            [(size, mtime, path) for path, size, mtime in updates],
        )


def state(conn: sqlite3.Connection) -> str:
    """Return a token that changes whenever the indexed content does (in any process)."""
    rows = dict(conn.execute("SELECT key, value FROM meta"))
    return f"{rows.get('db_id', '')}:{rows.get('generation', '0')}"


def generation(conn: sqlite3.Connection) -> int:
    """Return the number of writes this database has seen (any process's)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def changed_since(conn: sqlite3.Connection, since: int) -> set[str] | None:
    """Return the paths written or removed after generation `since`, or None when the log
    cannot say (too long ago, or a bulk write that did not list its paths)."""
    current = generation(conn)
    if since > current or current - since >= CHANGE_LOG:
        return None
    rows = conn.execute(
        "SELECT DISTINCT path FROM changes WHERE generation > ?", (since,)
    ).fetchall()
    paths: set[str | None] = {path for (path,) in rows}
    if None in paths:
        return None
    return {path for path in paths if path is not None}


@contextmanager
def _writing(conn: sqlite3.Connection) -> Iterator[int]:
    """Open a write transaction that bumps the generation; yield the first free chunk id."""
    with conn:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        conn.execute(f"DELETE FROM changes WHERE generation <= {GENERATION} - ?", (CHANGE_LOG,))
        yield (conn.execute("SELECT max(id) FROM chunks").fetchone()[0] or 0) + 1


def _merge_named_rows(conn: sqlite3.Connection, offset: int) -> None:
    """Copy the attached shard's definitions and references, their names and kinds made ids
    (new ones added to `names`), file ids shifted by `offset`."""
    conn.execute(
        "INSERT OR IGNORE INTO main.names (name) SELECT name FROM shard.symbols "
        "UNION SELECT kind FROM shard.symbols UNION SELECT name FROM shard.refs "
        "UNION SELECT kind FROM shard.refs"
    )
    conn.execute(
        "INSERT INTO symbol_rows SELECT s.file_id + ?, n.id, k.id, s.start_line, s.end_line, "
        "s.signature, s.parent FROM shard.symbols s "
        "JOIN main.names n ON n.name = s.name JOIN main.names k ON k.name = s.kind",
        (offset,),
    )
    conn.execute(
        "INSERT OR IGNORE INTO ref_rows SELECT r.file_id + ?, n.id, k.id, r.uses, r.lines "
        "FROM shard.refs r JOIN main.names n ON n.name = r.name "
        "JOIN main.names k ON k.name = r.kind",
        (offset,),
    )


def _delete_files(conn: sqlite3.Connection, ids_sql: str) -> None:
    """Delete every row of the files whose ids `ids_sql` selects."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.doomed")
    if not conn.execute(f"INSERT INTO temp.doomed {ids_sql}").rowcount:
        return
    doomed = "IN (SELECT id FROM temp.doomed)"
    forget_chunks(conn, f"c.file_id {doomed}", ())
    for table in ("chunks", "symbol_rows", "ref_rows", "file_texts"):
        conn.execute(f"DELETE FROM {table} WHERE file_id {doomed}")
    conn.execute(f"DELETE FROM files WHERE id {doomed}")
