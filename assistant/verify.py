"""Syntax checks after an edit: does every changed file still parse cleanly with tree-sitter?"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import tree_sitter

# Extension -> (grammar module, its language function). Files of other kinds are not checked.
GRAMMARS: dict[str, tuple[str, str]] = {
    ".py": ("tree_sitter_python", "language"),
    ".pyi": ("tree_sitter_python", "language"),
    ".js": ("tree_sitter_javascript", "language"),
    ".jsx": ("tree_sitter_javascript", "language"),
    ".mjs": ("tree_sitter_javascript", "language"),
    ".ts": ("tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tree_sitter_typescript", "language_tsx"),
    ".go": ("tree_sitter_go", "language"),
    ".rs": ("tree_sitter_rust", "language"),
    ".java": ("tree_sitter_java", "language"),
    ".c": ("tree_sitter_c", "language"),
    ".h": ("tree_sitter_c", "language"),
    ".cpp": ("tree_sitter_cpp", "language"),
    ".cc": ("tree_sitter_cpp", "language"),
    ".hpp": ("tree_sitter_cpp", "language"),
    ".cs": ("tree_sitter_c_sharp", "language"),
    ".rb": ("tree_sitter_ruby", "language"),
    ".php": ("tree_sitter_php", "language_php"),
}


@cache
def _parser(suffix: str) -> tree_sitter.Parser | None:
    spec = GRAMMARS.get(suffix)
    if spec is None:
        return None
    module = importlib.import_module(spec[0])
    return tree_sitter.Parser(tree_sitter.Language(getattr(module, spec[1])()))


def first_error_line(source: bytes, suffix: str) -> int | None:
    """Return the 1-based line of the first syntax error, or None if it parses cleanly."""
    parser = _parser(suffix)
    if parser is None:
        return None
    root = parser.parse(source).root_node
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
        line = first_error_line(path.read_bytes(), path.suffix)
        if line is not None:
            problems.append(f"{name}:{line}")
    return problems
