"""Pathname expansion as bash does it with its default options: the names a glob becomes.

A pattern is a word as bash globs it: unquoted `*`, `?` and `[...]` are special, and a
backslash quotes the next character (assistant.security.shell writes quoted parts that way).
Each `/`-separated part matches one name; a name starting with `.` is matched only by a part
starting with a literal `.`; ranges compare code points (globasciiranges, on by default since
bash 5.0). A part matches in the C locale (bytes) or a UTF-8 one (characters): either is taken.
`.` and `..` count as matches of a part starting with `.`, as before bash 5.2. When nothing
matches, bash leaves the word as it is. Bash sorts the names by the locale's collation; here
they are sorted by code point.

What is not read here makes the expansion not known (None): character classes (`[[:alpha:]]`),
equivalence classes and collating symbols, patterns with non-ASCII characters, and more names
to look at, or to match, than the budget allows: every name a glob becomes is then checked by
each rule, and a command line is judged in a few milliseconds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

MAX_NAMES = 1000  # directory entries the globs of one command line may look at
MAX_MATCHES = 200  # names the globs of one command line may become
_SPECIAL = frozenset("*?[")


@dataclass
class Budget:
    """What expansion may still look at and match, shared by a whole command line."""

    left: int = MAX_NAMES
    matches: int = MAX_MATCHES


class _NotRead(Exception):
    """A pattern this module does not read the way bash would."""


def has_pattern(pattern: str) -> bool:
    """Return whether `pattern` has an unquoted `*`, `?` or `[`, so bash tries to expand it."""
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _SPECIAL:
            return True
    return False


def escape(text: str) -> str:
    """Return `text` as a pattern that matches it literally (a quoted part of a word)."""
    return re.sub(r"([*?[\\])", r"\\\1", text)


def expand_pattern(pattern: str, cwd: str, budget: Budget) -> list[str] | None:
    """Return the names bash makes of `pattern` run in `cwd`, sorted; [] when none matches;
    None when it cannot be told (see the module docstring)."""
    if not pattern.isascii():
        return None
    if pattern.startswith("~"):
        head, slash, rest = pattern.partition("/")
        home = os.path.expanduser(_unescape(head))
        if has_pattern(head) or home.startswith("~"):
            return None
        pattern = escape(home) + slash + rest
    parts = pattern.split("/")
    start = "/" if pattern.startswith("/") else cwd
    found: list[tuple[str, str]] = [("", start)]  # (the name as bash prints it, its path)
    try:
        for index, part in enumerate(parts):
            found = _step(found, part, index, final=index == len(parts) - 1, budget=budget)
    except _NotRead:
        return None
    budget.matches -= len(found)
    return sorted(shown for shown, _ in found) if budget.matches >= 0 else None


def _step(
    found: list[tuple[str, str]], part: str, index: int, *, final: bool, budget: Budget
) -> list[tuple[str, str]]:
    """Return the paths that `part` leads to from each of `found`."""
    lead = "/" if index else ""
    if not has_pattern(part):
        name = _unescape(part)
        paths = [(shown + lead + name, os.path.join(real, name)) for shown, real in found]
        return [p for p in paths if os.path.lexists(p[1])] if final else paths
    matcher, raw = _compile(part), _compile_bytes(part)
    hidden = part.startswith((".", "\\."))
    result = []
    for shown, real in found:
        for name, is_dir in _names(real, hidden, budget):
            if not final and not is_dir:
                continue
            if matcher.fullmatch(name) or (not name.isascii() and raw.fullmatch(os.fsencode(name))):
                result.append((shown + lead + name, os.path.join(real, name)))
    return result


def _names(folder: str, hidden: bool, budget: Budget) -> list[tuple[str, bool]]:
    """Return the names in `folder` (with `.` and `..` when `hidden`) and whether each is one."""
    names = [(".", True), ("..", True)] if hidden else []
    try:
        with os.scandir(folder or ".") as entries:
            for entry in entries:
                budget.left -= 1
                if budget.left < 0:
                    raise _NotRead("too many names")
                if hidden or not entry.name.startswith("."):
                    names.append((entry.name, _is_dir(entry)))
    except OSError:
        return []  # not a folder, gone, or not readable: bash finds no match there either
    return names


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


@lru_cache(maxsize=256)
def _compile(part: str) -> re.Pattern[str]:
    return re.compile(_regex(part), re.DOTALL)


@lru_cache(maxsize=256)
def _compile_bytes(part: str) -> re.Pattern[bytes]:
    # In the C locale bash matches bytes: `?` is one byte of a UTF-8 name, not one character.
    return re.compile(_regex(part).encode("ascii"), re.DOTALL)


def _regex(part: str) -> str:
    """Translate one part of a pattern into a regular expression."""
    out: list[str] = []
    i = 0
    while i < len(part):
        char = part[i]
        if char == "\\" and i + 1 < len(part):
            out.append(re.escape(part[i + 1]))
            i += 2
        elif char == "*":
            out.append(".*")
            i += 1
        elif char == "?":
            out.append(".")
            i += 1
        elif char == "[" and (bracket := _bracket(part, i)) is not None:
            regex, i = bracket
            out.append(regex)
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def _bracket(part: str, start: int) -> tuple[str, int] | None:
    """Return the regex of the bracket expression at `start` and where it ends; None when the
    `[` has no closing `]` (it is then an ordinary character)."""
    i = start + 1
    negate = i < len(part) and part[i] in "!^"
    i += negate
    items: list[str] = []
    first = True
    while i < len(part):
        char = part[i]
        if char == "]" and not first:
            body = "".join(items)
            if negate:
                return (f"[^{body}]" if body else "."), i + 1
            return (f"[{body}]" if body else "(?!)"), i + 1
        first = False
        mark = part[i + 1 : i + 2]
        if char == "[" and mark in (":", "=", ".") and part.find(mark + "]", i + 2) > 0:
            raise _NotRead("a character class, equivalence class or collating symbol")
        low, i = _bracket_char(part, i)
        if part[i : i + 1] == "-" and i + 1 < len(part) and part[i + 1] != "]":
            high, i = _bracket_char(part, i + 1)
            if low <= high:  # a reversed range matches nothing in bash
                items.append(f"{re.escape(low)}-{re.escape(high)}")
        else:
            items.append(re.escape(low))
    return None


def _bracket_char(part: str, i: int) -> tuple[str, int]:
    if part[i] == "\\" and i + 1 < len(part):
        return part[i + 1], i + 2
    return part[i], i + 1


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)
