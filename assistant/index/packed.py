"""Each indexed file's text, kept once and compressed; a chunk's text is a range of its lines.

A chunk is a range of whole lines of its file (extract.py), so the index stores the file's
bytes once, zlib-compressed (about 3.7 times smaller than source code), instead of a copy of
the text in every chunk: at 100,000 files that copy was 1.3 GB of a 2.2 GB database. SQL reads
a chunk's text through `chunk_text`, a function every index connection has (`register`), so
the full-text index's external content, the readers and the deletions see the very text the
chunk was indexed with.
"""

from __future__ import annotations

import sqlite3
import zlib

LEVEL = 1  # zlib's fastest: 3.7x on source code at ~3 times the speed of the default 6
# What SQL selects as a chunk's text (with `TEXT_JOIN`; `c` is the chunks table).
CHUNK_TEXT = "chunk_text(ft.packed, c.start_line, c.end_line)"
TEXT_JOIN = "JOIN file_texts ft ON ft.file_id = c.file_id"


class TooBig(ValueError):
    """A packed text that unpacks to more than it may."""


def pack(data: bytes) -> bytes:
    """Return a file's bytes as the index keeps them."""
    return zlib.compress(data, LEVEL)


def unpack(packed: bytes, limit: int | None = None) -> bytes:
    """Return the bytes of a packed file; with `limit`, refuse more than that (TooBig)."""
    if limit is None:
        return zlib.decompress(packed)
    inflater = zlib.decompressobj()
    data = inflater.decompress(packed, limit + 1)
    if len(data) > limit or inflater.unconsumed_tail:
        raise TooBig(f"unpacks to more than {limit} bytes")
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return data


def file_lines(data: bytes) -> list[str]:
    """Return a file's lines as its chunks were cut from them (extract.py decodes this way)."""
    return data.decode("utf-8", errors="replace").split("\n")


class _LastFile:
    """The lines of the last file a chunk was read from: a file's chunks are read in a row
    (its ids are consecutive), so each file is unpacked once, not once per chunk."""

    def __init__(self) -> None:
        self.last: tuple[bytes, list[str]] = (b"", [""])

    def chunk_text(self, packed: bytes | None, start: int | None, end: int | None) -> str:
        if packed is None or start is None or end is None:
            return ""
        last = self.last  # one read: other threads may replace it meanwhile
        if last[0] != packed:
            last = (packed, file_lines(unpack(packed)))
            self.last = last
        return "\n".join(last[1][start - 1 : end])


def register(conn: sqlite3.Connection) -> None:
    """Give a connection the `chunk_text(packed, start_line, end_line)` SQL function."""
    conn.create_function("chunk_text", 3, _LastFile().chunk_text, deterministic=True)
