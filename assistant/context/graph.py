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

    def files(self) -> list: ...  # FileRecord objects with a `path` attribute

    def definition_pairs(self) -> Iterable[tuple[str, str, bool]]: ...  # path, name, nested

    def reference_pairs(self) -> Iterable[tuple[str, str]]: ...  # path, name


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
    defined_in: dict[str, frozenset[int]]  # name -> its definers, for names with few of them
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
    """Build the reference graph of everything in the index."""
    paths = [record.path for record in store.files()]
    return graph_from_pairs(paths, store.definition_pairs(), store.reference_pairs())


def graph_from_pairs(
    paths: Iterable[str],
    definitions: Iterable[tuple[str, str, bool]],
    uses: Iterable[tuple[str, str]],
) -> FileGraph:
    """Build the graph from where names are defined (path, name, is a member) and used."""
    path_list = tuple(dict.fromkeys(paths))
    node = {path: i for i, path in enumerate(path_list)}
    name_ids: dict[str, int] = {}
    per_file: dict[tuple[int, int], bool] = {}  # (node, name id) -> defined outside a class
    for path, name, member in definitions:
        if path in node and name:
            key = (node[path], name_ids.setdefault(name, len(name_ids)))
            per_file[key] = per_file.get(key, False) or not member
    names = list(name_ids)
    defined: dict[str, set[int]] = {}
    top_level: set[str] = set()
    for (file, name_id), top in per_file.items():
        defined.setdefault(names[name_id], set()).add(file)
        if top:
            top_level.add(names[name_id])
    narrow = {
        name: frozenset(files) for name, files in defined.items() if len(files) <= MAX_DEFINERS
    }
    counts = Counter(
        (node[path], name_ids[name]) for path, name in uses if path in node and name in narrow
    )
    src, dst, name, weight = _edges(counts, names, narrow, top_level)
    keys = np.fromiter((k for pair in per_file for k in pair), np.int64, 2 * len(per_file))
    return FileGraph(
        path_list, names, src, dst, name, weight, node, name_ids, narrow, top_level,
        keys[0::2], keys[1::2], np.fromiter(per_file.values(), bool, len(per_file)),
    )  # fmt: skip


def _edges(
    counts: Mapping[tuple[int, int], int],
    names: list[str],
    defined: Mapping[str, frozenset[int]],
    top_level: set[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand each (user, name) use count into one edge per other file that defines the name."""
    used = sorted({name_id for _, name_id in counts})
    slot = {name_id: i for i, name_id in enumerate(used)}
    definers = [sorted(defined[names[name_id]]) for name_id in used]
    n_def = np.array([len(files) for files in definers], dtype=np.int64)
    def_file = np.fromiter((f for files in definers for f in files), np.int64, int(n_def.sum()))
    start = np.cumsum(n_def) - n_def
    multiplier = np.array(
        [_multiplier(names[name_id], defined, top_level) for name_id in used], dtype=np.float64
    )
    use_file = np.fromiter((key[0] for key in counts), np.int64, len(counts))
    use_slot = np.fromiter((slot[key[1]] for key in counts), np.int64, len(counts))
    use_count = np.fromiter(counts.values(), np.float64, len(counts))
    fan_out = n_def[use_slot]
    row = np.repeat(np.arange(len(counts)), fan_out)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(fan_out) - fan_out, fan_out)
    src, which = use_file[row], use_slot[row]
    dst = def_file[start[which] + offset]
    weight = multiplier[which] * np.sqrt(use_count[row])
    name = np.array(used, dtype=np.int64)[which] if used else np.zeros(0, np.int64)
    keep = src != dst
    return src[keep], dst[keep], name[keep], weight[keep]


def _multiplier(name: str, defined: Mapping[str, frozenset[int]], top_level: set[str]) -> float:
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
    src, dst, name, weight = _edges(counts, graph.names, graph.defined_in, graph.top_level)
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
            graph.defined_in[name] = frozenset(files)
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
