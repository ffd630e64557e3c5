"""Bringing the reference graph forward past edits: the edited files' rows swapped, only the
names whose definitions moved weighed again, and the sorted lookups a walk needs carried over in
linear time instead of sorted again (most of re-ranking after an edit at 100,000 files)."""

from __future__ import annotations

import numpy as np

from assistant.context.graph import (
    KEY_SHIFT,
    ROW_INT,
    FileGraph,
    GraphSource,
    looked_up,
    row_keys,
    use_counts,
    use_rows,
    weigh,
)

NAME_MASK = (1 << KEY_SHIFT) - 1  # a row key's name part


def update_graph(graph: FileGraph, store: GraphSource, changed: set[str]) -> FileGraph | None:
    """Bring the graph forward past edits of `changed` files, files added and removed among
    them (the files then numbered again in path order, as a build numbers them); None when it
    cannot be (the index moved on past `changed` meanwhile)."""
    args = sorted(changed)
    defined = store.definitions_in(args) if all(p in graph.nodes for p in args) else None
    nodes, remap = graph.nodes, None
    if defined is None:  # a file came or went
        renumbered = _renumbered(graph, store, changed)
        if renumbered is None:
            return None
        nodes, remap = renumbered
        defined = store.definitions_in([path for path in args if path in nodes])
        if defined is None:  # (removed again meanwhile)
            return None
    new = {(nodes[path], name): bool(top) for path, name, top in defined}
    files = np.array([graph.nodes[path] for path in args if path in graph.nodes], np.int64)
    old_rows = np.isin(graph.def_node, files)
    old_nodes = graph.def_node[old_rows] if remap is None else remap[graph.def_node[old_rows]]
    old = {
        (node, graph.names[name]): top
        for node, name, top in zip(
            old_nodes.tolist(),
            graph.def_name[old_rows].tolist(),
            graph.def_top[old_rows].tolist(),
            strict=True,
        )
    }  # (a removed file's rows under node -1: none of them is among the new)
    moved = {key[1] for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    for name in sorted(moved):
        if name not in graph.name_ids:
            graph.name_ids[name] = len(graph.names)
            graph.names.append(name)
    moved_ids = np.array([graph.name_ids[name] for name in moved], dtype=np.int64)
    def_rows = np.array(
        [(node, graph.name_ids[name], top) for (node, name), top in new.items()], np.int64
    ).reshape(-1, 3)
    present = [path for path in args if path in nodes]
    put_back = use_rows(nodes, graph.name_ids, store.uses_in(present, sorted(moved)))
    keep_uses = ~(np.isin(graph.use_node, files) | np.isin(graph.use_name, moved_ids))
    kept_def_node, kept_use_node = graph.def_node[~old_rows], graph.use_node[keep_uses]
    if remap is not None:  # (a kept row is never a removed file's)
        kept_def_node, kept_use_node = remap[kept_def_node], remap[kept_use_node]
    multiplier = np.zeros(len(graph.names))
    multiplier[: len(graph.multiplier)] = graph.multiplier
    updated = FileGraph(
        graph.paths if remap is None else tuple(nodes), nodes, graph.names, graph.name_ids,
        np.concatenate([kept_def_node, def_rows[:, 0].astype(ROW_INT)]),
        np.concatenate([graph.def_name[~old_rows], def_rows[:, 1].astype(ROW_INT)]),
        np.concatenate([graph.def_top[~old_rows], def_rows[:, 2].astype(bool)]),
        np.concatenate([kept_use_node, put_back[:, 0].astype(ROW_INT)]),
        np.concatenate([graph.use_name[keep_uses], put_back[:, 1].astype(ROW_INT)]),
        np.concatenate([graph.use_count[keep_uses], use_counts(put_back[:, 2])]),
        multiplier,
    )  # fmt: skip
    weigh(updated, moved_ids.tolist())
    _carry_lookups(graph, updated, ~old_rows, keep_uses, remap)
    renumbered_rows = np.where(old_rows, -1, np.cumsum(~old_rows, dtype=ROW_INT) - 1)
    updated.__dict__["brought_from"] = (graph.serial, renumbered_rows.astype(ROW_INT))
    if remap is not None:
        updated.__dict__["nodes_from"] = (graph.paths, remap)
    return updated


def _renumbered(
    graph: FileGraph, store: GraphSource, changed: set[str]
) -> tuple[dict[str, int], np.ndarray] | None:
    """Return the indexed files' nodes, by path as a build numbers them, and each of the
    graph's nodes' new number (-1: removed); None when a file came or went that is not among
    `changed` (the index was written again meanwhile: build afresh)."""
    paths = [path for _, path in store.file_ids()]
    nodes = {path: node for node, path in enumerate(paths)}
    if len(nodes) != len(paths):
        return None
    came = nodes.keys() - graph.nodes.keys()
    went = graph.nodes.keys() - nodes.keys()
    if not (came <= changed and went <= changed):
        return None
    remap = np.array([nodes.get(path, -1) for path in graph.paths], dtype=ROW_INT)
    return nodes, remap


def nodes_from(graph: FileGraph) -> tuple[tuple[str, ...], np.ndarray] | None:
    """Return, for a graph `update_graph` made past files added or removed, the files of the
    graph it was made from and each of their nodes' number in this one (-1: removed)."""
    found: tuple[tuple[str, ...], np.ndarray] | None = graph.__dict__.get("nodes_from")
    return found


def brought_from(graph: FileGraph) -> tuple[int, np.ndarray] | None:
    """Return, for a graph `update_graph` made, the serial of the graph it was made from and
    each of that graph's definition rows' row in this one (-1: an edited file's, gone)."""
    found: tuple[int, np.ndarray] | None = graph.__dict__.get("brought_from")
    return found


def _carry_lookups(
    old: FileGraph,
    new: FileGraph,
    kept_defs: np.ndarray,
    kept_uses: np.ndarray,
    remap: np.ndarray | None = None,
) -> None:
    """Give `new` (old's kept rows, then the rows added) the sorted definition keys, each
    definition's own use and the uses in name order, from old's, when old has them: filtered
    and merged in linear time instead of sorted again (at 100,000 files, most of re-ranking
    after an edit). The added rows are all of the changed files' rows and every use of the
    names whose definitions moved, so a kept definition's own use is kept or among them.
    One lookup at a time, so only one's temporary arrays are held at once. With `remap` (the
    files numbered again, in the same order) the kept keys are renumbered: still sorted."""
    cached = old.__dict__
    if not {"def_lookup", "own_use", "use_by_name"} <= cached.keys():
        return
    new_use = np.cumsum(kept_uses, dtype=ROW_INT) - 1  # a kept use's row in `new`
    lookup = _carried_def_lookup(cached["def_lookup"], new, kept_defs, remap)
    own = _carried_own_use(old.own_use[kept_defs], new, kept_uses, new_use)
    # the uses in name order: old's kept ones, the added merged in
    first_added = int(kept_uses.sum())
    by_name = cached["use_by_name"]
    by_name = new_use[by_name[kept_uses[by_name]]]
    added_uses = first_added + np.argsort(new.use_name[first_added:], kind="stable")
    at = np.searchsorted(new.use_name[by_name], new.use_name[added_uses], side="right")
    # cached_property keeps its values in the instance's __dict__, frozen or not
    new.__dict__.update(
        def_lookup=lookup, own_use=own, use_by_name=np.insert(by_name, at, added_uses)
    )


def _carried_def_lookup(
    lookup: tuple[np.ndarray, np.ndarray],
    new: FileGraph,
    kept_defs: np.ndarray,
    remap: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return `new`'s sorted definition keys and rows: old's kept ones (their files numbered
    by `remap`, an order-keeping renumbering, when given), the added merged in."""
    keys, order = lookup
    kept = kept_defs[order]
    new_def = np.cumsum(kept_defs, dtype=ROW_INT) - 1  # a kept row's number in `new`
    keys, order = keys[kept], new_def[order[kept]]
    if remap is not None:
        keys = row_keys(remap[keys >> KEY_SHIFT], keys & NAME_MASK)
    added = np.arange(int(kept_defs.sum()), len(new.def_node))
    added_keys = row_keys(new.def_node[added], new.def_name[added])
    by_key = np.argsort(added_keys, kind="stable")
    at = np.searchsorted(keys, added_keys[by_key])  # the keys are unique: no ties to order
    return np.insert(keys, at, added_keys[by_key]), np.insert(order, at, added[by_key])


def _carried_own_use(
    was: np.ndarray, new: FileGraph, kept_uses: np.ndarray, new_use: np.ndarray
) -> np.ndarray:
    """Return each of `new`'s definitions' own use: the kept definitions' (`was`, old's own
    uses) renumbered, the others looked up among the added uses."""
    first_added = int(kept_uses.sum())
    use_keys = row_keys(new.use_node[first_added:], new.use_name[first_added:])
    use_order = np.argsort(use_keys, kind="stable")
    use_keys = use_keys[use_order]
    own = np.full(len(new.def_node), -2, dtype=ROW_INT)  # -2: to look up among the added uses
    own[: len(was)] = -1
    had = np.flatnonzero(was >= 0)
    own[had] = np.where(kept_uses[was[had]], new_use[was[had]], -2)
    lost = np.flatnonzero(own == -2)
    own[lost] = -1
    if len(lost):
        wanted = row_keys(new.def_node[lost], new.def_name[lost])
        found = looked_up(use_keys, use_order, wanted)
        own[lost] = np.where(found >= 0, first_added + found, -1)
    return own
