"""The file reference graph: file A links to file B when A uses a name that B defines.

Links are weighted the way Aider weights them (see `names.name_weight`): a name used many times
counts more (square root of the count), a name defined in several files splits its weight.
The graph is kept factored, as one row per (file, name) defined and one per (file, name) used,
and never expanded into its (user, definer, name) edges: a name defined in ten copies of a
vendored tree would multiply the edges tenfold (18 million at 78,000 files), while the rows
grow with the code alone. PageRank walks the rows directly (see `rank.py`).

After an edit `graph_update.update_graph` swaps the edited files' rows and re-weighs only the
names whose definitions moved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from assistant.context.names import name_weight

# A name defined in more files than this carries no information about where it points.
MAX_DEFINERS = 40
KEY_SHIFT = 32  # (node, name) packed as node << 32 | name: room for any repository
# Rows number files and names, and count uses, in 32 bits: half a graph's memory at 100,000
# files (a repository would need two billion files or names to outgrow it; counts are capped).
ROW_INT = np.int32
MAX_COUNT = np.iinfo(ROW_INT).max
_SERIALS = itertools.count()


class GraphSource(Protocol):
    """What the graph needs from the index store (`IndexStore` has it)."""

    def file_ids(self) -> list[tuple[int, str]]:
        """Return (id, path) of every file, by path."""
        ...

    def name_ids(self, ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
        """Return (id, name) of the names the two readers below refer to by id (or of these)."""
        ...

    def definitions_by_file(self) -> np.ndarray:
        """Return rows (file id, name id, defined outside a class) per file and name defined
        there, as an (n, 3) array."""
        ...

    def uses_by_file(self) -> np.ndarray:
        """Return rows (file id, name id, uses) per file and name used there, (n, 3)."""
        ...

    def definitions_in(self, paths: Sequence[str]) -> list[tuple[str, str, int]] | None:
        """Return (path, name, outside a class) per name these files define; None when one
        of them is not indexed."""
        ...

    def uses_in(self, paths: Sequence[str], names: Sequence[str]) -> list[tuple[str, str, int]]:
        """Return (path, name, uses): every use in these files, and of these names elsewhere."""
        ...


@dataclass(frozen=True, eq=False)
class FileGraph:
    """Files as nodes; definitions and uses as (file, name) rows.

    `names` and `name_ids` only grow, and are shared with the graphs `update_graph` makes from
    this one: a graph is superseded by its update.
    """

    paths: tuple[str, ...]
    nodes: Mapping[str, int]  # path -> node
    names: list[str]  # every name ever defined here; append-only
    name_ids: dict[str, int]  # name -> index into `names`
    def_node: np.ndarray  # one row per (file, name) defined there: the file...
    def_name: np.ndarray  # ...the name...
    def_top: np.ndarray  # ...and whether the file defines it outside a class
    use_node: np.ndarray  # one row per (file, name) used there: the file...
    use_name: np.ndarray  # ...the name...
    use_count: np.ndarray  # ...and how many times
    multiplier: np.ndarray  # per name: the weight of one use (0: links nowhere)

    @property
    def size(self) -> int:
        """Return the number of files (nodes)."""
        return len(self.paths)

    @cached_property
    def serial(self) -> int:
        """Return a number no other graph of this process has (what is lined up with a graph
        names it by this: an id could be a freed graph's)."""
        return next(_SERIALS)

    @cached_property
    def definers(self) -> np.ndarray:
        """Return how many files define each name."""
        return np.bincount(self.def_name, minlength=len(self.multiplier))

    @cached_property
    def linked(self) -> np.ndarray:
        """Return which definition rows receive links (their name has few definers)."""
        return self.multiplier[self.def_name] > 0

    @cached_property
    def use_weight(self) -> np.ndarray:
        """Return each use row's weight toward each file that defines the name."""
        return self.multiplier[self.use_name] * np.sqrt(self.use_count)

    @cached_property
    def def_lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """Return definition keys sorted, with the rows they came from."""
        keys = row_keys(self.def_node, self.def_name)
        order = np.argsort(keys, kind="stable").astype(ROW_INT)
        return keys[order], order

    @cached_property
    def use_by_name(self) -> np.ndarray:
        """Return the use rows ordered by name (stable: by row within a name), as 32-bit
        numbers (millions of rows, kept with the graph)."""
        return np.argsort(self.use_name, kind="stable").astype(ROW_INT)

    def definition_rows(self, node: np.ndarray, name: np.ndarray) -> np.ndarray:
        """Return the definition row of each (node, name), or -1 where there is none."""
        keys, order = self.def_lookup
        return np.where(name >= 0, looked_up(keys, order, row_keys(node, name)), -1)

    @cached_property
    def own_use(self) -> np.ndarray:
        """Return, per definition row, the use row of the same file and name (or -1): a file
        does not link to itself."""
        keys = row_keys(self.use_node, self.use_name)
        order = np.argsort(keys, kind="stable").astype(ROW_INT)
        return looked_up(keys[order], order, row_keys(self.def_node, self.def_name))

    @cached_property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return the graph expanded into (user, definer, name, weight) edge arrays: for
        tests and small graphs only, ranking never needs them."""
        linked = self.linked
        order = np.lexsort((self.def_node[linked], self.def_name[linked]))
        def_file, def_name = self.def_node[linked][order], self.def_name[linked][order]
        start = np.searchsorted(def_name, self.use_name)
        fan_out = np.searchsorted(def_name, self.use_name, side="right") - start
        row = np.repeat(np.arange(len(self.use_node)), fan_out)
        offset = np.arange(len(row)) - np.repeat(np.cumsum(fan_out) - fan_out, fan_out)
        src, dst = self.use_node[row], def_file[start[row] + offset]
        keep = src != dst
        return src[keep], dst[keep], self.use_name[row][keep], self.use_weight[row][keep]

    @property
    def defined_in(self) -> dict[str, tuple[int, ...]]:
        """Return the files that define each name with few definers (sorted)."""
        found: dict[str, list[int]] = {}
        linked = self.linked
        for node, name in sorted(
            zip(self.def_node[linked].tolist(), self.def_name[linked].tolist(), strict=True)
        ):
            found.setdefault(self.names[name], []).append(node)
        return {name: tuple(files) for name, files in found.items()}


def build_graph(store: GraphSource) -> FileGraph:
    """Build the reference graph of everything in the index, from rows SQLite has already
    grouped per (file, name), by ids: no Python object per definition or use."""
    ids = store.file_ids()
    paths = tuple(path for _, path in ids)
    node_of = numbered_by_id(ids, {path: node for node, path in enumerate(paths)})
    definitions = store.definitions_by_file()
    defined = np.unique(definitions[:, 1])  # the index's name ids, sorted: the graph's ids
    spelt = dict(store.name_ids())
    names = [spelt[name_id] for name_id in defined.tolist()]
    definitions = _numbered(definitions, node_of, defined)
    # read once the definitions are narrowed: at 100,000 files each is tens of megabytes
    uses = _numbered(store.uses_by_file(), node_of, defined)
    return _graph(paths, names, {name: i for i, name in enumerate(names)}, definitions, uses)


def _numbered(
    rows: np.ndarray, node_of: Callable[[np.ndarray], np.ndarray], defined: np.ndarray
) -> np.ndarray:
    """Return (file id, name id, value) rows as the graph numbers them, in 32 bits (values
    clipped as `use_counts` would), without the rows of a file added since or of a name
    defined nowhere."""
    node, name = node_of(rows[:, 0]), _find(defined, rows[:, 1])
    value = np.clip(rows[:, 2], 0, MAX_COUNT)
    del rows  # (the caller's own is the one left, if any)
    kept = np.flatnonzero((node >= 0) & (name >= 0))
    out = np.empty((len(kept), 3), dtype=ROW_INT)
    for column, values in enumerate((node, name, value)):
        out[:, column] = values[kept]
    return out


def numbered_by_id(
    spelt: Sequence[tuple[int, str]], numbers: Mapping[str, int]
) -> Callable[[np.ndarray], np.ndarray]:
    """Return what gives, for the index's ids of the (id, text) pairs `spelt`, the number
    `numbers` gives that text (-1: none, or an id not among them): how the index's ids of
    files and names (sparse, after an import) become a graph's nodes and names."""
    ids = np.array([i for i, _ in spelt], dtype=np.int64)
    numbered = np.array([numbers.get(text, -1) for _, text in spelt], dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    keys, values = ids[order], numbered[order]
    return lambda wanted: looked_up(keys, values, wanted)


def _find(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return where each of `values` is in the sorted `keys`, or -1 where it is not."""
    if not len(keys):
        return np.full(len(values), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.where(keys[at] == values, at, -1)


def row_keys(node: np.ndarray, name: np.ndarray) -> np.ndarray:
    """Return each (file, name) row's key, its file and name packed in 64 bits."""
    return (node.astype(np.int64) << KEY_SHIFT) + name


def looked_up(keys: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the row of each of `values` (`rows[i]` for `keys[i]`, keys sorted), or -1."""
    at = _find(keys, values)
    return np.where(at >= 0, rows[at], -1) if len(keys) else at.astype(rows.dtype)


def graph_from_pairs(
    paths: Iterable[str],
    definitions: Iterable[tuple[str, str, bool]],
    uses: Iterable[tuple[str, str]],
) -> FileGraph:
    """Build the graph from where names are defined (path, name, is a member) and used."""
    path_list = tuple(dict.fromkeys(paths))
    node = {path: i for i, path in enumerate(path_list)}
    name_ids: dict[str, int] = {}
    per_file: dict[tuple[int, int], bool] = {}
    for path, name, member in definitions:
        if path in node and name:
            key = (node[path], name_ids.setdefault(name, len(name_ids)))
            per_file[key] = per_file.get(key, False) or not member
    counts: dict[tuple[int, int], int] = {}
    for path, name in uses:
        if path in node and name in name_ids:
            key = (node[path], name_ids[name])
            counts[key] = counts.get(key, 0) + 1
    def_rows = _triples((*key, top) for key, top in per_file.items())
    use_rows = _triples((*key, n) for key, n in counts.items())
    return _graph(path_list, list(name_ids), name_ids, def_rows, use_rows)


_TRIPLE = np.dtype([("a", np.int64), ("b", np.int64), ("c", np.int64)])


def _triples(rows: Iterable[tuple[int, int, int]]) -> np.ndarray:
    """Return rows of three integers as an (n, 3) int64 array, read one at a time: a list of
    a million and a half tuples first would cost ~300 MB at 100,000 files."""
    return np.fromiter(rows, dtype=_TRIPLE).view(np.int64).reshape(-1, 3)


def use_rows(
    node_of: Mapping[str, int], name_ids: Mapping[str, int], rows: Iterable[tuple[str, str, int]]
) -> np.ndarray:
    """Return (node, name id, count) rows for uses of names defined somewhere, from (path,
    name, count) rows."""
    return _triples(
        (node_of[file], name_ids[name], count)
        for file, name, count in rows
        if name in name_ids and file in node_of
    )


def _graph(
    paths: tuple[str, ...],
    names: list[str],
    name_ids: dict[str, int],
    def_rows: np.ndarray,
    use_rows: np.ndarray,
) -> FileGraph:
    """Assemble a graph from (node, name id, outside a class) definition rows and (node,
    name id, count) use rows, one row per file and name."""
    multiplier = np.zeros(len(names))
    graph = FileGraph(
        paths, {p: i for i, p in enumerate(paths)}, names, name_ids,
        def_rows[:, 0].astype(ROW_INT), def_rows[:, 1].astype(ROW_INT),
        def_rows[:, 2].astype(bool), use_rows[:, 0].astype(ROW_INT),
        use_rows[:, 1].astype(ROW_INT), use_counts(use_rows[:, 2]), multiplier,
    )  # fmt: skip
    weigh(graph, range(len(names)))
    return graph


def use_counts(counts: np.ndarray) -> np.ndarray:
    """Return use counts as the graph keeps them: 32 bits, none below 0 (an imported index's
    rows are not trusted to be what a parse makes)."""
    return np.clip(counts, 0, MAX_COUNT).astype(ROW_INT)


def weigh(graph: FileGraph, name_ids: Iterable[int]) -> None:
    """Set the multiplier of these names from their definers (in place: before first use)."""
    definers = np.bincount(graph.def_name, minlength=len(graph.multiplier))
    top = np.zeros(len(graph.multiplier), dtype=bool)
    top[graph.def_name[graph.def_top]] = True
    for name_id in name_ids:
        count = int(definers[name_id])
        graph.multiplier[name_id] = (
            name_weight(graph.names[name_id], count, member=not top[name_id])
            if 0 < count <= MAX_DEFINERS
            else 0.0
        )
