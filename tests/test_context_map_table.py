"""The map's symbol table read in batches of columns: the same rows, lines and order as a
symbol at a time would give, whatever the batch size; map lines measured in bulk as one at a
time; integer columns read in bulk, and refused when they are not whole numbers."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.context import graph, map_lines
from assistant.context.map_table import MAPPED_KINDS, SymbolTable
from assistant.index import columns, links, open_index
from assistant.testing import commit_files

FILES = {
    "pkg/a.py": "class Alpha:\n    def run(self,\n            fast=True):\n"
    "        return beta()\n\n\ndef beta():\n    '''Two\u3000words.'''\n"
    "    return Alpha()\n\n\nLIMIT = 3\n",
    "pkg/b.py": "from pkg.a import Alpha\n\n\ndef gamma(x,   y):\n    return Alpha().run()\n\n\n"
    "def δέλτα(ε):\n    return ε\n",
    "pkg/c.py": "def beta():\n    return 2\n\n\nclass Gamma:\n    pass\n",
    "lib/d.ts": "export function beta(): number { return 1 }\nexport class Delta {}\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", FILES)


def one_at_a_time(store: Any, g: graph.FileGraph) -> list[tuple[int, int, int, int]]:
    """Return (row id, node, name, line chars) per mappable symbol, by path and line, the way
    a Python step per symbol made them before."""
    rows = sorted(
        (g.nodes[s.path], s.start_line, rowid, s)
        for rowid, s in store.symbols_by_rowid(list(range(1, 10_000))).items()
        if s.kind in MAPPED_KINDS and s.path in g.nodes
    )
    return [
        (
            rowid,
            node,
            g.name_ids.get(s.name, -1),
            len(map_lines.one_line(s.signature or s.name)) + 3,
        )
        for node, _, rowid, s in rows
    ]


@pytest.mark.parametrize("batch", [1, 2, 7, 25_000])
def test_a_table_read_in_batches_is_the_table_read_a_symbol_at_a_time(
    repo, tmp_path, monkeypatch, batch
):
    monkeypatch.setattr(columns, "SYMBOL_BATCH", batch)
    with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
        # a NUL in a signature (an import's rows are not a parse's): SQLite's length() stops there
        store.conn.execute("UPDATE symbol_rows SET signature = 'def n(a=' || char(0) || '): ...' "
                           "WHERE rowid = (SELECT min(rowid) FROM symbol_rows)")  # fmt: skip
        g = graph.build_graph(store)
        table = SymbolTable.build(store, g)
        expected = one_at_a_time(store, g)
        arrays = (table.rowid, table.node, table.name, table.line_chars)
        got = zip(*(c.tolist() for c in arrays), strict=True)
        assert list(got) == expected and len(expected) > 8
        for path in FILES:  # one file's rows, as an edit reads them again
            one = SymbolTable.build(store, g, path)
            assert one.rowid.tolist() == table.rowid[table.node == g.nodes[path]].tolist()
            assert one.line_chars.tolist() == table.line_chars[table.node == g.nodes[path]].tolist()
        assert SymbolTable.build(store, g, "no/such/file.py").rowid.tolist() == []


def test_map_lines_measured_in_bulk_are_those_made_one_at_a_time():
    spaces = [c for c in map(chr, range(0x3100)) if c.isspace()]
    alphabet = [*"ab(),:= ", *spaces, "é", "中", "😀", "\u3001", "\x00", "\U0010ffff"]
    rng = random.Random(7)
    texts = ["", " ", "  a  b ", "x" * 200, " " + "y" * 170, "a\n" * 100, "\u3000q\u3000"]
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 220))) for _ in range(3000)
    ]
    chars = np.array([len(t) for t in texts])
    expected = [len(map_lines.one_line(t)) for t in texts]
    assert map_lines.one_line_lengths(chars, "".join(texts)).tolist() == expected


def test_definitions_grouped_by_numpy_are_those_sqlite_groups(repo, tmp_path):
    with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
        grouped = store.conn.execute(
            "SELECT file_id, name_id, max(parent IS NULL) FROM symbol_rows "
            "WHERE name_id NOT IN (SELECT id FROM names WHERE name = '') "
            "GROUP BY file_id, name_id ORDER BY file_id, name_id"
        ).fetchall()
        assert [tuple(row) for row in links.definitions_by_file(store.conn).tolist()] == grouped


@pytest.mark.parametrize("value", ["'7x'", "1.5", "'1,2'", "NULL"])
def test_integer_columns_that_are_not_whole_numbers_are_refused(value):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, 2), (3, 4)])
    assert columns.integer_rows(conn, "SELECT a, b FROM t", (), 2).tolist() == [[1, 2], [3, 4]]
    assert columns.integer_rows(conn, "SELECT a, b FROM t WHERE a > 9", (), 2).shape == (0, 2)
    conn.execute(f"INSERT INTO t VALUES (5, {value})")
    with pytest.raises(ValueError, match="whole numbers"):
        columns.integer_rows(conn, "SELECT a, b FROM t", (), 2)


def test_a_table_is_read_from_one_snapshot_while_another_process_writes(
    repo, tmp_path, monkeypatch
):
    """The batches are read in one transaction: a file written again between two of them
    (the review's race: its old rows, then its new ones, both in the table) is read once."""
    from assistant.index.indexer import update_paths

    monkeypatch.setattr(columns, "SYMBOL_BATCH", 1)
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store, open_index(repo, settings) as writer:
        g = graph.build_graph(store)
        before = SymbolTable.build(store, g).rowid.tolist()
        real = columns._symbol_batches
        written = []

        def batches_with_a_write_between(*args: Any) -> Any:
            for batch in real(*args):
                yield batch
                if not written:  # another process saves pkg/a.py again, with a new symbol
                    (repo / "pkg/a.py").write_text(
                        FILES["pkg/a.py"] + "\n\ndef later():\n    pass\n"
                    )
                    written.append(update_paths(writer, repo, ["pkg/a.py"], 1 << 20))

        monkeypatch.setattr(columns, "_symbol_batches", batches_with_a_write_between)
        assert SymbolTable.build(store, g).rowid.tolist() == before and written
