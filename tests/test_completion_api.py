"""Completion context before a name is typed: what the file imports, resolved and ranked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.editor import Budget, Cursor, assemble
from assistant.editor.api import imported_api
from assistant.editor.imports import Import, imports_of, resolve_module
from assistant.editor.overlay import IndexView, ParseCache
from assistant.index import open_index
from assistant.testing import settings_for, write_files

NODES = '''"""Tree nodes."""


def is_vararg(leaf, within):
    """Return whether the leaf is a *args or **kwargs."""
    return leaf in within


def is_docstring(node):
    return False


def _private_helper():
    return 1


class Leaf:
    """A leaf of the tree."""

    def __init__(self, kind: int, value: str, prefix: str = "") -> None:
        self.kind = kind

    def clone(self):
        return Leaf(self.kind, "")
'''

ERRORS = """class ParseError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)


class Unused(Exception):
    pass
"""

PACKAGE_INIT = """from pkg.errors import ParseError as ParseError

def version() -> str:
    return "1"
"""

LINES = """from pkg import nodes
from pkg.errors import ParseError, Unused
import pkg


def split(line, leaves):
    for leaf in leaves:
        if nodes.is_docstring(leaf):
            continue
        raise ParseError("bad", 1)
    return """


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "src/pkg/__init__.py": PACKAGE_INIT,
            "src/pkg/nodes.py": NODES,
            "src/pkg/errors.py": ERRORS,
            "src/pkg/lines.py": LINES + "\n",
            "CHANGES.md": "# Changes\n\nsplit leaves nodes is_docstring line leaf\n" * 3,
            "web/util.ts": "export function slugify(title: string): string { return title }\n",
            "web/index.ts": "export const VERSION = 1\n",
            "web/.env": "KEY=sk-abcdefghijklmnopqrstuvwxyz012345\n",
        },
    )
    return root


def view_of(root: Path, buffers: dict[str, str] | None = None) -> IndexView:
    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=root.parent / "cache")
    return IndexView(open_index(root, settings), root, buffers or {}, ParseCache())


def at_end(path: str, text: str) -> Cursor:
    return Cursor(path, text, len(text))


def test_python_imports_are_read_with_aliases_relative_and_parenthesized_forms():
    text = (
        "import os.path as osp\nimport pkg.nodes\nfrom . import sibling\n"
        "from ..errors import (\n    ParseError,  # the one\n    Unused as U,\n)\n"
        "from pkg.lines import split, \\\n    join\n    from lazy import later\n"
    )
    assert imports_of("src/pkg/a.py", text) == [
        Import(".", "sibling", "sibling"),
        Import("..errors", "ParseError", "ParseError"),
        Import("..errors", "Unused", "U"),
        Import("pkg.lines", "split", "split"),
        Import("pkg.lines", "join", "join"),
        Import("lazy", "later", "later"),
        Import("os.path", None, "osp"),
        Import("pkg.nodes", None, "pkg.nodes"),
    ]


def test_javascript_imports_are_read_in_every_form():
    text = (
        "import React from 'react'\nimport { slugify, type Opts, trim as t } from './util'\n"
        "import * as api from \"../api\"\nconst { a } = require('./req')\n"
    )
    assert imports_of("web/a.ts", text) == [
        Import("react", None, "React"),
        Import("./util", "slugify", "slugify"),
        Import("./util", "Opts", "Opts"),
        Import("./util", "trim", "t"),
        Import("../api", None, "api"),
        Import("./req", "a", "a"),
    ]


def test_modules_resolve_to_repository_files(repo: Path):
    view = view_of(repo)
    assert resolve_module(view, "src/pkg/lines.py", "pkg.nodes") == "src/pkg/nodes.py"
    assert resolve_module(view, "src/pkg/lines.py", ".errors") == "src/pkg/errors.py"
    assert resolve_module(view, "src/pkg/lines.py", "pkg") == "src/pkg/__init__.py"
    assert resolve_module(view, "tools/run.py", "pkg.errors") == "src/pkg/errors.py"
    assert resolve_module(view, "src/pkg/lines.py", "os.path") is None
    assert resolve_module(view, "web/a.ts", "./util") == "web/util.ts"
    assert resolve_module(view, "web/a.ts", ".") == "web/index.ts"
    assert resolve_module(view, "web/a.ts", "../../etc/passwd") is None


def test_after_a_module_and_a_dot_its_public_names_come_first(repo: Path):
    text = LINES + "nodes."
    entries = imported_api(view_of(repo), "src/pkg/lines.py", text, len(text))
    names = [e.symbol.name for e in entries]
    assert set(names[:3]) == {"is_vararg", "Leaf", "is_docstring"}
    assert "_private_helper" not in names, "a module's private names are not its API"


def test_an_imported_name_not_used_yet_outranks_one_already_used(repo: Path):
    text = LINES + "    "
    entries = imported_api(view_of(repo), "src/pkg/lines.py", text, len(text))
    by_name = {e.symbol.name: e.score for e in entries}
    assert by_name["Unused"] > by_name["ParseError"]


def test_a_package_name_and_a_dot_offers_what_the_package_re_exports(repo: Path):
    text = LINES + "pkg."
    entries = imported_api(view_of(repo), "src/pkg/lines.py", text, len(text))
    top = {e.symbol.name: e.symbol.path for e in entries[:3]}
    assert top.get("ParseError") == "src/pkg/errors.py" and "version" in top


def test_the_prompt_before_the_name_shows_compact_signatures(repo: Path):
    text = LINES + "nodes."
    context = assemble(view_of(repo), at_end("src/pkg/lines.py", text), Budget())
    shown = {f.path: f.content for f in context.files}
    assert "def is_vararg(leaf, within): ..." in shown["src/pkg/nodes.py"]
    init = 'def __init__(self, kind: int, value: str, prefix: str = "") -> None: ...'
    assert f"class Leaf:\n    {init}" in shown["src/pkg/nodes.py"]
    assert "CHANGES.md" not in shown, "similar code comes from source files, not changelogs"


def test_similar_code_from_docs_is_left_out_but_source_still_comes(repo: Path):
    text = "def walk(leaves):\n    for leaf in leaves:\n        if is_docstring(leaf):\n"
    context = assemble(view_of(repo), at_end("src/pkg/walk.py", text), Budget())
    paths = {f.path for f in context.files}
    assert "src/pkg/nodes.py" in paths and "CHANGES.md" not in paths


def test_a_hostile_import_block_costs_little_and_reaches_nothing(repo: Path):
    names = ", ".join(f"name{i}" for i in range(20_000))
    text = f"from pkg.nodes import ({names}\n" + "from ../../../etc import passwd\n" * 2_000
    started = time.perf_counter()
    context = assemble(view_of(repo), at_end("src/pkg/evil.py", text), Budget())
    assert time.perf_counter() - started < 5  # generous: the point is no runaway work
    assert all(not f.path.startswith(("/", "..")) for f in context.files)


def test_a_secrets_file_imported_by_name_is_never_shown(repo: Path):
    text = "import { KEY } from './.env'\nimport { slugify } from './util'\nexport const x = "
    context = assemble(view_of(repo), at_end("web/page.ts", text), Budget())
    shown = "".join(f.content for f in context.files)
    assert "slugify" in shown and "sk-abcdef" not in shown


def test_a_link_to_a_secret_is_never_read_as_context(repo: Path):
    (repo / "src" / "pkg" / "settings_local.py").symlink_to("../../web/.env")
    view = view_of(repo)
    assert view.text("src/pkg/settings_local.py") is None
    assert view.text("src/pkg/nodes.py") is not None
