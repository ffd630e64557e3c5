"""Each indexed file's text, kept once and compressed; a chunk's text is a range of its lines.

A chunk is a range of whole lines of its file (extract.py), so the index stores the file's
bytes once, zlib-compressed (about 3.7 times smaller than source code), instead of a copy of
the text in every chunk: at 100,000 files that copy was 1.3 GB of a 2.2 GB database.

Queries select a chunk's `CHUNK_SOURCE` (its file's packed bytes and its lines) and Python
makes the text (`ChunkTexts`): never a Python function inside a query, whose callback holds
the connection's lock while it waits for the GIL, so that a second thread on the same
connection, holding the GIL while it waits for that lock, freezes the process. The SQL
functions of rows.register_content exist for what only SQLite reads: the full-text index's
external content, in its integrity check.
"""

from __future__ import annotations

import zlib

LEVEL = 1  # zlib's fastest: 3.7x on source code at twice the speed of the default 6 (4.5x)
# What SQL selects for a chunk's text (with `TEXT_JOIN`; `c` is the chunks table).
CHUNK_SOURCE = "ft.packed, c.start_line, c.end_line"
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
    if inflater.unused_data:
        raise zlib.error("data after the end of the stream")
    return data


def file_lines(data: bytes) -> list[str]:
    """Return a file's lines as its chunks were cut from them (extract.py decodes this way)."""
    return data.decode("utf-8", errors="replace").split("\n")


class ChunkTexts:
    """Chunk texts from their `CHUNK_SOURCE`, keeping the lines of the last file: a file's
    chunks come in a row, so each file is unpacked once, not once per chunk."""

    def __init__(self) -> None:
        self.last: tuple[bytes, list[str]] = (b"", [""])

    def __call__(self, packed: bytes | None, start: int | None, end: int | None) -> str:
        """Return the text of lines `start`..`end` of the packed file."""
        if packed is None or start is None or end is None or start < 1:
            return ""
        last = self.last  # one read: other threads may replace it meanwhile
        if last[0] != packed:
            last = (packed, file_lines(unpack(packed)))
            self.last = last
        return "\n".join(last[1][start - 1 : end])
