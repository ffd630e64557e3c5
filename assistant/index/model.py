"""The index's data: what one parsed file yields, what the store knows of a file, and what an
update did; records shared across the core.

Symbols, references, chunks and file records are named tuples: a big file yields tens of
thousands of them (and an update reads one record per file), and a tuple is several times
quicker to make and to send between processes than a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Symbol(NamedTuple):
    """A definition: module, class, function, method, interface, type or constant."""

    path: str  # repository-relative, POSIX separators
    name: str
    kind: str  # "module" | "class" | "function" | "method" | "interface" | "type" | "constant"
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    signature: str  # the definition's header line(s), body elided
    parent: str | None = None  # enclosing symbol's name (class of a method), if any


class FileRecord(NamedTuple):
    """What the index knows about one file."""

    path: str
    language: str
    size: int
    mtime: int  # nanoseconds
    sha: str
    n_lines: int

    def row(self) -> tuple[str, str, int, int, str, int]:
        """Return the record's columns in table order."""
        return (self.path, self.language, self.size, self.mtime, self.sha, self.n_lines)


class Unindexed(NamedTuple):
    """A file left out of the index: unreadable (with the error), or not worth indexing by its
    contents (binary, generated, minified; with the size and mtime it had when read)."""

    path: str
    reason: str
    detail: str = ""
    judged: tuple[int, int] | None = None


class Reference(NamedTuple):
    """A use of a name: a call, a type use or an import."""

    path: str
    name: str
    kind: str  # "call" | "type" | "import"
    line: int  # 1-based


class Chunk(NamedTuple):
    """A piece of a file for search: usually one symbol's source, or the file's top level."""

    path: str
    start_line: int
    end_line: int
    text: str
    symbol: str | None = None  # the symbol this chunk holds, if any


@dataclass(frozen=True)
class ParsedFile:
    """Everything extracted from one file."""

    path: str
    language: str
    symbols: tuple[Symbol, ...] = ()
    references: tuple[Reference, ...] = ()
    chunks: tuple[Chunk, ...] = ()
    errors: tuple[str, ...] = field(default=())  # parse problems worth a line in --stats


@dataclass
class IndexStats:
    """What one update did."""

    files: int = 0
    parsed: int = 0
    added: int = 0  # of the files parsed, those new to the index
    unchanged: int = 0
    removed: int = 0
    symbols: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    notice: str = ""

    def to_json(self) -> dict[str, object]:
        """Return the figures as JSON-ready data (what `assistant index --json` prints)."""
        return {
            "files": self.files, "parsed": self.parsed, "added": self.added,
            "unchanged": self.unchanged,
            "removed": self.removed, "symbols": self.symbols, "seconds": round(self.seconds, 3),
            "skipped": {reason: sorted(paths) for reason, paths in self.skipped.items()},
            "errors": self.errors, "notice": self.notice,
        }  # fmt: skip
