"""The index database's schema, and how a connection to it is opened (WAL, 8 KiB pages)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from assistant.errors import IndexStoreError
from assistant.index.packed import TEXT_JOIN
from assistant.index.rows import CHUNK_BODY, CHUNK_NAMES, register_content

# 8: rebuilt once, so no index made before the secrets filter survives; 9: the skipped table
# (skips.py) and symbols_name covering file_id (how many files define a name, from the index);
# 10: the embeddings tables (vectors.py); 11: a file's text kept once, packed (packed.py), not
# in every chunk; 12: a chunk's FTS5 names and hump parts made from its symbol and text, not
# stored (rows.py); 13: texts packed with zstd and a dictionary per index (packed.py); 14: refs
# clustered by file (WITHOUT ROWID), so no second index by file; 15: names and kinds kept once,
# definitions and references by their ids (views give the plain tables' form)
SCHEMA_VERSION = 15
WAL_ATTEMPTS = 40  # about eight seconds of retries in all
# 8 KiB pages: a cold build writes half as many (and makes half the system calls).
PAGE_SIZE = 8192
# SQLite's own page cache per connection, in KiB. A reader's is small: the system keeps the
# file's pages anyway (at 100,000 files, 64 MiB cost a searching and mapping process ~50 MB of
# memory and saved no measurable time); a bulk build's is big, for its inserts and indexes.
CACHE_KIB = 16_384
BULK_CACHE_KIB = 65_536

# The tables every form of the index has, as they are.
_FILE_TABLES = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, language TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha TEXT NOT NULL, n_lines INTEGER NOT NULL,
    terms TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    start_line INTEGER, end_line INTEGER, symbol TEXT
);
-- The file's bytes, zstd-compressed: a chunk's text is its lines start_line..end_line.
CREATE TABLE IF NOT EXISTS file_texts (
    file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE, packed BLOB NOT NULL
);
-- The zstd dictionaries texts are packed with, by the id their frames name (packed.py).
CREATE TABLE IF NOT EXISTS pack_dictionaries (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
"""
# The plain tables: bulk-build workers write their shards with these alone, and an export is
# made of them. Definitions and references spell their names and kinds.
TABLES = (
    _FILE_TABLES
    + """
CREATE TABLE IF NOT EXISTS symbols (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, name TEXT NOT NULL,
    kind TEXT NOT NULL, start_line INTEGER, end_line INTEGER, signature TEXT, parent TEXT
);
-- A row per file, name and kind of use; `lines` lists where (a file calls the same names on
-- many lines: a row per use would be three times as many rows to write, copy and index).
CREATE TABLE IF NOT EXISTS refs (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, name TEXT NOT NULL,
    kind TEXT NOT NULL, uses INTEGER NOT NULL, lines TEXT NOT NULL,
    PRIMARY KEY (file_id, name, kind)
) WITHOUT ROWID;
"""
)
# The index database keeps each name and kind once, in `names`, and definitions and references
# by its id (a repository repeats its names: at 100,000 files, 1.2 million definitions and 2.7
# million reference rows use 73,000 names, and the name indexes held each again: -120 MB); the
# views `symbols` and `refs` read them back in the plain tables' form, for every query. Names
# are only ever added (each costs a few bytes; a rebuild starts afresh), so an id read in one
# statement is still in `names` in the next: readers need no snapshot across the two.
_NAMED_ROWS = """
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS symbol_rows (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, name_id INTEGER NOT NULL,
    kind_id INTEGER NOT NULL, start_line INTEGER, end_line INTEGER, signature TEXT, parent TEXT
);
-- Kept in file order (WITHOUT ROWID): a file's references are read, replaced and grouped by
-- file without an index of their own or rowids.
CREATE TABLE IF NOT EXISTS ref_rows (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, name_id INTEGER NOT NULL,
    kind_id INTEGER NOT NULL, uses INTEGER NOT NULL, lines TEXT NOT NULL,
    PRIMARY KEY (file_id, name_id, kind_id)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS symbols (
    file_id, name, kind, start_line, end_line, signature, parent
) AS SELECT s.file_id, n.name, k.name, s.start_line, s.end_line, s.signature, s.parent
    FROM symbol_rows s JOIN names n ON n.id = s.name_id JOIN names k ON k.id = s.kind_id;
CREATE VIEW IF NOT EXISTS refs (file_id, name, kind, uses, lines) AS
    SELECT r.file_id, n.name, k.name, r.uses, r.lines
    FROM ref_rows r JOIN names n ON n.id = r.name_id JOIN names k ON k.id = r.kind_id;
"""
# Only in a bulk-build worker's shard: each chunk's FTS5 names and body, as the chunk_terms view
# below makes them, so the merge indexes text the worker had at hand instead of unpacking every
# file.
SHARD_TABLES = """
CREATE TABLE IF NOT EXISTS fts_bodies (
    chunk_id INTEGER PRIMARY KEY, names TEXT NOT NULL, body TEXT NOT NULL
);
"""
SCHEMA = (
    _FILE_TABLES
    + _NAMED_ROWS
    + f"""
-- What FTS5 indexes per chunk: path words, symbol-name words, and the text with the parts of
-- its camelCase words. Computed from the tables (FTS5 keeps no second copy of the text), by
-- the functions of rows.register_content: for FTS5's own reads only.
CREATE VIEW IF NOT EXISTS chunk_terms (id, file_id, path, names, body) AS
    SELECT c.id, c.file_id, f.terms, {CHUNK_NAMES}, {CHUNK_BODY}
    FROM chunks c JOIN files f ON f.id = c.file_id {TEXT_JOIN};
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    path, names, body, content = 'chunk_terms', content_rowid = 'id', tokenize = 'unicode61'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Files left out, with the stat they were judged at (see skips.py).
CREATE TABLE IF NOT EXISTS skipped (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, reason TEXT NOT NULL
) WITHOUT ROWID;
-- Which paths each recent generation wrote or removed (NULL: too many to list), so long-lived
-- readers can bring derived data (the reference graph) forward instead of rebuilding it.
CREATE TABLE IF NOT EXISTS changes (generation INTEGER NOT NULL, path TEXT);
-- Semantic search (vectors.py): the SHA-256 of the text each chunk is embedded as ('' for a
-- chunk never to be embedded, of a secrets file), forgotten with the chunk (ids are reused),
-- and one vector per model and embedded text, so unchanged text keeps its vector.
CREATE TABLE IF NOT EXISTS chunk_texts (chunk_id INTEGER PRIMARY KEY, sha TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_texts_sha ON chunk_texts(sha);
CREATE TRIGGER IF NOT EXISTS chunk_texts_forget AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_texts WHERE chunk_id = old.id;
END;
-- (A rowid table: WITHOUT ROWID stores rows of kilobytes in overflow pages, 4x the bytes.)
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY, model TEXT NOT NULL, sha TEXT NOT NULL, dim INTEGER NOT NULL,
    vector BLOB NOT NULL, UNIQUE (model, sha)
);
INSERT OR IGNORE INTO meta VALUES ('db_id', lower(hex(randomblob(8))));
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
"""
)
# Secondary indexes: dropped during a bulk (cold) build and made once at its end, which
# halves the time of writing a big repository.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS symbols_name ON symbol_rows(name_id, file_id)",
    "CREATE INDEX IF NOT EXISTS symbols_file ON symbol_rows(file_id)",
    "CREATE INDEX IF NOT EXISTS refs_name ON ref_rows(name_id)",
    "CREATE INDEX IF NOT EXISTS names_lower ON names(lower(name))",
    "CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id)",
)


def connect(path: Path) -> sqlite3.Connection:
    """Open a connection to the index database at `path` (made when missing), in WAL mode."""
    try:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    except sqlite3.OperationalError as error:
        raise IndexStoreError(f"cannot open the index at {path}: {error}") from error
    register_content(conn)
    try:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect when the file is made
        switch_to_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlite3.OperationalError as error:
        conn.close()
        raise IndexStoreError(f"cannot open the index at {path}: {error}") from error
    except BaseException:
        conn.close()  # a damaged file (not a database): the caller moves it aside
        raise
    return conn


def switch_to_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode. Switching needs a moment alone with the file and SQLite
    answers "locked" at once rather than waiting, so a process opening a new database while
    another creates it tries again for a few seconds."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
