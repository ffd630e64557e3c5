"""A small built wiki for the site's tests: a real git repository, pages written by hand (one of
them hostile), a diagram, a secrets file and links out of the repository."""

from __future__ import annotations

from pathlib import Path

from assistant.testing import commit_files
from assistant.wiki.manifest import Manifest, PageEntry

STORE_PY = '''"""The store."""


def save(row):
    """Save a row: <b>bold</b> & done."""
    return row
'''
APP_PY = "from pkg.store import save\n\n\ndef main():\n    save({})\n"
DIAGRAM = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80" viewBox="0 0 240 80">'
    '<rect x="4" y="4" width="130" height="40" fill="#dde" stroke="#336"/>'
    '<text x="14" y="30" font-size="16">pkg.store</text></svg>\n'
)
# A diagram committed by someone else, with a script: never served or exported.
HOSTILE_DIAGRAM = DIAGRAM.replace("</svg>", "<script>document.title = 'pwned'</script></svg>")
OVERVIEW = """# Overview

The store lives in [store.py:4](../../pkg/store.py#L4); the entry point is
[app.py:4](../../pkg/app.py#L4). Read [the store page](store.md) and the
[request flow](request-flow.md#steps).

![How the areas depend on each other](overview.svg)

<script>alert(1)</script>

Hostile: [x](javascript:alert(1)) [cfg](../../.git/config#L1) [env](../../.env#L1)
[out](../../../outside.py#L1) [data](data:text/html,hi) [file](file:///etc/passwd)
[missing](nowhere.md) [pending](draft.md) [link](../../pkg/secret_link.py#L1)
![evil](https://evil.example/x.png) ![other](../../pkg/store.py)
<img src=x onerror=alert(1)> [web](https://example.com/docs "the docs")
"""
STORE = """# Store

Rows are saved by [save](../../pkg/store.py#L4). Back to the [overview](overview.md).

| Name | Line |
|:-----|-----:|
| save | 4 |
"""
FLOW = """# Request flow

## Steps

`main` in [app.py:4](../../pkg/app.py#L4) calls `save` in [store.py:4](../../pkg/store.py#L4).
"""


def make_wiki(base: Path) -> tuple[Path, Path]:
    """Make the repository and its wiki under `base`; return (root, wiki folder)."""
    root = base / "repo"
    commit_files(root, {"pkg/store.py": STORE_PY, "pkg/app.py": APP_PY, "README.md": "# r\n"})
    (root / ".env").write_text("API_KEY=sk-live-0123456789abcdef\n")
    (base / "outside.py").write_text("print('outside')\n")
    (root / "pkg" / "secret_link.py").symlink_to("../.env")
    (root / "pkg" / "outside_link.py").symlink_to(base / "outside.py")
    folder = root / ".assistant" / "wiki"
    folder.mkdir(parents=True)
    pages = {"overview": OVERVIEW, "store": STORE, "request-flow": FLOW, "draft": "# Draft\n"}
    for slug, text in pages.items():
        (folder / f"{slug}.md").write_text(text)
    (folder / "overview.svg").write_text(DIAGRAM)
    sources = {"pkg/store.py": "0" * 64}
    Manifest(
        commit=None,
        model="test-model",
        areas=("pkg",),
        pages=(
            PageEntry("overview", "Overview", "overview", summary="The whole repository.",
                      diagram=True, status="done"),
            PageEntry("store", "The store", "area", area="pkg", sources=sources,
                      summary="Saving rows in the store.", status="done"),
            PageEntry("request-flow", "Request flow", "flow", summary="From main to save.",
                      status="done"),
            PageEntry("draft", "Draft", "area", area="draft"),
        ),
    ).save(folder)  # fmt: skip
    return root, folder
