"""Tools never block the event loop: a first search builds the index of a few thousand files in
a worker, while the loop (the TUI, the language server) keeps ticking."""

from __future__ import annotations

import asyncio

from assistant.testing import commit_files, settings_for
from assistant.tools.base import Grant, ToolContext
from assistant.tools.code_search import FindSymbol, SearchCode
from assistant.tools.git_tools import GitDiff, GitStatus

FILES = 3_000


def module(n: int) -> str:
    """Return module `n`: six request handlers."""
    handler = "def handler_{n}_{k}(request):\n    return render(request, 'page_{k}', {n})"
    return "\n\n".join(handler.format(n=n, k=k) for k in range(6)) + "\n"


async def allow(kind: str, summary: str, detail: str) -> Grant:
    return Grant.POLICY


async def test_a_first_search_on_thousands_of_files_leaves_the_loop_responsive(tmp_path):
    files = {f"pkg{n // 100}/module_{n}.py": module(n) for n in range(FILES)}
    root = commit_files(tmp_path / "repo", files)
    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=tmp_path / "cache")
    ctx = ToolContext(root, settings, allow)
    loop = asyncio.get_running_loop()
    lags: list[float] = []

    async def tick() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)  # the ticker is running
    try:
        ticks_before = len(lags)
        found = await SearchCode().run({"query": "handler_1234_3 render"}, ctx)
        ticks_during_first_search = len(lags) - ticks_before
        symbols = await FindSymbol().run({"name": "handler_2999_5"}, ctx)
        status = await GitStatus().run({}, ctx)
        diff = await GitDiff().run({}, ctx)
    finally:
        ticker.cancel()
        ctx.state.close()
    assert "module_1234.py" in found.text and "module_2999.py" in symbols.text
    assert status.text.startswith("clean") and diff.text == "no differences"
    # The first search built an index of thousands of files; had it run on the loop, the
    # ticker could not have ticked until it was done. (No wall-clock bound: machines are noisy.)
    assert ticks_during_first_search >= 3, f"the loop ticked {ticks_during_first_search} times"
