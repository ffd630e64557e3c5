"""The context engine's reads as MCP tools, described for a model choosing among its tools.

One method per tool on `EngineTools`, registered with its name, description and read-only
annotations by `register`. Each answers with text the model reads and, where the data has a
shape worth keeping (search hits, symbols, the index status), the same as structured content
with an output schema. Every string of every answer goes through redaction first; files are
read with the agent's own read_file checks (serve_engine.ContextEngine.read).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError as McpToolError
from mcp_types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import Field
from typing_extensions import TypedDict

from assistant.context import SearchResult, render_search, render_snippets, search_result_to_dict
from assistant.errors import AssistantError
from assistant.mcp.serve_engine import ContextEngine, EngineStatus, SymbolFindings
from assistant.security.secrets import Redactor
from assistant.tools.base import ToolError
from assistant.tools.files import READ_LINE_LIMIT

T = TypeVar("T")
CHUNK_CHARS = 4_000  # of each chunk's text in the structured answer (the text shows 12 lines)
READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

SEARCH_CODE = (
    "Find where something is implemented in this repository. Give words, identifiers or a "
    "plain-language description (an issue title works well); get back the best files, each "
    "with why it ranked (text match, defines a name you gave, path, closeness in the reference "
    "graph), and the best code chunks with path, line range, symbol and their first lines. "
    "Use it first when you do not know which file to look in; use find_symbol when you know "
    "the exact name, read_file to see more of a file."
)
FIND_SYMBOL = (
    "Look up a function, class, method, type or constant by its exact name: where it is "
    "defined (path, line, kind, signature) and every place that references it (calls, type "
    "uses, imports; path and line). Use it before changing a signature or to follow a call; "
    "a dotted name (Class.method) is looked up by its last part."
)
REPO_MAP = (
    "Outline the repository: its most important files and their symbols' signatures (bodies "
    "left out), ranked by how much the rest of the code uses them, within a token budget. "
    "Use it at the start of a task to learn the layout; pass focus (file paths) to rank the "
    "map around the files you work on, mentioned (identifiers) to rank toward names."
)
READ_FILE = (
    f"Read a text file of the repository, whole or a line range, at most {READ_LINE_LIMIT} "
    "lines a call; a partial answer starts with the lines it shows and where to read on. Paths "
    "are relative to the repository root. Secrets files (.env, keys, credentials) and git "
    "internals are refused, and secret-looking values are shown as [REDACTED]."
)
INDEX_STATUS = (
    "Report what the code index holds (files, symbols, chunks), when it was last brought up "
    "to date, and any notice (the index was rebuilt after damage, the cache moved). Use it "
    "when answers look stale or empty. Files changed on disk are re-indexed before each "
    "answer of the other tools."
)
INSTRUCTIONS = (
    "Read-only access to one repository's code through its index: search_code to find "
    "where something is, find_symbol for a known name, repo_map for an outline, read_file "
    "to read, index_status when results look off. Nothing here changes any file."
)


class FileHitOut(TypedDict):
    """A ranked file of a search."""

    path: str
    score: float
    reasons: list[str]


class ChunkHitOut(TypedDict):
    """A ranked chunk of a search (its text cut at CHUNK_CHARS)."""

    path: str
    start_line: int
    end_line: int
    symbol: str | None
    score: float
    reasons: list[str]
    text: str


class SearchOut(TypedDict):
    """The structured answer of search_code."""

    query: str
    identifiers: list[str]
    files: list[FileHitOut]
    chunks: list[ChunkHitOut]


class DefinitionOut(TypedDict):
    """Where a symbol is defined."""

    path: str
    line: int
    end_line: int
    kind: str
    signature: str
    parent: str | None


class ReferenceOut(TypedDict):
    """A place that uses a symbol."""

    path: str
    line: int
    kind: str


class SymbolOut(TypedDict):
    """The structured answer of find_symbol."""

    name: str
    definitions: list[DefinitionOut]
    references: list[ReferenceOut]
    references_total: int


class StatusOut(TypedDict):
    """The structured answer of index_status."""

    root: str
    files: int
    symbols: int
    chunks: int
    updated_at: str | None
    last_update_seconds: float
    last_update_parsed: int
    notices: list[str]


class EngineTools:
    """The MCP tools over one context engine; every answer redacted."""

    def __init__(self, engine: ContextEngine, redactor: Redactor) -> None:
        self.engine = engine
        self.redactor = redactor

    async def search_code(
        self,
        query: Annotated[
            str, Field(min_length=1, description="words, identifiers or a description")
        ],
        limit: Annotated[int, Field(ge=1, le=50, description="how many files and chunks")] = 10,
    ) -> Annotated[CallToolResult, SearchOut]:
        """Search the index; answer the ranked hits as text and as data."""
        result = await _engine_call(self.engine.search(query, limit))
        if not result.files:
            return self._answer(f"nothing found for {query!r}", _search_data(result))
        text = "\n".join(render_search(result)) + "\n\n" + render_snippets(result, limit)
        return self._answer(text, _search_data(result))

    async def find_symbol(
        self,
        name: Annotated[str, Field(min_length=1, description="exact name, e.g. QuerySet.filter")],
        limit: Annotated[int, Field(ge=1, le=1000, description="most references listed")] = 100,
    ) -> Annotated[CallToolResult, SymbolOut]:
        """Look a name up; answer its definitions and references as text and as data."""
        found = await _engine_call(self.engine.symbols(name, limit))
        return self._answer(_symbol_text(found), _symbol_data(found))

    async def repo_map(
        self,
        tokens: Annotated[int, Field(ge=64, le=32_768, description="token budget")] = 2_048,
        focus: Annotated[list[str] | None, Field(description="files to rank around")] = None,
        mentioned: Annotated[list[str] | None, Field(description="names to rank toward")] = None,
    ) -> str:
        """Answer the ranked repo map."""
        text = await _engine_call(self.engine.repo_map(tokens, focus or [], mentioned or []))
        return self.redactor.redact(text or "the map is empty: nothing indexed fits the budget")

    async def read_file(
        self,
        path: Annotated[str, Field(description="path relative to the repository root")],
        start_line: Annotated[int, Field(ge=1, description="first line (1-based)")] = 1,
        end_line: Annotated[int | None, Field(ge=1, description="last line, inclusive")] = None,
    ) -> str:
        """Answer a page of a file, redacted."""
        arguments: dict[str, Any] = {"path": path, "start_line": start_line}
        if end_line is not None:
            arguments["end_line"] = end_line
        return self.redactor.redact(await _engine_call(self.engine.read(arguments)))

    async def index_status(self) -> Annotated[CallToolResult, StatusOut]:
        """Answer the index's figures as text and as data."""
        status = await _engine_call(self.engine.status())
        return self._answer(_status_text(status), _status_data(status))

    def _answer(self, text: str, data: Any) -> CallToolResult:
        """Return a tool result with both its text and its data redacted."""
        content: list[ContentBlock] = [TextContent(text=self.redactor.redact(text))]
        return CallToolResult(content=content, structured_content=self._redacted(data))

    def _redacted(self, value: Any) -> Any:
        """Return `value` with every string in it redacted (dicts and lists walked)."""
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, dict):
            return {key: self._redacted(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._redacted(item) for item in value]
        return value


def register(server: MCPServer, tools: EngineTools) -> None:
    """Add the engine's tools to `server`, each with its description and read-only hints."""
    entries = (
        (tools.search_code, "search_code", "Search the code", SEARCH_CODE, None),
        (tools.find_symbol, "find_symbol", "Find a symbol", FIND_SYMBOL, None),
        (tools.repo_map, "repo_map", "Repository map", REPO_MAP, False),
        (tools.read_file, "read_file", "Read a file", READ_FILE, False),
        (tools.index_status, "index_status", "Index status", INDEX_STATUS, None),
    )
    for fn, name, title, description, structured in entries:
        server.add_tool(
            fn,
            name=name,
            title=title,
            description=description,
            annotations=READ_ONLY,
            structured_output=structured,
        )


async def _engine_call(job: Awaitable[T]) -> T:
    """Await an engine call, turning a refusal, a bad path or an index failure into an error
    the model reads (the SDK answers it as a tool result with isError set)."""
    try:
        return await job
    except ToolError as error:
        raise McpToolError(str(error)) from error
    except AssistantError as error:
        raise McpToolError(error.one_line()) from error


def _search_data(result: SearchResult) -> SearchOut:
    """Return a search result as the structured answer (chunk texts cut at CHUNK_CHARS)."""
    data: Any = search_result_to_dict(result)
    for chunk in data["chunks"]:
        if len(chunk["text"]) > CHUNK_CHARS:
            chunk["text"] = chunk["text"][:CHUNK_CHARS] + "\n[... cut]"
    return data  # the shape render.py writes, validated against SearchOut by the SDK


def _symbol_text(found: SymbolFindings) -> str:
    """Return definitions and references as lines, as the agent's find_symbol tool shows them."""
    if not found.definitions and not found.references:
        return f"no symbol named {found.name!r} in the index"
    lines = [f"definitions of {found.name}:"]
    lines += [f"  {s.path}:{s.start_line}  {s.kind}  {s.signature}" for s in found.definitions]
    lines.append(f"references ({found.references_total}):")
    lines += [f"  {r.path}:{r.line}  ({r.kind})" for r in found.references]
    if found.references_total > len(found.references):
        lines.append(f"  [{found.references_total - len(found.references)} more]")
    return "\n".join(lines)


def _symbol_data(found: SymbolFindings) -> SymbolOut:
    """Return a look-up as the structured answer."""
    definitions: list[DefinitionOut] = [
        {"path": s.path, "line": s.start_line, "end_line": s.end_line, "kind": s.kind,
         "signature": s.signature, "parent": s.parent}
        for s in found.definitions
    ]  # fmt: skip
    references: list[ReferenceOut] = [
        {"path": r.path, "line": r.line, "kind": r.kind} for r in found.references
    ]
    return {"name": found.name, "definitions": definitions, "references": references,
            "references_total": found.references_total}  # fmt: skip


def _status_text(status: EngineStatus) -> str:
    """Return the index's figures as a few lines."""
    when = _iso(status.updated_at) or "not yet"
    lines = [
        f"index of {status.root}: {status.files} files, {status.symbols} symbols, "
        f"{status.chunks} chunks",
        f"last brought up to date: {when} ({status.last_update_parsed} files parsed "
        f"in {status.last_update_seconds:.2f} s)",
    ]
    lines += [f"notice: {text}" for text in status.notices]
    return "\n".join(lines)


def _status_data(status: EngineStatus) -> StatusOut:
    """Return the index's figures as the structured answer."""
    return {"root": status.root, "files": status.files, "symbols": status.symbols,
            "chunks": status.chunks, "updated_at": _iso(status.updated_at),
            "last_update_seconds": round(status.last_update_seconds, 3),
            "last_update_parsed": status.last_update_parsed,
            "notices": list(status.notices)}  # fmt: skip


def _iso(seconds: float | None) -> str | None:
    """Return a time as ISO 8601 in UTC, or None."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
