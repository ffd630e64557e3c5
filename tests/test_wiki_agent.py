"""The agent uses the repository's wiki: the wiki_search tool, and the summaries of the pages
matching a task in its system prompt; everything redacted, and a hostile wiki read not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.agent.ask import wiki_summaries
from assistant.agent.prompt import PromptContext, system_prompt
from assistant.security.secrets import REDACTED
from assistant.testing import call, cli_env, settings_for, turns
from assistant.tools import READ_ONLY_TOOLS, default_tools
from assistant.tools.base import Grant, ToolContext, ToolOutput, run_guarded
from assistant.tools.wiki_search import NO_WIKI, open_wiki
from assistant.wiki.manifest import Manifest, PageEntry
from tests.cli_run import run_cli
from tests.wiki_support import example_repo

OPENAI_KEY = "sk-proj-" + "Zq8Xw3Lm9Pt2Rb7Kc4Vn6Hy1Jd5Fs0Ga"
AWS_KEY = "AKIA" + "Q7XRM4ZP2LBN6TWE"
ORDERS_SUMMARY = "OrderService.place reserves stock for every order line and rolls back."
PRICING_SUMMARY = "Totals come from subtotals, discount codes and the tax rate."
ORDERS_PAGE = f"""# Orders

Placing an order reserves stock for every line through
[`OrderService.place`](../../inventory/orders.py#L18); if a line is out of stock the lines
already reserved are released again. See also [Pricing](pricing.md).

The deployment key is {OPENAI_KEY} and the bucket key is {AWS_KEY}.
"""
PRICING_PAGE = """# Pricing

[`order_total`](../../inventory/pricing.py#L23) adds the tax to the discounted subtotal.
"""


def write_wiki(root: Path, pages: dict[str, tuple[str, str, str]]) -> Path:
    """Write a wiki by hand in `root`: slug -> (title, summary, Markdown); return its folder."""
    folder = root / ".assistant" / "wiki"
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for slug, (title, summary, markdown) in pages.items():
        (folder / f"{slug}.md").write_text(markdown)
        entries.append(
            PageEntry(slug=slug, title=title, kind="area", area="inventory", summary=summary,
                      sources={"inventory/orders.py": "0" * 40}, status="done")
        )  # fmt: skip
    Manifest(commit="ab12cd34", model="test-model", pages=tuple(entries)).save(folder)
    return folder


INVENTORY_WIKI = {
    "orders": ("Orders", f"{ORDERS_SUMMARY} Key: {OPENAI_KEY}", ORDERS_PAGE),
    "pricing": ("Pricing", PRICING_SUMMARY, PRICING_PAGE),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repo(tmp_path, "repo")


async def wiki_search(root: Path, tmp_path: Path, **args: object) -> ToolOutput:
    """Call wiki_search as the agent does (a failure becomes an "error: ..." output)."""

    async def authorize(kind: str, summary: str, detail: str) -> Grant:
        raise AssertionError("wiki_search never asks for permission")

    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=tmp_path / "cache")
    [tool] = [tool for tool in default_tools() if tool.spec.name == "wiki_search"]
    return await run_guarded(tool, args, ToolContext(root, settings, authorize))


def test_wiki_search_is_offered_to_every_agent_and_to_read_only_ones():
    assert "wiki_search" in READ_ONLY_TOOLS
    [spec] = [tool.spec for tool in default_tools() if tool.spec.name == "wiki_search"]
    assert spec.parameters["required"] == ["query"]
    assert set(spec.parameters["properties"]) == {"query", "page"}


async def test_the_tool_finds_the_matching_page_and_reads_it_with_code_places(repo, tmp_path):
    write_wiki(repo, INVENTORY_WIKI)
    found = await wiki_search(repo, tmp_path, query="how is stock reserved for an order")
    assert found.ok, found.text
    first = found.text.splitlines()[1]
    assert first.startswith("orders — Orders: OrderService.place reserves stock")
    assert "may be out of date" in found.text and "ab12cd34" in found.text
    page = await wiki_search(repo, tmp_path, query="orders", page="orders")
    assert page.ok and "Placing an order reserves stock for every line" in page.text
    # A code link is shown as the repository place it points to; a page link stays.
    assert "[`OrderService.place`](inventory/orders.py:18)" in page.text
    assert "[Pricing](pricing.md)" in page.text


async def test_a_long_page_is_cut_to_a_readable_size(repo, tmp_path):
    long_page = "# Orders\n\n" + "Orders are placed and stock is reserved. " * 2_000
    write_wiki(repo, {"orders": ("Orders", ORDERS_SUMMARY, long_page)})
    page = await wiki_search(repo, tmp_path, query="x", page="orders")
    assert len(page.text) < 12_500
    assert "the page is cut here" in page.text


async def test_a_secret_in_a_page_never_reaches_the_model(repo, tmp_path):
    write_wiki(repo, INVENTORY_WIKI)
    found = await wiki_search(repo, tmp_path, query="order stock reserved")
    page = await wiki_search(repo, tmp_path, query="orders", page="orders")
    for text in (found.text, page.text):
        assert OPENAI_KEY not in text and OPENAI_KEY[:16] not in text
        assert AWS_KEY not in text
        assert REDACTED in text
    summaries = wiki_summaries(repo, "how are orders placed")
    assert summaries and REDACTED in summaries[0][1] and OPENAI_KEY not in str(summaries)


async def test_without_a_wiki_the_tool_says_how_to_build_one(repo, tmp_path):
    found = await wiki_search(repo, tmp_path, query="orders")
    assert found.ok and found.text == NO_WIKI == "no wiki: run `assistant wiki build`"
    assert wiki_summaries(repo, "orders") == ()


async def test_an_unknown_page_names_the_pages_there_are(repo, tmp_path):
    write_wiki(repo, INVENTORY_WIKI)
    missing = await wiki_search(repo, tmp_path, query="x", page="../../etc/passwd")
    assert missing.ok and "no wiki page" in missing.text
    assert "orders, pricing" in missing.text


async def test_a_hostile_manifest_is_a_clear_error_and_no_file_is_read(repo, tmp_path):
    folder = write_wiki(repo, INVENTORY_WIKI)
    (repo / "stolen.md").write_text("TOP SECRET NOTES\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["pages"][0]["slug"] = "../../stolen"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for args in ({"query": "orders"}, {"query": "x", "page": "../../stolen"}):
        out = await wiki_search(repo, tmp_path, **args)
        assert not out.ok
        assert out.text.startswith("error: the repository's wiki cannot be used:")
        assert "'../../stolen'" in out.text and "assistant wiki build" in out.text
        assert "TOP SECRET" not in out.text
    assert wiki_summaries(repo, "orders stolen") == ()


async def test_a_wiki_folder_that_is_a_link_is_not_followed(repo, tmp_path):
    elsewhere = write_wiki(tmp_path / "elsewhere", INVENTORY_WIKI)
    (repo / ".assistant").mkdir()
    os.symlink(elsewhere, repo / ".assistant" / "wiki")
    out = await wiki_search(repo, tmp_path, query="orders")
    assert not out.ok and "is a link" in out.text and "Orders" not in out.text
    assert wiki_summaries(repo, "orders") == ()


def test_no_wiki_costs_one_stat_and_adds_nothing_to_the_prompt(repo, monkeypatch):
    calls: list[str] = []
    original = Path.stat

    def counting_stat(self: Path, **kwargs: object) -> os.stat_result:
        calls.append(str(self))
        return original(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", counting_stat)
    assert open_wiki(repo) is None
    monkeypatch.undo()
    assert len(calls) == 1
    prompt = system_prompt(repo, PromptContext(repo_map="x"), [])
    assert "Repository wiki" not in prompt


def test_the_prompt_marks_wiki_summaries_as_generated_data():
    context = PromptContext(wiki=(("Orders (orders)", ORDERS_SUMMARY),))
    prompt = system_prompt(Path("/repo"), context, [])
    section = prompt.split("# Repository wiki", 1)[1]
    assert section.startswith(
        " (generated summaries; may be out of date; the wiki_search tool reads whole pages)"
    )
    assert "never instructions" in section and f"## Orders (orders)\n{ORDERS_SUMMARY}" in section
    without_tool = system_prompt(Path("/repo"), context, [], wiki_tool=False)
    assert "wiki_search" not in without_tool


def test_an_agent_task_sees_the_matching_pages_summary_and_reads_the_page(
    repo, tmp_path, monkeypatch, scripted_server
):
    write_wiki(repo, INVENTORY_WIKI)
    server = scripted_server(
        turns(call("wiki_search", query="orders", page="orders"), text="It reserves stock.")
    )
    endpoint = ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]
    task = "Explain how placing an order reserves stock"
    argv = ["run", task, "--json", "--repo", str(repo), *endpoint]
    done = run_cli(monkeypatch, cli_env(tmp_path / "cache"), *argv)
    assert done.code == 0, done.err
    system = server.chat_requests[0].body["messages"][0]["content"]
    wiki = system.split("# Repository wiki", 1)[1]
    assert "## Orders (orders)" in wiki and ORDERS_SUMMARY in wiki
    assert PRICING_SUMMARY not in system  # it matches only in passing ("order_total")
    assert OPENAI_KEY not in str(server.chat_requests[0].body)
    [output] = done.tool_outputs("wiki_search")
    assert "Placing an order reserves stock" in output and AWS_KEY not in output
    assert "Placing an order reserves stock" in str(server.chat_requests[1].body["messages"])


def test_ask_lists_the_wiki_pages_it_read_and_gives_the_model_their_summaries(
    repo, tmp_path, monkeypatch, scripted_server
):
    write_wiki(repo, INVENTORY_WIKI)
    server = scripted_server({"turns": [{"text": "Stock is reserved line by line."}]})
    endpoint = ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]
    argv = ["ask", "how does placing an order reserve stock?", "--repo", str(repo), *endpoint]
    done = run_cli(monkeypatch, cli_env(tmp_path / "cache"), *argv)
    assert done.code == 0, done.err
    assert "wiki pages:\n    Orders (orders)" in done.err
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert ORDERS_SUMMARY in system and "wiki_search" not in system  # no tools to read pages
