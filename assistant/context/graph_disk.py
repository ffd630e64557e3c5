"""The reference graph kept on disk: its arrays by name (see `cache.DiskForm`), with the sorted
lookups a walk needs (about half a second of a next process's first map at 100,000 files, to
sort them again), checked when read back, since a saved file may be damaged or stale."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assistant.context.cache import array_strings, strings_array
from assistant.context.graph import MAX_COUNT, ROW_INT, FileGraph, row_keys


def graph_arrays(graph: FileGraph) -> dict[str, np.ndarray]:
    """Return the graph as named arrays, to keep on disk (see `cache.DiskForm`)."""
    return {
        "paths": strings_array(graph.paths),
        "path_count": np.array([len(graph.paths)], np.int64),
        "names": strings_array(graph.names),
        "name_count": np.array([len(graph.names)], np.int64),
        **{column: getattr(graph, column) for column in ROW_COLUMNS},
        "multiplier": graph.multiplier,
        "def_order": graph.def_lookup[1],  # (the keys are made again from it: checked so)
        "own_use": graph.own_use,
        "use_by_name": graph.use_by_name,
    }


def graph_from_arrays(arrays: Mapping[str, np.ndarray]) -> FileGraph:
    """Return the graph `graph_arrays` saved."""
    paths = tuple(array_strings(arrays["paths"], int(arrays["path_count"][0])))
    names = array_strings(arrays["names"], int(arrays["name_count"][0]))
    def_node, def_name, use_node, use_name = (
        _ids(arrays[column], 0, len(bound), "the saved graph's rows")
        for column, bound in (("def_node", paths), ("def_name", names), ("use_node", paths),
                              ("use_name", names))
    )  # fmt: skip
    def_top = arrays["def_top"].astype(bool, copy=False)
    use_count = _ids(arrays["use_count"], 0, MAX_COUNT + 1, "the saved graph's use counts")
    multiplier = arrays["multiplier"]
    defined, used = {len(def_node), len(def_name), len(def_top)}, {len(use_node), len(use_name)}
    if (
        len(defined) != 1
        or len(used | {len(use_count)}) != 1
        or def_top.ndim != 1
        or multiplier.ndim != 1
        or len(multiplier) != len(names)
        or multiplier.dtype.kind != "f"
        or not np.all(np.isfinite(multiplier) & (multiplier >= 0))
    ):
        raise ValueError("the saved graph's arrays disagree")
    graph = FileGraph(
        paths, {p: i for i, p in enumerate(paths)}, names, {n: i for i, n in enumerate(names)},
        def_node, def_name, def_top, use_node, use_name, use_count, multiplier,
    )  # fmt: skip
    if set(LOOKUP_COLUMNS) <= arrays.keys():  # (a file saved before they were kept: sorted anew)
        # cached_property keeps its values in the instance's __dict__, frozen or not
        graph.__dict__.update(_checked_lookups(graph, arrays))
    return graph


def _ids(values: np.ndarray, low: int, high: int, what: str) -> np.ndarray:
    """Return saved ids as the graph's signed 32-bit rows (unsigned ones would wrap around in
    a difference; keys are made in 64 bits), or raise ValueError unless they are integers in
    low..high-1 (checked before they are narrowed)."""
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise ValueError(f"{what} are not integers")
    if len(values) and not low <= int(values.min()) <= int(values.max()) < high:
        raise ValueError(f"{what} point outside what they number")
    if high - 1 > MAX_COUNT:
        raise ValueError(f"{what} are more than the graph's rows can number")
    return values.astype(ROW_INT, copy=False)


def _checked_lookups(graph: FileGraph, arrays: Mapping[str, np.ndarray]) -> dict[str, object]:
    """Return the saved lookups as the graph's properties would sort them anew, or raise
    ValueError: the definition rows in key order (each once, since the keys increase), the use
    rows in name order with ties in row order (each once, so), and each definition's own use a
    use of the same file and name (a use missing there would only leave a self-link in: not
    checked, it would cost a search)."""
    defs, uses = len(graph.def_node), len(graph.use_node)
    order = _ids(arrays["def_order"], 0, defs, "the saved graph's definition order")
    own = _ids(arrays["own_use"], -1, uses, "the saved graph's own uses")
    by_name = _ids(arrays["use_by_name"], 0, uses, "the saved graph's uses by name")
    if len(order) != defs or len(own) != defs or len(by_name) != uses:
        raise ValueError("the saved graph's lookups disagree with its rows")
    keys = row_keys(graph.def_node[order], graph.def_name[order])
    if np.any(np.diff(keys) <= 0):
        raise ValueError("the saved graph's definitions are not in key order")
    steps = np.diff(graph.use_name[by_name])
    if np.any((steps < 0) | ((steps == 0) & (np.diff(by_name) <= 0))):
        raise ValueError("the saved graph's uses are not in name order")
    has = own >= 0
    if not (
        np.array_equal(graph.use_node[own[has]], graph.def_node[has])
        and np.array_equal(graph.use_name[own[has]], graph.def_name[has])
    ):
        raise ValueError("the saved graph's own uses are not the definitions' own")
    return {"def_lookup": (keys, order), "own_use": own, "use_by_name": by_name}


# The graph's row arrays, in FileGraph's field order.
ROW_COLUMNS = ("def_node", "def_name", "def_top", "use_node", "use_name", "use_count")
# The sorted lookups saved with them (`FileGraph.def_lookup`, `own_use`, `use_by_name`).
LOOKUP_COLUMNS = ("def_order", "own_use", "use_by_name")
