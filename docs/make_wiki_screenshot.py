"""Make docs/wiki-screenshot.png: the bundled example's wiki, built against the scripted server
with a hand-written page, served, and photographed by headless Chromium.

    .venv/bin/python docs/make_wiki_screenshot.py

Needs Debian's `chromium` and Playwright for Python (installed by `make`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from assistant.cli import main
from assistant.testing import commit_files
from assistant.testing.server import ScriptedServer
from assistant.wiki.serve import WikiServer

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "python-inventory"
PAGE = """The `inventory` package is the whole service: products and orders as plain data \
(`inventory/models.py:20`), stock levels that orders reserve and release \
(`inventory/stock.py:19`), an in-memory order book (`inventory/storage.py:14`), pricing with \
discounts and tax (`inventory/pricing.py:23`) and reports over placed orders \
(`inventory/reports.py:13`).

## How an order goes through

`OrderService.place` (`inventory/orders.py:18`) reserves every line's quantity with \
`Inventory.reserve` (`inventory/stock.py:33`), which raises `OutOfStock` \
(`inventory/stock.py:8`) when a product runs short; lines already reserved are released \
again, so a failed order leaves the stock as it was. A placed order is saved in the \
`OrderBook` (`inventory/storage.py:20`). Cancelling releases the reservation \
(`inventory/orders.py:36`); shipping takes the stock for good (`inventory/stock.py:43`).

## Money

Totals are `Decimal` throughout: `order_subtotal` sums the lines \
(`inventory/pricing.py:13`), `discount_rate` maps a code to a rate \
(`inventory/pricing.py:18`) and `order_total` applies discount then tax \
(`inventory/pricing.py:23`).

## Where to start

Read `inventory/orders.py` first: it is the one place where stock, storage and pricing meet.
"""


def run(out: Path) -> None:
    """Build, serve and photograph the example's wiki into `out`."""
    with tempfile.TemporaryDirectory() as scratch:
        files = {
            p.relative_to(EXAMPLE).as_posix(): p.read_text()
            for p in sorted(EXAMPLE.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
        }
        repo = commit_files(Path(scratch) / "inventory", files, "example")
        with ScriptedServer({"default_turn": {"text": PAGE}}) as server:
            os.environ.update(
                ASSISTANT_BASE_URL=server.base_url, ASSISTANT_API_KEY="k",
                ASSISTANT_MODEL="qwen3-coder-plus", ASSISTANT_CACHE_DIR=f"{scratch}/cache",
                ASSISTANT_CONFIG=os.devnull,
            )  # fmt: skip
            if main(["wiki", "build", "--repo", str(repo)]) != 0:
                sys.exit("the wiki build failed")
        with WikiServer(repo, repo / ".assistant" / "wiki") as served, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox"]
            )
            tab = browser.new_page(viewport={"width": 1200, "height": 1080})
            tab.goto(served.entry_url)
            tab.goto(served.url + "page/area-inventory")
            tab.wait_for_timeout(300)
            tab.screenshot(path=str(out))
            browser.close()


if __name__ == "__main__":
    run(HERE / "wiki-screenshot.png")
    print(f"wrote {HERE / 'wiki-screenshot.png'}")
