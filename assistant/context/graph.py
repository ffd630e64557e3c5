"""The file reference graph: an edge from A to B when A uses a name that B defines.

Edges are weighted the way Aider weights them (see `names.name_weight`), so that PageRank over
the graph says which files matter; a name used many times counts more (square root of the
count). The graph is built in bulk from the store, with numpy doing the join of uses to
definitions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from assistant.context.names import name_weight

# A name defined in more files than this carries no information about where it points.
MAX_DEFINERS = 40


class GraphSource(Protocol):
    """What the graph needs from the index store."""

    def files(self) -> list: ...  # FileRecord objects with a `path` attribute

    def definition_pairs(self) -> Iterable[tuple[str, str, bool]]: ...  # path, name, nested

    def reference_pairs(self) -> Iterable[tuple[str, str]]: ...  # path, name


@dataclass(frozen=True, eq=False)
class FileGraph:
    """Files as nodes, one edge per (user file, defining file, name), with its weight."""

    paths: tuple[str, ...]
    names: tuple[str, ...]
    src: np.ndarray  # node that uses the name
    dst: np.ndarray  # node that defines it
    name: np.ndarray  # index into `names`
    weight: np.ndarray
    nodes: Mapping[str, int]  # path -> node
    name_ids: Mapping[str, int]  # name -> index into `names`
    defined_in: Mapping[str, frozenset[int]]  # name -> the nodes that define it

    @property
    def size(self) -> int:
        """Return the number of files (nodes)."""
        return len(self.paths)

    @cached_property
    def definition_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the distinct (defining node, name) keys, as `node * stride + name`, sorted,
        and for each edge the position of its key: computed once, used by every ranking."""
        key = self.dst * self.key_stride + self.name
        unique, inverse = np.unique(key, return_inverse=True)
        return unique, inverse

    @property
    def key_stride(self) -> int:
        """Return the multiplier that packs (node, name) into one integer key."""
        return max(len(self.names), 1)


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
    defined: dict[str, set[int]] = {}
    top_level: set[str] = set()
    for path, name, member in definitions:
        if path in node and name:
            defined.setdefault(name, set()).add(node[path])
            if not member:
                top_level.add(name)
    defined = {name: files for name, files in defined.items() if len(files) <= MAX_DEFINERS}
    names = tuple(defined)
    name_index = {name: i for i, name in enumerate(names)}
    counts = Counter(
        (node[path], name_index[name]) for path, name in uses if path in node and name in name_index
    )
    multiplier = [name_weight(n, len(defined[n]), member=n not in top_level) for n in names]
    return _join(path_list, names, defined, counts, node, name_index, multiplier)


def _join(
    paths: tuple[str, ...],
    names: tuple[str, ...],
    defined: dict[str, set[int]],
    counts: Counter[tuple[int, int]],
    nodes: dict[str, int],
    name_ids: dict[str, int],
    multipliers: list[float],
) -> FileGraph:
    """Expand each (user, name, count) into one edge per file that defines the name."""
    n_def = np.array([len(defined[name]) for name in names], dtype=np.int64)
    def_file = np.fromiter((f for name in names for f in sorted(defined[name])), dtype=np.int64)
    start = np.cumsum(n_def) - n_def
    multiplier = np.array(multipliers, dtype=np.float64)

    use_file = np.fromiter((key[0] for key in counts), dtype=np.int64, count=len(counts))
    use_name = np.fromiter((key[1] for key in counts), dtype=np.int64, count=len(counts))
    use_count = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    fan_out = n_def[use_name]
    row = np.repeat(np.arange(len(counts)), fan_out)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(fan_out) - fan_out, fan_out)
    src, name = use_file[row], use_name[row]
    dst = def_file[start[name] + offset]
    weight = multiplier[name] * np.sqrt(use_count[row])
    keep = src != dst
    return FileGraph(
        paths,
        names,
        src[keep],
        dst[keep],
        name[keep],
        weight[keep],
        nodes,
        name_ids,
        {name: frozenset(files) for name, files in defined.items()},
    )
