"""What the user just changed in each buffer: the recent edits a next-edit suggestion follows.

The editor sends whole new versions of a buffer (or changes the server has already applied),
so each change is found by comparing the buffer with its previous version: the common start
and end are cut away and what is left, widened to whole lines, is the edit. Keystrokes close
together in time and place are one edit (typing a word is one edit, not five), so the model
sees `def total(items)` become `def total(entries)`, not a trail of letters.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from assistant.index.reparse import common_ends

MAX_EDITS = 6  # per buffer, oldest dropped first
MERGE_SECONDS = 3.0  # keystrokes closer than this, on neighbouring lines, are one edit
MAX_TRACKED_CHARS = 2_000_000  # a buffer bigger than this is not tracked (generated, data)
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True)
class LineChange:
    """A change of whole lines: `before` became `after`, starting at 0-based line `line`."""

    line: int
    before: str
    after: str

    @property
    def end_line(self) -> int:
        """Return the 0-based line after the last line of `after`."""
        return self.line + self.after.count("\n") + (0 if self.after.endswith("\n") else 1)


@dataclass(frozen=True)
class RecentEdit:
    """One edit the user made to a buffer, and when (monotonic seconds)."""

    path: str
    change: LineChange
    at: float

    def renamed(self) -> list[tuple[str, str]]:
        """Return (old, new) names this edit looks like renaming: a name gone, one come."""
        before = _names(self.change.before)
        after = _names(self.change.after)
        gone = [n for n in before if n not in after]
        come = [n for n in after if n not in before]
        return list(zip(gone, come, strict=False)) if len(gone) == len(come) else []

    def removed_names(self) -> list[str]:
        """Return the names the edit took out of its lines."""
        after = set(_names(self.change.after))
        return [n for n in _names(self.change.before) if n not in after]


def line_change(before: str, after: str) -> LineChange | None:
    """Return the whole lines that differ between two versions of a text (None if equal)."""
    if before == after:
        return None
    start, end = common_ends(before, after)
    start = before.rfind("\n", 0, start) + 1  # back to the start of its line
    old_end = _line_end(before, len(before) - end)
    new_end = _line_end(after, len(after) - end)
    if new_end - start < 0 or old_end - start < 0:
        new_end = old_end = start
    return LineChange(before.count("\n", 0, start), before[start:old_end], after[start:new_end])


class EditHistory:
    """The recent edits of every tracked buffer (a language server keeps one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._texts: dict[str, str] = {}
        self._edits: dict[str, deque[tuple[str, RecentEdit]]] = {}  # with each group's base
        self._clock = clock

    def opened(self, path: str, text: str) -> None:
        """Start tracking a buffer at `text`, with no edits."""
        self._texts[path] = text
        self._edits.pop(path, None)

    def closed(self, path: str) -> None:
        """Forget a buffer."""
        self._texts.pop(path, None)
        self._edits.pop(path, None)

    def changed(self, path: str, text: str) -> RecentEdit | None:
        """Record the buffer's new version; return the edit it makes (merged with the last
        one when it continues it), or None when nothing changed or the buffer is untracked."""
        previous = self._texts.get(path)
        if previous is None or len(text) > MAX_TRACKED_CHARS:
            self._texts[path] = text
            return None
        self._texts[path] = text
        change = line_change(previous, text)
        if change is None:
            return None
        now = self._clock()
        groups = self._edits.setdefault(path, deque(maxlen=MAX_EDITS))
        if groups and _continues(groups[-1][1], change, now):
            base = groups.pop()[0]
            merged = line_change(base, text)
            if merged is None:
                return None  # typed back to where the edit started: no edit left
            edit = RecentEdit(path, merged, now)
            groups.append((base, edit))
            return edit
        edit = RecentEdit(path, change, now)
        groups.append((previous, edit))
        return edit

    def recent(self, path: str | None = None) -> list[RecentEdit]:
        """Return the recent edits of one buffer (or of all), oldest first."""
        paths = [path] if path is not None else list(self._edits)
        found = [edit for p in paths for _base, edit in self._edits.get(p, ())]
        return sorted(found, key=lambda edit: edit.at)

    def text(self, path: str) -> str | None:
        """Return the tracked buffer's current text."""
        return self._texts.get(path)


def _continues(last: RecentEdit, change: LineChange, now: float) -> bool:
    """Return whether `change` goes on with the edit `last` (soon after, on its lines)."""
    if now - last.at > MERGE_SECONDS:
        return False
    first, end = last.change.line, last.change.end_line
    return first - 1 <= change.line <= end


def _line_end(text: str, index: int) -> int:
    """Return the index just past the end of the line holding `index` (its newline included)."""
    if index > 0 and text[index - 1 : index] == "\n":
        return index
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(_IDENTIFIER.findall(text)))
