"""Pick what a completion prompt shows besides the current file, within a token budget.

Two kinds of cross-file context, as in Qwen's repository-level FIM training: the definitions of
the names used near the cursor or imported by the file (closest names first), and the chunks
elsewhere in the repository most similar to the code just before the cursor. Definitions go
last, nearest the current file, since they matter most.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.context.priors import file_kind
from assistant.context.tokens import chars_for, estimate_tokens
from assistant.context.words import CODE_WORDS
from assistant.editor.api import ApiSource, imported_api, render
from assistant.editor.postprocess import wants_multiline
from assistant.index.model import Chunk, Symbol
from assistant.index.tokens import code_tokens
from assistant.llm.fim import ContextFile

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IMPORT_LINE = re.compile(r"^\s*(?:from\s|import\s|use\s|#include|require|using\s)")
NAME_WINDOW_LINES = 40
MAX_NAMES = 24
DEFINITIONS_PER_NAME = 2
MAX_DEFINITION_LINES = 60
SIMILAR_QUERY_LINES = 12
SIMILAR_CANDIDATES = 12
SIMILAR_QUERY_TERMS = 6
MIN_SNIPPET_TOKENS = 24  # below this much budget left, nothing useful fits
MAX_SIMILAR_LINES = 40


class ContextSource(ApiSource, Protocol):
    """What context assembly reads: the index (with unsaved buffers laid over it)."""

    def search_chunks(self, query: str, limit: int = 50) -> list[tuple[Chunk, float]]:
        """Return chunks matching the query, best first."""
        ...

    def rare_terms(self, tokens: list[str], limit: int) -> list[str]:
        """Return up to `limit` of the search tokens that few chunks hold."""
        ...


@dataclass(frozen=True)
class Budget:
    """Token budget of one completion prompt, by part."""

    prefix_tokens: int = 1_500
    suffix_tokens: int = 500
    context_tokens: int = 2_000
    definitions_share: float = 0.5  # of context_tokens: definitions of names near the cursor
    api_share: float = 0.3  # then signatures of what the file imports; the rest fills up


@dataclass(frozen=True)
class Cursor:
    """The buffer being edited and where the cursor is (a character offset)."""

    path: str
    text: str
    offset: int

    @property
    def prefix(self) -> str:
        """Return the text before the cursor."""
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        """Return the text after the cursor."""
        return self.text[self.offset :]


@dataclass(frozen=True)
class CompletionContext:
    """Everything a FIM prompt is made of, already cut to the budget."""

    path: str
    prefix: str
    suffix: str
    files: tuple[ContextFile, ...]
    multiline: bool
    labels: tuple[str, ...] = ()  # what was included, "path:start-end", most relevant last


def assemble(source: ContextSource | None, cursor: Cursor, budget: Budget) -> CompletionContext:
    """Return the prompt parts for a completion at `cursor`."""
    prefix = _keep_tail(cursor.prefix, budget.prefix_tokens)
    suffix = _keep_head(cursor.suffix, budget.suffix_tokens)
    multiline = wants_multiline(cursor.prefix, cursor.suffix)
    if source is None:
        return CompletionContext(cursor.path, prefix, suffix, (), multiline)
    snippets = _Snippets(budget.context_tokens)
    near = definitions_near(source, cursor)
    floor = budget.context_tokens * (1 - budget.definitions_share)
    for symbol in near:
        if snippets.left < max(floor, MIN_SNIPPET_TOKENS):
            break
        snippets.add_definition(source, symbol)
    floor = snippets.left - budget.context_tokens * budget.api_share
    for entry in imported_api(source, cursor.path, cursor.text, cursor.offset):
        if snippets.left < max(floor, MIN_SNIPPET_TOKENS):
            break
        snippets.add_signature(entry.symbol, render(source, entry.symbol))
    for symbol in near:
        if snippets.left < MIN_SNIPPET_TOKENS:
            break
        snippets.add_definition(source, symbol)
    if snippets.left >= MIN_SNIPPET_TOKENS:
        for chunk in _similar_chunks(source, cursor):
            snippets.add_similar(chunk)
    files, labels = snippets.render()
    return CompletionContext(cursor.path, prefix, suffix, files, multiline, labels)


def names_near(cursor: Cursor) -> list[str]:
    """Return identifiers used around the cursor (closest first), then those imported."""
    before = cursor.prefix.split("\n")[-NAME_WINDOW_LINES:]
    after = cursor.suffix.split("\n")[: NAME_WINDOW_LINES // 4]
    ordered: list[str] = []
    for line in reversed(before):
        ordered += reversed(_IDENTIFIER.findall(line))
    for line in after:
        ordered += _IDENTIFIER.findall(line)
    for line in cursor.text.split("\n"):
        if _IMPORT_LINE.match(line):
            ordered += _IDENTIFIER.findall(line)
    names = (n for n in ordered if len(n) > 1 and n.lower() not in CODE_WORDS)
    return list(dict.fromkeys(names))[:MAX_NAMES]


def definitions_near(source: ContextSource, cursor: Cursor) -> list[Symbol]:
    """Return the definitions, in other files, of the names near the cursor (closest first)."""
    imports = " ".join(line for line in cursor.text.split("\n") if _IMPORT_LINE.match(line))
    found: list[Symbol] = []
    for name in names_near(cursor):
        candidates = [s for s in source.symbols(name=name) if s.path != cursor.path]
        candidates.sort(key=lambda s: (not _imported_from(s.path, imports), s.path, s.start_line))
        found += candidates[:DEFINITIONS_PER_NAME]
    return found


def _imported_from(path: str, imports: str) -> bool:
    module = path.rsplit(".", 1)[0].replace("/", ".").removesuffix(".__init__")
    stem = module.rsplit(".", 1)[-1]
    return module in imports or (stem in imports and len(stem) > 2)


def _similar_chunks(source: ContextSource, cursor: Cursor) -> list[Chunk]:
    lines = [line for line in cursor.prefix.split("\n") if line.strip()][-SIMILAR_QUERY_LINES:]
    names = [n for n in _IDENTIFIER.findall("\n".join(lines)) if n.lower() not in CODE_WORDS]
    terms = source.rare_terms(code_tokens(" ".join(names)), SIMILAR_QUERY_TERMS)
    if not terms:
        return []
    hits = source.search_chunks(" ".join(terms), limit=SIMILAR_CANDIDATES)
    wanted = {"source", file_kind(cursor.path)}  # not docs, changelogs or tests for source
    return [c for c, _score in hits if c.path != cursor.path and file_kind(c.path) in wanted]


_Snippet = tuple[str, int, int, str]  # path, first line, last line, text


class _Snippets:
    """Collect snippets per file within the token budget, without overlaps."""

    def __init__(self, budget: int) -> None:
        self.left = budget
        self.definitions: list[_Snippet] = []
        self.signatures: list[_Snippet] = []
        self.similar: list[_Snippet] = []

    def add_definition(self, source: ContextSource, symbol: Symbol) -> None:
        """Add a symbol's source (or its outline, if long)."""
        if self._overlaps(symbol.path, symbol.start_line, symbol.end_line):
            return
        text = _definition_text(source, symbol)
        if text:
            self._add(self.definitions, symbol.path, symbol.start_line, symbol.end_line, text)

    def add_signature(self, symbol: Symbol, text: str) -> None:
        """Add an imported definition's signature (one or two lines)."""
        self._add(self.signatures, symbol.path, symbol.start_line, symbol.start_line, text)

    def add_similar(self, chunk: Chunk) -> None:
        """Add a similar chunk, cut to a few dozen lines."""
        lines = chunk.text.split("\n")[:MAX_SIMILAR_LINES]
        end = chunk.start_line + len(lines) - 1
        self._add(self.similar, chunk.path, chunk.start_line, end, "\n".join(lines))

    def _add(self, into: list[_Snippet], path: str, start: int, end: int, text: str) -> None:
        cost = estimate_tokens(text) + estimate_tokens(path) + 2
        if cost > self.left or self._overlaps(path, start, end):
            return
        self.left -= cost
        into.append((path, start, end, text))

    def _overlaps(self, path: str, start: int, end: int) -> bool:
        return any(
            p == path and start <= e and s <= end
            for p, s, e, _ in (*self.definitions, *self.signatures, *self.similar)
        )

    def render(self) -> tuple[tuple[ContextFile, ...], tuple[str, ...]]:
        """Return one ContextFile per path (similar code first, definitions last) and labels."""
        ordered = [*reversed(self.similar), *reversed(self.signatures), *reversed(self.definitions)]
        by_path: dict[str, list[tuple[int, int, str]]] = {}
        for path, start, end, text in ordered:
            by_path.setdefault(path, []).append((start, end, text))
        files = tuple(ContextFile(path, _joined(parts)) for path, parts in by_path.items())
        labels = tuple(f"{path}:{start}-{end}" for path, start, end, _ in ordered)
        return files, labels


def _joined(parts: list[tuple[int, int, str]]) -> str:
    """Return a file's snippets in file order, `...` between them unless both are one-liners."""
    text = ""
    previous_short = False
    for start, end, part in sorted(parts):
        short = start == end
        if text:
            text += "\n" if short and previous_short else "\n...\n"
        text += part
        previous_short = short
    return text


def _definition_text(source: ContextSource, symbol: Symbol) -> str:
    text = source.text(symbol.path)
    if text is None:
        return symbol.signature
    lines = text.split("\n", symbol.end_line)[symbol.start_line - 1 : symbol.end_line]
    if len(lines) <= MAX_DEFINITION_LINES:
        return "\n".join(lines)
    if symbol.kind in ("class", "interface", "type"):
        members = [s.signature for s in source.symbols(path=symbol.path) if s.parent == symbol.name]
        return "\n".join([lines[0], *_indent(members, lines)])
    return "\n".join([*lines[: MAX_DEFINITION_LINES - 1], _indent_of(lines[1]) + "..."])


def _indent(members: Sequence[str], lines: Sequence[str]) -> Iterable[str]:
    pad = _indent_of(lines[1]) if len(lines) > 1 else "    "
    for signature in members:
        yield from (pad + line.strip() for line in signature.split("\n") if line.strip())


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _keep_tail(text: str, tokens: int) -> str:
    """Keep the end of `text` within `tokens`, starting at a line boundary."""
    if estimate_tokens(text) <= tokens:
        return text
    tail = text[-int(chars_for(tokens)) :]
    cut = tail.find("\n")
    return tail[cut + 1 :] if 0 <= cut < len(tail) // 2 else tail


def _keep_head(text: str, tokens: int) -> str:
    """Keep the start of `text` within `tokens`, ending at a line boundary."""
    if estimate_tokens(text) <= tokens:
        return text
    head = text[: int(chars_for(tokens))]
    cut = head.rfind("\n")
    return head[: cut + 1] if cut > len(head) // 2 else head
