"""Incremental re-parsing: the last syntax trees of recently parsed files, kept per process.

A long-lived front end (the TUI, the language server, an agent run) re-indexes the file it just
edited again and again. tree-sitter re-parses an edited tree in a fraction of a full parse when
told which bytes changed; the change is found here by comparing the old and new contents (their
common prefix and suffix), as an editor would report it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypedDict, TypeVar

import tree_sitter

Sliced = TypeVar("Sliced", str, bytes, memoryview)  # what common_ends compares

RECENT_FILES = 8  # trees kept: a big file's tree is a few megabytes


class TreeCache:
    """The last tree of each recently parsed file, reused to parse its next version.

    Any previous tree gives a correct parse (the edit is computed from the two contents), so two
    files sharing a key only cost speed.
    """

    def __init__(self, size: int = RECENT_FILES) -> None:
        self.size = size
        self._trees: OrderedDict[str, tuple[tree_sitter.Language, bytes, tree_sitter.Tree]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def __contains__(self, path: object) -> bool:
        return path in self._trees

    def parse(self, path: str, language: tree_sitter.Language, data: bytes) -> tree_sitter.Tree:
        """Return the tree of `data`, re-parsing the file's previous tree when there is one."""
        with self._lock:
            previous = self._trees.pop(path, None)
        parser = tree_sitter.Parser(language)
        if previous is not None and previous[0] == language:
            old_tree = previous[2]
            old_tree.edit(**edit_between(previous[1], data))
            tree = parser.parse(data, old_tree)
        else:
            tree = parser.parse(data)
        with self._lock:
            self._trees[path] = (language, data, tree)
            while len(self._trees) > self.size:
                self._trees.popitem(last=False)
        return tree


class TreeEdit(TypedDict):
    """The arguments of `Tree.edit` for one changed span."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


def edit_between(old: bytes, new: bytes) -> TreeEdit:
    """Return `Tree.edit` arguments for the one changed span that turns `old` into `new`."""
    prefix, suffix = common_ends(memoryview(old), memoryview(new))
    old_end, new_end = len(old) - suffix, len(new) - suffix
    return TreeEdit(
        start_byte=prefix,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(old, prefix),
        old_end_point=_point(old, old_end),
        new_end_point=_point(new, new_end),
    )


def common_ends(before: Sliced, after: Sliced) -> tuple[int, int]:
    """Return how many items (bytes, characters) two sequences share at the start, and then
    at the end, not counting the start again.

    Runs on every keystroke an editor sends, over whole buffers: found by halving with slice
    comparisons (done in C), not by a Python loop over every item.
    """
    limit = min(len(before), len(after))
    start = _longest(lambda n: before[:n] == after[:n], limit)
    end = _longest(lambda n: before[len(before) - n :] == after[len(after) - n :], limit - start)
    return start, end


def _longest(same: Callable[[int], bool], limit: int) -> int:
    """Return the largest n <= limit with same(n), for a `same` that holds up to some n only
    (a common prefix or suffix length): a binary search of memory compares."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """Return the (row, byte column) of a byte offset."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)
