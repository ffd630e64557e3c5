"""The repo map: ranked file paths with their most important symbols' signatures, bodies elided.

Symbols are ranked by the PageRank that flows to them along the reference graph (personalised by
the focus files and mentioned names); the map holds as many of the best as fit the token budget,
found by binary search on how many symbols to show. Files appear in rank order, their symbols in
source order, methods indented under their class.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.context.cache import (
    DiskForm,
    can_bring_forward,
    carried,
    disk_get,
    disk_put,
    index_state,
    memoize,
)
from assistant.context.graph_disk import graph_arrays, graph_from_arrays
from assistant.context.map_lines import one_line
from assistant.context.map_table import (
    SYMBOL_TABLE_DISK,
    Positions,
    SymbolTable,
    paired,
    updated_table,
)
from assistant.context.tokens import chars_for, tokens_for

if TYPE_CHECKING:
    from assistant.context.graph import FileGraph
    from assistant.index import IndexStore
    from assistant.index.model import Symbol

MAP_VERSION = "2"  # part of the cache key: change it when ranking or rendering changes
# Symbols nobody references still deserve a place after the referenced ones, in file-rank order;
# a focus file's own symbols get its whole rank, so the map shows what the user is looking at.
UNREFERENCED_SHARE = 1e-3
CONTAINER_KINDS = frozenset({"class", "interface", "type"})
SAFETY = 1.25  # slack on the bound of how many symbols fit (repeated lines render once)


@dataclass(frozen=True)
class RankedSymbol:
    """A symbol with its score for the map."""

    symbol: Symbol
    score: float


def repo_map(
    store: IndexStore,
    tokens: int,
    *,
    focus: Sequence[str] = (),
    mentioned: Sequence[str] = (),
) -> str:
    """Return the repo map that best fits `tokens`, personalised by focus files and names."""
    state = index_state(store)
    key = _cache_key(tokens, focus, mentioned)
    cache_file = store.db_path.with_name(store.db_path.name + ".maps.json")
    cached = disk_get(cache_file, state, key)
    if cached is not None:
        return cached
    ranked = ranked_symbols(store, focus=focus, mentioned=mentioned, state=state, fit=tokens)
    text = fit_map(ranked, tokens)
    disk_put(cache_file, state, key, text)
    return text


def ranked_symbols(
    store: IndexStore,
    *,
    focus: Sequence[str] = (),
    mentioned: Sequence[str] = (),
    state: str | None = None,
    limit: int | None = None,
    fit: int | None = None,
) -> list[RankedSymbol]:
    """Return the mappable symbols, most important first: at most `limit`, and with `fit`
    only as many as could fit a map of that many tokens (each renders its own line at least)."""
    from assistant.context.rank import Focus, definition_flow, rank_files

    state = state or index_state(store)
    graph = shared_graph(store, state)
    table = _symbol_table(store, graph, state)
    position = carried(
        store,
        "map-positions",
        lambda: Positions.of(table, graph),
        lambda old, changed: old.brought_to(table, graph, sorted(changed)),
    ).rows
    ranking = rank_files(graph, Focus(files=tuple(focus), identifiers=tuple(mentioned)))
    others = ~np.isin(table.node, [graph.nodes[p] for p in focus if p in graph.nodes])
    # (own share + received) x kind, in place: a million symbols' arrays made once, not six times
    score = ranking.scores[table.node]
    np.multiply(score, UNREFERENCED_SHARE, out=score, where=others)
    score += np.append(definition_flow(ranking), 0.0)[position]  # (-1, no definition row: 0)
    np.multiply(score, table.kind_weight, out=score, where=others)
    budget = chars_for(fit) * SAFETY if fit is not None else None
    if budget is not None and len(score):
        # no more symbols fit than the budget holds of the shortest line
        most = int(budget // max(int(table.line_chars.min()), 1)) + 1
        limit = most if limit is None else min(limit, most)
    order = best_first(score, limit)
    if budget is not None:
        used = np.cumsum(table.line_chars[order])
        order = order[: int(np.searchsorted(used, budget)) + 1]
    chosen = order.tolist()
    symbols = store.symbols_by_rowid(table.rowid[chosen].tolist())
    return [
        RankedSymbol(symbols[rowid], float(score[i]))
        for i, rowid in zip(chosen, table.rowid[chosen].tolist(), strict=True)
        if rowid in symbols
    ]


def _symbol_table(store: IndexStore, graph: FileGraph, state: str) -> SymbolTable:
    """Return the map's symbol table lined up with `graph`: remembered, brought forward past
    the files changed since, loaded from disk, or built (and saved)."""
    table = carried(
        store,
        "map-symbols",
        lambda: SymbolTable.build(store, graph),
        lambda old, changed: updated_table(old, store, graph, changed),
        SYMBOL_TABLE_DISK,
    )
    return memoize(
        state,
        "map-symbols-paired",
        lambda: paired(table, graph) or SymbolTable.build(store, graph),
    )


def prepare_map(store: IndexStore) -> None:
    """Build the reference graph and the map's symbol table now, and save them beside the
    index, when the next map could not bring them forward from what is saved (a first build,
    or many files changed): the ~5 s a first map at 100,000 files would otherwise spend."""
    if all(can_bring_forward(store, kind) for kind in ("graph", "map-symbols")):
        return
    state = index_state(store)
    _symbol_table(store, shared_graph(store, state), state)


def best_first(score: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Return the indices of the `limit` highest scores, highest first, ties in index order:
    `np.argsort(-score, kind="stable")[:limit]` without sorting a million scores for a few
    thousand."""
    if limit is None or not 0 < limit < len(score) or np.isnan(score).any():
        return np.argsort(-score, kind="stable")[:limit]  # (a NaN sorts last there)
    threshold = np.partition(score, len(score) - limit)[len(score) - limit]
    candidates = np.flatnonzero(score >= threshold)  # ascending: a stable sort keeps ties so
    return candidates[np.argsort(-score[candidates], kind="stable")][:limit]


def shared_graph(store: IndexStore, state: str) -> FileGraph:
    """Return the reference graph for this index state: cached, brought forward past the
    files edited since the last state this process saw, or built."""
    from assistant.context.graph import build_graph
    from assistant.context.graph_update import update_graph
    from assistant.context.rank import forget_walk

    def brought_forward(old: FileGraph, changed: set[str]) -> FileGraph | None:
        forget_walk(old)
        return update_graph(old, store, changed)

    return carried(store, "graph", lambda: build_graph(store), brought_forward, GRAPH_DISK)


GRAPH_DISK: DiskForm[FileGraph] = DiskForm(graph_arrays, graph_from_arrays)


def fit_map(ranked: Sequence[RankedSymbol], tokens: int) -> str:
    """Return the rendering of the most best symbols whose estimate fits `tokens`."""
    containers = {
        (item.symbol.path, item.symbol.name): item.symbol
        for item in ranked
        if item.symbol.kind in CONTAINER_KINDS and item.symbol.parent is None
    }
    count = _most_that_fit(ranked, containers, tokens)
    return render_map((item.symbol for item in ranked[:count]), containers)


def _most_that_fit(
    ranked: Sequence[RankedSymbol], containers: Mapping[tuple[str, str], Symbol], tokens: int
) -> int:
    """Return how many of the best symbols `render_map` can show within `tokens`: one pass that
    keeps the rendering's length and line count as symbols are added (both only grow)."""
    shown: dict[str, set[str]] = {}
    chars = lines = 0
    for count, item in enumerate(ranked):
        symbol = item.symbol
        file_lines = shown.get(symbol.path)
        if file_lines is None:
            file_lines = shown[symbol.path] = set()
            chars, lines = chars + len(symbol.path) + 2, lines + 1  # "path:" and its newline
        for member in (containers.get((symbol.path, symbol.parent or "")), symbol):
            text = None if member is None else _map_line(member)
            if text is not None and text not in file_lines:
                file_lines.add(text)
                chars, lines = chars + len(text) + 1, lines + 1
        if tokens_for(chars, lines + 1) > tokens:  # a text ending in a newline: one line more
            return count
    return len(ranked)


def render_map(
    symbols: Iterable[Symbol], containers: Mapping[tuple[str, str], Symbol] | None = None
) -> str:
    """Render symbols grouped by file (files in the order first seen), in source order.

    A method shown without its class gets the class's line above it (from `containers`, keyed
    by path and name), so the map never shows a method out of context.
    """
    by_file: dict[str, dict[int, Symbol]] = defaultdict(dict)
    for symbol in symbols:
        members = by_file[symbol.path]
        members[id(symbol)] = symbol
        parent = (containers or {}).get((symbol.path, symbol.parent or ""))
        if parent is not None:
            members.setdefault(id(parent), parent)
    blocks = []
    for path, members in by_file.items():
        lines = {f"{path}:": None}
        for symbol in sorted(members.values(), key=lambda s: (s.start_line, s.end_line)):
            # the same definition under two branches reads once (dict keys stay unique)
            lines[_map_line(symbol)] = None
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + ("\n" if blocks else "")


def _map_line(symbol: Symbol) -> str:
    """Return a symbol's line in the map: indented under its file (and class), one line."""
    indent = "    " if symbol.parent else "  "
    return indent + one_line(symbol.signature or f"{symbol.kind} {symbol.name}")


def _cache_key(tokens: int, focus: Sequence[str], mentioned: Sequence[str]) -> str:
    """Return the disk-cache key of one map request."""
    text = "\0".join([MAP_VERSION, str(tokens), *sorted(focus), "\1", *sorted(mentioned)])
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
