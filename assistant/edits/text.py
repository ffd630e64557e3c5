"""Text files as the agent sees them: read with encoding and line endings kept, written back
the same way, and a ledger that refuses edits to files changed since the model read them."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from assistant.edits import atomic
from assistant.errors import EditConflict, EditError


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's state on disk."""

    mtime_ns: int
    size: int
    sha256: str


@dataclass(frozen=True)
class FileText:
    """A text file as read: its text (with "\\n" line ends), encoding, line ending, state."""

    text: str
    encoding: str
    newline: str
    bom: bool
    fingerprint: Fingerprint


def fingerprint(path: Path, data: bytes | None = None) -> Fingerprint:
    """Return the file's current fingerprint."""
    stat = path.stat()
    data = path.read_bytes() if data is None else data
    return Fingerprint(stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest())


def read_text(path: Path) -> FileText:
    """Read a text file, noting encoding, BOM and line ending; refuse binary files."""
    data = Path(path).read_bytes()
    if b"\x00" in data[:8192]:
        raise EditError(f"{path.name} is a binary file; it cannot be read or edited as text")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = body.decode("latin-1"), "latin-1"
    newline = "\r\n" if "\r\n" in text else "\n"
    if newline == "\r\n":
        text = text.replace("\r\n", "\n")
    return FileText(text, encoding, newline, bom, fingerprint(Path(path), data))


def encode(text: str, like: FileText | None) -> bytes:
    """Return the bytes for `text` in the encoding and line ending of `like` (UTF-8/LF if new)."""
    if like is None:
        return text.encode("utf-8")
    if like.newline != "\n":
        text = text.replace("\n", like.newline)
    try:
        data = text.encode(like.encoding, errors="strict")
    except UnicodeEncodeError as error:
        bad = text[error.start : error.end]
        raise EditError(
            f"{bad!r} cannot be written in this file's encoding ({like.encoding})",
            hint="use characters the file's encoding has, or an escape",
        ) from None
    return (b"\xef\xbb\xbf" + data) if like.bom else data


def write_atomic(
    path: Path,
    content: str | bytes,
    *,
    like: FileText | None = None,
    expect: str | None = None,
) -> None:
    """Write a file whole or not at all, in the encoding and line ending of `like` (see
    `assistant.edits.atomic.write_atomic` for `expect`)."""
    data = content if isinstance(content, bytes) else encode(content, like)
    atomic.write_atomic(Path(path), data, expect=expect)


class ReadLedger:
    """Remember what the model last read of each file; refuse edits to files changed since."""

    def __init__(self) -> None:
        self._seen: dict[Path, FileText] = {}

    def remember(self, path: Path, content: FileText) -> None:
        """Record that the model has seen `content` of `path`."""
        self._seen[Path(path).resolve()] = content

    def check(self, path: Path) -> FileText:
        """Return the file as it is now, if the model has read this very state; else refuse."""
        key = Path(path).resolve()
        seen = self._seen.get(key)
        if seen is None:
            raise EditConflict(
                f"{path.name} has not been read in this session", hint="read_file it first"
            )
        current = read_text(key)
        if current.fingerprint.sha256 != seen.fingerprint.sha256:
            raise EditConflict(
                f"{path.name} changed on disk since you read it", hint="read_file it again"
            )
        return current


def unified_diff(name: str, before: str, after: str, context: int = 3) -> str:
    """Return a unified diff of two versions of a file."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
        n=context,
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
