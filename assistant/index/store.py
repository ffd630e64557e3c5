"""The index database: one SQLite file (WAL) per repository, with FTS5 over code-aware tokens.

Readers in other processes (the TUI, the language server, a batch run) see a consistent index
while an update runs: every update is one transaction per batch of files. A database made by
another version is replaced, and one found damaged when opened is kept aside (faults.py) and
rebuilt, with a one-line notice; damage found later is for `start_over` (access.py calls it).
"""

from __future__ import annotations

import contextlib
import difflib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from assistant.index.faults import (
    Identity,
    IndexCorrupted,
    identity,
    move_aside,
    remove,
    store_errors,
)
from assistant.index.model import Chunk, Reference, Symbol
from assistant.index.rows import IndexedFile, write_file
from assistant.index.schema import INDEXES, SCHEMA, SCHEMA_VERSION, connect
from assistant.index.tokens import code_tokens

MAX_FTS_TERMS = 64
# Names starting with a prefix, ignoring case, as a range on the lower(name) index (LIKE scans).
PREFIX = "lower(s.name) >= ? AND lower(s.name) < ?"
COMMON_TERM_SHARE = 0.2  # a query term in more chunks than this carries IDF < log(4)
PRUNE_FROM_CHUNKS = 2_000  # below this, every term is cheap to score
MAX_SCORED_ROWS = 5_000  # posting rows one query's terms may bring (a phrase counts as 0)
CHANGE_LOG = 256  # generations whose changed paths are kept
BULK_CHECKPOINT_PAGES = 2048
GENERATION = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation')"


class FileRecord(NamedTuple):
    """What the index knows about one file (a tuple: the store reads one per file on every
    update, 78k at a time on a big repository)."""

    path: str
    language: str
    size: int
    mtime: int  # nanoseconds
    sha: str
    n_lines: int

    def row(self) -> tuple[str, str, int, int, str, int]:
        """Return the record's columns in table order."""
        return (self.path, self.language, self.size, self.mtime, self.sha, self.n_lines)


class IndexStore:
    """Read and write one repository's index database."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.last_stats: object | None = None
        self.notice = ""
        self.opened: Identity | None = None  # the file this store's connection opened
        self.conn = self._connect()
        # Chunk count and per-term document counts, for dropping near-stopwords from queries;
        # reset by this store's writes (another process's writes only shift them slightly).
        self._chunk_count: int | None = None
        self._doc_counts: dict[str, int] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with store_errors(self.db_path):
                conn = self._open_current()
        except IndexCorrupted as error:
            reason = error.__cause__ or error
            kept = move_aside(self.db_path, self.opened)
            self.notice = f"the index at {self.db_path} is unreadable ({reason}); {_kept(kept)}"
            conn = None
        if conn is not None:
            return conn
        # One transaction, so a process opening the same new database at the same moment sees
        # either nothing or the whole schema with its version (and IF NOT EXISTS lets both run).
        indexes = ";\n".join(INDEXES)
        with store_errors(self.db_path):
            conn = connect(self.db_path)
            self.opened = identity(self.db_path)
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{SCHEMA}\n{indexes};\n"
                f"PRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
            )
        return conn

    def _open_current(self) -> sqlite3.Connection | None:
        """Open the database as it is; None when it has no schema of this version (one made by
        another version is removed)."""
        self.opened = identity(self.db_path)  # before opening: a damaged file may fail to open
        conn = connect(self.db_path)
        try:
            # One statement, one snapshot: read apart, a schema another process commits in
            # between would look like an old database with no version.
            version, tables = conn.execute(
                "SELECT user_version, (SELECT count(*) FROM sqlite_master) FROM pragma_user_version"
            ).fetchone()
            if version == SCHEMA_VERSION:
                conn.execute("SELECT count(*) FROM files").fetchone()
                return conn
        except BaseException:
            conn.close()
            raise
        conn.close()
        if version or tables:
            self.notice = f"the index at {self.db_path} was made by another version; rebuilding it"
            remove(self.db_path, self.opened)
        return None

    def start_over(self, reason: object) -> str:
        """Close the damaged database, keep it aside for a bug report and open a new, empty one
        in its place; return the one-line notice that says so."""
        with contextlib.suppress(sqlite3.Error):  # closing a damaged file: nothing left to save
            self.conn.close()
        kept = move_aside(self.db_path, self.opened)
        notice = f"the index at {self.db_path} was damaged ({reason}); {_kept(kept)}"
        self.conn = self._connect()
        self._chunk_count, self._doc_counts = None, {}
        self.notice = "; ".join(text for text in (self.notice, notice) if text)
        return notice

    def begin_bulk(self) -> None:
        """Drop the secondary indexes before writing many files (readers fall back to scans),
        and copy the write-ahead log into the database every 16 MB, not every 8 MB (but not all
        at the end either: that would be on one core after the workers are done)."""
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        with self.conn:
            for statement in INDEXES:
                self.conn.execute(f"DROP INDEX IF EXISTS {statement.split()[5]}")

    def make_indexes(self) -> None:
        """Make the secondary indexes that are missing (a bulk build dropped them)."""
        with self.conn:
            for statement in INDEXES:
                self.conn.execute(statement)

    def end_bulk(self) -> None:
        """Make the secondary indexes again after a bulk write, and checkpoint."""
        self.make_indexes()
        self.conn.execute("PRAGMA wal_autocheckpoint = 1000")
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def write(self, parsed: Iterable[IndexedFile], removed: Iterable[str]) -> None:
        """Replace the rows of changed files and delete removed ones, in one transaction."""
        parsed, removed = list(parsed), list(removed)
        if not parsed and not removed:
            return
        with self._writing() as first:
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS replaced (path TEXT)")
            self.conn.execute("DELETE FROM temp.replaced")
            self.conn.executemany("INSERT INTO temp.replaced VALUES (?)", [(p,) for p in removed])
            self._delete_files(
                "SELECT id FROM files WHERE path IN (SELECT path FROM temp.replaced)"
            )
            self.conn.executemany(
                f"INSERT INTO changes VALUES ({GENERATION}, ?)",
                [(path,) for path in [*removed, *(record.path for record, _, _ in parsed)]],
            )
            stale: list[int] = []
            next_id = first
            for record, result, terms in parsed:
                next_id = write_file(self.conn, record, result, terms, next_id, stale)
            if stale:  # chunks gone from edited files: out of FTS5 first, then out of the table
                self.conn.executemany(
                    "INSERT INTO chunks_fts (chunks_fts, rowid, path, names, body) "
                    "SELECT 'delete', id, path, names, body FROM chunk_terms WHERE id = ?",
                    [(i,) for i in stale],
                )
                self.conn.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in stale])
            self._index_chunks_from(first)

    def merge(self, shard: Path) -> int:
        """Add (or replace) every file of a shard database written by a bulk-build worker, in
        one transaction and with SQL alone; return how many files it held."""
        self.conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
        try:
            with self._writing() as first:
                self._delete_files(
                    "SELECT id FROM files WHERE path IN (SELECT path FROM shard.files)"
                )
                self.conn.execute(f"INSERT INTO changes VALUES ({GENERATION}, NULL)")
                # Shard ids shifted past every id in use: rows keep their links without joins.
                offset = self.conn.execute("SELECT coalesce(max(id), 0) FROM files").fetchone()[0]
                count = self.conn.execute(
                    "INSERT INTO files (id, path, language, size, mtime_ns, sha, n_lines, terms) "
                    "SELECT id + ?, path, language, size, mtime_ns, sha, n_lines, terms "
                    "FROM shard.files",
                    (offset,),
                ).rowcount
                self.conn.execute(
                    "INSERT INTO symbols SELECT file_id + ?, name, kind, start_line, end_line, "
                    "signature, parent FROM shard.symbols",
                    (offset,),
                )
                self.conn.execute(
                    "INSERT INTO refs SELECT file_id + ?, name, kind, uses, lines FROM shard.refs",
                    (offset,),
                )
                self.conn.execute(
                    "INSERT INTO chunks (id, file_id, start_line, end_line, symbol, text, names, "
                    "extra) SELECT id - (SELECT min(id) FROM shard.chunks) + ?, file_id + ?, "
                    "start_line, end_line, symbol, text, names, extra FROM shard.chunks",
                    (first, offset),
                )
                self._index_chunks_from(first)
        finally:
            self.conn.execute("DETACH DATABASE shard")
        return count

    @contextmanager
    def _writing(self) -> Iterator[int]:
        """Open a write transaction that bumps the generation; yield the first free chunk id."""
        self._chunk_count, self._doc_counts = None, {}
        with self.conn:
            self.conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"
            )
            self.conn.execute(
                f"DELETE FROM changes WHERE generation <= {GENERATION} - ?", (CHANGE_LOG,)
            )
            yield (self.conn.execute("SELECT max(id) FROM chunks").fetchone()[0] or 0) + 1

    def _index_chunks_from(self, first: int) -> None:
        """Add the chunks with ids from `first` on (this transaction's) to the FTS5 index."""
        self.conn.execute(
            "INSERT INTO chunks_fts (rowid, path, names, body) "
            "SELECT id, path, names, body FROM chunk_terms WHERE id >= ?",
            (first,),
        )

    def touch(self, updates: Iterable[tuple[str, int, int]]) -> None:
        """Record new (size, mtime) for files whose content did not change."""
        with self.conn:
            self.conn.executemany(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                [(size, mtime, path) for path, size, mtime in updates],
            )

    def _delete_files(self, ids_sql: str) -> None:
        """Delete every row of the files whose ids `ids_sql` selects."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.doomed")
        if not self.conn.execute(f"INSERT INTO temp.doomed {ids_sql}").rowcount:
            return
        doomed = "IN (SELECT id FROM temp.doomed)"
        # An external-content FTS5 table forgets a row when told its indexed values again.
        self.conn.execute(
            "INSERT INTO chunks_fts (chunks_fts, rowid, path, names, body) "
            f"SELECT 'delete', id, path, names, body FROM chunk_terms WHERE file_id {doomed}"
        )
        for table in ("chunks", "symbols", "refs"):
            self.conn.execute(f"DELETE FROM {table} WHERE file_id {doomed}")
        self.conn.execute(f"DELETE FROM files WHERE id {doomed}")

    # -- reading -----------------------------------------------------------------------------

    def state(self) -> str:
        """Return a token that changes whenever the indexed content does (in any process)."""
        rows = dict(self.conn.execute("SELECT key, value FROM meta"))
        return f"{rows.get('db_id', '')}:{rows.get('generation', '0')}"

    def generation(self) -> int:
        """Return the number of writes this database has seen (any process's)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def changed_since(self, generation: int) -> set[str] | None:
        """Return the paths written or removed after `generation`, or None when the log cannot
        say (too long ago, or a bulk write that did not list its paths)."""
        current = self.generation()
        if generation > current or current - generation >= CHANGE_LOG:
            return None
        rows = self.conn.execute(
            "SELECT DISTINCT path FROM changes WHERE generation > ?", (generation,)
        ).fetchall()
        paths = {path for (path,) in rows}
        return None if None in paths else paths  # type: ignore[return-value]

    def files(self) -> list[FileRecord]:
        """Return every indexed file."""
        rows = self.conn.execute(
            "SELECT path, language, size, mtime_ns, sha, n_lines FROM files ORDER BY path"
        )
        return [FileRecord(*row) for row in rows]

    def file(self, path: str) -> FileRecord | None:
        """Return one file's record, if indexed."""
        row = self.conn.execute(
            "SELECT path, language, size, mtime_ns, sha, n_lines FROM files WHERE path = ?", (path,)
        ).fetchone()
        return FileRecord(*row) if row else None

    def symbols(self, path: str | None = None, name: str | None = None) -> list[Symbol]:
        """Return definitions, optionally of one file and/or with one name."""
        where, args = _filters(path, name)
        rows = self.conn.execute(
            "SELECT f.path, s.name, s.kind, s.start_line, s.end_line, s.signature, s.parent "
            f"FROM symbols s JOIN files f ON f.id = s.file_id {where} "
            "ORDER BY f.path, s.start_line",
            args,
        )
        return [Symbol(*row) for row in rows]

    def symbols_by_rowid(self, rowids: Sequence[int]) -> dict[int, Symbol]:
        """Return the definitions stored in these rows (a row rewritten since is missing)."""
        found: dict[int, Symbol] = {}
        for start in range(0, len(rowids), 500):
            part = rowids[start : start + 500]
            rows = self.conn.execute(
                "SELECT s.rowid, f.path, s.name, s.kind, s.start_line, s.end_line, s.signature, "
                "s.parent FROM symbols s JOIN files f ON f.id = s.file_id "
                f"WHERE s.rowid IN ({','.join('?' * len(part))})",
                part,
            )
            found.update((row[0], Symbol(*row[1:])) for row in rows)
        return found

    def references(self, path: str | None = None, name: str | None = None) -> list[Reference]:
        """Return references, optionally of one file and/or to one name."""
        where, args = _filters(path, name, table="r")
        rows = self.conn.execute(
            "SELECT f.path, r.name, r.kind, r.lines "
            f"FROM refs r JOIN files f ON f.id = r.file_id {where} ORDER BY f.path, r.rowid",
            args,
        )
        found = [
            Reference(path, name, kind, int(line))
            for path, name, kind, lines in rows
            for line in lines.split()
        ]
        return sorted(found, key=lambda ref: (ref.path, ref.line))

    def chunks(self, path: str | None = None) -> list[Chunk]:
        """Return search chunks, optionally of one file."""
        where, args = ("WHERE f.path = ?", (path,)) if path else ("", ())
        rows = self.conn.execute(
            "SELECT f.path, c.start_line, c.end_line, c.text, c.symbol "
            f"FROM chunks c JOIN files f ON f.id = c.file_id {where} "
            "ORDER BY f.path, c.start_line",
            args,
        )
        return [Chunk(*row) for row in rows]

    def all_symbols(self) -> Iterator[Symbol]:
        """Yield every definition in the index (one query, for graph building)."""
        return iter(self.symbols())

    def search_chunks(self, query: str, limit: int = 50) -> list[tuple[Chunk, float]]:
        """Return chunks matching any of the query's code tokens, best BM25 first."""
        terms = list(dict.fromkeys(t for t in code_tokens(query) if len(t) > 1))[:MAX_FTS_TERMS]
        if not terms:
            return []
        terms = self._selective(terms)
        match = " OR ".join(f'"{t}"' for t in terms)
        # Rank and cut inside FTS5 first, so only the kept rows are joined to their text.
        rows = self.conn.execute(
            "SELECT f.path, c.start_line, c.end_line, c.text, c.symbol, hit.score "
            "FROM (SELECT rowid, bm25(chunks_fts, 4.0, 3.0, 1.0) AS score FROM chunks_fts "
            "      WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?) AS hit "
            "JOIN chunks c ON c.id = hit.rowid JOIN files f ON f.id = c.file_id "
            "ORDER BY hit.score",
            (match, limit),
        )
        return [(Chunk(*row[:5]), -row[5]) for row in rows]

    def _selective(self, terms: list[str]) -> list[str]:
        """Drop terms found in more than COMMON_TERM_SHARE of the chunks of a big index.

        Such a term adds almost nothing to BM25 (its IDF is near zero) but its posting list is
        the longest to read and score: `test` in a Django query costs more than the rest.
        """
        if self._chunk_count is None:
            self._chunk_count = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            self.conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab "
                "USING fts5vocab(main, chunks_fts, 'row')"
            )
        if len(terms) < 2 or self._chunk_count < PRUNE_FROM_CHUNKS:
            return terms
        counts = {term: self._doc_count(term) for term in terms}
        limit = COMMON_TERM_SHARE * self._chunk_count
        kept = [term for term in terms if counts[term] <= limit]
        if not any(counts[term] for term in kept):
            return terms
        # On a very big index even a 5% term matches tens of thousands of chunks, each scored
        # (~1.4 us a row): the rarest terms are kept up to a budget of rows, the rest dropped.
        budget, chosen = MAX_SCORED_ROWS, set()
        for term in sorted(kept, key=counts.__getitem__):
            if chosen and counts[term] > budget:
                break
            chosen.add(term)
            budget -= counts[term]
        return [term for term in kept if term in chosen]

    def _doc_count(self, term: str) -> int:
        """Return how many chunks contain `term` (remembered until this store writes)."""
        if term not in self._doc_counts:
            row = self.conn.execute(
                "SELECT doc FROM temp.chunks_vocab WHERE term = ?", (term,)
            ).fetchone()
            self._doc_counts[term] = row[0] if row else 0
        return self._doc_counts[term]

    def search_symbols(self, name_query: str, limit: int = 50) -> list[Symbol]:
        """Return definitions whose name matches exactly, ignoring case, by prefix, or fuzzily."""
        found: dict[tuple[str, str, int], Symbol] = {}
        for sql, arg in (
            ("s.name = ?", name_query),
            ("lower(s.name) = lower(?)", name_query),
            (PREFIX, name_query),
        ):
            for symbol in self._symbols_where(sql, arg, limit):
                found.setdefault((symbol.path, symbol.name, symbol.start_line), symbol)
            if len(found) >= limit:
                return list(found.values())[:limit]
        for symbol in self._fuzzy_symbols(name_query, limit):
            found.setdefault((symbol.path, symbol.name, symbol.start_line), symbol)
        return list(found.values())[:limit]

    def _symbols_where(self, condition: str, arg: str, limit: int) -> list[Symbol]:
        args = _prefix_range(arg) if condition == PREFIX else (arg,)
        rows = self.conn.execute(
            "SELECT f.path, s.name, s.kind, s.start_line, s.end_line, s.signature, s.parent "
            f"FROM symbols s JOIN files f ON f.id = s.file_id WHERE {condition} LIMIT ?",
            (*args, limit),
        )
        return [Symbol(*row) for row in rows]

    def _fuzzy_symbols(self, name_query: str, limit: int) -> list[Symbol]:
        if len(name_query) < 3:
            return []
        names = [row[0] for row in self.conn.execute(
            f"SELECT DISTINCT s.name FROM symbols s WHERE {PREFIX}", _prefix_range(name_query[:2])
        )]  # fmt: skip
        close = difflib.get_close_matches(name_query, names, n=10, cutoff=0.75)
        result = []
        for name in close:
            result += self._symbols_where("s.name = ?", name, limit)
        return result[:limit]


def _kept(kept: Path | None) -> str:
    if kept is None:
        return "another process has replaced it already"
    return f"kept it as {kept.name} and rebuilding it"


def _filters(path: str | None, name: str | None, table: str = "s") -> tuple[str, tuple[str, ...]]:
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
