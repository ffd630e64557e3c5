"""The layers in DESIGN.md hold: the core's modules import only what stands before them."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL_ATTRIBUTES = {"conn", "execute", "executemany", "executescript"}
CYCLE_FREE = ("assistant.index.", "assistant.context.")


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a dev dependency; install the dev extra"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout


def test_the_core_imports_without_front_end_packages():
    code = (
        "import sys, assistant.llm, assistant.config, assistant.testing;"
        "bad = [m for m in ('textual', 'pygls', 'lsp', 'tui') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_sql_lives_in_the_index_package():
    """No module outside assistant/index imports sqlite3, reaches for a store's connection or
    runs a statement: every query is a named IndexStore method."""
    offenders = []
    for folder in ("assistant", "lsp", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.is_relative_to(ROOT / "assistant" / "index"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in _sql_uses(tree)]
    assert offenders == []


def _sql_uses(tree: ast.AST) -> list[ast.AST]:
    """Return the nodes of a module that import sqlite3 or touch a connection."""
    return [node for node in ast.walk(tree) if _is_sql(node)]


def _is_sql(node: ast.AST) -> bool:
    """Say whether a node imports sqlite3 or names a connection or one of its statements."""
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "sqlite3" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "sqlite3"
    return isinstance(node, ast.Attribute) and node.attr in SQL_ATTRIBUTES


def test_index_and_context_modules_import_one_way():
    """No two modules of the index or the context engine import each other, even through
    others (a piece both need lives in a module both import)."""
    import grimp

    graph = grimp.build_graph("assistant", cache_dir=None)
    modules = sorted(m for m in graph.modules if m.startswith(CYCLE_FREE))
    both_ways = [
        (first, second)
        for n, first in enumerate(modules)
        for second in modules[n + 1 :]
        if graph.chain_exists(first, second) and graph.chain_exists(second, first)
    ]
    assert both_ways == []
