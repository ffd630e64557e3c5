"""Next-edit latency on a real codebase (the part of lsp_latency.py about next edits).

Each sample renames the first parameter of a random function (a real edit a user makes); the
scripted model answers with an edit of that function's header that passes every check, so
the end-to-end figure includes checking and offering the suggestion, not only asking.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Table, lsp_client, percentile

from assistant.config import Settings
from assistant.editor.history import RecentEdit, line_change
from assistant.editor.live import LiveIndex
from assistant.editor.next_edit import NextEditEngine
from assistant.testing import ScriptedServer

_DEF = re.compile(r"^([ \t]*)(?:async )?def (\w+)\(((?:self|cls), )?([a-z_]\w*)", re.M)


@dataclass(frozen=True)
class Rename:
    """A file after one parameter rename, the edit, and an answer that passes the checks."""

    path: str
    before: str
    text: str
    offset: int
    edit: RecentEdit
    header: str  # the renamed header line: the scripted answer matches on it
    answer: str


def renames(source: Path, count: int, seed: int) -> list[Rename]:
    """Return `count` renames of a function's first parameter in random source files."""
    rng = random.Random(seed)
    files = sorted(p for p in source.rglob("*.py") if "/tests/" not in p.as_posix())
    found: list[Rename] = []
    while len(found) < count:
        path = rng.choice(files)
        text = path.read_text(encoding="utf-8", errors="replace")
        matches = list(_DEF.finditer(text))
        if not matches:
            continue
        match = rng.choice(matches)
        start = match.start(4)
        renamed = text[:start] + match.group(4) + "_renamed" + text[match.end(4) :]
        line_start = renamed.rfind("\n", 0, start) + 1
        line_end = renamed.find("\n", start)
        header = renamed[line_start:line_end]
        change = line_change(text, renamed)
        if change is None or not header.strip():
            continue
        rel = path.relative_to(source).as_posix()
        answer = f"{rel}\n<<<<<<< SEARCH\n{header}\n=======\n{header}  # checked\n>>>>>>> REPLACE"
        edit = RecentEdit(rel, change, time.monotonic())
        found.append(Rename(rel, text, renamed, line_end, edit, header, answer))
    return found


async def assembly(table: Table, source: Path, cache: Path, samples: list[Rename]) -> None:
    """Time building the next-edit context (in the live index's read thread)."""
    settings = Settings(profile="bench", base_url="http://127.0.0.1:9/v1", cache_dir=cache)
    index = LiveIndex(source, settings)
    await index.build()
    engine = NextEditEngine(model=None, root=source, index=index)  # type: ignore[arg-type]
    timings: list[float] = []
    sites: list[int] = []
    for sample in samples:
        began = time.perf_counter()
        context = await engine.context(
            sample.path, sample.text, sample.offset, [sample.edit], {sample.path: sample.text}
        )
        timings.append((time.perf_counter() - began) * 1000)
        sites.append(len(context.sites))
    index.close()
    table.report(
        f"next-edit context assembly over {len(timings)} renames",
        f"p50 {_pct(timings, 50):.1f} ms, p95 {_pct(timings, 95):.1f} ms, max "
        f"{max(timings):.1f} ms; uses elsewhere per prompt: median {statistics.median(sites):.0f}",
        "p95 < 50 ms",
        "NextEditEngine.context after renaming a parameter of a random function",
    )


async def end_to_end(
    table: Table, source: Path, cache: Path, samples: list[Rename], delay: float
) -> None:
    """Time didChange + `assistant/nextEdit` against a real `assistant lsp` process."""
    fault = {"kind": "delay", "seconds": delay}
    script = {"turns": [{"text": s.answer, "fault": fault, "match": s.header} for s in samples]}
    options = {"completion": {"debounceMs": 0}, "nextEdit": {"debounceMs": 0}}
    with ScriptedServer(script) as model:
        async with lsp_client(source, cache, model.base_url, options) as client:
            timings, offered = await _requests(client, source, samples)
    overhead = [t - delay * 1000 for t in timings]
    table.report(
        f"next edit end to end over {len(timings)} renames with a {delay * 1000:.0f} ms delay",
        f"overhead p50 {_pct(overhead, 50):.1f} ms, p95 {_pct(overhead, 95):.1f} ms; "
        f"suggestions offered {offered}/{len(timings)}",
        "-",
        "didChange to the assistant/nextEdit answer minus the model delay, debounce 0",
    )


async def _requests(client: Any, source: Path, samples: list[Rename]) -> tuple[list[float], int]:
    """Rename, ask for the next edit, close; return the round trips in ms and the hits."""
    from lsprotocol import types

    timings: list[float] = []
    offered = 0
    for sample in samples:
        uri = (source / sample.path).as_uri()
        item = types.TextDocumentItem(uri, "python", 1, sample.before)
        client.text_document_did_open(types.DidOpenTextDocumentParams(item))
        began = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=sample.text)],
        ))  # fmt: skip
        params = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}
        result = await client.protocol.send_request_async("assistant/nextEdit", params)
        timings.append((time.perf_counter() - began) * 1000)
        offered += result is not None
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
        )
    return timings, offered


def _pct(values: list[float], percent: int) -> float:
    return percentile(values, percent, upper=True)
