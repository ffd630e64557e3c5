"""The served wiki in a real browser: headless Chromium (the system's, driven by Playwright)
loads the site, follows a page link and a code link, searches, and renders the diagram; the
static export does the same from files.

Set WIKI_SCREENSHOT to a file path to keep a screenshot of the overview (for the README)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.wiki.export import export_site
from assistant.wiki.serve import WikiServer
from tests.wiki_site_support import make_wiki

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is needed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[WikiServer, sync_api.Page]]:
    root, folder = make_wiki(tmp_path)
    with WikiServer(root, folder) as server, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 760})
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            yield server, tab
            assert errors == []
        finally:
            browser.close()


def test_browser_navigates_searches_and_renders_the_diagram(
    page: tuple[WikiServer, sync_api.Page],
) -> None:
    server, tab = page
    tab.goto(server.entry_url)
    assert tab.locator("main h1").inner_text() == "Overview"
    diagram = tab.locator("main img.diagram")
    diagram.wait_for()
    tab.wait_for_function("document.querySelector('main img.diagram').complete")
    assert diagram.evaluate("img => img.naturalWidth") > 0
    if os.environ.get("WIKI_SCREENSHOT"):
        tab.screenshot(path=os.environ["WIKI_SCREENSHOT"], full_page=False)

    tab.locator("nav a", has_text="The store").click()
    tab.wait_for_url(f"{server.url}page/store")
    assert tab.locator("main h1").inner_text() == "Store"

    tab.locator("main a.code-link", has_text="save").click()
    tab.wait_for_url(f"{server.url}code/pkg/store.py#L4")
    assert tab.locator("h1.code-path").inner_text() == "pkg/store.py"
    target = tab.locator("#L4")
    assert "def save(row):" in target.inner_text()
    assert target.evaluate("line => line.matches(':target')")
    assert target.is_visible()

    tab.go_back()
    tab.locator("#Wiki-search").fill("request flow")
    results = tab.locator("#Wiki-results a")
    results.first.wait_for()
    assert results.all_inner_texts()[0] == "Request flow"  # the title match ranks first
    tab.locator("#Wiki-search").press("Enter")
    tab.wait_for_url(f"{server.url}page/request-flow")
    assert tab.locator("main h2").inner_text() == "Steps"


def test_browser_uses_the_static_export_from_files(
    page: tuple[WikiServer, sync_api.Page], tmp_path: Path
) -> None:
    _, tab = page
    root, folder = make_wiki(tmp_path / "second")
    dest = tmp_path / "site"
    export_site(root, folder, dest)
    tab.goto(dest.joinpath("index.html").as_uri())
    tab.wait_for_function("document.querySelector('main img.diagram').complete")
    assert tab.locator("main img.diagram").evaluate("img => img.naturalWidth") > 0
    tab.locator("#Wiki-search").fill("saving rows")
    results = tab.locator("#Wiki-results a")
    results.first.wait_for()
    assert results.all_inner_texts() == ["The store"]
    results.first.click()
    tab.wait_for_url(dest.joinpath("store.html").as_uri())
    href = tab.locator("main a.code-link").first.evaluate("a => a.href")
    assert href == (root / "pkg" / "store.py").resolve().as_uri() + "#L4"


def test_a_built_wiki_served_to_a_browser_links_its_claims_to_their_lines(
    monkeypatch, tmp_path: Path, scripted_server
) -> None:
    from assistant.testing import cli_env
    from tests.cli_run import run_cli
    from tests.wiki_support import example_repo

    repo = example_repo(tmp_path)
    text = "Orders reserve stock (`inventory/stock.py:33`) before they are saved.\n"
    server = scripted_server({"default_turn": {"text": text}})
    argv = ["wiki", "build", "--repo", str(repo), "--base-url", server.base_url]
    argv += ["--model", "qwen3-coder-plus"]
    assert run_cli(monkeypatch, cli_env(tmp_path / "cache"), *argv).code == 0
    with (
        WikiServer(repo, repo / ".assistant" / "wiki") as served,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.goto(served.entry_url)
            assert tab.locator("main img").first.evaluate("img => img.naturalWidth") > 0
            tab.locator("nav a", has_text="inventory/").click()
            tab.locator("main a", has_text="inventory/stock.py:33").click()
            target = tab.locator(":target")
            assert "def reserve" in target.inner_text()
        finally:
            browser.close()
