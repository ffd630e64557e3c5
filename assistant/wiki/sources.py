"""What the model sees for one page: exactly the context that page needs, from the index.

An area page gets the area's files (most central first), the areas it uses and that use it,
its part of the repo map, its main symbols with signatures and docstrings, and a few central
chunks. The overview gets the README's start, the areas with their main symbols, the links
between areas and the flows. A flow page gets each step's signature, docstring and code.
Every symbol is labelled `path:line` so the model can cite it exactly.

Everything here is repository data on its way to a model: files are read only inside the
repository, never through a link out of it or into .git, never a secrets file, and all text
is redacted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.context.priors import file_kind
from assistant.context.repomap import RankedSymbol, fit_map
from assistant.errors import PathOutsideRepository
from assistant.index.model import Symbol
from assistant.security.secrets import redact
from assistant.wiki.flows import Flow
from assistant.wiki.plan import Area, PlannedPage, WikiPlan
from assistant.workspace import is_secret_file, resolve_repo_path

MAX_FILE_BYTES = 2_000_000
MAP_TOKENS = 1_200
MAIN_SYMBOLS = 12
CENTRAL_CHUNKS = 3
CHUNK_CHARS = 1_500
DOC_CHARS = 400
LISTED_FILES = 40
README_CHARS = 2_500
STEP_CHARS = 1_200
DOCSTRING = re.compile(r'^\s*[rbuRBU]?("""|\'\'\')(.*?)(\1|$)', re.DOTALL)
COMMENT = re.compile(r"^\s*(///?|#|\*|/\*\*?|--)")


@dataclass
class SourceReader:
    """Reads repository files for page contexts, safely, each once."""

    root: Path
    _lines: dict[str, list[str]] = field(default_factory=dict)

    def lines(self, path: str) -> list[str]:
        """Return a file's lines ([] when it cannot or must not be read)."""
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str]:
        try:
            resolved = resolve_repo_path(self.root, path)
        except PathOutsideRepository:
            return []
        try:
            if not resolved.is_file() or is_secret_file(self.root, resolved):
                return []
            with resolved.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
        except OSError:
            return []
        return data.decode("utf-8", "replace").splitlines()

    def excerpt(self, path: str, start: int, end: int, limit: int) -> str:
        """Return lines start..end of a file (1-based, inclusive), redacted, then capped at
        `limit` chars (redacted first: a key cut in half no longer looks like one)."""
        return cap(redact("\n".join(self.lines(path)[max(0, start - 1) : end])), limit)

    def docstring(self, symbol: Symbol) -> str:
        """Return a symbol's docstring or leading comment, on one line, capped."""
        lines = self.lines(symbol.path)
        after = symbol.start_line + symbol.signature.count("\n")
        body = "\n".join(lines[after : min(after + 12, symbol.end_line)])
        found = DOCSTRING.match(body)
        if found:
            text = found.group(2)
        else:
            above = []
            for line in reversed(lines[max(0, symbol.start_line - 13) : symbol.start_line - 1]):
                if not COMMENT.match(line):
                    break
                above.append(COMMENT.sub("", line).strip(" */"))
            text = " ".join(reversed(above))
        return cap(redact(" ".join(text.split())), DOC_CHARS)


def cap(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, saying so when it was cut."""
    return text if len(text) <= limit else text[:limit] + "\n..."


def page_context(
    page: PlannedPage,
    plan: WikiPlan,
    grouped: Mapping[str, Sequence[RankedSymbol]],
    reader: SourceReader,
    readme: str | None,
) -> str:
    """Return the context the model gets for `page`, redacted (`grouped`: `by_area`'s)."""
    if page.kind == "overview":
        text = _overview(plan, grouped, reader, readme)
    elif page.kind == "flow" and page.flow is not None:
        text = _flow(page.flow, reader)
    else:
        area = plan.area_of(page.area)
        text = _area(area, plan, grouped.get(area.folder, []), reader) if area else ""
    return redact(text)


def by_area(plan: WikiPlan, ranked: Sequence[RankedSymbol]) -> dict[str, list[RankedSymbol]]:
    """Return the ranked symbols of each area, best first."""
    home = {path: area.folder for area in plan.areas for path in area.files}
    grouped: dict[str, list[RankedSymbol]] = defaultdict(list)
    for item in ranked:
        folder = home.get(item.symbol.path)
        if folder is not None:
            grouped[folder].append(item)
    return grouped


def _area(area: Area, plan: WikiPlan, symbols: Sequence[RankedSymbol], reader: SourceReader) -> str:
    order = {p: i for i, p in enumerate(dict.fromkeys(s.symbol.path for s in symbols))}
    files = sorted(area.files, key=lambda p: (order.get(p, len(order)), p))
    kinds: dict[str, int] = defaultdict(int)
    for path in area.files:
        kinds[file_kind(path)] += 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    parts = [
        f"# Area: {area.title} ({len(area.files)} files: {counts})",
        "## Files, most central first",
    ]
    parts += [f"- {path}" for path in files[:LISTED_FILES]]
    if len(files) > LISTED_FILES:
        parts.append(f"- ... and {len(files) - LISTED_FILES} more")
    uses = _linked(plan, area.folder, outgoing=True)
    used_by = _linked(plan, area.folder, outgoing=False)
    if uses:
        parts.append("## This area uses: " + ", ".join(uses))
    if used_by:
        parts.append("## Used by: " + ", ".join(used_by))
    source_first = [s for s in symbols if file_kind(s.symbol.path) == "source"] or symbols
    parts.append("## Map of the area (file: its most important symbols)")
    parts.append(fit_map(source_first, MAP_TOKENS))
    parts.append(_main_symbols(source_first[:MAIN_SYMBOLS], reader))
    parts.append(_chunks([s.symbol for s in source_first[:CENTRAL_CHUNKS]], reader))
    return "\n".join(p for p in parts if p)


def _overview(
    plan: WikiPlan,
    grouped: Mapping[str, Sequence[RankedSymbol]],
    reader: SourceReader,
    readme: str | None,
) -> str:
    parts = []
    if readme:
        head = cap(redact("\n".join(reader.lines(readme))), README_CHARS)
        if head:
            parts += [f"# {readme} (start)", head]
    parts.append("# Areas (folder, files, main symbols)")
    for area in plan.areas:
        names = [f"{s.symbol.name} ({_place(s.symbol)})" for s in grouped.get(area.folder, [])[:5]]
        parts.append(f"- {area.title}: {len(area.files)} files; " + ", ".join(names))
    links = sorted(plan.area_links.items(), key=lambda item: -item[1])[:25]
    if links:
        parts.append("# Strongest dependencies between areas (user -> used)")
        parts += [f"- {a or 'top level'} -> {b or 'top level'}" for (a, b), _ in links]
    flows = [p.flow for p in plan.pages if p.flow is not None]
    if flows:
        parts.append("# Key flows (entry point -> what it calls)")
        parts += [" -> ".join(f"{s.name} ({_place(s)})" for s in flow.steps) for flow in flows]
    return "\n".join(parts)


def _flow(flow: Flow, reader: SourceReader) -> str:
    parts = ["# A flow through the code, step by step (each step calls the next)"]
    for number, step in enumerate(flow.steps, 1):
        parts.append(f"## Step {number}: {step.name} ({step.kind}) at {_place(step)}")
        doc = reader.docstring(step)
        if doc:
            parts.append(f"Docstring: {doc}")
        code = reader.excerpt(step.path, step.start_line, step.end_line, STEP_CHARS)
        parts.append(f"```\n{code}\n```")
        calls = [b for at, b in flow.branches if at == number - 1]
        if calls:
            parts.append("Also calls: " + ", ".join(f"{b.name} ({_place(b)})" for b in calls))
    return "\n".join(parts)


def _main_symbols(symbols: Sequence[Symbol | RankedSymbol], reader: SourceReader) -> str:
    lines = ["## Main symbols (most referenced first)"]
    for item in symbols:
        symbol = item.symbol if isinstance(item, RankedSymbol) else item
        lines.append(f"### {symbol.name} ({symbol.kind}) at {_place(symbol)}")
        lines.append(symbol.signature.strip())
        doc = reader.docstring(symbol)
        if doc:
            lines.append(f"Docstring: {doc}")
    return "\n".join(lines) if len(lines) > 1 else ""


def _chunks(symbols: Sequence[Symbol], reader: SourceReader) -> str:
    parts = ["## Central code"]
    for symbol in symbols:
        code = reader.excerpt(symbol.path, symbol.start_line, symbol.end_line, CHUNK_CHARS)
        if code.strip():
            parts.append(
                f"### {symbol.path}:{symbol.start_line}-{symbol.end_line}\n```\n{code}\n```"
            )
    return "\n".join(parts) if len(parts) > 1 else ""


def _linked(plan: WikiPlan, folder: str, *, outgoing: bool) -> list[str]:
    pairs = [
        ((b if outgoing else a), weight)
        for (a, b), weight in plan.area_links.items()
        if (a if outgoing else b) == folder
    ]
    pairs.sort(key=lambda item: -item[1])
    return [f"{name}/" if name else "top level" for name, _ in pairs[:8]]


def _place(symbol: Symbol) -> str:
    return f"{symbol.path}:{symbol.start_line}"
