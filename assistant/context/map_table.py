"""The repo map's symbol table: every mappable symbol as numbers in arrays lined up with the
reference graph (its row, file, name, the file kind's weight, its map line's length), built in
batches of columns from the index, brought forward per edited file, and kept on disk."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from assistant.context.cache import DiskForm, array_strings, strings_array
from assistant.context.map_lines import LINE_OVERHEAD, MAX_LINE_CHARS, one_line, one_line_lengths

if TYPE_CHECKING:
    from assistant.context.graph import FileGraph
    from assistant.index import IndexStore
    from assistant.index.columns import SymbolColumns

MAPPED_KINDS = frozenset({"class", "function", "method", "interface", "type", "constant"})
COLUMNS = ("rowid", "node", "name", "kind_weight", "line_chars")  # the symbol table's arrays
# Row ids as SQLite gives them; files and names as the graph numbers them (32 bits); a line's
# length, at most MAX_LINE_CHARS.
KINDS = (np.int64, np.int32, np.int32, np.float64, np.int16)
# A batch's columns as `build` reads them: the kind weight's place holds the start line, which
# only orders the rows.
BATCH_KINDS = (np.int64, np.int32, np.int32, np.int64, np.int16)


@dataclass(frozen=True, eq=False)
class SymbolTable:
    """The mappable symbols as arrays aligned with the graph, in path order (so in node order:
    the graph numbers files by path). Only numbers: the few symbols a map shows are read back
    by row id, so a repository with a million symbols costs tens of megabytes here, not a gigabyte.
    """

    paths: tuple[str, ...]  # the graph's nodes: a rebuilt graph may number files anew
    rowid: np.ndarray  # the symbol's row in the store
    node: np.ndarray  # the file's node in the graph
    name: np.ndarray  # the name's index in graph.names, or -1
    kind_weight: np.ndarray  # the prior of the file's kind (tests, docs... weigh less)
    line_chars: np.ndarray  # the length of the symbol's own line in a map
    # The graph's names the `name` column points into (its append-only list, shared), or, for
    # a table loaded from disk, how many there were and their digest (see `paired`).
    names: Sequence[str] = ()
    names_seen: tuple[int, str] = (0, "")

    @classmethod
    def build(cls, store: IndexStore, graph: FileGraph, path: str | None = None) -> SymbolTable:
        """Read the store's mappable symbols (of one file, or all) lined up with the graph, by
        path and line: in batches of columns, their lines measured on the joined signatures
        (at 100,000 files, ~4 s instead of ~12 for a Python step per symbol)."""
        from assistant.context.priors import kind_weight

        numbers = _graph_numbers(store, graph, path)

        def lined_up(batch: SymbolColumns) -> list[np.ndarray]:
            node, name = numbers(batch)
            line = one_line_lengths(batch.signature_chars, batch.signatures)
            for i in np.flatnonzero(batch.signature_chars == 0).tolist():  # the name stands in
                line[i] = len(one_line(graph.names[name[i]])) if name[i] >= 0 else 0
            keep = node >= 0
            # in the table's types at once: at 100,000 files all the batches, then their joined
            # columns, are a million rows each (int64 throughout was 158 MB at its peak)
            columns = (batch.rowid, node, name, batch.start_line, line + LINE_OVERHEAD)
            return [
                c[keep].astype(k, copy=False) for c, k in zip(columns, BATCH_KINDS, strict=True)
            ]

        parts = store.symbol_columns(MAPPED_KINDS, path, lined_up)
        empty = [np.zeros(0, kind) for kind in BATCH_KINDS]
        joined = [np.concatenate([empty[i], *(part[i] for part in parts)]) for i in range(5)]
        del parts
        rowid, node, name, start, line = joined
        del joined
        order = np.lexsort((start, node))  # stable: a file's symbols by line, then by row
        del start
        weights = np.ones(graph.size)
        for known in np.unique(node).tolist():
            weights[known] = kind_weight(graph.paths[known])
        node = node[order]
        table = (rowid[order], node, name[order], weights[node], line[order])
        return cls.of(graph.paths, list(table), names=graph.names)

    @classmethod
    def of(
        cls,
        paths: tuple[str, ...],
        columns: Sequence[np.ndarray],
        *,
        names: Sequence[str] = (),
        names_seen: tuple[int, str] = (0, ""),
    ) -> SymbolTable:
        """Return a table from its paths and its COLUMNS' arrays, in order."""
        rowid, node, name, kind_weight, line_chars = columns
        return cls(paths, rowid, node, name, kind_weight, line_chars, names, names_seen)

    def updated(self, store: IndexStore, graph: FileGraph, changed: set[str]) -> SymbolTable | None:
        """Return the table with the changed files' rows re-read (None: not lined up with
        `graph`'s files)."""
        if graph.paths is not self.paths:
            return None
        table = self
        for node in sorted(graph.nodes[path] for path in changed if path in graph.nodes):
            low, high = np.searchsorted(table.node, [node, node + 1])
            fresh = SymbolTable.build(store, graph, graph.paths[node])
            table = SymbolTable.of(
                self.paths,
                [
                    np.concatenate([getattr(table, column)[:low], getattr(fresh, column),
                                    getattr(table, column)[high:]])
                    for column in COLUMNS
                ],
                names=graph.names,
            )  # fmt: skip
        return table

    def positions(self, graph: FileGraph) -> np.ndarray:
        """Return each symbol's definition row in the graph, or -1."""
        return graph.definition_rows(self.node, self.name)


@dataclass(frozen=True, eq=False)
class Positions:
    """Each symbol's definition row in a graph (-1: none), for the table rows' files and
    names, kept to be brought forward with the graph after an edit."""

    graph: int  # the graph's serial
    node: np.ndarray  # the table's `node` and `name` columns these are for
    name: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, table: SymbolTable, graph: FileGraph) -> Positions:
        """Return the table's positions in the graph, each looked up."""
        return cls(graph.serial, table.node, table.name, table.positions(graph))

    def brought_to(
        self, table: SymbolTable, graph: FileGraph, changed: Sequence[str]
    ) -> Positions | None:
        """Return the positions of `table` (these, brought past edits of the `changed` files)
        in `graph` (made by `update_graph` from this one's graph), or None when they cannot
        be: the rows of the other files only renumbered, the changed files' looked up (at
        100,000 files 8 against 63 ms)."""
        from assistant.context.graph_update import brought_from, nodes_from

        origin = brought_from(graph)
        if origin is None or origin[0] != self.graph or nodes_from(graph) is not None:
            return None  # (files numbered again when some came or went: looked up afresh)
        edited = [graph.nodes[path] for path in changed]
        was, now = ~np.isin(self.node, edited), ~np.isin(table.node, edited)
        if not (
            np.array_equal(self.node[was], table.node[now])
            and np.array_equal(self.name[was], table.name[now])
        ):
            return None
        rows = np.empty(len(table.node), dtype=self.rows.dtype)
        kept = self.rows[was]
        rows[now] = np.where(kept >= 0, origin[1][kept], -1)
        fresh = ~now
        rows[fresh] = graph.definition_rows(table.node[fresh], table.name[fresh])
        return Positions(graph.serial, table.node, table.name, rows)


def _graph_numbers(
    store: IndexStore, graph: FileGraph, path: str | None
) -> Callable[[SymbolColumns], tuple[np.ndarray, np.ndarray]]:
    """Return what gives a batch of symbols' files and names as the graph numbers them (-1: not
    in it): for the whole index, from every file and name read once; for one file, its own."""
    from assistant.context.graph import numbered_by_id

    if path is None:
        node_of = numbered_by_id(store.file_ids(), graph.nodes)
        name_of = numbered_by_id(store.name_ids(), graph.name_ids)
        return lambda batch: (node_of(batch.file_id), name_of(batch.name_id))
    node = graph.nodes.get(path, -1)

    def of_one_file(batch: SymbolColumns) -> tuple[np.ndarray, np.ndarray]:
        spelt = store.name_ids(np.unique(batch.name_id).tolist())
        return np.full(len(batch.rowid), node), numbered_by_id(spelt, graph.name_ids)(batch.name_id)

    return of_one_file


def paired(table: SymbolTable, graph: FileGraph) -> SymbolTable | None:
    """Return the table lined up with `graph`, or None when it cannot be: built against it, or
    loaded from disk with the same files and the names its `name` column points at (names are
    only ever appended, so the first `count` must be the same)."""
    return _lined_up(table, graph.paths, graph.names)


def _lined_up(
    table: SymbolTable, paths: tuple[str, ...], names: Sequence[str]
) -> SymbolTable | None:
    """Return the table lined up with these files and names (see `paired`), or None."""
    if table.paths is paths and table.names is names:
        return table
    count, digest = table.names_seen
    if count and table.paths == paths and _names_digest(names, count) == digest:
        return replace(table, paths=paths, names=names, names_seen=(0, ""))
    return None


def updated_table(
    table: SymbolTable, store: IndexStore, graph: FileGraph, changed: set[str]
) -> SymbolTable | None:
    """Return `table` brought forward past edits of the `changed` files, files added and
    removed among them (None: cannot be)."""
    lined_up = paired(table, graph) or _renumbered(table, graph)
    return lined_up.updated(store, graph, changed) if lined_up is not None else None


def _renumbered(table: SymbolTable, graph: FileGraph) -> SymbolTable | None:
    """Return the table lined up with `graph` when `update_graph` made it past files added or
    removed from the graph the table was lined up with: the files numbered again (the same
    order), the removed files' rows dropped; the added files' are for `updated` to read."""
    from assistant.context.graph_update import nodes_from

    origin = nodes_from(graph)
    lined_up = None if origin is None else _lined_up(table, origin[0], graph.names)
    if origin is None or lined_up is None:
        return None
    node = origin[1][lined_up.node]
    kept = node >= 0
    columns = [getattr(lined_up, column)[kept] for column in COLUMNS]
    columns[COLUMNS.index("node")] = node[kept]
    return SymbolTable.of(graph.paths, columns, names=graph.names)


def _names_digest(names: Sequence[str], count: int) -> str:
    if count > len(names):
        return ""
    joined = "\0".join(names[:count]).encode("utf-8", "surrogateescape")
    return hashlib.sha256(joined).hexdigest()


def _table_arrays(table: SymbolTable) -> dict[str, np.ndarray]:
    count = len(table.names)
    return {
        "paths": strings_array(table.paths),
        "path_count": np.array([len(table.paths)], np.int64),
        "names_seen": strings_array([str(count), _names_digest(table.names, count)]),
        **{column: getattr(table, column) for column in COLUMNS},
    }


def _table_from_arrays(arrays: Mapping[str, np.ndarray]) -> SymbolTable:
    paths = tuple(array_strings(arrays["paths"], int(arrays["path_count"][0])))
    count, digest = array_strings(arrays["names_seen"], 2)
    saved = [np.asarray(arrays[column]) for column in COLUMNS]
    if len({len(column) for column in saved}) != 1 or any(c.ndim != 1 for c in saved):
        raise ValueError("the saved symbol table's arrays disagree")
    if any(c.dtype.kind not in "iu" for i, c in enumerate(saved) if KINDS[i] is not np.float64):
        raise ValueError("the saved symbol table's numbers are not integers")
    rowid, node, name, weight, chars = saved
    if len(node) and (  # checked before they are narrowed to the table's types
        rowid.min() < 0
        or int(rowid.max()) >= 2**63
        or node.min() < 0
        or node.max() >= len(paths)
        or np.any(np.diff(node.astype(np.int64)) < 0)  # file order: `updated` relies on it
        or not np.all(np.isfinite(weight) & (weight >= 0))
        or name.min() < -1
        or name.max() >= int(count)
        or chars.min() < 0
        or chars.max() > MAX_LINE_CHARS
    ):
        raise ValueError("the saved symbol table points outside its files or names")
    columns = [column.astype(kind) for column, kind in zip(saved, KINDS, strict=True)]
    return SymbolTable.of(paths, columns, names_seen=(int(count), digest))


SYMBOL_TABLE_DISK = DiskForm(_table_arrays, _table_from_arrays)
