"""An index a team builds once: export it as one compressed file, start from one elsewhere.

The file is gzip holding one JSON header line and then a SQLite database with the index's
plain tables (files, symbols, references, chunks, the files' packed texts): the same form a
bulk build's worker writes, so importing is merging a shard (`IndexStore.merge`) into an empty
index, then bringing it up to date with the work tree the usual way (files whose content
matches are only re-hashed).

An import is untrusted input. It never carries settings (there are none in the file), it is
refused with a clear message when its format or schema differs, when it is cut short or its
checksum does not match, when it holds anything but those tables, or when the commit it was
made at is not in this repository; rows whose paths could not come from this work tree
(absolute, `..`, git internals, secrets files), and files whose packed text is not the content
their hash names (or unpacks past the size limit), are dropped before anything is written.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zlib
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import __version__
from assistant.errors import AssistantError, GitError, IndexStoreError
from assistant.index.bulk import chunk_fts_values
from assistant.index.faults import remove
from assistant.index.import_rows import MAX_RATIO, ImportRefused, clean
from assistant.index.indexer import Progress, update_index
from assistant.index.model import IndexStats
from assistant.index.schema import SCHEMA_VERSION
from assistant.index.store import IndexStore

MAGIC = "assistant-index"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 64 * 1024
MAX_DOWNLOAD_BYTES = 16 * 1024**3
MAX_PAYLOAD_BYTES = 64 * 1024**3  # the database inside: 2 GB at 100,000 files
MIN_PAYLOAD_CAP = 64 * 1024**2
DOWNLOAD_TIMEOUT = 60.0  # seconds without progress
COPY_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Exported:
    """What `export_index` wrote."""

    path: Path
    files: int
    bytes: int
    commit: str


@dataclass(frozen=True)
class Imported:
    """What `import_index` did: files taken from the file, rows dropped, the catch-up."""

    files: int
    dropped: int
    commit: str
    stats: IndexStats


def export_index(store: IndexStore, root: Path, dest: Path) -> Exported:
    """Write the index held by `store` (of the repository at `root`) to `dest`, atomically."""
    commit = _head(root)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="assistant-export-") as work:
        shard = Path(work) / "index.sqlite"
        files = store.export_shard(shard)
        digest, size = _digest(shard)
        header = {
            "format": MAGIC,
            "version": FORMAT_VERSION,
            "schema": SCHEMA_VERSION,
            "commit": commit,
            "files": files,
            "sha256": digest,
            "bytes": size,
            "made_by": __version__,
        }
        partial = dest.with_name(f".{dest.name}.partial")
        with gzip.open(partial, "wb", compresslevel=6) as out, shard.open("rb") as data:
            out.write(json.dumps(header).encode() + b"\n")
            shutil.copyfileobj(data, out, COPY_BLOCK)
        os.replace(partial, dest)
    return Exported(dest, files, dest.stat().st_size, commit)


def import_index(
    root: Path,
    db_path: Path,
    source: str,
    max_bytes: int,
    progress: Progress | None = None,
) -> Imported:
    """Replace the index at `db_path` with the one in `source` (a path or an http(s) URL),
    then bring it up to date with the work tree at `root`; raise ImportRefused if unusable."""
    root = Path(root).resolve()
    try:
        _head(root)
    except AssistantError as error:
        raise ImportRefused(error.one_line()) from error
    with tempfile.TemporaryDirectory(prefix="assistant-import-") as work:
        packed = _fetch(source, Path(work))
        header, shard = _unpack(packed, Path(work))
        commit = str(header.get("commit", ""))
        if not _has_commit(root, commit):
            raise ImportRefused(
                f"the index file was made at commit {commit[:12] or '?'}, which this repository "
                "does not have: it is another repository's index, or fetch that commit first"
            )
        dropped = clean(shard, max_bytes, os.cpu_count() or 1)
        # Built beside the index and swapped in only when whole: a file that fails half way
        # leaves the user's index as it was.
        fresh = db_path.with_name(f"{db_path.name}.importing")
        remove(fresh, None)
        try:
            with IndexStore(fresh) as store:
                store.begin_bulk()
                files = store.merge(shard, chunk_fts_values(shard, os.cpu_count() or 1))
                store.end_bulk()
                # Every file is judged again by the listing's rules (links, secrets, size),
                # not taken as unchanged on the file's word; matching content is only hashed.
                store.forget_mtimes()
                stats = update_index(store, root, max_bytes, progress)
        except (sqlite3.Error, IndexStoreError, BrokenProcessPool) as error:
            remove(fresh, None)  # (a worker making FTS5 values died: killed, out of memory)
            raise ImportRefused(f"the index file's rows cannot be used ({error})") from error
        remove(db_path, None)
        os.replace(fresh, db_path)
    return Imported(files, dropped, commit, stats)


# -- reading the file --------------------------------------------------------------------------


def _fetch(source: str, work: Path) -> Path:
    """Return a local copy of `source`: the file itself, or a download of an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return _download(source, work / "download.gz")
    if "://" in source:
        raise ImportRefused(f"cannot import from {source!r}: give a file path or an http(s) URL")
    path = Path(source).expanduser()
    if not path.is_file():
        raise ImportRefused(f"no index file at {path}")
    return path


def _download(url: str, dest: Path) -> Path:
    import httpx

    try:
        with httpx.stream("GET", url, timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as reply:
            if reply.status_code != 200:
                raise ImportRefused(f"cannot download {url}: HTTP {reply.status_code}")
            written = 0
            with dest.open("wb") as out:
                for block in reply.iter_raw(COPY_BLOCK):  # as sent: no decoding to inflate it
                    written += len(block)
                    if written > MAX_DOWNLOAD_BYTES:
                        raise ImportRefused(f"{url} is larger than an index file can be")
                    out.write(block)
    except httpx.HTTPError as error:
        raise ImportRefused(f"cannot download {url}: {error}") from error
    return dest


def _unpack(packed: Path, work: Path) -> tuple[dict[str, Any], Path]:
    """Check the header and the checksum; return the header and the database it carries."""
    shard = work / "index.sqlite"
    digest = hashlib.sha256()
    size = 0
    try:
        with gzip.open(packed, "rb") as data:
            line = data.readline(MAX_HEADER_BYTES)
            header = _header(line)
            expected = header.get("bytes")
            most = min(MAX_PAYLOAD_BYTES, max(MIN_PAYLOAD_CAP, packed.stat().st_size * MAX_RATIO))
            if type(expected) is not int or not 0 < expected <= most:
                raise ImportRefused(f"{packed.name} announces an impossible size ({expected!r})")
            with shard.open("wb") as out:
                while block := data.read(COPY_BLOCK):
                    digest.update(block)
                    size += len(block)
                    if size > expected:  # a decompression bomb stops here, not at a full disk
                        raise ImportRefused(f"{packed.name} holds more than its header says")
                    out.write(block)
    except (EOFError, gzip.BadGzipFile, OSError, zlib.error) as error:
        raise ImportRefused(f"{packed.name} is cut short or not an index file ({error})") from error
    if size != header.get("bytes") or digest.hexdigest() != header.get("sha256"):
        raise ImportRefused(f"{packed.name} does not match its checksum: damaged or altered")
    return header, shard


def _header(line: bytes) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, absurd numbers, deep nesting
        header = None
    if not isinstance(header, dict) or header.get("format") != MAGIC:
        raise ImportRefused("not an index file made by `assistant index --export`")
    version, schema = header.get("version"), header.get("schema")
    if (
        type(version) is not int
        or type(schema) is not int
        or (version, schema)
        != (
            FORMAT_VERSION,
            SCHEMA_VERSION,
        )
    ):
        raise ImportRefused(
            f"the index file has format {header.get('version')}, schema {header.get('schema')}; "
            f"this version of the assistant reads format {FORMAT_VERSION}, schema "
            f"{SCHEMA_VERSION} (made by {header.get('made_by', '?')}): export it again"
        )
    return header


# -- checking what it holds -------------------------------------------------------------------


# -- the repository ----------------------------------------------------------------------------


def _head(root: Path) -> str:
    from assistant.git.command import run_git

    try:
        return run_git(root, "rev-parse", "--verify", "HEAD")
    except GitError as error:
        raise AssistantError(
            "an index export records the commit it was made at; this is not a git "
            f"repository with a commit ({error.one_line()})"
        ) from error


def _has_commit(root: Path, commit: str) -> bool:
    from assistant.git.command import run_git

    if len(commit) < 40 or not all(c in "0123456789abcdef" for c in commit):
        return False
    try:
        run_git(root, "cat-file", "-e", f"{commit}^{{commit}}")
    except GitError:
        return False
    return True


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_size
