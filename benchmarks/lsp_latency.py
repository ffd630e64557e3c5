"""Completion latency of `assistant lsp` on a real codebase (Django's sources by default).

1. Context assembly (index lookups + prompt parts, in the index's read thread) at random
   cursor positions: p50/p95/max in milliseconds; the target is p95 under 30 ms.
2. End to end: a real `assistant lsp` process, a pygls client sending inlineCompletion
   requests, the scripted server answering each after a fixed delay. Reported as the overhead
   over that delay (debounce set to 0, so the figure is our own cost).
3. Next edit: after renaming a parameter of a random function, the context a next-edit
   request is built from (recent edits, the region, uses of what changed found in the index);
   target p95 under 50 ms. Then end to end: didChange with the rename, `assistant/nextEdit`,
   the scripted model answering after the same delay with an edit that passes every check.

    .venv/bin/python benchmarks/lsp_latency.py [--source DIR] [--samples 200] [--requests 40]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import statistics
import sys
import time
from pathlib import Path

import next_edit_bench
from harness import (
    BENCH,
    DJANGO,
    REPO,
    Table,
    add_json_out,
    fetch_sdist,
    lsp_client,
    percentile,
)

sys.path.insert(0, str(REPO))

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from assistant.config import Settings
from assistant.editor import Budget, CompletionContext, Cursor, assemble
from assistant.editor.live import LiveIndex
from assistant.editor.overlay import IndexView
from assistant.testing import ScriptedServer


def main() -> int:
    """Run both measurements and print the figures."""
    args = _parse_args()
    source = args.source or fetch_sdist(DJANGO)
    cache = BENCH / "cache-lsp"
    positions = _positions(source, max(args.samples, args.requests), args.seed)
    print(f"source: {source} ({sum(1 for _ in source.rglob('*.py'))} Python files)")
    table = Table("lsp_latency")
    asyncio.run(_assembly(table, source, cache, positions[: args.samples]))
    asyncio.run(_end_to_end(table, source, cache, positions[: args.requests], args.delay))
    renames = next_edit_bench.renames(source, max(args.samples, args.requests), args.seed)
    asyncio.run(next_edit_bench.assembly(table, source, cache, renames[: args.samples]))
    asyncio.run(
        next_edit_bench.end_to_end(table, source, cache, renames[: args.requests], args.delay)
    )
    table.print_table()
    table.write_json(args.json_out)
    return 0


async def _assembly(table: Table, source: Path, cache: Path, positions: list[Cursor]) -> None:
    """Time context assembly in the live index's read thread at each cursor."""
    settings = Settings(profile="bench", base_url="http://127.0.0.1:9/v1", cache_dir=cache)
    index = LiveIndex(source, settings)
    started = time.perf_counter()
    stats = await index.build()
    print(f"index: {stats.files if stats else '?'} files, {time.perf_counter() - started:.1f}s")
    timings: list[float] = []
    sizes: list[int] = []
    for cursor in positions:
        began = time.perf_counter()
        context = await index.read({}, functools.partial(_assemble, cursor=cursor))
        timings.append((time.perf_counter() - began) * 1000)
        sizes.append(len(context.files))
    index.close()
    table.report(
        f"context assembly over {len(timings)} cursors",
        f"p50 {_pct(timings, 50):.1f} ms, p95 {_pct(timings, 95):.1f} ms, max "
        f"{max(timings):.1f} ms; context files per prompt: median {statistics.median(sizes):.0f}",
        "p95 < 30 ms",
        "LiveIndex.read({}, assemble(view, cursor, Budget())) at random cursors",
    )


def _assemble(view: IndexView, cursor: Cursor) -> CompletionContext:
    """Assemble the completion context at `cursor` with the default budget."""
    return assemble(view, cursor, Budget())


async def _end_to_end(
    table: Table, source: Path, cache: Path, positions: list[Cursor], delay: float
) -> None:
    """Time inlineCompletion requests to a real `assistant lsp` over the scripted model."""
    fault = {"kind": "delay", "seconds": delay}
    script = {"completions": [{"text": "value", "fault": fault}] * (len(positions) + 5)}
    options = {"completion": {"debounceMs": 0}}
    with ScriptedServer(script) as model:
        async with lsp_client(source, cache, model.base_url, options) as client:
            timings = await _requests(client, source, positions)
    overhead = [t - delay * 1000 for t in timings]
    table.report(
        f"end to end over {len(timings)} requests with a {delay * 1000:.0f} ms model delay",
        f"overhead p50 {_pct(overhead, 50):.1f} ms, p95 {_pct(overhead, 95):.1f} ms",
        "-",
        "inlineCompletion round trip minus the model delay, debounce 0",
    )


async def _requests(client: LanguageClient, source: Path, positions: list[Cursor]) -> list[float]:
    """Send one inlineCompletion request per cursor; return the round trips in ms."""
    opened: set[str] = set()
    timings = []
    for cursor in positions:
        uri = (source / cursor.path).as_uri()
        if uri not in opened:
            item = types.TextDocumentItem(uri, "python", 1, cursor.text)
            client.text_document_did_open(types.DidOpenTextDocumentParams(item))
            opened.add(uri)
        before = cursor.prefix.split("\n")
        position = types.Position(len(before) - 1, len(before[-1].encode("utf-16-le")) // 2)
        params = types.InlineCompletionParams(
            types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
            types.TextDocumentIdentifier(uri),
            position,
        )
        began = time.perf_counter()
        await client.text_document_inline_completion_async(params)
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def _positions(source: Path, count: int, seed: int) -> list[Cursor]:
    """Return cursors at the end of random code lines inside functions of random files."""
    rng = random.Random(seed)
    files = sorted(p for p in source.rglob("*.py") if "/tests/" not in p.as_posix())
    cursors: list[Cursor] = []
    while len(cursors) < count:
        path = rng.choice(files)
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = text.split("\n")
        candidates = [i for i, line in enumerate(lines) if line.startswith("        ") and
                      line.strip() and not line.strip().startswith("#")]  # fmt: skip
        if not candidates:
            continue
        line = rng.choice(candidates)
        offset = sum(len(x) + 1 for x in lines[:line]) + len(lines[line])
        cursors.append(Cursor(path.relative_to(source).as_posix(), text, offset))
    return cursors


def _pct(values: list[float], percent: int) -> float:
    """Return the percentile by the convention this benchmark has always reported."""
    return percentile(values, percent, upper=True)


def _parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="repository to measure (default: Django)")
    parser.add_argument("--samples", type=int, default=200, help="cursors for context assembly")
    parser.add_argument("--requests", type=int, default=40, help="end-to-end requests")
    parser.add_argument("--delay", type=float, default=0.2, help="model delay in seconds")
    parser.add_argument("--seed", type=int, default=7)
    add_json_out(parser)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
