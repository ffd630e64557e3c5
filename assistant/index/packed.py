"""Each indexed file's text, kept once and compressed; a chunk's text is a range of its lines.

A chunk is a range of whole lines of its file (extract.py), so the index stores the file's
bytes once, zstd-compressed, instead of a copy of the text in every chunk: at 100,000 files that
copy was 1.3 GB of a 2.2 GB database. A big first build trains a zstd dictionary on a sample of
the repository's own files (`train`): source files share their idioms, imports and licence
headers, so each small file then packs a fifth smaller again (Django: 2.9x with zlib, 3.1x
with zstd alone, 3.7x with the dictionary), at twice zlib's speed. A frame names the dictionary
it was packed with; the database keeps every dictionary its texts use (`DICTIONARIES`).

Queries select a chunk's `CHUNK_SOURCE` (its file's packed bytes and its lines) and Python
makes the text (`ChunkTexts`): never a Python function inside a query, whose callback holds
the connection's lock while it waits for the GIL, so that a second thread on the same
connection, holding the GIL while it waits for that lock, freezes the process. The SQL
functions of rows.register_content exist for what only SQLite reads: the full-text index's
external content, in its integrity check.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache

import zstandard

LEVEL = 3  # zstd's default: 4x on source code with a dictionary, ~150 MB/s on one core
DICTIONARY_BYTES = 112_640  # zstd's usual dictionary size
MIN_SAMPLES = 64  # fewer files than this teach a dictionary too little to pay for itself
# What SQL selects for a chunk's text (with `TEXT_JOIN`; `c` is the chunks table).
CHUNK_SOURCE = "ft.packed, c.start_line, c.end_line"
TEXT_JOIN = "JOIN file_texts ft ON ft.file_id = c.file_id"
DICTIONARIES = "pack_dictionaries"  # (id: the dictionary's zstd id, data)
_COMPRESSORS = threading.local()


class BadText(ValueError):
    """A packed text that cannot be unpacked: damaged, truncated, or its dictionary missing."""


class TooBig(BadText):
    """A packed text that unpacks to more than it may."""


def train(samples: Sequence[bytes]) -> bytes | None:
    """Return a dictionary trained on `samples` (files' bytes), or None when they are too few
    or too alike to train one."""
    if len(samples) < MIN_SAMPLES:
        return None
    try:
        # Fixed cover parameters: zstd's search over them takes 5x as long for 0-1% better.
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, list(samples), k=1024, d=8)
    except zstandard.ZstdError:
        return None
    return trained.as_bytes()


def dictionary_id(data: bytes) -> int:
    """Return the id a dictionary's frames carry (0: not a trained dictionary)."""
    return int(zstandard.ZstdCompressionDict(data).dict_id())


@lru_cache(maxsize=8)
def _loaded(data: bytes) -> zstandard.ZstdCompressionDict:
    """A dictionary ready to pack and unpack with, kept by content (not by id: another
    database's dictionary may claim the same id)."""
    loaded = zstandard.ZstdCompressionDict(data)
    loaded.precompute_compress(level=LEVEL)
    return loaded


def pack(data: bytes, dictionary: bytes | None = None) -> bytes:
    """Return a file's bytes as the index keeps them (with `dictionary`, if any)."""
    return _compressor(dictionary).compress(data)


def _compressor(dictionary: bytes | None) -> zstandard.ZstdCompressor:
    """Return this thread's compressor for `dictionary` (a compressor is not thread-safe, and
    a new one per file costs a third more than the packing itself: ~30 us of set-up)."""
    mine: dict[bytes | None, zstandard.ZstdCompressor] | None
    mine = getattr(_COMPRESSORS, "by_dictionary", None)
    if mine is None:
        mine = _COMPRESSORS.by_dictionary = {}
    found = mine.get(dictionary)
    if found is None:
        if len(mine) >= 4:
            mine.clear()
        loaded = _loaded(dictionary) if dictionary else None
        found = mine[dictionary] = zstandard.ZstdCompressor(level=LEVEL, dict_data=loaded)
    return found


def unpack(
    packed: bytes, limit: int | None = None, conn: sqlite3.Connection | None = None
) -> bytes:
    """Return the bytes of a packed file, its dictionary read from `conn` when it has one;
    with `limit`, refuse more than that (TooBig). Anything else wrong raises BadText."""
    return Unpacker(conn)(packed, limit)


class Unpacker:
    """Unpacks texts of one database, reading each dictionary they name from it once."""

    def __init__(self, conn: sqlite3.Connection | None) -> None:
        self.conn = conn
        self._dictionaries: dict[int, zstandard.ZstdCompressionDict] = {}

    def __call__(self, packed: bytes, limit: int | None = None) -> bytes:
        """Return the bytes of a packed file (see `unpack`)."""
        try:
            size = zstandard.frame_content_size(packed)
            wanted = zstandard.get_frame_parameters(packed).dict_id
        except zstandard.ZstdError as error:
            raise BadText(f"not a packed text ({error})") from error
        if size < 0:  # every frame packed here says its size
            raise BadText("a packed text that does not say its size")
        if limit is not None and size > limit:
            raise TooBig(f"unpacks to more than {limit} bytes")
        loaded = self._dictionary(wanted) if wanted else None
        try:
            data = zstandard.ZstdDecompressor(dict_data=loaded).decompress(
                packed, max_output_size=size, allow_extra_data=False
            )
        except zstandard.ZstdError as error:
            raise BadText(f"a damaged packed text ({error})") from error
        if len(data) != size:
            raise BadText("a packed text that unpacks to another size than it says")
        return bytes(data)

    def _dictionary(self, wanted: int) -> zstandard.ZstdCompressionDict:
        loaded = self._dictionaries.get(wanted)
        if loaded is None:
            row = None
            if self.conn is not None:
                row = self.conn.execute(
                    f"SELECT data FROM {DICTIONARIES} WHERE id = ?", (wanted,)
                ).fetchone()
            if row is None or not isinstance(row[0], bytes):
                raise BadText(f"packed with dictionary {wanted}, which the index does not have")
            try:
                loaded = self._dictionaries[wanted] = _loaded(row[0])
            except zstandard.ZstdError as error:
                raise BadText(f"dictionary {wanted} is damaged ({error})") from error
        return loaded


def file_lines(data: bytes) -> list[str]:
    """Return a file's lines as its chunks were cut from them (extract.py decodes this way)."""
    return data.decode("utf-8", errors="replace").split("\n")


class ChunkTexts:
    """Chunk texts of one database from their `CHUNK_SOURCE`, keeping the lines of the last
    file: a file's chunks come in a row, so each file is unpacked once, not once per chunk."""

    def __init__(self, conn: sqlite3.Connection | None) -> None:
        self.unpack = Unpacker(conn)
        self.last: tuple[bytes, list[str]] = (b"", [""])

    def __call__(self, packed: bytes | None, start: int | None, end: int | None) -> str:
        """Return the text of lines `start`..`end` of the packed file."""
        if packed is None or start is None or end is None or start < 1:
            return ""
        last = self.last  # one read: other threads may replace it meanwhile
        if last[0] != packed:
            last = (packed, file_lines(self.unpack(packed)))
            self.last = last
        return "\n".join(last[1][start - 1 : end])


def current_dictionary(conn: sqlite3.Connection) -> bytes | None:
    """Return the dictionary new texts of this database are packed with, if it has one."""
    row = conn.execute(
        f"SELECT d.data FROM meta m JOIN {DICTIONARIES} d ON d.id = CAST(m.value AS INTEGER) "
        "WHERE m.key = 'pack_dictionary'"
    ).fetchone()
    return row[0] if row and isinstance(row[0], bytes) else None


def keep_dictionary(conn: sqlite3.Connection, data: bytes) -> bool:
    """Make `data` the dictionary new texts are packed with; False (and nothing kept) when
    the database already has another dictionary under its id, which texts may be using."""
    wanted = dictionary_id(data)
    with conn:
        row = conn.execute(f"SELECT data FROM {DICTIONARIES} WHERE id = ?", (wanted,)).fetchone()
        if not wanted or (row is not None and row[0] != data):
            return False
        conn.execute(f"INSERT OR IGNORE INTO {DICTIONARIES} VALUES (?, ?)", (wanted, data))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('pack_dictionary', ?)", (str(wanted),))
    return True
