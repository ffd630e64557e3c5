"""Key flows: from an entry point, the chain of calls the index can resolve, step by step.

An entry point is a `main` function, a top-level function of a file named like one (`__main__.py`,
`cli.py`, `manage.py`, `app.py`, `wsgi.py`...), or a console script of pyproject.toml. From each
step the flow follows the call, made inside that step's lines, that resolves to the largest
definition elsewhere (the one most likely to do the work); the other resolved calls are the
step's branches. A name defined in more than MAX_DEFINERS places, or an everyday name (`get`,
`run`), is too ambiguous to follow. All of this comes from the index; no model is involved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.context.graph import FileGraph
from assistant.context.priors import file_kind
from assistant.context.words import COMMON_NAMES
from assistant.index import IndexStore
from assistant.index.model import Symbol

ENTRY_FILE = re.compile(
    r"(^|/)(__main__\.py|cli\.py|manage\.py|app\.py|wsgi\.py|asgi\.py|main\.(py|go|rs|js|ts))$"
)
CALLABLE_KINDS = frozenset({"function", "method", "class"})
MAX_STEPS = 6
MAX_BRANCHES = 4
MAX_DEFINERS = 4
MAX_CANDIDATES = 40
MIN_STEPS = 3


@dataclass(frozen=True)
class Flow:
    """A chain of calls from an entry point, with the other calls made at each step."""

    steps: tuple[Symbol, ...]
    branches: tuple[tuple[int, Symbol], ...] = ()  # (index of the calling step, callee)

    @property
    def files(self) -> tuple[str, ...]:
        """Return the files the flow passes through, in order, once each."""
        found = [s.path for s in self.steps] + [b.path for _, b in self.branches]
        return tuple(dict.fromkeys(found))


def find_flows(
    store: IndexStore,
    graph: FileGraph,
    scores: np.ndarray,
    *,
    limit: int,
    scripts: Sequence[tuple[str, str]] = (),
) -> list[Flow]:
    """Return up to `limit` flows, those reaching the most files first, one per entry name.

    `scripts` are console scripts as (repository path, function name)."""
    if limit <= 0:
        return []
    resolver = _Resolver(store, graph, scores)
    flows = []
    for entry in _entry_points(store, scripts)[:MAX_CANDIDATES]:
        flow = resolver.chain(entry)
        if len(flow.steps) >= MIN_STEPS:
            flows.append(flow)
    flows.sort(key=lambda f: (-len(f.files), -len(f.steps), f.steps[0].path))
    chosen: list[Flow] = []
    for flow in flows:
        head = flow.steps[0]
        if all((c.steps[0].name, c.steps[0].path) != (head.name, head.path) for c in chosen):
            chosen.append(flow)
        if len(chosen) == limit:
            break
    return chosen


def _entry_points(store: IndexStore, scripts: Sequence[tuple[str, str]]) -> list[Symbol]:
    found: list[Symbol] = []
    for path, name in scripts:
        found += [s for s in store.symbols(path=path, name=name) if s.kind in CALLABLE_KINDS]
    for symbol in store.symbols(name="main"):
        if symbol.kind == "function":
            found.append(symbol)
    for record in store.files():
        if ENTRY_FILE.search(record.path):
            found += [
                s
                for s in store.symbols(path=record.path)
                if s.kind == "function" and s.parent is None
            ]
    usable = [s for s in found if file_kind(s.path) == "source"]
    return list(dict.fromkeys(usable))


class _Resolver:
    """Follows calls from a definition to the definitions they name."""

    def __init__(self, store: IndexStore, graph: FileGraph, scores: np.ndarray) -> None:
        self.store = store
        self.graph = graph
        self.scores = scores
        self._definers: dict[str, list[Symbol]] = {}

    def chain(self, entry: Symbol) -> Flow:
        """Return the flow from `entry`."""
        steps = [entry]
        branches: list[tuple[int, Symbol]] = []
        seen = {_key(entry)}
        while len(steps) < MAX_STEPS:
            classes = {s.name for s in steps if s.kind == "class"}
            callees = [c for c in self.callees(steps[-1], classes) if _key(c) not in seen]
            if not callees:
                break
            # `Thing(...)` then `thing.run()`: the work is in the method, not the whole class
            acting = [
                c
                for c in callees
                if c.kind != "class" or not any(m.parent == c.name for m in callees)
            ]
            follow = max(acting or callees, key=lambda c: c.end_line - c.start_line)
            for callee in callees:
                seen.add(_key(callee))
                if callee is not follow and len(branches) < MAX_BRANCHES * len(steps):
                    branches.append((len(steps) - 1, callee))
            steps.append(follow)
        return Flow(tuple(steps), tuple(branches))

    def callees(self, caller: Symbol, classes: set[str]) -> list[Symbol]:
        """Return what `caller` calls, resolved to one definition each, in call order; a
        method of one of `classes` (or of a class it makes) wins over other definitions."""
        found: list[Symbol] = []
        classes = set(classes)
        names: set[str] = set()
        for ref in self.store.references(path=caller.path):
            inside = caller.start_line < ref.line <= caller.end_line
            if not inside or ref.kind == "import" or ref.name in names:
                continue
            names.add(ref.name)
            target = self.resolve(ref.name, caller, classes)
            if target is not None:
                found.append(target)
                if target.kind == "class":
                    classes.add(target.name)
            if len(found) > MAX_BRANCHES + 1:
                break
        return found

    def resolve(self, name: str, caller: Symbol, classes: set[str]) -> Symbol | None:
        """Return the definition a call of `name` from `caller` most likely reaches."""
        if name in COMMON_NAMES or name.startswith("__"):
            return None
        definers = self._definers.get(name)
        if definers is None:
            definers = [
                s
                for s in self.store.symbols(name=name)
                if s.kind in CALLABLE_KINDS and file_kind(s.path) == "source"
            ]
            self._definers[name] = definers
        known = [s for s in definers if s.parent is not None and s.parent in classes]
        if known:
            return known[0]
        if not definers or len(definers) > MAX_DEFINERS:
            return None
        same_file = [s for s in definers if s.path == caller.path and s != caller]
        if same_file:
            return same_file[0]
        others = [s for s in definers if s != caller]
        return max(others, key=self._rank, default=None)

    def _rank(self, symbol: Symbol) -> float:
        node = self.graph.nodes.get(symbol.path)
        return -1.0 if node is None else float(self.scores[node])


def _key(symbol: Symbol) -> tuple[str, str, int]:
    return symbol.path, symbol.name, symbol.start_line
