"""The index database: one SQLite file (WAL) per repository, with FTS5 over code-aware tokens.

Readers in other processes (the TUI, the language server, a batch run) see a consistent index
while an update runs: every update is one transaction per batch of files. A database made by
another version is replaced, and one found damaged when opened is kept aside (faults.py) and
rebuilt, with a one-line notice; damage found later is for `start_over` (access.py calls it).

`IndexStore` is the one door to the database: the rest of the assistant calls its named methods
and never sees SQL. The statements live beside it, one module per job: `writes` (transactions
and the generation log), `reads` (records), `fulltext` (FTS5 search and term counts) and
`links` (the reference graph's rows), `vectors` (embeddings for semantic search).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from assistant.index import columns, fulltext, links, packed, reads, skips, vectors, writes
from assistant.index.faults import (
    Identity,
    IndexCorrupted,
    identity,
    move_aside,
    remove,
    store_errors,
)
from assistant.index.links import FileNames
from assistant.index.model import Chunk, FileRecord, IndexStats, Reference, Symbol
from assistant.index.rows import FtsRow, IndexedFile
from assistant.index.schema import (
    BULK_CACHE_KIB,
    CACHE_KIB,
    INDEXES,
    SCHEMA,
    SCHEMA_VERSION,
    connect,
)

BULK_CHECKPOINT_PAGES = 2048


T = TypeVar("T")


class IndexStore:
    """Read and write one repository's index database."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.last_stats: IndexStats | None = None  # what the last update did
        self.notice = ""
        self.opened: Identity | None = None  # the file this store's connection opened
        self.conn = self._connect()
        self.terms = fulltext.TermCounts(self.conn)

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
        self.terms = fulltext.TermCounts(self.conn)
        self.notice = "; ".join(text for text in (self.notice, notice) if text)
        return notice

    def begin_bulk(self) -> None:
        """Drop the secondary indexes before writing many files (readers fall back to scans),
        give the connection a bulk build's page cache, and copy the write-ahead log into the
        database every 16 MB, not every 8 MB (but not all at the end either: that would be on
        one core after the workers are done)."""
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        self.conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        with self.conn:
            for statement in INDEXES:
                self.conn.execute(f"DROP INDEX IF EXISTS {statement.split()[5]}")

    def make_indexes(self) -> None:
        """Make the secondary indexes that are missing (a bulk build dropped them)."""
        with self.conn:
            for statement in INDEXES:
                self.conn.execute(statement)

    def end_bulk(self) -> None:
        """Make the secondary indexes again after a bulk write, go back to a reader's page
        cache, and checkpoint."""
        self.make_indexes()
        self.conn.execute("PRAGMA wal_autocheckpoint = 1000")
        self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
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
        files, gone = list(parsed), list(removed)
        if files or gone:
            self.terms.forget()
            writes.write_files(self.conn, files, gone)

    def pack_dictionary(self) -> bytes | None:
        """Return the dictionary new texts are packed with, if the index has one."""
        return packed.current_dictionary(self.conn)

    def keep_dictionary(self, data: bytes) -> bool:
        """Pack new texts with dictionary `data` (False: the index has another under its id)."""
        return packed.keep_dictionary(self.conn, data)

    def merge(self, shard: Path, bodies: Iterable[list[FtsRow]] | None = None) -> int:
        """Add (or replace) every file of a shard database (a bulk-build worker's, with its
        chunks' FTS5 bodies; or an import's, whose chunks' come as `bodies`), in one
        transaction; return how many files it held."""
        self.terms.forget()
        return writes.merge_shard(self.conn, shard, bodies)

    def export_shard(self, dest: Path) -> int:
        """Write the index's tables to a new database at `dest`; return its file count."""
        return writes.export_shard(self.conn, dest)

    def forget_mtimes(self) -> None:
        """Make the next update look at every file again (sizes and hashes still spare the
        parsing of unchanged ones)."""
        writes.forget_mtimes(self.conn)

    def touch(self, updates: Iterable[tuple[str, int, int]]) -> None:
        """Record new (size, mtime) for files whose content did not change."""
        writes.touch(self.conn, updates)

    def skipped_files(self, fingerprint: str) -> dict[str, tuple[int, int, str]] | None:
        """Return the files left out last time if judged by the same rules, else None (see
        skips.py)."""
        return skips.remembered(self.conn, fingerprint)

    def skip_rules(self) -> str | None:
        """Return the fingerprint of the rules the files were last judged by (None: never)."""
        return skips.judged_under(self.conn)

    def remember_skipped(self, fingerprint: str, marks: Mapping[str, tuple[int, int, str]]) -> None:
        """Remember the files left out, with the stat and rules they were judged by."""
        skips.remember(self.conn, fingerprint, marks)

    # -- reading: generations ------------------------------------------------------------------

    def state(self) -> str:
        """Return a token that changes whenever the indexed content does (in any process)."""
        return writes.state(self.conn)

    def changed_since(self, generation: int) -> set[str] | None:
        """Return the paths written or removed after `generation`, or None when the log cannot
        say (too long ago, or a bulk write that did not list its paths)."""
        return writes.changed_since(self.conn, generation)

    # -- reading: records ----------------------------------------------------------------------

    def files(self) -> list[FileRecord]:
        """Return every indexed file."""
        return reads.files(self.conn)

    def file_stats(self) -> dict[str, tuple[int, int, str]]:
        """Return every indexed file's (size, mtime_ns, sha)."""
        return reads.file_stats(self.conn)

    def line_counts(self) -> dict[str, int]:
        """Return every indexed file's number of lines, by path."""
        return reads.line_counts(self.conn)

    def file(self, path: str) -> FileRecord | None:
        """Return one file's record, if indexed."""
        return reads.file(self.conn, path)

    def symbols(self, path: str | None = None, name: str | None = None) -> list[Symbol]:
        """Return definitions, optionally of one file and/or with one name."""
        return reads.symbols(self.conn, path, name)

    def warm_cache(self) -> None:
        """Read what a search touches once (a long-lived process's first searches then find
        it in memory); about 0.1 s for Django."""
        reads.warm(self.conn)

    def all_symbols(self) -> Iterator[Symbol]:
        """Yield every definition in the index."""
        return iter(self.symbols())

    def symbols_by_rowid(self, rowids: Sequence[int]) -> dict[int, Symbol]:
        """Return the definitions stored in these rows (a row rewritten since is missing)."""
        return reads.symbols_by_rowid(self.conn, rowids)

    def symbol_columns(
        self, kinds: Collection[str], path: str | None, each: Callable[[columns.SymbolColumns], T]
    ) -> list[T]:
        """Return what `each` makes of the definitions of these kinds, of one file or all, in
        batches of columns read in one transaction."""
        return columns.symbol_columns(self.conn, kinds, path, each)

    def symbol_count(self) -> int:
        """Return how many definitions the index holds."""
        return reads.symbol_count(self.conn)

    def references(self, path: str | None = None, name: str | None = None) -> list[Reference]:
        """Return references, optionally of one file and/or to one name."""
        return reads.references(self.conn, path, name)

    def chunks(self, path: str | None = None) -> list[Chunk]:
        """Return search chunks, optionally of one file."""
        return reads.chunks(self.conn, path)

    # -- reading: search -----------------------------------------------------------------------

    def search_chunks(
        self, query: str, limit: int = 50, with_text: bool = True
    ) -> list[tuple[Chunk, float]]:
        """Return chunks matching any of the query's code tokens, best BM25 first; without
        their text (empty) unless `with_text` (see `with_texts`)."""
        return fulltext.search_chunks(self.conn, self.terms, query, limit, with_text)

    def with_texts(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        """Return the chunks with their text, read from the index."""
        return reads.with_texts(self.conn, chunks)

    def search_symbols(self, name_query: str, limit: int = 50) -> list[Symbol]:
        """Return definitions whose name matches exactly, ignoring case, by prefix, or fuzzily."""
        return reads.search_symbols(self.conn, name_query, limit)

    def rare_terms(self, tokens: Iterable[str], limit: int) -> list[str]:
        """Return up to `limit` of the tokens that few chunks hold, rarest first."""
        return self.terms.rare(tokens, limit)

    # -- embeddings (vectors.py) ---------------------------------------------------------------

    def unhashed_chunks(self, limit: int) -> list[vectors.ChunkText]:
        """Return up to `limit` (id, path, symbol, text) of chunks whose embedded text is not
        hashed yet."""
        return vectors.unhashed(self.conn, limit)

    def record_text_hashes(self, rows: Iterable[tuple[int, str]]) -> None:
        """Remember (chunk id, hash of its embedded text) pairs."""
        vectors.record_hashes(self.conn, rows)

    def rehash_text(self, old: str, new: str) -> None:
        """Give the chunks whose embedded text hashed as `old` the hash `new`."""
        vectors.rehash(self.conn, old, new)

    def pending_texts(self, model: str, limit: int | None = None) -> list[tuple[str, int]]:
        """Return (text hash, a chunk id holding it) of texts with no vector for `model`."""
        return vectors.pending(self.conn, model, limit)

    def chunk_sources(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None, str]]:
        """Return (path, symbol, text) of these chunks, by id."""
        return vectors.sources(self.conn, ids)

    def count_embedded_texts(self, model: str) -> int:
        """Return how many distinct chunk texts have a vector for `model`."""
        return vectors.count_present(self.conn, model)

    def add_vectors(self, model: str, rows: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store (text hash, vector) pairs for `model` (one dimension per model)."""
        vectors.add_vectors(self.conn, model, rows)

    def prune_vectors(self) -> int:
        """Delete vectors whose text no chunk holds any more; return how many."""
        return vectors.prune(self.conn)

    def vectors_version(self) -> str:
        """Return a token that changes whenever vectors are added or pruned."""
        return vectors.version(self.conn)

    def vector_matrix(self, model: str, dim: int) -> tuple[list[tuple[str, int]], np.ndarray]:
        """Return (path, start line) per chunk with a `dim`-wide vector for `model`, and the
        vectors as a float32 matrix, row for row."""
        return vectors.matrix(self.conn, model, dim)

    # -- reading: the reference graph ----------------------------------------------------------

    def file_ids(self) -> list[tuple[int, str]]:
        """Return (id, path) of every file, by path."""
        return links.file_ids(self.conn)

    def name_ids(self, ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
        """Return (id, name) of the names the two readers below refer to by id (or of these)."""
        return links.name_ids(self.conn, ids)

    def definitions_by_file(self) -> np.ndarray:
        """Return rows (file id, name id, defined outside a class) per file and name defined
        there."""
        return links.definitions_by_file(self.conn)

    def uses_by_file(self) -> np.ndarray:
        """Return rows (file id, name id, uses) per file and name used there."""
        return links.uses_by_file(self.conn)

    def definitions_in(self, paths: Sequence[str]) -> list[links.PathRow] | None:
        """Return (path, name, defined outside a class) per name these files define, or None
        when one of them is not indexed."""
        return links.definitions_in(self.conn, paths)

    def uses_in(self, paths: Sequence[str], names: Sequence[str]) -> list[links.PathRow]:
        """Return (path, name, uses): every use in these files, and of these names elsewhere."""
        return links.uses_in(self.conn, paths, names)

    def user_counts(self, names: Sequence[str]) -> dict[str, int]:
        """Return how many files use each of these names (see `links.user_counts`)."""
        return links.user_counts(self.conn, names)

    def file_names(self, path: str, most: int) -> FileNames | None:
        """Return the names a file links by (see `links.file_names`)."""
        return links.file_names(self.conn, path, most=most)

    def definers(self, names: Sequence[str], most: int) -> dict[str, tuple[tuple[str, ...], bool]]:
        """Return who defines each of these names (see `links.definers`)."""
        return links.definers(self.conn, names, most)

    def users(self, names: Sequence[str], most: int) -> dict[str, tuple[tuple[str, int], ...]]:
        """Return who uses each of these names (see `links.users`)."""
        return links.users(self.conn, names, most)


def _kept(kept: Path | None) -> str:
    """Say where a damaged database went."""
    if kept is None:
        return "another process has replaced it already"
    return f"kept it as {kept.name} and rebuilding it"
