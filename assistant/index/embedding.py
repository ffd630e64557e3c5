"""Bringing the index's embeddings up to date: only the chunks with no vector for the model.

Each chunk is embedded as one text: a header (its path and symbol) and the first
`TEXT_CHARS` characters of its source, redacted first (a secret never leaves the machine, and a
key cut in half would no longer look like one); chunks of secrets files are never embedded. The
text's SHA-256 is remembered per chunk, so the next run finds what is missing without
redacting again. Texts go to the endpoint in batches, and each batch's vectors are committed
before the next is sent: Ctrl+C or a failing endpoint loses one batch at most, and the next run
carries on where this one stopped. The endpoint is a callable (assistant/llm/embeddings.py):
this layer knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import EndpointError
from assistant.index.store import IndexStore
from assistant.index.vectors import NEVER, PendingText
from assistant.security.secrets import Redactor, is_secret_path

log = logging.getLogger(__name__)
TEXT_CHARS = 2_000  # of a chunk's source per text: enough for a function's gist
BATCH = 64  # texts per committed batch (the client splits it to what its endpoint takes)
HASH_BATCH = 2_000  # chunks hashed per transaction
Embed = Callable[[Sequence[str]], Sequence[Sequence[float]]]  # texts -> one vector each
Progress = Callable[[int, int], None]  # (done, total), as the indexer's


@dataclass
class EmbedStats:
    """What one pass did: texts embedded now, texts whose vector was already stored, texts of a
    batch the endpoint failed, texts left for the next pass, and the failure."""

    embedded: int = 0
    reused: int = 0
    failed: int = 0
    pending: int = 0
    seconds: float = 0.0
    error: str = ""

    def to_json(self) -> dict[str, object]:
        """Return the figures as JSON-ready data (`assistant index --json`)."""
        return {
            "embedded": self.embedded,
            "reused": self.reused,
            "failed": self.failed,
            "pending": self.pending,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


def embedding_text(path: str, symbol: str | None, text: str, redactor: Redactor) -> str:
    """Return what is sent for a chunk: a path and symbol header, then its source, redacted
    whole and then cut (so no secret is cut in half before redaction sees it)."""
    header = f"{path} {symbol}" if symbol else path
    return redactor.redact(f"{header}\n{text}")[: len(header) + 1 + TEXT_CHARS]


def text_hash(text: str) -> str:
    """Return the hash a vector is stored under: the SHA-256 of the exact text embedded."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def hash_chunks(
    store: IndexStore, redactor: Redactor, root: Path | None = None, limit: int | None = None
) -> bool:
    """Hash the embedded text of chunks not hashed yet (up to `limit`); return whether every
    chunk is hashed now. Chunks of secrets files (by name, or under `root` a hard link to one)
    get `NEVER`."""
    done = 0
    while limit is None or done < limit:
        size = HASH_BATCH if limit is None else min(HASH_BATCH, limit - done)
        rows = store.unhashed_chunks(size)
        secret: dict[str, bool] = {}
        hashes = []
        for chunk_id, path, symbol, text in rows:
            if path not in secret:
                secret[path] = _is_secret(path, root)
            sha = NEVER if secret[path] else text_hash(embedding_text(path, symbol, text, redactor))
            hashes.append((chunk_id, sha))
        store.record_text_hashes(hashes)
        done += len(rows)
        if len(rows) < size:
            return True
    return False


def embed_pending(
    store: IndexStore,
    embed: Embed,
    model: str,
    redactor: Redactor,
    *,
    root: Path | None = None,
    limit: int | None = None,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> EmbedStats:
    """Embed the texts of the index's chunks that have no vector for `model` (at most `limit`
    of them), `batch` texts per request, committing each batch; after a whole pass, prune the
    vectors of texts gone. An endpoint failure stops the pass and is reported in the stats,
    never raised. (With a `limit`, what is reused and left is not counted.)"""
    started = time.monotonic()
    stats = EmbedStats()
    hashed = hash_chunks(store, redactor, root, limit)
    todo = store.pending_texts(model, limit)
    if limit is None:
        stats.reused = store.count_embedded_texts(model)
    if progress is not None:
        progress(0, len(todo))
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        found = store.chunk_sources([chunk_id for _, chunk_id in part])
        rows = [(sha, *found[chunk_id]) for sha, chunk_id in part if chunk_id in found]
        try:
            _embed_batch(store, embed, model, redactor, rows)
        except EndpointError as error:
            stats.failed, stats.error = len(rows), error.one_line()
            log.info("embedding stopped: %s", stats.error)
            break
        stats.embedded += len(rows)
        if progress is not None:
            progress(start + len(part), len(todo))
    if limit is None:
        stats.pending = len(todo) - stats.embedded
        if hashed and not stats.error:
            store.prune_vectors()
    stats.seconds = time.monotonic() - started
    return stats


def _embed_batch(
    store: IndexStore, embed: Embed, model: str, redactor: Redactor, rows: list[PendingText]
) -> None:
    """Embed one batch of pending texts and store their vectors (one transaction)."""
    if not rows:
        return
    texts, hashes = [], []
    for sha, path, symbol, text in rows:
        sent = embedding_text(path, symbol, text, redactor)
        now = text_hash(sent)
        if now != sha:  # redacted otherwise since it was hashed (the user's keys changed)
            store.rehash_text(sha, now)
        texts.append(sent)
        hashes.append(now)
    vectors = embed(texts)
    if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1 or not vectors[0]:
        raise EndpointError(
            f"the embeddings endpoint answered {len(vectors)} vectors of mixed or no size "
            f"for {len(texts)} texts"
        )
    arrays = [np.asarray(vector, np.float32) for vector in vectors]
    if not all(np.isfinite(array).all() for array in arrays):
        raise EndpointError("the embeddings endpoint answered vectors that are not finite numbers")
    store.add_vectors(model, list(zip(hashes, arrays, strict=True)))


def _is_secret(path: str, root: Path | None) -> bool:
    """Return whether a chunk's file is a secrets file (by name; under `root`, by link too)."""
    if is_secret_path(path):
        return True
    if root is None:
        return False
    from assistant.workspace import is_secret_file

    try:
        return is_secret_file(root, root / path)
    except (OSError, ValueError):
        return False
