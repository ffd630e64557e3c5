"""Find where a search block belongs in a file: exactly, ignoring whitespace, then fuzzily
(punctuation and spacing only: never another name or number)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from assistant.errors import EditError, NoMatch

FUZZY_THRESHOLD = 0.9
FUZZY_MAX_COMPARISONS = 20_000  # windows examined at most, so a huge file cannot stall an edit
CLOSEST_LINES = 12
# What a fuzzy match may never get wrong: which names and numbers the code uses, in order.
WORDS = re.compile(r"[^\W\d]\w*|\d[\w.]*")


@dataclass(frozen=True)
class MatchResult:
    """The text after one replacement, where it applied (1-based lines) and how it matched."""

    text: str
    start_line: int
    end_line: int
    strategy: str  # "exact" | "whitespace" | "fuzzy" | "empty-file"


def apply_search_replace(text: str, search: str, replace: str) -> MatchResult:
    """Replace the one region of `text` that `search` names, or raise NoMatch/EditError."""
    if not search.strip():
        if not text.strip():
            return MatchResult(replace, 1, replace.count("\n") + 1, "empty-file")
        raise EditError("the search text is empty; copy the lines to replace from the file")
    exact = _exact(text, search, replace)
    if exact is not None:
        return exact
    lines = text.split("\n")
    wanted = _trim_blank_edges(search.split("\n"))
    for finder, strategy in ((_whitespace_hits, "whitespace"), (_fuzzy_hits, "fuzzy")):
        hits = finder(lines, wanted)
        if len(hits) == 1:
            start = hits[0]
            return _splice(lines, start, len(wanted), wanted, replace, strategy)
        if len(hits) > 1:
            raise _ambiguous(hits, len(wanted))
    raise NoMatch(_closest_region(lines, wanted))


def _exact(text: str, search: str, replace: str) -> MatchResult | None:
    index = text.find(search)
    if index < 0:
        return None
    start_line = text.count("\n", 0, index) + 1
    second = text.find(search, index + 1)  # overlapping occurrences are ambiguous too
    if second >= 0:
        lines = [start_line, text.count("\n", 0, second) + 1]
        raise _ambiguous([n - 1 for n in lines], search.count("\n") + 1, total=text.count(search))
    new = text[:index] + replace + text[index + len(search) :]
    return MatchResult(new, start_line, start_line + replace.count("\n"), "exact")


def _trim_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _whitespace_hits(lines: list[str], wanted: list[str]) -> list[int]:
    key = [line.strip() for line in wanted]
    size = len(key)
    return [
        start
        for start in range(len(lines) - size + 1)
        if lines[start].strip() == key[0]
        and [x.strip() for x in lines[start : start + size]] == key
    ]


def _fuzzy_hits(lines: list[str], wanted: list[str]) -> list[int]:
    """Return the best-scoring windows that differ from `wanted` only in punctuation, spacing
    and quotes: a window whose identifiers or numbers differ (`compute(2)` for `compute(9)`,
    `price` for `prices`) is another piece of code, never a sloppy copy of this one."""
    words = _words(wanted)
    size = len(wanted)
    scored = [
        (score, start)
        for score, start in _score_windows(lines, wanted)
        if score >= FUZZY_THRESHOLD and _words(lines[start : start + size]) == words
    ]
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [start for score, start in scored if score >= best - 1e-9]


def _words(lines: list[str]) -> list[str]:
    return WORDS.findall("\n".join(lines))


def _score_windows(lines: list[str], wanted: list[str]) -> list[tuple[float, int]]:
    size = len(wanted)
    target = "\n".join(x.strip() for x in wanted)
    windows = range(max(0, len(lines) - size + 1))
    step = max(1, len(windows) // FUZZY_MAX_COMPARISONS)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    scored = []
    for start in windows[::step]:
        matcher.set_seq1("\n".join(x.strip() for x in lines[start : start + size]))
        if matcher.real_quick_ratio() < 0.5 or matcher.quick_ratio() < 0.5:
            scored.append((0.0, start))
            continue
        scored.append((matcher.ratio(), start))
    return scored


def _splice(
    lines: list[str], start: int, size: int, wanted: list[str], replace: str, strategy: str
) -> MatchResult:
    found = lines[start : start + size]
    new_lines = _reindent(replace.split("\n"), _indent_of(wanted), _indent_of(found))
    result = lines[:start] + new_lines + lines[start + size :]
    return MatchResult("\n".join(result), start + 1, start + len(new_lines), strategy)


def _indent_of(lines: list[str]) -> str:
    for line in lines:
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def _reindent(lines: list[str], searched: str, actual: str) -> list[str]:
    """Move the replacement from the search block's indentation to the file's."""
    if searched == actual:
        return lines
    out = []
    for line in lines:
        if line.startswith(searched):
            out.append(actual + line[len(searched) :])
        elif line.strip():
            out.append(actual + line.lstrip())
        else:
            out.append(line)
    return out


def _ambiguous(starts: list[int], size: int, total: int | None = None) -> EditError:
    where = ", ".join(f"lines {s + 1}-{s + size}" for s in starts[:5])
    count = total if total is not None else len(starts)
    return EditError(
        f"the search text matches {count} places ({where})",
        hint="add surrounding lines to the search text so it matches one place",
    )


def _closest_region(lines: list[str], wanted: list[str]) -> str:
    scored = _score_windows(lines, wanted)
    if not scored:
        return "the search text matches nothing (the file is shorter than the search text)"
    score, start = max(scored)
    end = min(len(lines), start + max(len(wanted), 1))
    shown = lines[start : min(end, start + CLOSEST_LINES)]
    body = "\n".join(f"{start + i + 1:>5}  {line}" for i, line in enumerate(shown))
    return (
        f"the search text matches nothing; the closest region ({score:.0%} alike) is lines "
        f"{start + 1}-{end}:\n{body}\nre-read the file and copy the search text exactly"
    )
