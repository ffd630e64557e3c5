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

from assistant.context.cache import disk_get, disk_put, index_state, memoize
from assistant.context.tokens import estimate_tokens

if TYPE_CHECKING:
    from assistant.context.graph import FileGraph
    from assistant.index import IndexStore
    from assistant.index.model import Symbol

MAX_SIGNATURE_CHARS = 160
MAP_VERSION = "2"  # part of the cache key: change it when ranking or rendering changes
# Symbols nobody references still deserve a place after the referenced ones, in file-rank order;
# a focus file's own symbols get its whole rank, so the map shows what the user is looking at.
UNREFERENCED_SHARE = 1e-3
MAPPED_KINDS = frozenset({"class", "function", "method", "interface", "type", "constant"})
CONTAINER_KINDS = frozenset({"class", "interface", "type"})


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
    ranked = ranked_symbols(store, focus=focus, mentioned=mentioned, state=state)
    text = fit_map(ranked, tokens)
    disk_put(cache_file, state, key, text)
    return text


def ranked_symbols(
    store: IndexStore,
    *,
    focus: Sequence[str] = (),
    mentioned: Sequence[str] = (),
    state: str | None = None,
) -> list[RankedSymbol]:
    """Return every mappable symbol, most important first."""
    from assistant.context.priors import kind_weight
    from assistant.context.rank import Focus, rank_definitions, rank_files

    state = state or index_state(store)
    graph = shared_graph(store, state)
    ranking = rank_files(graph, Focus(files=tuple(focus), identifiers=tuple(mentioned)))
    flow = rank_definitions(ranking)
    symbols = memoize(state, "symbols", lambda: _mappable(store.all_symbols()))
    focused = set(focus)
    scored = []
    for symbol in symbols:
        node = graph.nodes.get(symbol.path)
        if node is None:
            continue
        name_id = graph.name_ids.get(symbol.name, -1)
        own = 1.0 if symbol.path in focused else UNREFERENCED_SHARE
        score = flow.get((node, name_id), 0.0) + own * float(ranking.scores[node])
        if symbol.path not in focused:
            score *= kind_weight(symbol.path)
        scored.append(RankedSymbol(symbol, score))
    scored.sort(key=lambda item: -item.score)
    return scored


def shared_graph(store: IndexStore, state: str) -> FileGraph:
    """Return the reference graph for this index state, built once per process and state."""
    from assistant.context.graph import build_graph

    return memoize(state, "graph", lambda: build_graph(store))


def fit_map(ranked: Sequence[RankedSymbol], tokens: int) -> str:
    """Return the largest rendering of the best symbols whose estimate fits `tokens`."""
    containers = {
        (item.symbol.path, item.symbol.name): item.symbol
        for item in ranked
        if item.symbol.kind in CONTAINER_KINDS and item.symbol.parent is None
    }
    best = ""
    low, high = 0, len(ranked)
    while low <= high:
        middle = (low + high) // 2
        text = render_map((item.symbol for item in ranked[:middle]), containers)
        if estimate_tokens(text) <= tokens:
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


def render_map(
    symbols: Iterable[Symbol], containers: Mapping[tuple[str, str], Symbol] | None = None
) -> str:
    """Render symbols grouped by file (files in the order first seen), in source order.

    A method shown without its class gets the class's line above it (from `containers`, keyed
    by path and name), so the map never shows a method out of context.
    """
    by_file: dict[str, list[Symbol]] = defaultdict(list)
    for symbol in symbols:
        by_file[symbol.path].append(symbol)
        parent = (containers or {}).get((symbol.path, symbol.parent or ""))
        if parent is not None and parent not in by_file[symbol.path]:
            by_file[symbol.path].append(parent)
    blocks = []
    for path, members in by_file.items():
        lines = [f"{path}:"]
        for symbol in sorted(members, key=lambda s: (s.start_line, s.end_line)):
            indent = "    " if symbol.parent else "  "
            line = indent + _one_line(symbol.signature or f"{symbol.kind} {symbol.name}")
            if line not in lines:  # the same definition under two branches reads once
                lines.append(line)
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + ("\n" if blocks else "")


def _one_line(signature: str) -> str:
    """Collapse a (possibly multi-line) signature to one bounded line."""
    text = " ".join(signature.split())
    if len(text) > MAX_SIGNATURE_CHARS:
        text = text[: MAX_SIGNATURE_CHARS - 1] + "…"
    return text


def _mappable(symbols: Iterable[Symbol]) -> tuple[Symbol, ...]:
    """Keep the kinds of symbols a map shows."""
    return tuple(symbol for symbol in symbols if symbol.kind in MAPPED_KINDS)


def _cache_key(tokens: int, focus: Sequence[str], mentioned: Sequence[str]) -> str:
    """Return the disk-cache key of one map request."""
    text = "\0".join([MAP_VERSION, str(tokens), *sorted(focus), "\1", *sorted(mentioned)])
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
