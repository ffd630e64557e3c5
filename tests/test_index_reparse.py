"""Incremental re-parsing gives exactly what a fresh parse does, for every kind of edit."""

from __future__ import annotations

import pytest
import tree_sitter

from assistant.index.extract import parse_source
from assistant.index.languages import grammar
from assistant.index.reparse import TreeCache, edit_between

PYTHON = grammar("python")[0]

BASE = '''"""Módulo de ejemplo: ünïcode before the edits."""

import os


class Store:
    def save(self, record):
        return record


def open_store(path):
    return Store()
'''

EDITS = [
    ("append a function", lambda t: t + "\n\ndef added(x):\n    return open_store(x)\n"),
    ("insert a method", lambda t: t.replace("        return record\n",
                                            "        return record\n\n    def load(self):\n"
                                            "        return os.getcwd()\n")),
    ("rename at the start", lambda t: t.replace("import os", "import sys as os")),
    ("delete the class", lambda t: t[: t.index("class Store")] + t[t.index("def open_store"):]),
    ("multi-byte text in the middle", lambda t: t.replace("return Store()", "return Störe()  # ☃")),
    ("break the syntax", lambda t: t.replace("def open_store(path):", "def open_store(path")),
    ("repair it", lambda t: t.replace("def open_store(path\n", "def open_store(path):\n")),
    ("no change", lambda t: t),
    ("replace everything", lambda t: "def only():\n    pass\n"),
    ("empty the file", lambda t: ""),
    ("write it again", lambda t: BASE),
]  # fmt: skip


def test_each_edit_reparsed_from_the_last_tree_matches_a_fresh_parse():
    trees, extracted = TreeCache(), TreeCache()
    text = BASE
    trees.parse("m.py", PYTHON, text.encode())
    parse_source("m.py", text.encode(), extracted)
    for label, edit in EDITS:
        text = edit(text)
        tree = trees.parse("m.py", PYTHON, text.encode())
        assert str(tree.root_node) == str(tree_sitter.Parser(PYTHON).parse(text.encode()).root_node)
        assert parse_source("m.py", text.encode(), extracted) == parse_source(
            "m.py", text.encode()
        ), label


@pytest.mark.parametrize(
    ("old", "new", "start", "old_end", "new_end"),
    [
        (b"abc\ndef\n", b"abc\ndXef\n", 5, 5, 6),
        (b"abc", b"abc", 3, 3, 3),
        (b"", b"xyz", 0, 0, 3),
        (b"aaaa", b"aa", 2, 4, 2),
        (b"x\ny\nz", b"x\nQ\nz", 2, 3, 3),
    ],
)
def test_the_edit_spans_only_the_changed_bytes(old, new, start, old_end, new_end):
    edit = edit_between(old, new)
    assert (edit["start_byte"], edit["old_end_byte"], edit["new_end_byte"]) == (
        start, old_end, new_end,
    )  # fmt: skip
    assert old[:start] + new[start:new_end] + old[old_end:] == new


def test_only_the_most_recent_files_keep_their_trees():
    trees = TreeCache(size=2)
    for name in ("a.py", "b.py", "c.py"):
        trees.parse(name, PYTHON, b"x = 1\n")
    assert [name in trees for name in ("a.py", "b.py", "c.py")] == [False, True, True]
