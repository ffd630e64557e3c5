"""What a file imports from its own repository, read from its text and resolved to files.

A completion before the name is typed needs to know what the file can call: the names it
imports and the modules it imports whole. Imports are read with patterns, not a parser, since
the buffer being edited often does not parse. Python (absolute and relative) and
JavaScript/TypeScript (relative specifiers) are resolved to repository files; other languages
and third-party imports resolve to nothing and cost nothing.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Protocol

_PY_FROM = re.compile(
    r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]{0,20000}\)|(?:[^\n#;\\]|\\\n)+)", re.M
)
_PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+((?:[^\n#;\\]|\\\n)+)", re.M)
_JS_FROM = re.compile(
    r"^[ \t]*(?:import|export)[ \t]+(?:type[ \t]+)?([^;'\"]{0,2000}?)[ \t\n]*from[ \t]*"
    r"['\"]([^'\"\n]+)['\"]",
    re.M,
)
_JS_REQUIRE = re.compile(
    r"^[ \t]*(?:const|let|var)[ \t]+([^=;\n]+?)[ \t]*=[ \t]*require\(['\"]([^'\"\n]+)['\"]\)",
    re.M,
)
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
PY_EXTENSIONS = (".py", ".pyi")
JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mts", ".mjs", ".cts", ".cjs")
COMMON_SOURCE_ROOTS = ("src", "lib", "python")
MAX_IMPORTS = 200  # a file importing more than this is generated; the first ones are enough


@dataclass(frozen=True)
class Import:
    """One imported binding: `alias` in this file stands for `name` of `module` (or the module
    itself when `name` is None)."""

    module: str  # as written: "pkg.mod", "..mod" (Python), "./mod" (JavaScript)
    name: str | None
    alias: str


class FileLookup(Protocol):
    """Whether the repository has a file (the index, with open buffers over it)."""

    def has_file(self, path: str) -> bool:
        """Return whether `path` (repository-relative) is a known file."""
        ...


def imports_of(path: str, text: str) -> list[Import]:
    """Return what the file at `path` imports, in the order written."""
    return read_imports(path, text)[0]


def read_imports(path: str, text: str) -> tuple[list[Import], str]:
    """Return what the file imports and the text of its import statements (a name that only
    appears there is imported, not used)."""
    if path.endswith(PY_EXTENSIONS):
        patterns = (_PY_FROM, _PY_IMPORT)
    elif path.endswith(JS_EXTENSIONS):
        patterns = (_JS_FROM, _JS_REQUIRE)
    else:
        return [], ""
    matches = [m for pattern in patterns for m in pattern.finditer(text)]
    found = _python_imports(matches) if patterns[0] is _PY_FROM else _javascript_imports(matches)
    return found[:MAX_IMPORTS], "\n".join(m.group(0) for m in matches)


def submodule_file(lookup: FileLookup, package_init: str, name: str) -> str | None:
    """Return the file of module `name` inside the package whose `__init__.py` is given."""
    folder = package_init.rsplit("/", 1)[0]
    candidates = (
        *(f"{folder}/{name}{ext}" for ext in PY_EXTENSIONS),
        f"{folder}/{name}/__init__.py",
    )
    return next((c for c in candidates if lookup.has_file(c)), None)


def resolve_module(lookup: FileLookup, path: str, module: str) -> str | None:
    """Return the repository file that `module`, imported from `path`, names (None if none)."""
    if path.endswith(PY_EXTENSIONS):
        return _resolve_python(lookup, path, module)
    if path.endswith(JS_EXTENSIONS) and module.startswith("."):
        return _resolve_javascript(lookup, path, module)
    return None


def submodule(module: str, name: str) -> str:
    """Return the Python module path of `name` imported from `module` (`from pkg import mod`)."""
    return module + name if module.endswith(".") else f"{module}.{name}"


# -- Python --------------------------------------------------------------------------------------


def _python_imports(matches: list[re.Match[str]]) -> list[Import]:
    found: list[Import] = []
    for match in matches:
        if match.re is _PY_FROM:
            module = match.group(1) + match.group(2)
            for name, alias in _bindings(match.group(3)):
                if name != "*":
                    found.append(Import(module, name, alias))
            continue
        for name, alias in _bindings(match.group(1)):
            # `import a.b` binds `a`, through which `a.b` is used; `import a.b as c` binds c.
            found.append(Import(name, None, alias if alias != name else name))
    return found


def _bindings(names: str) -> list[tuple[str, str]]:
    """Return (name, alias) pairs of an import list such as `(a, b as c,)`."""
    cleaned = names.replace("\\\n", " ").strip().strip("()")
    result = []
    for part in re.sub(r"#[^\n]*", "", cleaned).split(","):
        words = part.split()
        if len(words) == 1:
            result.append((words[0], words[0]))
        elif len(words) == 3 and words[1] == "as":
            result.append((words[0], words[2]))
    return result


def _resolve_python(lookup: FileLookup, path: str, module: str) -> str | None:
    dots = len(module) - len(module.lstrip("."))
    parts = [p for p in module[dots:].split(".") if p]
    directory = posixpath.dirname(path)
    if dots:
        for _ in range(dots - 1):
            directory = posixpath.dirname(directory)
        bases = [directory]
    else:
        bases = _source_roots(directory, parts[0] if parts else "")
    for base in bases:
        stem = posixpath.join(base, *parts) if parts else base
        for candidate in (*(stem + ext for ext in PY_EXTENSIONS), stem + "/__init__.py"):
            if candidate.strip("/") and lookup.has_file(candidate.lstrip("/")):
                return candidate.lstrip("/")
    return None


def _source_roots(directory: str, top: str) -> list[str]:
    """Return the folders an absolute import may start from, as Python's path would have
    them: where the importing file's own path has the import's top package, the repository
    root, the usual source folders, and the file's own folder (a script's imports)."""
    components = directory.split("/") if directory else []
    likely = ["/".join(components[:i]) for i, part in enumerate(components) if part == top]
    return list(dict.fromkeys([*likely, "", *COMMON_SOURCE_ROOTS, directory]))


# -- JavaScript and TypeScript -------------------------------------------------------------------


def _javascript_imports(matches: list[re.Match[str]]) -> list[Import]:
    found: list[Import] = []
    for match in matches:
        clause, module = match.group(1).strip(), match.group(2)
        for name, alias in _js_bindings(clause):
            found.append(Import(module, name, alias))
    return found


def _js_bindings(clause: str) -> list[tuple[str | None, str]]:
    """Return (name, alias) pairs of `a, {b, c as d}` or `* as ns` (name None: the module)."""
    result: list[tuple[str | None, str]] = []
    braces = re.search(r"\{([^}]*)\}", clause)
    if braces:
        for part in braces.group(1).split(","):
            words = part.replace(":", " as ").split()
            words = [w for w in words if w != "type"]
            if len(words) == 1 and _IDENT.match(words[0]):
                result.append((words[0], words[0]))
            elif len(words) == 3 and words[1] == "as" and _IDENT.match(words[2]):
                result.append((words[0], words[2]))
        clause = clause[: braces.start()] + clause[braces.end() :]
    for part in clause.split(","):
        words = part.split()
        if len(words) == 3 and words[:2] == ["*", "as"]:
            result.append((None, words[2]))
        elif len(words) == 1 and _IDENT.match(words[0]):
            result.append((None, words[0]))  # a default import or a required module
    return result


def _resolve_javascript(lookup: FileLookup, path: str, module: str) -> str | None:
    stem = posixpath.normpath(posixpath.join(posixpath.dirname(path), module))
    if stem.startswith(".."):
        return None
    base = stem.rsplit(".", 1)[0] if stem.endswith(JS_EXTENSIONS) else stem
    candidates = [stem, *(base + ext for ext in JS_EXTENSIONS)]
    candidates += [f"{stem}/index{ext}" for ext in JS_EXTENSIONS]
    return next((c for c in candidates if lookup.has_file(c)), None)
