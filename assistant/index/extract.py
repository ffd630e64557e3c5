"""Parse one file with tree-sitter and extract its definitions, references and search chunks.

Files with syntax errors still yield what parses (tree-sitter recovers); files in languages
the index has no grammar for are chunked by lines so search still finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tree_sitter

from assistant.index.languages import grammar, language_for
from assistant.index.model import Chunk, ParsedFile, Reference, Symbol
from assistant.index.reparse import TreeCache

MAX_CHUNK_LINES = 120  # a class longer than this is split into its methods
TEXT_WINDOW = 60
MAX_SIGNATURE = 200
BODY_FIELDS = ("body", "block", "declaration_list", "field_declaration_list")
REFERENCE_KINDS = {"call": "call", "import": "import"}  # everything else is a type use
USE_KINDS = frozenset({*REFERENCE_KINDS.values(), "type"})  # every kind a reference can have
CONTAINER_KINDS = {"class", "interface", "module", "type"}
Span = tuple[int, int, str | None]  # first line, last line, symbol name


@dataclass
class _Definition:
    name: str
    kind: str
    node: tree_sitter.Node

    @property
    def start(self) -> int:
        """Return the definition's first line (1-based)."""
        return self.node.start_point[0] + 1

    @property
    def end(self) -> int:
        """Return the definition's last line (1-based)."""
        return self.node.end_point[0] + 1


def parse_source(path: str, data: bytes, trees: TreeCache | None = None) -> ParsedFile:
    """Return everything the index keeps about one file's contents (re-parsing its previous
    tree from `trees` when it has one)."""
    spec = language_for(path)
    if spec is None:
        return parse_as_text(path, data)
    text = data.decode("utf-8", errors="replace")
    language, query = grammar(spec.name)
    if trees is None:
        tree = tree_sitter.Parser(language).parse(data)
    else:
        tree = trees.parse(path, language, data)
    definitions, references = _tags(path, query, tree.root_node)
    symbols = _symbols(path, definitions, data)
    errors = ("syntax errors (indexed what parsed)",) if tree.root_node.has_error else ()
    chunks = _chunks(path, text, symbols)
    return ParsedFile(path, spec.name, tuple(symbols), tuple(references), chunks, errors)


def _tags(
    path: str, query: tree_sitter.Query, root: tree_sitter.Node
) -> tuple[list[_Definition], list[Reference]]:
    definitions: list[_Definition] = []
    references: dict[tuple[bytes | None, str, int], None] = {}  # (name, kind, line), in order
    plans: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
    for _, captures in tree_sitter.QueryCursor(query).matches(root):
        names = captures.get("name")
        if not names:
            continue
        name_node = names[0]
        keys = tuple(captures)
        plan = plans.get(keys)
        if plan is None:
            plan = plans[keys] = _roles(keys)
        for capture, role, kind in plan:
            if role == "reference":
                references[(name_node.text, kind, name_node.start_point[0] + 1)] = None
            else:
                node = _whole_definition(captures[capture][0])
                definitions.append(_Definition(_text(name_node.text), kind, node))
    unique = dict.fromkeys(
        Reference(path, _text(name), kind, line) for name, kind, line in references
    )
    return _dedupe(definitions), list(unique)


def _roles(captures: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Return (capture, role, kind) of a match's definition and reference captures (one plan
    per set of captures: 240,000 matches in Django share a dozen)."""
    return [(c, *_role(c)) for c in captures if _role(c)[0] in ("definition", "reference")]


@lru_cache(maxsize=4096)
def _text(raw: bytes | None) -> str:
    """Return a name node's text (names repeat: decoded once each)."""
    return (raw or b"").decode("utf-8", "replace").strip("\"'<>")


@lru_cache(maxsize=256)
def _role(capture: str) -> tuple[str, str]:
    """Return (role, kind) of a capture name: `reference.call` -> (reference, call); every
    reference that is neither a call nor an import is a type use."""
    role, _, kind = capture.partition(".")
    if role == "reference":
        kind = REFERENCE_KINDS.get(kind, "type")
    return role, kind


def _whole_definition(node: tree_sitter.Node) -> tree_sitter.Node:
    """Widen a C/C++ declarator capture to the whole definition, body included."""
    while node.type.endswith("declarator") and node.parent is not None:
        node = node.parent
    return node


def _dedupe(definitions: list[_Definition]) -> list[_Definition]:
    unique: dict[tuple[str, int, int], _Definition] = {}
    for item in definitions:
        unique.setdefault((item.name, item.node.start_byte, item.node.end_byte), item)
    return sorted(unique.values(), key=lambda d: (d.node.start_byte, -d.node.end_byte))


def _symbols(path: str, definitions: list[_Definition], data: bytes) -> list[Symbol]:
    symbols = []
    stack: list[_Definition] = []
    for item in definitions:
        while stack and stack[-1].node.end_byte <= item.node.start_byte:
            stack.pop()
        parent = next((d for d in reversed(stack) if d.kind in CONTAINER_KINDS), None)
        kind = (
            "method" if item.kind == "function" and parent and parent.kind == "class" else item.kind
        )
        signature = _signature(item.node, data)
        symbols.append(
            Symbol(
                path,
                item.name,
                kind,
                item.start,
                item.end,
                signature,
                parent.name if parent else None,
            )
        )
        stack.append(item)
    return symbols


def _signature(node: tree_sitter.Node, data: bytes) -> str:
    """Return the definition's header: its text up to its body, on one line."""
    end = node.end_byte
    for field in BODY_FIELDS:
        body = node.child_by_field_name(field)
        if body is not None:
            end = body.start_byte
            break
    else:
        newline = data.find(b"\n", node.start_byte, node.end_byte)
        end = newline if newline >= 0 else node.end_byte
    text = data[node.start_byte : end].decode("utf-8", "replace")
    return " ".join(text.split()).rstrip("{:( ")[:MAX_SIGNATURE] or text[:MAX_SIGNATURE]


def _chunks(path: str, text: str, symbols: list[Symbol]) -> tuple[Chunk, ...]:
    """Cover the file: a chunk per top-level symbol (big classes split), and the code between."""
    lines = text.split("\n")
    spans: list[Span] = []
    for symbol in symbols:
        if symbol.parent is not None:
            continue
        if symbol.end_line - symbol.start_line + 1 > MAX_CHUNK_LINES:
            spans += _split_container(symbol, symbols)
        else:
            spans.append((symbol.start_line, symbol.end_line, symbol.name))
    spans = _without_overlaps(sorted(spans))
    chunks: list[Chunk] = []
    cursor = 1
    for start, end, name in spans:
        if start > cursor:
            chunks += _gap_chunks(path, lines, cursor, start - 1)
        chunks.append(Chunk(path, start, end, "\n".join(lines[start - 1 : end]), name))
        cursor = end + 1
    if cursor <= len(lines):
        chunks += _gap_chunks(path, lines, cursor, len(lines))
    return tuple(chunks)


def _split_container(container: Symbol, symbols: list[Symbol]) -> list[tuple[int, int, str | None]]:
    members = [
        s
        for s in symbols
        if s.parent == container.name and container.start_line < s.start_line <= container.end_line
    ]
    spans: list[tuple[int, int, str | None]] = [
        (m.start_line, m.end_line, f"{container.name}.{m.name}") for m in members
    ]
    first = min((m.start_line for m in members), default=container.end_line + 1)
    spans.append((container.start_line, min(first - 1, container.end_line), container.name))
    return spans


def _without_overlaps(
    spans: list[tuple[int, int, str | None]],
) -> list[tuple[int, int, str | None]]:
    result: list[tuple[int, int, str | None]] = []
    for start, end, name in spans:
        if result and start <= result[-1][1]:
            if end <= result[-1][1]:
                continue
            start = result[-1][1] + 1
        if start <= end:
            result.append((start, end, name))
    return result


def _gap_chunks(path: str, lines: list[str], start: int, end: int) -> list[Chunk]:
    chunks = []
    for first in range(start, end + 1, TEXT_WINDOW):
        last = min(end, first + TEXT_WINDOW - 1)
        body = "\n".join(lines[first - 1 : last])
        if body.strip():
            chunks.append(Chunk(path, first, last, body, None))
    return chunks


def parse_as_text(path: str, data: bytes, error: str = "") -> ParsedFile:
    """Return a file chunked by lines only (no grammar, or the grammar gave up on it)."""
    text = data.decode("utf-8", errors="replace")
    return ParsedFile(
        path, "text", chunks=_window_chunks(path, text), errors=(error,) if error else ()
    )


def _window_chunks(path: str, text: str) -> tuple[Chunk, ...]:
    lines = text.split("\n")
    return tuple(_gap_chunks(path, lines, 1, len(lines)))
