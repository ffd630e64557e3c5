"""Read and parse one file into what the index stores: its record, its parse and its FTS terms.

Runs in a worker process (a pool of the incremental update, or a bulk-build shard) or in this
one; both updates (indexer.py) and bulk builds (bulk.py) call it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence

from assistant.index.extract import parse_as_text, parse_source
from assistant.index.model import FileRecord, Unindexed
from assistant.index.reparse import TreeCache
from assistant.index.rows import IndexedFile, file_terms
from assistant.workspace import content_skip_reason

log = logging.getLogger(__name__)
ParseOutcome = IndexedFile | Unindexed  # parsed (with its FTS rows), or why it was left out
_WORKER_DICTIONARY: bytes | None = None  # see use_dictionary


def parse_one(
    root: str, path: str, trees: TreeCache | None = None, dictionary: bytes | None = None
) -> ParseOutcome:
    """Read and parse one file (in a worker process, or in this one with the trees of files
    parsed lately), its text packed with the index's `dictionary`; an unreadable file becomes
    an error."""
    try:
        stat, data = _read(os.path.join(root, path))
    except OSError as error:
        return Unindexed(path, "unreadable", f"{error.strerror or error}")
    reason = content_skip_reason(data)
    if reason is not None:
        return Unindexed(path, reason, judged=(stat.st_size, stat.st_mtime_ns))
    try:
        parsed = parse_source(path, data, trees)
    except (ValueError, RecursionError) as error:  # tree-sitter gave up: keep the file as text
        log.warning("could not parse %s: %s", path, error)
        parsed = parse_as_text(path, data, str(error))
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    sha = digest(data)
    record = FileRecord(path, parsed.language, stat.st_size, stat.st_mtime_ns, sha, n_lines)
    return record, parsed, file_terms(parsed, data, dictionary)


def use_dictionary(dictionary: bytes | None) -> None:
    """Set the dictionary `parse_in_worker` packs with (a worker pool's initializer: sent once
    per process, not with every file)."""
    global _WORKER_DICTIONARY
    _WORKER_DICTIONARY = dictionary


def parse_in_worker(root: str, path: str) -> ParseOutcome:
    """`parse_one` in a pool's worker, with the dictionary `use_dictionary` set."""
    return parse_one(root, path, None, _WORKER_DICTIONARY)


def sample_files(root: str, paths: Sequence[str], count: int, most_bytes: int) -> list[bytes]:
    """Return the contents of up to `count` of `paths`, spread over the list, that the index
    would keep (no binaries, none over a quarter of `most_bytes`), `most_bytes` in all: what a
    packing dictionary is trained on."""
    step = max(1, len(paths) // count)
    found: list[bytes] = []
    for path in paths[::step]:
        try:
            _, data = _read(os.path.join(root, path))
        except OSError:
            continue
        if len(data) > most_bytes // 4 or content_skip_reason(data) is not None:
            continue
        most_bytes -= len(data)
        if most_bytes < 0 or len(found) == count:
            break
        found.append(data)
    return found


def digest(data: bytes) -> str:
    """Return the content hash the index keeps per file."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def _read(path: str) -> tuple[os.stat_result, bytes]:
    """Return a file's stat and contents, with one open and one stat (a cold build reads
    thousands: `Path.stat` plus `Path.read_bytes` cost four times as much)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        stat = os.fstat(fd)
        parts = []
        while chunk := os.read(fd, max(stat.st_size + 1, 1 << 16)):
            parts.append(chunk)  # more than one when the file grew since the fstat
        return stat, b"".join(parts)
    finally:
        os.close(fd)
