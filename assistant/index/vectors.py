"""The embeddings tables: which text each chunk is embedded as, and one vector per model and text.

Vectors are content-addressed: keyed by (model, SHA-256 of the exact text sent), so a chunk whose
text did not change keeps its vector through re-indexing, edits elsewhere in its file and
checkouts that leave it alone. `chunk_texts` remembers each chunk's text hash (computed once, it
costs a redaction); a trigger forgets it with the chunk. Vectors are L2-normalised and stored as
little-endian float16 (half the bytes of float32; cosines agree to about 1e-3). None of this
bumps the index's generation: vectors are derived data, versioned by the `vectors` meta key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.index.packed import CHUNK_SOURCE, TEXT_JOIN, ChunkTexts

VECTOR_DTYPE = np.dtype("<f2")
NEVER = ""  # the text hash of a chunk never to be embedded (a secrets file's)
ChunkText = tuple[int, str, str | None, str]  # chunk id, path, symbol, text
PendingText = tuple[str, str, str | None, str]  # text hash, path, symbol, text (to embed)

_UNHASHED = (
    f"SELECT c.id, f.path, c.symbol, {CHUNK_SOURCE} FROM chunks c "
    f"JOIN files f ON f.id = c.file_id {TEXT_JOIN} "
    "WHERE NOT EXISTS (SELECT 1 FROM chunk_texts t WHERE t.chunk_id = c.id)"
)
_MISSING = (
    "t.sha != '' AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.model = ? AND v.sha = t.sha)"
)


def unhashed(conn: sqlite3.Connection, limit: int) -> list[ChunkText]:
    """Return up to `limit` chunks whose embedded text has no hash yet, by id."""
    texts = ChunkTexts(conn)
    return [
        (chunk_id, path, symbol, texts(*text))
        for chunk_id, path, symbol, *text in conn.execute(
            f"{_UNHASHED} ORDER BY c.id LIMIT ?", (limit,)
        )
    ]


def record_hashes(conn: sqlite3.Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Remember (chunk id, text hash) pairs, in one transaction."""
    with conn:
        conn.executemany("INSERT OR REPLACE INTO chunk_texts VALUES (?, ?)", rows)


def rehash(conn: sqlite3.Connection, old: str, new: str) -> None:
    """Give the chunks hashed as `old` the hash `new` (their text is now redacted otherwise)."""
    with conn:
        conn.execute("UPDATE chunk_texts SET sha = ? WHERE sha = ?", (new, old))


def pending(conn: sqlite3.Connection, model: str, limit: int | None) -> list[tuple[str, int]]:
    """Return (text hash, first chunk id holding it) of the distinct texts with no vector for
    `model`, by chunk id (up to `limit`)."""
    rows = conn.execute(
        f"SELECT t.sha, min(t.chunk_id) AS first FROM chunk_texts t WHERE {_MISSING} "
        "GROUP BY t.sha ORDER BY first LIMIT ?",
        (model, -1 if limit is None else limit),
    )
    return [(sha, chunk_id) for sha, chunk_id in rows]


def sources(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[str, str | None, str]]:
    """Return (path, symbol, text) of these chunks, by id (a chunk gone since is missing)."""
    rows = conn.execute(
        f"SELECT c.id, f.path, c.symbol, {CHUNK_SOURCE} FROM chunks c "
        f"JOIN files f ON f.id = c.file_id {TEXT_JOIN} WHERE c.id IN ({','.join('?' * len(ids))})",
        list(ids),
    )
    texts = ChunkTexts(conn)
    return {chunk_id: (path, symbol, texts(*text)) for chunk_id, path, symbol, *text in rows}


def count_present(conn: sqlite3.Connection, model: str) -> int:
    """Return how many distinct texts of the index's chunks have a vector for `model`."""
    row = conn.execute(
        "SELECT count(DISTINCT t.sha) FROM chunk_texts t JOIN vectors v "
        "ON v.model = ? AND v.sha = t.sha",
        (model,),
    ).fetchone()
    return int(row[0])


def add_vectors(
    conn: sqlite3.Connection, model: str, rows: Sequence[tuple[str, np.ndarray]]
) -> None:
    """Store (text hash, vector) pairs for `model`, normalised, in one transaction; vectors of
    the model with another dimension go (the endpoint changed it: never mix the two)."""
    if not rows:
        return
    dim = len(rows[0][1])
    with conn:
        conn.execute("DELETE FROM vectors WHERE model = ? AND dim != ?", (model, dim))
        conn.executemany(
            "INSERT OR REPLACE INTO vectors (model, sha, dim, vector) VALUES (?, ?, ?, ?)",
            [(model, sha, dim, encode(vector)) for sha, vector in rows],
        )
        _bump(conn)


def prune(conn: sqlite3.Connection) -> int:
    """Delete the vectors (of every model) whose text no chunk holds any more; return how many."""
    with conn:
        gone = conn.execute(
            "DELETE FROM vectors WHERE sha NOT IN (SELECT sha FROM chunk_texts)"
        ).rowcount
        if gone:
            _bump(conn)
    return int(gone)


def version(conn: sqlite3.Connection) -> str:
    """Return a token that changes whenever vectors are added or pruned."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'vectors'").fetchone()
    return str(row[0]) if row else "0"


def matrix(
    conn: sqlite3.Connection, model: str, dim: int
) -> tuple[list[tuple[str, int]], np.ndarray]:
    """Return the (path, start line) of every chunk with a `dim`-wide vector for `model`, and
    those vectors as the rows of a float32 matrix."""
    rows = conn.execute(
        "SELECT f.path, c.start_line, v.vector FROM chunk_texts t "
        "JOIN vectors v ON v.model = ? AND v.sha = t.sha AND v.dim = ? "
        "JOIN chunks c ON c.id = t.chunk_id JOIN files f ON f.id = c.file_id "
        "ORDER BY f.path, c.start_line",
        (model, dim),
    ).fetchall()
    places = [(path, line) for path, line, _ in rows]
    data = b"".join(blob for _, _, blob in rows)
    vectors = np.frombuffer(data, dtype=VECTOR_DTYPE).reshape(len(rows), dim)
    return places, vectors.astype(np.float32)


def encode(vector: np.ndarray) -> bytes:
    """Return a vector L2-normalised, as float16 bytes."""
    values = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(values))
    return (values / norm if norm else values).astype(VECTOR_DTYPE).tobytes()


def _bump(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO meta VALUES ('vectors', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )
