"""Retrieval: rank files and chunks for a query by fusing what the index knows.

Signals, per file: BM25 over its chunks (FTS5 over path, symbol names and text; the best few
chunks count, the rest barely, so a huge file does not win on volume), BM25 over its path, the
definitions of identifiers the query names (exact, then fuzzy), paths the query mentions, and
closeness in the reference graph to the strongest candidates. The lexical scores are normalised
and summed; a prior for what users ask to change (source over tests, docs and vendored code)
multiplies the total. Every hit says why it was picked.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from assistant.context.cache import carried, index_state, memoize
from assistant.context.fields import SEARCH_FIELDS_DISK, SearchFields, build_fields
from assistant.context.priors import PriorWeights, file_kind, highest_prior, prior
from assistant.context.query import Query, parse_query
from assistant.index.tokens import code_tokens

if TYPE_CHECKING:
    from assistant.index import IndexStore
    from assistant.index.model import Chunk


@dataclass(frozen=True)
class FileHit:
    """A file picked for a query, its score and why."""

    path: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ChunkHit:
    """A chunk picked for a query, its score and why."""

    chunk: Chunk
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    """Ranked files and chunks for one query."""

    query: Query
    files: tuple[FileHit, ...]
    chunks: tuple[ChunkHit, ...]


class SemanticSignal(Protocol):
    """Closeness in meaning of the index's chunks to a query (embeddings); optional."""

    def chunk_similarities(
        self, store: IndexStore, text: str, limit: int
    ) -> list[tuple[str, int, float]] | None:
        """Return up to `limit` (path, start line, cosine) of the chunks closest to `text`,
        best first; None when the signal is unavailable (the caller says why, once)."""
        ...


@dataclass(frozen=True)
class SearchWeights:
    """How much each signal counts (tuned on held-out repositories, not per project)."""

    chunk_candidates: int = 500  # chunks asked of FTS5 before aggregation
    chunk_top: int = 3  # chunks per file that count fully toward its text score...
    chunk_damping: float = 0.2  # ...beyond the best one, at this fraction
    path: float = 0.5  # path words (the chunks' FTS5 columns already weigh paths and names)
    definition: float = 0.2  # per identifier the file defines (split among its definers)
    fuzzy_definition: float = 0.05
    mentioned_path: float = 0.5
    stem: float = 0.1  # a query word that is a file's name (`list` -> commands/list.py)
    proximity: float = 0.15  # links in the reference graph to the best lexical candidates
    proximity_seeds: int = 5
    max_definers: int = 20  # a name defined in more files than this says nothing
    semantic: float = 0.5  # embedding similarity of a file's best chunks (when configured)
    semantic_candidates: int = 200  # chunks asked of the embedding index
    priors: PriorWeights = field(default_factory=PriorWeights)


DEFAULT_WEIGHTS = SearchWeights()


def search(
    store: IndexStore,
    query: str,
    limit: int = 20,
    *,
    weights: SearchWeights = DEFAULT_WEIGHTS,
    semantic: SemanticSignal | None = None,
) -> SearchResult:
    """Return the files and chunks that best answer `query`, best first, with reasons;
    `semantic` adds embedding similarity when the user configured an embeddings endpoint."""
    parsed = parse_query(query)
    fields = search_fields(store)
    terms = parsed.term_weights
    chunk_hits = _search_chunks(store, parsed, weights)
    board = _Board()
    _add_lexical(board, chunk_hits, fields, terms, weights)
    _add_definitions(board, store, parsed, weights)
    _add_mentioned_paths(board, fields, parsed, weights)
    _add_stems(board, fields, parsed, weights)
    if semantic is not None and weights.semantic:
        _add_semantic(
            board,
            semantic.chunk_similarities(store, parsed.text, weights.semantic_candidates),
            weights,
        )
    if weights.proximity:
        _add_proximity(board, store, weights)
    scores = _with_priors(
        board.score, fields, weights.priors, limit, {c.path for c, _ in chunk_hits}
    )
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    files = tuple(
        FileHit(path, score, _file_reasons(board, path, parsed, weights)) for path, score in ranked
    )
    chunks = _rank_chunks(chunk_hits, scores, board, limit)
    texts = store.with_texts([hit.chunk for hit in chunks])
    chunks = tuple(replace(hit, chunk=chunk) for hit, chunk in zip(chunks, texts, strict=True))
    return SearchResult(parsed, files, chunks)


def search_fields(store: IndexStore) -> SearchFields:
    """Return the index's search fields: remembered, brought forward from the last ones after
    the files that changed, or built (and saved beside the index for the next process)."""
    return carried(
        store,
        "search-fields",
        lambda: build_fields(store),
        lambda old, changed: old.updated(store, changed),
        SEARCH_FIELDS_DISK,
    )


def _with_priors(
    raw: dict[str, float],
    fields: SearchFields,
    priors: PriorWeights,
    limit: int,
    also: set[str],
) -> dict[str, float]:
    """Return raw score times prior for the files that can be among the `limit` best, and for
    the files in `also` (their chunks are ranked): not for every file a common word touched
    (a thousand a query at 100,000 files). Best raw scores first, a file is skipped, and so
    are all after it, once even the highest prior could not lift it above the `limit`th."""
    ceiling = highest_prior(fields.most_lines, priors)
    scores: dict[str, float] = {}
    best: list[float] = []  # the `limit` best final scores so far, lowest first
    for path, value in sorted(raw.items(), key=lambda item: (-item[1], item[0])):
        full = len(best) >= max(limit, 0)  # (a limit of 0 or less wants no files)
        if value <= 0 or (full and (not best or value * ceiling < best[0])):
            break
        score = scores[path] = value * prior(path, fields.line_count(path), priors)
        if len(best) < limit:
            heapq.heappush(best, score)
        elif score > best[0]:
            heapq.heapreplace(best, score)
    for path in also - scores.keys():
        if raw.get(path, 0.0) > 0:
            scores[path] = raw[path] * prior(path, fields.line_count(path), priors)
    return scores


def _search_chunks(
    store: IndexStore, parsed: Query, weights: SearchWeights
) -> list[tuple[Chunk, float]]:
    """Return FTS5 chunk hits for the query's terms, best first."""
    if not parsed.terms:
        return []
    # Hundreds of candidates, a few shown: texts are read for the ranked ones alone.
    return store.search_chunks(
        " ".join(parsed.term_weights), limit=weights.chunk_candidates, with_text=False
    )


class _Board:
    """Scores and reasons accumulated per file while the signals are added."""

    def __init__(self) -> None:
        self.score: defaultdict[str, float] = defaultdict(float)
        self.reasons: defaultdict[str, list[str]] = defaultdict(list)
        self.best_chunk: dict[str, float] = {}

    def add(self, path: str, value: float, reason: str) -> None:
        """Add `value` to a file's score, remembering why."""
        self.score[path] += value
        if reason and reason not in self.reasons[path]:
            self.reasons[path].append(reason)

    def add_each(self, values: dict[str, float], divisor: float) -> None:
        """Add each file's value divided by `divisor` to its score, with no reason given."""
        score = self.score
        for path, value in values.items():
            score[path] += value / divisor


def _add_lexical(
    board: _Board,
    chunk_hits: list[tuple[Chunk, float]],
    fields: SearchFields,
    terms: dict[str, float],
    weights: SearchWeights,
) -> None:
    """Add chunk BM25 (best chunks per file) and path BM25, normalised so the best file has 1."""
    per_file: defaultdict[str, list[float]] = defaultdict(list)
    for chunk, score in chunk_hits:
        per_file[chunk.path].append(abs(score))
    lexical: defaultdict[str, float] = defaultdict(float)
    for path, values in per_file.items():
        values.sort(reverse=True)
        top = values[: weights.chunk_top]
        lexical[path] += top[0] + weights.chunk_damping * sum(top[1:])
        board.best_chunk[path] = top[0]
    for path, value in fields.paths.score(terms).items():
        lexical[path] += weights.path * value
    best = max(lexical.values(), default=0.0) or 1.0
    board.add_each(lexical, best)


def _add_definitions(
    board: _Board, store: IndexStore, parsed: Query, weights: SearchWeights
) -> None:
    """Add the files that define the identifiers the query names (exact, then fuzzy)."""
    for name in parsed.identifiers:
        exact = {symbol.path for symbol in store.symbols(name=name)}
        if 0 < len(exact) <= weights.max_definers:
            for path in exact:
                board.add(path, weights.definition / math.sqrt(len(exact)), f"defines `{name}`")
            continue
        if exact or len(name) < 4:
            continue
        # In the store's order (a set's would change with the process's string hashing).
        similar = store.search_symbols(name, limit=weights.max_definers)
        fuzzy = list(dict.fromkeys((s.path, s.name) for s in similar))
        for path, found in fuzzy:
            share = weights.fuzzy_definition / math.sqrt(len(fuzzy))
            board.add(path, share, f"defines `{found}` (like `{name}`)")


def _add_mentioned_paths(
    board: _Board, fields: SearchFields, parsed: Query, weights: SearchWeights
) -> None:
    """Add the files whose path ends with a file name or path the query mentions."""
    for mentioned in parsed.paths:
        suffix = "/" + mentioned.lstrip("./")
        matches = [p for p in fields.paths.paths if p == mentioned or p.endswith(suffix)]
        for path in matches:
            board.add(
                path, weights.mentioned_path / len(matches), f"named in the query ({mentioned})"
            )


def _add_stems(board: _Board, fields: SearchFields, parsed: Query, weights: SearchWeights) -> None:
    """Add the files whose name (without extension) is one of the query's words."""
    for term in parsed.term_weights:
        matches = fields.stem_matches(term)
        for path in matches:
            board.add(path, weights.stem / math.sqrt(len(matches)), f"file name matches `{term}`")


def _add_semantic(
    board: _Board, similar: list[tuple[str, int, float]] | None, weights: SearchWeights
) -> None:
    """Add embedding similarity: each file's best chunk, scaled so the best file has 1."""
    best_per_file: dict[str, tuple[float, int]] = {}
    for path, line, cosine in similar or ():
        if cosine > best_per_file.get(path, (-1.0, 0))[0]:
            best_per_file[path] = (cosine, line)
    if not best_per_file:
        return
    top = max(cosine for cosine, _ in best_per_file.values())
    floor = min(cosine for cosine, _ in best_per_file.values())
    spread = (top - floor) or 1.0
    for path, (cosine, line) in best_per_file.items():
        share = (cosine - floor) / spread
        reason = f"close in meaning (line {line}, cosine {cosine:.2f})" if share >= 0.5 else ""
        board.add(path, weights.semantic * share, reason)


def _add_proximity(board: _Board, store: IndexStore, weights: SearchWeights) -> None:
    """Add closeness in the reference graph to the strongest candidates so far."""
    from assistant.context.neighbours import Neighbourhoods

    seeds = heapq.nsmallest(
        weights.proximity_seeds, board.score.items(), key=lambda item: (-item[1], item[0])
    )
    seeds = [(path, score) for path, score in seeds if score > 0]
    near: defaultdict[str, float] = defaultdict(float)
    via: dict[str, tuple[float, str]] = {}
    # Neighbourhoods change only with the index: remember them for the next queries.
    known = memoize(index_state(store), "neighbours", Neighbourhoods)
    for seed, seed_score in seeds:
        linked = known.of(store, seed)
        total = sum(linked.values()) or 1.0
        for path, weight in linked.items():
            share = seed_score * weight / total
            near[path] += share
            if share > via.get(path, (0.0, ""))[0]:
                via[path] = (share, seed)
    seed_paths = {path for path, _ in seeds}
    best = max((v for p, v in near.items() if p not in seed_paths), default=0.0) or 1.0
    for path, value in near.items():
        if path not in seed_paths:
            strong = value / best >= 0.1
            reason = f"linked to {via[path][1]} in the reference graph" if strong else ""
            board.add(path, weights.proximity * value / best, reason)


def _file_reasons(
    board: _Board, path: str, parsed: Query, weights: SearchWeights
) -> tuple[str, ...]:
    """Say why a file was picked: matched words in its text and path, definitions, priors."""
    reasons = []
    if path in board.best_chunk:
        reasons.append(f"text matches the query (best chunk BM25 {board.best_chunk[path]:.1f})")
    path_words = set(code_tokens(path.replace("/", " "))) & set(parsed.term_weights)
    if path_words:
        reasons.append("path matches " + ", ".join(sorted(path_words)))
    reasons.extend(board.reasons[path])
    kind = file_kind(path)
    if kind != "source":
        reasons.append(f"{kind.replace('_', ' ')} file, weighted {getattr(weights.priors, kind)}")
    return tuple(reasons)


def _rank_chunks(
    chunk_hits: list[tuple[Chunk, float]],
    file_scores: dict[str, float],
    board: _Board,
    limit: int,
) -> tuple[ChunkHit, ...]:
    """Rank chunks by their own BM25 relative to their file's best, times the file's score."""
    scored = []
    for chunk, raw in chunk_hits:
        file_score = file_scores.get(chunk.path, 0.0)
        score = file_score * abs(raw) / (board.best_chunk.get(chunk.path) or 1.0)
        defines = f"defines `{chunk.symbol}`" if chunk.symbol else ""
        if defines and defines in board.reasons.get(chunk.path, ()):
            score += file_score
        else:
            defines = ""
        scored.append((score, chunk, abs(raw), defines))
    scored.sort(key=lambda item: (-item[0], item[1].path, item[1].start_line))
    return tuple(
        ChunkHit(
            chunk,
            score,
            (f"text BM25 {raw:.1f}", defines) if defines else (f"text BM25 {raw:.1f}",),
        )
        for score, chunk, raw, defines in scored[:limit]
    )
