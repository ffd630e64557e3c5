"""Personalised PageRank over the file reference graph, and the definitions it ranks highest.

Personalisation moves the random walk's restarts onto what the user is working on: the files in
the chat, the files that define identifiers the user mentioned, and edges that carry those
identifiers weigh more. With nothing to personalise by, restarts are uniform (plain PageRank).
One step of the walk runs over the factored graph (definition and use rows, see `graph.py`): two
sparse products per step, over rows that grow with the code, not with how many files define the
same name. PageRank is the solution of a linear system, (I - dF) y = restart, scaled
to sum to 1; GMRES finds it in a third of the power iteration's steps, and the walk without
mentioned names is kept for the last graph.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from assistant.context.graph import ROW_INT, FileGraph
from assistant.context.solver import solve_pagerank

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


# The walk with no mentioned identifiers of the last graph ranked: every focused map of a
# graph shares it. Only the last: a walk holds its graph, and a graph an edit superseded must
# be free to go.
_last_walk: list[_Walk] = []
_walk_lock = threading.Lock()


def rank_files(graph: FileGraph, focus: Focus | None = None) -> Ranking:
    """Rank every file of the graph, personalised by `focus`."""
    focus = focus or Focus()
    walk = _walk(graph, focus.identifiers)
    return Ranking(graph, walk.pagerank(_restart_vector(graph, focus)), focus, walk)


def _walk(graph: FileGraph, identifiers: Collection[str]) -> _Walk:
    """Return the walk with the uses of `identifiers` boosted: the graph's plain walk, its
    shares weighed again (a tenth of making a walk)."""
    walk = _plain_walk(graph)
    return walk.reweighed(_use_weights(graph, identifiers)) if identifiers else walk


def forget_walk(graph: FileGraph) -> None:
    """Let the walk of `graph` go, which an edit supersedes: at 100,000 files a walk is ~50 MB
    that need not live on while the graph's successor and its walk are made."""
    with _walk_lock:
        if _last_walk and _last_walk[0].graph is graph:
            _last_walk.clear()


def _plain_walk(graph: FileGraph) -> _Walk:
    """Return the graph's walk with no mentioned identifiers, made once."""
    with _walk_lock:
        if _last_walk and _last_walk[0].graph is graph:
            return _last_walk[0]
        _last_walk.clear()  # another graph's: let it go before the new walk is made
    walk = _Walk(graph)
    with _walk_lock:
        _last_walk[:] = [walk]
    return walk


class _Walk:
    """The random walk over a factored graph: from a file, along one of its uses of a name,
    to one of the other files defining that name, in proportion to the use's weight.

    A step is two sparse products: the rank each name used carries (its live uses, by name),
    then what each file receives (its receiving definitions, by file). Kept as CSR matrices,
    each is one compiled pass over its rows (a step at 100,000 files: 9 -> 3.4 ms against numpy
    gathers and `np.add.reduceat`).
    """

    def __init__(self, graph: FileGraph) -> None:
        self.graph = graph
        size = graph.size
        weight = graph.use_weight  # (`reweighed` boosts mentioned names' uses)
        # how many other files define each use's name: counts, exact in 32 bits
        others = graph.definers.astype(np.float32)[graph.use_name]
        # each definition's own use is another (file, name): distinct, so no `np.subtract.at`
        # (a tenth of the time)
        others[graph.own_use[graph.own_use >= 0]] -= 1.0
        # Only uses that lead somewhere, and only definitions that receive: the rows a step
        # walks over.
        live = (weight > 0) & (others > 0)
        by_name = graph.use_by_name[live[graph.use_by_name]]  # sorted once per graph, carried
        del live  # (temporaries of a million rows each go as soon as they are used)
        self.uses = by_name  # the live use rows, by name
        self.others = others[by_name]
        del others
        use_node = graph.use_node[by_name]
        coef = self._shares(weight[by_name], use_node)
        names = graph.use_name[by_name]
        name_starts = _run_starts(names)
        # each name's place among the names used (one more place, always 0, for the others)
        place = np.full(len(graph.multiplier), len(name_starts), dtype=ROW_INT)
        place[names[name_starts]] = np.arange(len(name_starts))
        self.carry = _csr(coef, use_node, name_starts, len(use_node), size)
        _, by_key = graph.def_lookup  # definition rows by (file, name): so by file
        self.rows = by_key[graph.linked[by_key]]
        self.row_place = place[graph.def_name[self.rows]]
        receiving = np.flatnonzero(self.row_place < len(name_starts))
        receivers = graph.def_node[self.rows[receiving]]
        self.receive = _csr(
            np.ones(len(receiving)),
            self.row_place[receiving],
            np.searchsorted(receivers, np.arange(size, dtype=receivers.dtype)),
            len(receiving),
            len(name_starts),
        )
        # the files that both send rank (a live use) and receive it: all a solve solves for
        sends, receives = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
        sends[use_node], receives[receivers] = True, True
        self.core = np.flatnonzero(sends & receives)
        # A file does not link to itself: each receiving row's own use, where it is live.
        sorted_at = np.full(len(graph.use_node) + 1, -1, dtype=np.int32)  # last: no own use
        sorted_at[by_name] = np.arange(len(by_name))
        own = sorted_at[graph.own_use[self.rows]]
        self.own_rows = np.flatnonzero(own >= 0).astype(ROW_INT)
        self.own_uses = own[self.own_rows]
        self.own_share = self._own_share()

    def _shares(self, weight: np.ndarray, use_node: np.ndarray) -> np.ndarray:
        """Return each live use's share of its file's weight toward the files defining the
        name (`weight`: the live uses', in `self.uses` order: a copy, divided in place, since
        it is a million rows at 100,000 files)."""
        out_weight = np.bincount(use_node, weight * self.others, minlength=self.graph.size)
        weight /= out_weight[use_node]
        return weight

    def _own_share(self) -> np.ndarray:
        """Return, per file, the share of its rank its own uses would send back to it (a step
        takes it off: a diagonal)."""
        own = self.own_uses
        size = self.graph.size
        return np.bincount(self.carry.indices[own], self.carry.data[own], minlength=size)

    def reweighed(self, weight: np.ndarray) -> _Walk:
        """Return this walk with other use weights, positive where this walk's are (the
        mentioned names' uses boosted): the same rows, only the shares weighed again."""
        walk = copy.copy(self)
        carry = self.carry
        coef = self._shares(weight[self.uses], carry.indices)
        walk.carry = sparse.csr_array((coef, carry.indices, carry.indptr), shape=carry.shape)
        walk.own_share = walk._own_share()
        return walk

    def step(self, rank: np.ndarray) -> np.ndarray:
        """Return the rank each file receives in one step of the walk."""
        received = self.receive @ (self.carry @ rank)
        received -= self.own_share * rank
        return received

    def linked_flow(self, rank: np.ndarray) -> np.ndarray:
        """Return the rank flowing into each receiving definition row (`self.rows`)."""
        per_name = np.zeros(self.carry.shape[0] + 1)  # one more place, 0, for the others
        per_name[:-1] = self.carry @ rank
        inflow = per_name[self.row_place]
        own = self.own_uses  # (the carry's columns are the uses' files, its values their share)
        inflow[self.own_rows] -= rank[self.carry.indices[own]] * self.carry.data[own]
        return inflow

    def definition_flow(self, rank: np.ndarray) -> np.ndarray:
        """Return the rank flowing into every definition row of the graph."""
        flow = np.zeros(len(self.graph.def_node))
        flow[self.rows] = self.linked_flow(rank)
        return flow

    def pagerank(self, restart: np.ndarray | None) -> np.ndarray:
        """Return the walk's PageRank vector."""
        return solve_pagerank(self.graph.size, self.step, restart, core=self.core)


def _csr(
    values: np.ndarray, columns: np.ndarray, row_starts: np.ndarray, count: int, width: int
) -> sparse.csr_array:
    """Return the CSR matrix whose row i holds `values` at `columns` from `row_starts[i]` up
    to the next row's start (`count` for the last)."""
    index = np.int32 if max(count, width) < 2**31 else np.int64  # half the bytes a step reads
    indptr = np.append(row_starts, count).astype(index)
    shape = (len(row_starts), width)
    columns = columns.astype(index, copy=False)
    return sparse.csr_array((values, columns, indptr), shape=shape, copy=False)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Return where each run of equal values starts in a sorted array."""
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))


def definition_flow(ranking: Ranking) -> np.ndarray:
    """Return the rank flowing to each definition row of the graph (its (file, name))."""
    walk = ranking.walk or _walk(ranking.graph, ranking.focus.identifiers)
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
