"""What a next-edit request shows the model, and how its answer is read.

The model sees the user's recent edits as diffs, the code around the cursor with line numbers,
and the places elsewhere that use what the edits touched: the old name of something renamed,
or a definition whose header changed (its callers, found in the index). It answers with one
search/replace block, or NONE. Everything shown passes the secrets policy on the way out (the
model client redacts every request); files that are secrets are never read here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.editor.history import RecentEdit
from assistant.edits.text import unified_diff
from assistant.index.model import Reference, Symbol

REGION_BEFORE = 25  # lines shown above the cursor
REGION_AFTER = 25
MAX_SITES = 8  # places elsewhere that use what changed
SITE_CONTEXT = 2  # lines around each
MAX_DIFF_CHARS = 4_000
MAX_ANSWER_CHARS = 20_000  # far past any answer of the default 400 tokens
SYSTEM = (
    "You predict the next edit a developer makes, given the edits they just made. Propose "
    "the one edit that naturally follows (an update the recent change requires, such as a "
    "renamed parameter's remaining uses or a call site of a changed signature), in the current "
    "file or in one of the related files shown. Never undo the developer's edits. If no edit "
    "clearly follows, answer NONE.\n\n"
    "Answer with only the file path on one line, then one block:\n"
    "<<<<<<< SEARCH\n(the exact current lines to change, copied from the code shown)\n"
    "=======\n(the same lines after the edit)\n>>>>>>> REPLACE"
)
_BLOCK = re.compile(
    r"(?:^|\n)(?:[^\n]*?(?P<path>[^\s`*:]+\.[\w]+)[`*:]*\s*\n)?(?:```[^\n]*\n)?"
    r"<<<<<<< SEARCH\n(?P<search>.*?)\n?=======\n(?P<replace>.*?)\n?>>>>>>> REPLACE",
    re.S,
)


class EditContextSource(Protocol):
    """What gathering next-edit context reads: the index with the buffers over it."""

    def symbols(self, path: str | None = None, name: str | None = None) -> list[Symbol]:
        """Return definitions, filtered by file and/or name."""
        ...

    def references(self, name: str) -> list[Reference]:
        """Return the uses of `name` across the repository."""
        ...

    def text(self, path: str) -> str | None:
        """Return a file's current text (None for secrets and unreadable files)."""
        ...


@dataclass(frozen=True)
class Site:
    """A place elsewhere that uses what the edit changed."""

    path: str
    line: int  # 1-based
    name: str
    snippet: str  # numbered lines around it


@dataclass(frozen=True)
class EditContext:
    """Everything a next-edit prompt is made of."""

    path: str
    region: str  # numbered lines around the cursor
    edits: str  # the recent edits as diffs, oldest first
    sites: tuple[Site, ...]
    changed_names: tuple[str, ...]


@dataclass(frozen=True)
class ProposedEdit:
    """The model's answer, not yet checked: replace `search` with `replace` in `path`."""

    path: str
    search: str
    replace: str


def gather(
    source: EditContextSource, path: str, text: str, line: int, edits: Sequence[RecentEdit]
) -> EditContext:
    """Return the context for a next edit in `path` with the cursor on 0-based `line`."""
    lines = text.split("\n")
    first = max(0, line - REGION_BEFORE)
    region = numbered(lines[first : line + REGION_AFTER + 1], first + 1)
    names = changed_names(source, path, edits)
    sites = _sites(source, path, names, range(first + 1, line + REGION_AFTER + 2))
    return EditContext(path, region, _diffs(edits), tuple(sites), tuple(names))


def changed_names(source: EditContextSource, path: str, edits: Sequence[RecentEdit]) -> list[str]:
    """Return the names whose uses may need to follow the edits: old names of renames, and
    definitions whose header lines were edited."""
    names: list[str] = []
    for edit in edits:
        names += [old for old, _new in edit.renamed()]
        if edit.path != path:
            continue
        first, last = edit.change.line + 1, edit.change.end_line
        for symbol in source.symbols(path=path):
            if first <= symbol.start_line <= max(first, last):
                names.append(symbol.name)
    return list(dict.fromkeys(names))


def messages(context: EditContext) -> list[dict[str, str]]:
    """Return the chat messages asking for the next edit."""
    parts = [f"Recent edits:\n{context.edits or '(none)'}"]
    if context.sites:
        shown = "\n\n".join(f"{s.path}:{s.line} uses {s.name}:\n{s.snippet}" for s in context.sites)
        parts.append(f"Related code elsewhere:\n{shown}")
    parts.append(f"Current file {context.path}, around the cursor:\n{context.region}")
    parts.append(
        "What is the next edit? Answer with the path and one SEARCH/REPLACE block, or NONE."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


def parse_answer(answer: str, default_path: str) -> ProposedEdit | None:
    """Return the edit the model proposed (the first block), or None for NONE or no block."""
    match = _BLOCK.search(answer[:MAX_ANSWER_CHARS])  # the pattern is slow on huge input
    if match is None:
        return None
    path = (match.group("path") or default_path).strip()
    while path.startswith("./"):
        path = path[2:]
    path = path or default_path
    return ProposedEdit(
        path, _unnumbered(match.group("search")), _unnumbered(match.group("replace"))
    )


def numbered(lines: Sequence[str], first: int) -> str:
    """Return lines prefixed with their 1-based numbers, as `  12| code`."""
    width = len(str(first + len(lines)))
    return "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, first))


def _unnumbered(block: str) -> str:
    """Strip line numbers a model copied along with the code (only when every line has one)."""
    lines = block.split("\n")
    pattern = re.compile(r"^\s*\d+\| ?")
    if lines and all(pattern.match(line) for line in lines if line.strip()):
        return "\n".join(pattern.sub("", line, count=1) for line in lines)
    return block


def _diffs(edits: Sequence[RecentEdit]) -> str:
    shown = []
    for edit in edits:
        change = edit.change
        diff = unified_diff(edit.path, change.before, change.after, context=0)
        header, _, body = diff.partition("@@")
        line = change.line + 1
        shown.append(f"{header}@@ line {line} @@{body.partition('@@')[2]}")
    text = "\n".join(shown)
    return text[-MAX_DIFF_CHARS:]


def _sites(
    source: EditContextSource, path: str, names: Sequence[str], shown_lines: range
) -> list[Site]:
    """Return uses of `names` outside what the region already shows, other files first."""
    found: list[Site] = []
    texts: dict[str, list[str] | None] = {}
    for name in names:
        uses = sorted(
            source.references(name),
            key=lambda r: (r.path == path, r.kind == "import", r.path, r.line),
        )
        for use in uses:
            if use.path == path and use.line in shown_lines:
                continue
            if use.path not in texts:
                text = source.text(use.path)
                texts[use.path] = None if text is None else text.split("\n")
            lines = texts[use.path]
            if lines is None:
                continue
            first = max(0, use.line - 1 - SITE_CONTEXT)
            snippet = numbered(lines[first : use.line + SITE_CONTEXT], first + 1)
            found.append(Site(use.path, use.line, name, snippet))
            if len(found) >= MAX_SITES:
                return found
    return found
