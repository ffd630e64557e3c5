"""Personalised PageRank over the file reference graph, and the definitions it ranks highest.

Personalisation moves the random walk's restarts onto what the user is working on: the files in
the chat, the files that define identifiers the user mentioned, and edges that carry those
identifiers weigh more. With nothing to personalise by, restarts are uniform (plain PageRank).
The power iteration walks the factored graph (definition and use rows, see `graph.py`): a few
numpy gathers and `bincount` calls per step, over rows that grow with the code, not with how
many files define the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

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
    walk: _Walk | None = field(default=None, repr=False)  # reused to find definition flows

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
    walk = _Walk(graph, _use_weights(graph, focus.identifiers))
    return Ranking(graph, walk.pagerank(_restart_vector(graph, focus)), focus, walk)


class _Walk:
    """The random walk over a factored graph: from a file, along one of its uses of a name,
    to one of the other files defining that name, in proportion to the use's weight."""

    def __init__(self, graph: FileGraph, weight: np.ndarray) -> None:
        self.graph = graph
        others = graph.definers[graph.use_name].astype(np.float64)
        np.subtract.at(others, graph.own_use[graph.own_use >= 0], 1.0)
        out_weight = np.bincount(graph.use_node, weight * others, minlength=graph.size)
        self.dangling = out_weight == 0
        # Only uses that lead somewhere, and only definitions that receive: the arrays each
        # step walks over.
        live = (weight > 0) & (others > 0)
        self.use_node = graph.use_node[live]
        self.use_name = graph.use_name[live]
        self.coef = (weight / np.where(out_weight > 0, out_weight, 1.0)[graph.use_node])[live]
        self.rows = np.flatnonzero(graph.linked)
        self.def_node = graph.def_node[self.rows]
        self.def_name = graph.def_name[self.rows]
        own = graph.own_use[self.rows]
        live_index = np.cumsum(live) - 1
        has_own = own >= 0
        has_own[has_own] = live[own[has_own]]
        self.own_rows = np.flatnonzero(has_own)
        self.own_uses = live_index[own[has_own]]
        self.names = len(graph.multiplier)

    def linked_flow(self, rank: np.ndarray) -> np.ndarray:
        """Return the rank flowing into each receiving definition row (`self.rows`)."""
        carried = rank[self.use_node] * self.coef
        inflow = np.bincount(self.use_name, carried, minlength=self.names)[self.def_name]
        inflow = inflow.astype(np.float64, copy=False)  # a bincount of nothing is int
        inflow[self.own_rows] -= carried[self.own_uses]
        return inflow

    def definition_flow(self, rank: np.ndarray) -> np.ndarray:
        """Return the rank flowing into every definition row of the graph."""
        flow = np.zeros(len(self.graph.def_node))
        flow[self.rows] = self.linked_flow(rank)
        return flow

    def pagerank(self, restart: np.ndarray | None) -> np.ndarray:
        """Return the walk's PageRank vector."""
        size = self.graph.size

        def flow(rank: np.ndarray) -> np.ndarray:
            """Return the rank each file receives in one step of the walk."""
            return np.bincount(self.def_node, self.linked_flow(rank), minlength=size)

        return _power_iteration(size, flow, self.dangling, restart)


def _power_iteration(
    size: int,
    flow: Callable[[np.ndarray], np.ndarray],
    dangling: np.ndarray,
    restart: np.ndarray | None,
    damping: float = DAMPING,
    tolerance: float = 1e-6,  # L1 over scores summing to 1: far below what changes an order
    max_iterations: int = 100,
) -> np.ndarray:
    if size == 0:
        return np.zeros(0)
    p = np.full(size, 1.0 / size) if restart is None else restart / restart.sum()
    rank = p.copy()
    for _ in range(max_iterations):
        new = (1 - damping) * p + damping * (flow(rank) + rank[dangling].sum() * p)
        done = np.abs(new - rank).sum() < tolerance
        rank = new
        if done:
            break
    return rank


def definition_flow(ranking: Ranking) -> np.ndarray:
    """Return the rank flowing to each definition row of the graph (its (file, name))."""
    walk = ranking.walk or _Walk(
        ranking.graph, _use_weights(ranking.graph, ranking.focus.identifiers)
    )
    return walk.definition_flow(ranking.scores)


def rank_definitions(ranking: Ranking) -> dict[tuple[int, int], float]:
    """Return the rank each (defining file, name) receives from the files that use it."""
    graph = ranking.graph
    flow = definition_flow(ranking)
    linked = graph.linked
    return {
        (node, name): value
        for node, name, value in zip(
            graph.def_node[linked].tolist(),
            graph.def_name[linked].tolist(),
            flow[linked].tolist(),
            strict=True,
        )
    }


def definers(graph: FileGraph, identifiers: Iterable[str]) -> set[int]:
    """Return the nodes that define any of `identifiers` (names with few definers only)."""
    ids = [graph.name_ids[name] for name in identifiers if name in graph.name_ids]
    if not ids:
        return set()
    rows = graph.linked & np.isin(graph.def_name, ids)
    return set(graph.def_node[rows].tolist())


def _use_weights(graph: FileGraph, identifiers: Collection[str]) -> np.ndarray:
    """Return use-row weights with the mentioned identifiers' uses boosted."""
    ids = [graph.name_ids[name] for name in identifiers if name in graph.name_ids]
    if not ids:
        return graph.use_weight
    boost = np.isin(graph.use_name, ids)
    return np.where(boost, graph.use_weight * MENTION_BOOST, graph.use_weight)


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
