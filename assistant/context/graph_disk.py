"""The reference graph kept on disk: its arrays by name (see `cache.DiskForm`), with the sorted
lookups a walk needs (a third of a second to sort again at 100,000 files, the time the next
process's first map would spend on them), checked when read back, since a saved file may be
damaged or stale."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assistant.context.cache import array_strings, strings_array
from assistant.context.graph import KEY_SHIFT, FileGraph


def graph_arrays(graph: FileGraph) -> dict[str, np.ndarray]:
    """Return the graph as named arrays, to keep on disk (see `cache.DiskForm`)."""
    return {
        "paths": strings_array(graph.paths),
        "path_count": np.array([len(graph.paths)], np.int64),
        "names": strings_array(graph.names),
        "name_count": np.array([len(graph.names)], np.int64),
        **{column: getattr(graph, column) for column in ROW_COLUMNS},
        "multiplier": graph.multiplier,
        "def_keys": graph.def_lookup[0],
        "def_order": graph.def_lookup[1],
        "own_use": graph.own_use,
        "use_by_name": graph.use_by_name,
    }


def graph_from_arrays(arrays: Mapping[str, np.ndarray]) -> FileGraph:
    """Return the graph `graph_arrays` saved."""
    paths = tuple(array_strings(arrays["paths"], int(arrays["path_count"][0])))
    names = array_strings(arrays["names"], int(arrays["name_count"][0]))
    def_node, def_name, def_top, use_node, use_name, use_count = (
        arrays[column] for column in ROW_COLUMNS
    )
    defined, used = {len(def_node), len(def_name), len(def_top)}, {len(use_node), len(use_name)}
    if (
        len(defined) != 1
        or len(used | {len(use_count)}) != 1
        or len(arrays["multiplier"]) != len(names)
    ):
        raise ValueError("the saved graph's arrays disagree")
    for ids, bound in ((def_node, paths), (use_node, paths), (def_name, names), (use_name, names)):
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError("the saved graph's ids are not integers")
        if len(ids) and not 0 <= int(ids.min()) <= int(ids.max()) < len(bound):
            raise ValueError("the saved graph points outside its files or names")
    graph = FileGraph(
        paths, {p: i for i, p in enumerate(paths)}, names, {n: i for i, n in enumerate(names)},
        def_node, def_name, def_top, use_node, use_name, use_count, arrays["multiplier"],
    )  # fmt: skip
    if set(LOOKUP_COLUMNS) <= arrays.keys():  # (a file saved before they were kept: sorted anew)
        _check_lookups(graph, arrays)
        # cached_property keeps its values in the instance's __dict__, frozen or not
        graph.__dict__.update(
            def_lookup=(arrays["def_keys"], arrays["def_order"]),
            own_use=arrays["own_use"],
            use_by_name=arrays["use_by_name"],
        )
    return graph


def _check_lookups(graph: FileGraph, arrays: Mapping[str, np.ndarray]) -> None:
    """Raise ValueError unless the saved lookups are what the graph's properties would sort
    anew: the definition keys in order with the rows they came from, the use rows in name
    order (ties in row order), and each definition's own use a use of the same file and name
    (a use missing there would only leave a self-link in: not checked, it costs a search)."""
    keys, order, own, by_name = (arrays[column] for column in LOOKUP_COLUMNS)
    defs, uses = len(graph.def_node), len(graph.use_node)
    for ids, size, low, high in ((order, defs, 0, defs), (own, defs, -1, uses),
                                 (by_name, uses, 0, uses)):  # fmt: skip
        if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) != size:
            raise ValueError("the saved graph's lookups disagree with its rows")
        if size and not low <= int(ids.min()) <= int(ids.max()) < high:
            raise ValueError("the saved graph's lookups point outside its rows")
    if keys.dtype != np.int64 or not np.array_equal(
        keys, (graph.def_node[order] << KEY_SHIFT) + graph.def_name[order]
    ):
        raise ValueError("the saved graph's definition keys are not its rows'")
    if np.any(np.diff(keys) <= 0):  # increasing, so `order` is each row once
        raise ValueError("the saved graph's definition keys are not sorted")
    steps = np.diff(graph.use_name[by_name])
    if np.any((steps < 0) | ((steps == 0) & (np.diff(by_name) <= 0))):  # so each row once
        raise ValueError("the saved graph's uses are not in name order")
    has = own >= 0
    if not (
        np.array_equal(graph.use_node[own[has]], graph.def_node[has])
        and np.array_equal(graph.use_name[own[has]], graph.def_name[has])
    ):
        raise ValueError("the saved graph's own uses are not the definitions' own")


# The graph's row arrays, in FileGraph's field order.
ROW_COLUMNS = ("def_node", "def_name", "def_top", "use_node", "use_name", "use_count")
# The sorted lookups saved with them (`FileGraph.def_lookup`, `own_use`, `use_by_name`).
LOOKUP_COLUMNS = ("def_keys", "def_order", "own_use", "use_by_name")
