"""Personalised PageRank over the file reference graph, and the definitions it ranks highest.

Personalisation moves the random walk's restarts onto what the user is working on: the files in
the chat, the files that define identifiers the user mentioned, and edges that carry those
identifiers weigh more. With nothing to personalise by, restarts are uniform (plain PageRank).
The power iteration is a few numpy `bincount` calls per step, fast on 100k-file graphs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np

from assistant.context.graph import FileGraph

DAMPING = 0.85
# How much a mentioned identifier's edges and definers count, relative to the rest.
MENTION_BOOST = 10.0


@dataclass(frozen=True)
class Focus:
    """What to personalise the ranking by."""

    files: tuple[str, ...] = ()  # files in the chat or named by the user
    identifiers: tuple[str, ...] = ()  # names the user mentioned

    @property
    def empty(self) -> bool:
        """Return True when there is nothing to personalise by."""
        return not self.files and not self.identifiers


@dataclass(frozen=True, eq=False)
class Ranking:
    """The PageRank of every file in a graph, with the focus it was computed for."""

    graph: FileGraph
    scores: np.ndarray  # one score per node, summing to 1
    focus: Focus

    def top(self, limit: int | None = None) -> list[tuple[str, float]]:
        """Return (path, score) pairs, best first."""
        order = np.argsort(-self.scores, kind="stable")[:limit]
        return [(self.graph.paths[i], float(self.scores[i])) for i in order]

    def score(self, path: str) -> float:
        """Return one file's score (0 for a file outside the graph)."""
        node = self.graph.nodes.get(path)
        return 0.0 if node is None else float(self.scores[node])


def rank_files(graph: FileGraph, focus: Focus | None = None) -> Ranking:
    """Rank every file of the graph, personalised by `focus`."""
    focus = focus or Focus()
    weight = _edge_weights(graph, focus.identifiers)
    restart = _restart_vector(graph, focus)
    return Ranking(graph, pagerank(graph.size, graph.src, graph.dst, weight, restart), focus)


def pagerank(
    size: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    restart: np.ndarray | None = None,
    *,
    damping: float = DAMPING,
    tolerance: float = 1e-8,
    max_iterations: int = 100,
) -> np.ndarray:
    """Return the PageRank vector of a weighted edge list (restart: where the walk jumps to)."""
    if size == 0:
        return np.zeros(0)
    p = np.full(size, 1.0 / size) if restart is None else restart / restart.sum()
    out_weight = np.bincount(src, weights=weight, minlength=size)
    dangling = out_weight == 0
    share = weight / np.where(out_weight[src] > 0, out_weight[src], 1.0)
    rank = p.copy()
    for _ in range(max_iterations):
        flow = np.bincount(dst, weights=rank[src] * share, minlength=size)
        new = (1 - damping) * p + damping * (flow + rank[dangling].sum() * p)
        done = np.abs(new - rank).sum() < tolerance
        rank = new
        if done:
            break
    return rank


def definition_flow(ranking: Ranking) -> np.ndarray:
    """Return the rank flowing to each (defining file, name) along the edges that use it,
    aligned with `ranking.graph.definition_keys[0]`."""
    graph = ranking.graph
    keys, inverse = graph.definition_keys
    weight = _edge_weights(graph, ranking.focus.identifiers)
    out_weight = np.bincount(graph.src, weights=weight, minlength=graph.size)
    flow = ranking.scores[graph.src] * weight / np.maximum(out_weight[graph.src], 1e-12)
    return np.bincount(inverse, weights=flow, minlength=len(keys))


def rank_definitions(ranking: Ranking) -> dict[tuple[int, int], float]:
    """Return the rank each (defining file, name) receives along the edges that use it."""
    keys = ranking.graph.definition_keys[0]
    stride = ranking.graph.key_stride
    return {
        (int(k // stride), int(k % stride)): float(t)
        for k, t in zip(keys.tolist(), definition_flow(ranking).tolist(), strict=True)
    }


def definers(graph: FileGraph, identifiers: Iterable[str]) -> set[int]:
    """Return the nodes that define any of `identifiers`."""
    return {node for name in identifiers for node in graph.defined_in.get(name, ())}


def _edge_weights(graph: FileGraph, identifiers: Collection[str]) -> np.ndarray:
    """Return edge weights with the mentioned identifiers' edges boosted."""
    ids = [graph.name_ids[name] for name in identifiers if name in graph.name_ids]
    if not ids:
        return graph.weight
    return np.where(np.isin(graph.name, ids), graph.weight * MENTION_BOOST, graph.weight)


def _restart_vector(graph: FileGraph, focus: Focus) -> np.ndarray | None:
    """Return where the walk restarts: the focus files and the mentioned names' definers."""
    if focus.empty or graph.size == 0:
        return None
    restart = np.zeros(graph.size)
    for path in focus.files:
        node = graph.nodes.get(path)
        if node is not None:
            restart[node] += MENTION_BOOST
    for node in definers(graph, focus.identifiers):
        restart[node] += 1.0
    if not restart.any():
        return None
    # A little uniform mass keeps files the focus cannot reach from scoring exactly zero.
    return restart / restart.sum() + 0.01 / graph.size
