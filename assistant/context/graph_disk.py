"""The reference graph kept on disk: its arrays by name (see `cache.DiskForm`), checked when
read back, since a saved file may be damaged or stale."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assistant.context.cache import array_strings, strings_array
from assistant.context.graph import FileGraph


def graph_arrays(graph: FileGraph) -> dict[str, np.ndarray]:
    """Return the graph as named arrays, to keep on disk (see `cache.DiskForm`)."""
    return {
        "paths": strings_array(graph.paths),
        "path_count": np.array([len(graph.paths)], np.int64),
        "names": strings_array(graph.names),
        "name_count": np.array([len(graph.names)], np.int64),
        **{column: getattr(graph, column) for column in ROW_COLUMNS},
        "multiplier": graph.multiplier,
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
    return FileGraph(
        paths, {p: i for i, p in enumerate(paths)}, names, {n: i for i, n in enumerate(names)},
        def_node, def_name, def_top, use_node, use_name, use_count, arrays["multiplier"],
    )  # fmt: skip


# The graph's row arrays, in FileGraph's field order.
ROW_COLUMNS = ("def_node", "def_name", "def_top", "use_node", "use_name", "use_count")
