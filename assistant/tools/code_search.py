"""search_code and find_symbol: finding code through the index."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.tools.base import (
    ToolContext,
    ToolOutput,
    ToolSpec,
    optional_int,
    require_str,
)

if TYPE_CHECKING:
    from assistant.index import IndexStore

T = TypeVar("T")


def on_index(ctx: ToolContext, work: Callable[[IndexStore], T]) -> T:
    """Run `work` against the run's index (opened and brought up to date on first use; a
    damaged database is rebuilt and the work run again)."""
    from assistant.index import open_index, query_index

    store = ctx.state.index
    if store is None:
        store = open_index(ctx.root, ctx.settings)
        ctx.state.index, ctx.state.owns_index = store, True
    return query_index(store, ctx.root, ctx.settings, work)


class SearchCode:
    """Ranked code search over the repository index."""

    spec = ToolSpec(
        name="search_code",
        description="Search the repository's code by words, identifiers or a description; "
        "returns the best matching files and snippets with line numbers.",
        parameters={
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer", "description": "how many results (default 8)"},
            },
            "required": ["query"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Search and format the hits."""
        from assistant.context import render_snippets, search
        from assistant.llm.embeddings import semantic_signal

        query = require_str(args, "query")
        limit = max(1, min(optional_int(args, "limit", 8) or 8, 30))
        semantic = semantic_signal(ctx.settings, ctx.root)
        result = await asyncio.to_thread(
            on_index, ctx, lambda s: search(s, query, limit=limit, semantic=semantic)
        )
        return ToolOutput(render_snippets(result, limit) or f"nothing found for {query!r}")


class FindSymbol:
    """Where a symbol is defined and where it is used, from the index."""

    spec = ToolSpec(
        name="find_symbol",
        description="Find the definitions of a symbol (function, class, method, ...) and the "
        "places that reference it.",
        parameters={
            "type": "object",
            "properties": {"name": {"type": "string", "description": "the symbol's name"}},
            "required": ["name"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """List definitions with signatures, then references by file and line."""
        name = require_str(args, "name").split(".")[-1]
        definitions, references = await asyncio.to_thread(
            on_index, ctx, lambda s: (s.symbols(name=name), s.references(name=name))
        )
        if not definitions and not references:
            return ToolOutput(f"no symbol named {name!r} in the index")
        lines = [f"definitions of {name}:"]
        lines += [f"  {s.path}:{s.start_line}  {s.kind}  {s.signature}" for s in definitions]
        lines.append(f"references ({len(references)}):")
        lines += [f"  {r.path}:{r.line}  ({r.kind})" for r in references[:100]]
        return ToolOutput("\n".join(lines))
