"""Syntax checks after an edit: does every changed file still parse cleanly with tree-sitter?"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import tree_sitter

from assistant.index.languages import grammar, language_for


def first_error_line(source: bytes, path: str) -> int | None:
    """Return the 1-based line of the first syntax error, or None if it parses cleanly (or the
    index has no grammar for the file's language)."""
    spec = language_for(path)
    if spec is None:
        return None
    language, _ = grammar(spec.name)
    root = tree_sitter.Parser(language).parse(source).root_node
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point[0] + 1
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root.start_point[0] + 1


def parse_errors(root: Path, paths: Iterable[str]) -> list[str]:
    """Return `path:line` for each changed file that no longer parses cleanly."""
    problems = []
    for name in paths:
        path = root / name
        if not path.is_file():
            continue
        line = first_error_line(path.read_bytes(), name)
        if line is not None:
            problems.append(f"{name}:{line}")
    return problems
