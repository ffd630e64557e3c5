"""The repository API a file can call, as compact signatures ranked for the cursor.

Before a name is typed, its definition cannot be looked up by name; what the file imports is
the best guess of what comes next. Every name imported from the repository and the public
names of every module imported whole become candidates, shown as signatures (a class with its
constructor), a line or two each, so that dozens fit where a few bodies would. They are ranked
by what the cursor says: a module qualifier just typed (`nodes.`), the start of a name, an
import not used yet, names used near the cursor, and words they share with the code around it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from assistant.editor.imports import (
    Import,
    imports_of,
    read_imports,
    submodule,
    submodule_file,
)
from assistant.index.model import Symbol
from assistant.index.tokens import code_tokens

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_QUALIFIED_TAIL = re.compile(r"([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\.([A-Za-z_$][\w$]*)?$")
_TYPED_TAIL = re.compile(r"[A-Za-z_$][\w$]*$")
CALLABLE_KINDS = frozenset({"class", "function", "interface", "type", "constant"})
CONSTRUCTORS = frozenset({"__init__", "constructor", "new"})
NEAR_LINES = 12
MAX_MODULE_SYMBOLS = 400  # a module with more public names than this is generated
# Scores: what the cursor says outweighs what the file says, which outweighs word overlap.
QUALIFIED = 10.0
TYPED = 5.0
NOT_TYPED = -3.0
IMPORTED_NAME = 3.0
NOT_USED_YET = 2.0
USED_NEAR = 1.0
MODULE_NAME = 1.0
PER_USE = 0.25
MAX_USE_BONUS = 1.0
PER_SHARED_WORD = 0.5
PER_USING_FILE = 0.3  # times the log of how many files use a module's name: its popularity


class ApiSource(Protocol):
    """What ranking the imported API reads: definitions and which files exist."""

    def symbols(self, path: str | None = None, name: str | None = None) -> list[Symbol]:
        """Return definitions, filtered by file and/or name."""
        ...

    def has_file(self, path: str) -> bool:
        """Return whether `path` is a file of the repository."""
        ...

    def resolve(self, path: str, module: str) -> str | None:
        """Return the repository file that `module`, imported from `path`, names (or None)."""
        ...

    def text(self, path: str) -> str | None:
        """Return a file's current text, or None."""
        ...

    def user_counts(self, names: list[str]) -> dict[str, int]:
        """Return how many files use each of these names."""
        ...


@dataclass(frozen=True)
class ApiEntry:
    """One callable the file can reach and how likely it comes next."""

    symbol: Symbol
    score: float


def imported_api(source: ApiSource, path: str, text: str, offset: int) -> list[ApiEntry]:
    """Return the repository definitions that the file imports, best first."""
    before = text[:offset]
    line = before[before.rfind("\n") + 1 :]
    qualified = _QUALIFIED_TAIL.search(line)
    qualifier = qualified.group(1) if qualified else None
    typed_match = _TYPED_TAIL.search(line)
    typed = typed_match.group(0) if typed_match else ""
    imports, statements = read_imports(path, text)
    cursor = _CursorWords(text, statements, offset, typed)
    scores: dict[Symbol, float] = {}
    of_modules: set[Symbol] = set()  # reached through a module, not imported by name
    for symbol, alias, score in _candidates(source, path, imports, qualifier):
        score += cursor.score(symbol.name if alias is None else alias, imported=alias is not None)
        if alias is None:
            of_modules.add(symbol)
        scores[symbol] = max(score, scores.get(symbol, score))
    users = source.user_counts(sorted({s.name for s in of_modules})) if of_modules else {}
    for symbol in of_modules:  # how much sibling code uses a module's name
        scores[symbol] += PER_USING_FILE * math.log1p(users.get(symbol.name, 0))
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return [ApiEntry(symbol, score) for symbol, score in ranked]


def render(source: ApiSource, symbol: Symbol) -> str:
    """Return a symbol's signature, a class with its constructor's, as code-like lines."""
    python = symbol.path.endswith((".py", ".pyi"))
    end = ": ..." if python else ""
    lines = [symbol.signature + (":" if python and symbol.kind == "class" else end)]
    if symbol.kind == "class":
        members = source.symbols(path=symbol.path)
        for member in members:
            if member.parent == symbol.name and member.name in CONSTRUCTORS:
                lines.append("    " + member.signature + end)
                break
    return "\n".join(lines)


class _CursorWords:
    """What the code around the cursor says about which name comes next."""

    def __init__(self, text: str, statements: str, offset: int, typed: str) -> None:
        self.typed = typed.lower()
        self.text = text
        self.statements = statements
        lines = text[:offset].split("\n")
        near = "\n".join(lines[-NEAR_LINES:]) + "\n" + "\n".join(text[offset:].split("\n")[:3])
        self.near_names = set(_IDENTIFIER.findall(near))
        self.near_words = set(code_tokens(near))

    def score(self, name: str, *, imported: bool) -> float:
        """Return how much the cursor's surroundings favour `name`."""
        score = 0.0
        if self.typed:
            score += TYPED if name.lower().startswith(self.typed) else NOT_TYPED
        # Counted as text, not as words: cheap on a big file, and close enough to rank by.
        uses = self.text.count(name) - self.statements.count(name)
        uses -= 1 if self.typed == name.lower() else 0
        if imported and uses <= 0:
            score += NOT_USED_YET  # imported for a reason, and the reason is not written yet
        if name in self.near_names:
            score += USED_NEAR
        score += min(MAX_USE_BONUS, PER_USE * max(0, uses))
        shared = self.near_words.intersection(code_tokens(name))
        return score + PER_SHARED_WORD * len(shared)


def _candidates(
    source: ApiSource, path: str, imports: Iterable[Import], qualifier: str | None
) -> Iterable[tuple[Symbol, str | None, float]]:
    """Yield (definition, alias it is imported as or None for a module's name, base score)."""
    python = path.endswith((".py", ".pyi"))
    seen_modules: set[str] = set()
    for item in imports:
        target = source.resolve(path, item.module)
        if target is None:
            continue  # not the repository's: the standard library, a dependency
        module, module_file = item.module, target if item.name is None else None
        if item.name is not None and python and target.endswith("/__init__.py"):
            module_file = submodule_file(source, target, item.name)  # `from pkg import mod`
            module = submodule(item.module, item.name)
        if module_file is not None:  # a module imported whole: `import a.b`, `from pkg import mod`
            yield from _module_api(source, module_file, qualifier == item.alias, seen_modules)
            deeper = qualifier[len(item.alias) + 1 :] if qualifier else ""
            if python and qualifier and qualifier.startswith(item.alias + "."):
                inner = source.resolve(path, f"{module}.{deeper}")  # `a.b.` typed
                if inner is not None:
                    yield from _module_api(source, inner, True, seen_modules)
            continue
        symbol = _definition(source, target, item.name) if item.name else None
        if symbol is not None:
            bonus = QUALIFIED if qualifier is not None and qualifier == item.alias else 0.0
            yield symbol, item.alias, IMPORTED_NAME + bonus


def _module_api(
    source: ApiSource, module_file: str, qualified: bool, seen: set[str]
) -> Iterable[tuple[Symbol, str | None, float]]:
    """Yield the public top-level definitions of a module imported whole (with what a package
    re-exports when the cursor is right after its name and a dot)."""
    if module_file in seen and not qualified:
        return
    seen.add(module_file)
    base = MODULE_NAME + (QUALIFIED if qualified else 0.0)
    public = [
        s
        for s in source.symbols(path=module_file)
        if s.parent is None and s.kind in CALLABLE_KINDS and not s.name.startswith("_")
    ]
    for symbol in public[:MAX_MODULE_SYMBOLS]:
        yield symbol, None, base
    if qualified and module_file.endswith("__init__.py"):
        text = source.text(module_file) or ""
        for item in imports_of(module_file, text):
            target = source.resolve(module_file, item.module)
            again = _definition(source, target, item.name) if target and item.name else None
            if again is not None and not item.alias.startswith("_"):
                yield again, None, base


def _definition(source: ApiSource, module_file: str, name: str) -> Symbol | None:
    """Return `name` as `module_file` defines it, or as the package re-exporting it finds it."""
    for symbol in source.symbols(path=module_file, name=name):
        if symbol.parent is None:
            return symbol
    package = module_file.rsplit("/", 1)[0] + "/" if "/" in module_file else ""
    elsewhere = [
        s
        for s in source.symbols(name=name)
        if s.parent is None and s.kind in CALLABLE_KINDS and s.path.startswith(package)
    ]
    return min(elsewhere, key=lambda s: (s.path.count("/"), s.path), default=None)
