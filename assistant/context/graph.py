"""The file reference graph: an edge from A to B when A uses a name that B defines.

Edges are weighted the way Aider weights them (see `names.name_weight`), so that PageRank over
the graph says which files matter; a name used many times counts more (square root of the
count). The graph is built in bulk from the store, with numpy doing the join of uses to
definitions, and brought forward after an edit by `update_graph`, which recomputes only the
edges of the edited files and of the names whose definitions moved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.context.names import name_weight

if TYPE_CHECKING:
    import sqlite3

# A name defined in more files than this carries no information about where it points.
MAX_DEFINERS = 40
KEY_SHIFT = 32  # (node, name) packed as node << 32 | name: room for any repository


class GraphSource(Protocol):
    """What the graph needs from the index store."""

    conn: sqlite3.Connection


@dataclass(frozen=True, eq=False)
class FileGraph:
    """Files as nodes, one edge per (user file, defining file, name), with its weight.

    `names`, `name_ids`, `defined_in` and `top_level` grow and change in place when the graph
    is brought forward (`update_graph`): a graph is superseded by its update.
    """

    paths: tuple[str, ...]
    names: list[str]  # every defined name; append-only
    src: np.ndarray  # node that uses the name
    dst: np.ndarray  # node that defines it
    name: np.ndarray  # index into `names`
    weight: np.ndarray
    nodes: Mapping[str, int]  # path -> node
    name_ids: dict[str, int]  # name -> index into `names`
    defined_in: dict[str, tuple[int, ...]]  # name -> its definers (sorted), if few of them
    top_level: set[str]  # names defined outside any class somewhere
    def_node: np.ndarray  # one row per (file, name) defined there...
    def_name: np.ndarray  # ...the name's index...
    def_top: np.ndarray  # ...and whether the file defines it outside a class

    @property
    def size(self) -> int:
        """Return the number of files (nodes)."""
        return len(self.paths)

    @property
    def key_stride(self) -> int:
        """Return the multiplier that packs (node, name) into one integer key."""
        return 1 << KEY_SHIFT

    @cached_property
    def definition_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the distinct (defining node, name) keys, as `node * stride + name`, sorted,
        and for each edge the position of its key: computed once, used by every ranking."""
        key = (self.dst << KEY_SHIFT) + self.name
        unique, inverse = np.unique(key, return_inverse=True)
        return unique, inverse


def build_graph(store: GraphSource) -> FileGraph:
    """Build the reference graph of everything in the index, from rows SQLite has already
    grouped per (file, name): no Python object per definition or use."""
    ids = store.conn.execute("SELECT id, path FROM files ORDER BY path").fetchall()
    paths = tuple(path for _, path in ids)
    node_of = {file_id: node for node, (file_id, _) in enumerate(ids)}
    name_ids: dict[str, int] = {}
    definitions = (
        (node_of[file_id], name_ids.setdefault(name, len(name_ids)), bool(top))
        for file_id, name, top in store.conn.execute(
            "SELECT file_id, name, max(parent IS NULL) FROM symbols WHERE name != '' "
            "GROUP BY file_id, name"
        )
    )
    def_rows = np.array(list(definitions), dtype=np.int64).reshape(-1, 3)
    use_rows = np.array(
        [
            (node_of[file_id], name_ids[name], count)
            for file_id, name, count in store.conn.execute(
                "SELECT file_id, name, count(*) FROM refs GROUP BY file_id, name"
            )
            if name in name_ids
        ],
        dtype=np.int64,
    ).reshape(-1, 3)
    return _graph(paths, list(name_ids), name_ids, def_rows, use_rows)


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
    counts = Counter(
        (node[path], name_ids[name]) for path, name in uses if path in node and name in name_ids
    )
    def_rows = np.array([(*key, top) for key, top in per_file.items()], np.int64).reshape(-1, 3)
    use_rows = np.array([(*key, n) for key, n in counts.items()], np.int64).reshape(-1, 3)
    return _graph(path_list, list(name_ids), name_ids, def_rows, use_rows)


def _graph(
    paths: tuple[str, ...],
    names: list[str],
    name_ids: dict[str, int],
    def_rows: np.ndarray,
    use_rows: np.ndarray,
) -> FileGraph:
    """Assemble the graph from (node, name id, outside a class) definition rows and (node,
    name id, count) use rows, one row per file and name."""
    def_node, def_name, def_top = def_rows[:, 0], def_rows[:, 1], def_rows[:, 2].astype(bool)
    definers = np.bincount(def_name, minlength=len(names))
    narrow_rows = definers[def_name] <= MAX_DEFINERS
    order = np.lexsort((def_node[narrow_rows], def_name[narrow_rows]))
    defined_in: dict[str, tuple[int, ...]] = {}
    for node, name_id in zip(
        def_node[narrow_rows][order].tolist(), def_name[narrow_rows][order].tolist(), strict=True
    ):
        name = names[name_id]
        defined_in[name] = (*defined_in.get(name, ()), node)
    top_level = {names[i] for i in np.unique(def_name[def_top]).tolist()}
    uses = use_rows[definers[use_rows[:, 1]] <= MAX_DEFINERS]
    src, dst, name, weight = _edges(uses, names, defined_in, top_level)
    return FileGraph(
        paths, names, src, dst, name, weight, {p: i for i, p in enumerate(paths)}, name_ids,
        defined_in, top_level, def_node.copy(), def_name.copy(), def_top,
    )  # fmt: skip


def _edges(
    uses: np.ndarray,
    names: list[str],
    defined: Mapping[str, tuple[int, ...]],
    top_level: set[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand each (user node, name id, count) use row into one edge per other file that
    defines the name: (src, dst, name id, weight) arrays."""
    use_node, use_name, use_count = uses[:, 0], uses[:, 1], uses[:, 2].astype(np.float64)
    used, slot = np.unique(use_name, return_inverse=True)
    definers = [defined[names[name_id]] for name_id in used.tolist()]
    n_def = np.fromiter(map(len, definers), np.int64, len(definers))
    def_file = np.fromiter(chain.from_iterable(definers), np.int64, int(n_def.sum()))
    start = np.cumsum(n_def) - n_def
    multiplier = np.array(
        [_multiplier(names[name_id], defined, top_level) for name_id in used.tolist()],
        dtype=np.float64,
    )
    fan_out = n_def[slot]
    row = np.repeat(np.arange(len(use_node)), fan_out)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(fan_out) - fan_out, fan_out)
    which = slot[row]
    src, dst = use_node[row], def_file[start[which] + offset]
    weight = multiplier[which] * np.sqrt(use_count[row])
    keep = src != dst
    return src[keep], dst[keep], used[which][keep], weight[keep]


def _multiplier(name: str, defined: Mapping[str, tuple[int, ...]], top_level: set[str]) -> float:
    return name_weight(name, len(defined[name]), member=name not in top_level)


def update_graph(graph: FileGraph, store: GraphSource, changed: set[str]) -> FileGraph | None:
    """Bring the graph forward past edits of `changed` files; None when a file was added or
    removed (the node set changed: build afresh)."""
    if any(path not in graph.nodes for path in changed):
        return None
    marks = ",".join("?" * len(changed))
    args = sorted(changed)
    rows = store.conn.execute(
        f"SELECT f.path, s.name, max(s.parent IS NULL) FROM symbols s JOIN files f "
        f"ON f.id = s.file_id WHERE f.path IN ({marks}) GROUP BY f.path, s.name",
        args,
    ).fetchall()
    present = store.conn.execute(f"SELECT count(*) FROM files WHERE path IN ({marks})", args)
    if present.fetchone()[0] != len(changed):
        return None
    files = np.array([graph.nodes[path] for path in args], dtype=np.int64)
    old_rows = np.isin(graph.def_node, files)
    old = {
        (int(n), graph.names[i]): bool(t)
        for n, i, t in zip(
            graph.def_node[old_rows], graph.def_name[old_rows], graph.def_top[old_rows], strict=True
        )
    }
    new = {(graph.nodes[path], name): bool(top) for path, name, top in rows if name}
    moved = {key[1] for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    _redefine(graph, store, moved)
    for _, name in new:
        graph.name_ids.setdefault(name, len(graph.names))
        if graph.name_ids[name] == len(graph.names):
            graph.names.append(name)
    counts = _use_counts(graph, store, args, moved)
    uses = np.array([(*key, n) for key, n in counts.items()], np.int64).reshape(-1, 3)
    src, dst, name, weight = _edges(uses, graph.names, graph.defined_in, graph.top_level)
    moved_ids = [graph.name_ids[n] for n in moved]
    keep = ~(np.isin(graph.src, files) | np.isin(graph.name, moved_ids))
    keep_defs = ~old_rows
    new_keys = list(new)
    return FileGraph(
        graph.paths,
        graph.names,
        np.concatenate([graph.src[keep], src]),
        np.concatenate([graph.dst[keep], dst]),
        np.concatenate([graph.name[keep], name]),
        np.concatenate([graph.weight[keep], weight]),
        graph.nodes,
        graph.name_ids,
        graph.defined_in,
        graph.top_level,
        np.concatenate([graph.def_node[keep_defs], [n for n, _ in new_keys]]).astype(np.int64),
        np.concatenate(
            [graph.def_name[keep_defs], [graph.name_ids[n] for _, n in new_keys]]
        ).astype(np.int64),
        np.concatenate([graph.def_top[keep_defs], [new[k] for k in new_keys]]).astype(bool),
    )


def _redefine(graph: FileGraph, store: GraphSource, names: set[str]) -> None:
    """Re-read where `names` are defined now, updating the graph's definer maps in place."""
    if not names:
        return
    marks = ",".join("?" * len(names))
    definers: dict[str, set[int]] = {}
    top: set[str] = set()
    for path, name, is_top in store.conn.execute(
        f"SELECT f.path, s.name, max(s.parent IS NULL) FROM symbols s JOIN files f "
        f"ON f.id = s.file_id WHERE s.name IN ({marks}) GROUP BY s.name, f.path",
        sorted(names),
    ):
        if path in graph.nodes:
            definers.setdefault(name, set()).add(graph.nodes[path])
            if is_top:
                top.add(name)
    for name in names:
        files = definers.get(name, set())
        if 0 < len(files) <= MAX_DEFINERS:
            graph.defined_in[name] = tuple(sorted(files))
        else:
            graph.defined_in.pop(name, None)
        if name in top:
            graph.top_level.add(name)
        else:
            graph.top_level.discard(name)


def _use_counts(
    graph: FileGraph, store: GraphSource, changed: list[str], moved: set[str]
) -> Counter[tuple[int, int]]:
    """Return use counts of the edges to remake: every use in the changed files, and every
    use anywhere of a name whose definitions moved."""
    counts: Counter[tuple[int, int]] = Counter()
    marks = ",".join("?" * len(changed))
    rows = store.conn.execute(
        f"SELECT f.path, r.name, count(*) FROM refs r JOIN files f ON f.id = r.file_id "
        f"WHERE f.path IN ({marks}) GROUP BY f.path, r.name",
        changed,
    ).fetchall()
    narrow_moved = sorted(name for name in moved if name in graph.defined_in)
    if narrow_moved:
        rows += store.conn.execute(
            f"SELECT f.path, r.name, count(*) FROM refs r JOIN files f ON f.id = r.file_id "
            f"WHERE r.name IN ({','.join('?' * len(narrow_moved))}) GROUP BY r.file_id, r.name",
            narrow_moved,
        ).fetchall()
    for path, name, count in rows:  # an edited file's use of a moved name comes twice, alike
        user = graph.nodes.get(path)
        if user is not None and name in graph.defined_in:
            counts[(user, graph.name_ids[name])] = count
    return counts
