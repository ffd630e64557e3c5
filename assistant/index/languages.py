"""The languages the index understands: a table row each (extensions, grammar, tags query).

Adding a language is a row here and, when its grammar ships no tags query, a query file in
`queries/`. Queries use the tree-sitter tags conventions: `@definition.KIND` / `@reference.KIND`
around a node, `@name` on its name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter

QUERIES = Path(__file__).parent / "queries"


@dataclass(frozen=True)
class LanguageSpec:
    """One language: how to recognise its files and load its grammar and queries."""

    name: str
    extensions: tuple[str, ...]
    module: str
    function: str = "language"
    shipped_queries: tuple[str, ...] = ("TAGS_QUERY",)  # module attributes or queries/*.scm
    extra_query: str | None = None  # our own file in assistant/index/queries/


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py", ".pyi"), "tree_sitter_python", extra_query="python.scm"),
    LanguageSpec("javascript", (".js", ".jsx", ".mjs", ".cjs"), "tree_sitter_javascript",
                 extra_query="javascript.scm"),
    LanguageSpec("typescript", (".ts", ".mts", ".cts"), "tree_sitter_typescript",
                 "language_typescript", ("javascript:TAGS_QUERY", "tags.scm"), "javascript.scm"),
    LanguageSpec("tsx", (".tsx",), "tree_sitter_typescript", "language_tsx",
                 ("javascript:TAGS_QUERY", "tags.scm"), "javascript.scm"),
    LanguageSpec("go", (".go",), "tree_sitter_go"),
    LanguageSpec("rust", (".rs",), "tree_sitter_rust"),
    LanguageSpec("java", (".java",), "tree_sitter_java"),
    LanguageSpec("c", (".c", ".h"), "tree_sitter_c", extra_query="c.scm"),
    LanguageSpec("cpp", (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx"), "tree_sitter_cpp",
                 extra_query="cpp.scm"),
    LanguageSpec("c_sharp", (".cs",), "tree_sitter_c_sharp", shipped_queries=(),
                 extra_query="c_sharp.scm"),
    LanguageSpec("ruby", (".rb",), "tree_sitter_ruby"),
    LanguageSpec("php", (".php",), "tree_sitter_php", "language_php", extra_query="php.scm"),
)  # fmt: skip

BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
BY_NAME = {spec.name: spec for spec in LANGUAGES}


def language_for(path: str) -> LanguageSpec | None:
    """Return the language of a file by its extension, or None for text the index only chunks."""
    return BY_EXTENSION.get(Path(path).suffix.lower())


@cache
def grammar(name: str) -> tuple[tree_sitter.Language, tree_sitter.Query]:
    """Return the loaded grammar and compiled tags query of a language (once per process)."""
    spec = BY_NAME[name]
    module = importlib.import_module(spec.module)
    language = tree_sitter.Language(getattr(module, spec.function)())
    sources = [_query_source(module, ref) for ref in spec.shipped_queries]
    if spec.extra_query:
        sources.append((QUERIES / spec.extra_query).read_text())
    return language, tree_sitter.Query(language, "\n".join(sources))


def _query_source(module: object, ref: str) -> str:
    owner, _, item = ref.rpartition(":")
    if owner:
        module = importlib.import_module(f"tree_sitter_{owner}")
    if item.endswith(".scm"):
        folder = Path(module.__file__).parent / "queries"  # type: ignore[attr-defined]  # grammar wheels ship no stubs
        return (folder / item).read_text()
    return str(getattr(module, item))
