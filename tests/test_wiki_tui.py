"""`/wiki` in the chat app, driven with Textual's Pilot: the pages, one page rendered as Markdown
(its links followed in the chat, never in a browser), a search, and no wiki."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Markdown

from tests.test_tui_app import SIZE, log_text, make_app, send, wait_until
from tests.test_wiki_agent import AWS_KEY, INVENTORY_WIKI, example_repo, write_wiki
from tui.app import ChatApp
from tui.widgets.wiki_page import WikiPage


def shown(app: ChatApp) -> str:
    """Return the log's text, with the Markdown of the wiki pages it shows."""
    pages = [page.source for page in app.chat_log.query(WikiPage)]
    return "\n".join([log_text(app), *pages])


async def test_wiki_lists_the_pages_and_shows_one_rendered(scripted_server, tmp_path: Path):
    root = example_repo(tmp_path)
    write_wiki(root, INVENTORY_WIKI)
    app = make_app(scripted_server(), root)
    opened: list[str] = []
    app.open_url = lambda url, **_: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/wiki")
        await wait_until(pilot, lambda: "wiki pages (" in log_text(app))
        listing = log_text(app)
        assert "orders" in listing and "Orders" in listing
        assert "pricing" in listing and "Pricing" in listing
        await send(pilot, "/wiki orders")
        await wait_until(pilot, lambda: bool(app.chat_log.query(WikiPage)))
        page = app.chat_log.query_one(WikiPage)
        await wait_until(pilot, lambda: "reserves stock" in page.source)
        assert page.slug == "orders" and AWS_KEY not in page.source
        await wait_until(pilot, lambda: bool(page.query("MarkdownH1")))  # rendered, not raw
        page.post_message(Markdown.LinkClicked(page, "pricing.md"))  # a link to another page
        await wait_until(pilot, lambda: len(app.chat_log.query(WikiPage)) == 2)
        other = list(app.chat_log.query(WikiPage))[-1]
        await wait_until(pilot, lambda: "adds the tax" in other.source)
        assert other.slug == "pricing"
        page.post_message(Markdown.LinkClicked(page, "inventory/orders.py:18"))  # a code place
        await wait_until(
            pilot, lambda: "link in the wiki page: inventory/orders.py:18" in log_text(app)
        )
    assert opened == []  # a page's links never open a browser


async def test_wiki_words_that_are_no_slug_search_the_pages(scripted_server, tmp_path: Path):
    root = example_repo(tmp_path)
    write_wiki(root, INVENTORY_WIKI)
    app = make_app(scripted_server(), root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/wiki tax rate")
        await wait_until(pilot, lambda: "wiki pages matching" in log_text(app))
        assert "pricing — Pricing: Totals come from subtotals" in log_text(app)
        assert not app.chat_log.query(WikiPage)


async def test_wiki_without_a_wiki_says_how_to_build_one(scripted_server, tmp_path: Path):
    root = example_repo(tmp_path)
    app = make_app(scripted_server(), root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/wiki")
        await wait_until(pilot, lambda: "no wiki" in shown(app))
        assert "assistant wiki build" in log_text(app)
        await send(pilot, "/help")
        await wait_until(pilot, lambda: "/wiki [SLUG|QUERY]" in log_text(app))
