"""Code search over MCP on Django 5.2: per-call latency from a client in another process,
beside the same queries in-process.

    .venv/bin/python benchmarks/mcp_search.py [--rounds 2]     # about a minute on 2 cores

This process is the client: it starts `python -m assistant mcp serve --repo TREE` and calls
search_code with each of QUERIES (Django issue titles, written for this benchmark), ROUNDS
passes, timing every call end to end (stdio, JSON-RPC, the freshness check, the search, the
rendering and redaction of the answer). A child process (`--worker inprocess`) times the same
queries with `search(store, q, LIMIT)` alone and through the server's engine
(`ContextEngine.search`: freshness check, worker thread, secrets filter), the freshness check
by itself, and the no-change `update_index` it saves. Last, five edits of one file, each
followed by the search_code call that must re-index it first. It uses the index in
.bench/cache-django (brought up to date first) and downloads the Django sdist on first use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    DJANGO,
    REPO,
    Table,
    add_json_out,
    add_worker_args,
    fetch_sdist,
    ms,
    percentile,
    run_json,
    spread,
    timed,
)
from index_cold import DJANGO_CACHE, announce_django, assistant_index, finish, start

LIMIT = 10  # search_code's default
EDITED = "django/db/models/query.py"
EDITS = 5
QUERIES = (
    "QuerySet.bulk_update() does not work with plain F() expressions",
    "prefetch_related_objects() crashes on GenericForeignKey with UUID primary keys",
    "Migration autodetector misses a renamed model with a ForeignKey to itself",
    "makemigrations crashes when altering unique_together to a UniqueConstraint",
    "SQLite schema editor alter_field drops CHECK constraints",
    "JSONField key transforms do not work with the __in lookup on Oracle",
    "Subquery annotations with OuterRef fail in exclude() on related fields",
    "Window functions with RowNumber cannot be used in filter()",
    "select_for_update(of=...) ignores parent models in multi-table inheritance",
    "Paginator warns about an unordered object_list QuerySet",
    "CSRF token is not rotated after login with session based CSRF storage",
    "SessionMiddleware sets the cookie with a wrong SameSite value when the session is empty",
    "PBKDF2PasswordHasher iterations should be increased",
    "ModelBackend.authenticate() should not query the database when username is None",
    "login_required decorator does not preserve the query string in the next parameter",
    "HttpResponseRedirect allows unsafe schemes like javascript:",
    "StreamingHttpResponse with an async iterator fails under WSGI",
    "reverse_lazy() fails with translated URL patterns in i18n_patterns",
    "URL path converters to_url() errors are not propagated",
    "ModelChoiceField ignores the empty label for nullable foreign keys",
    "FileField upload_to callable receives the wrong instance in formsets",
    "ManifestStaticFilesStorage fails on source map references in CSS",
    "collectstatic --clear deletes files outside STATIC_ROOT",
    "EmailMessage attachments with non-ASCII filenames are not encoded",
    "send_mail fails when EMAIL_USE_SSL and EMAIL_USE_TLS are both set",
    "gettext_lazy strings are not JSON serializable in JsonResponse",
    "timezone.localtime() raises on naive datetimes when USE_TZ is False",
    "TemplateSyntaxError message for an unclosed block tag is misleading",
    "render_to_string ignores the request's context processors",
    "cache_page decorator caches responses with Set-Cookie headers",
    "database router allow_migrate is not consulted for RunPython operations",
    "transaction.atomic savepoint rollback leaves the connection in a broken state",
    "post_save signal receivers are called twice for proxy models",
    "BaseCommand add_arguments cannot declare required mutually exclusive groups",
    "runserver autoreloader does not see changes in modules loaded with importlib",
    "test runner leaves test databases behind when setup fails with --parallel",
    "system check for ModelAdmin.list_display should reject many-to-many fields",
    "admin changelist search on related lookups returns duplicate rows",
    "ArrayField contains lookup generates wrong SQL for empty lists on PostgreSQL",
    "SQLCompiler.as_sql() produces an incorrect GROUP BY for annotated aggregates",
    "GenericRelation delete does not cascade to related objects",
    "QuerySet.iterator() with chunk_size ignores prefetch_related",
)


async def over_mcp(tree: Path, cache: Path, rounds: int) -> dict[str, Any]:
    """Time search_code calls from this process to `assistant mcp serve` over stdio."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    env = {**os.environ, "ASSISTANT_CACHE_DIR": str(cache), "ASSISTANT_CONFIG": os.devnull}
    command = [sys.executable, "-m", "assistant", "mcp", "serve", "--repo", str(tree)]
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(REPO))
    out: dict[str, Any] = {"command": " ".join(command[1:])}
    started = time.perf_counter()
    async with Client(params) as client:
        out["connect"] = time.perf_counter() - started
        out["first_call"] = (await _timed_call(client, "index_status", {}))[0]
        out["passes"] = []
        for _ in range(rounds):
            times = []
            for query in QUERIES:
                seconds, _ = await _timed_call(client, "search_code", {"query": query})
                times.append(seconds)
            out["passes"].append(times)
        out["edits"] = await _edits(client, tree)
    return out


async def _timed_call(client: Any, name: str, arguments: dict[str, Any]) -> tuple[float, Any]:
    """Call a tool; return the seconds it took and its structured answer (fail on an error)."""
    started = time.perf_counter()
    result = await client.call_tool(name, arguments)
    seconds = time.perf_counter() - started
    if result.is_error:
        raise SystemExit(f"{name}{arguments} failed: {result.content}")
    return seconds, result.structured_content


async def _edits(client: Any, tree: Path) -> list[float]:
    """Append a def to one file EDITS times; time the search_code call after each, which must
    re-index the file first and find the def. The file is restored (and re-indexed) after."""
    path = tree / EDITED
    original = path.read_bytes()
    times = []
    try:
        for n in range(EDITS):
            path.write_bytes(
                original + f"\n\ndef bench_mcp_edit_{n}(rows):\n    return rows\n".encode()
            )
            seconds, found = await _timed_call(
                client, "search_code", {"query": f"bench_mcp_edit_{n}"}
            )
            if not found["files"] or found["files"][0]["path"] != EDITED:
                raise SystemExit(f"the edit of {EDITED} was not found: {found['files'][:3]}")
            times.append(seconds)
    finally:
        path.write_bytes(original)
        await _timed_call(client, "search_code", {"query": "restored"})
    return times


def in_process(root: Path, cache: Path, rounds: int) -> dict[str, Any]:
    """Time the same queries with search() alone and through the server's engine; the
    freshness check alone and the no-change update it saves."""
    from assistant.config import Settings
    from assistant.context import search
    from assistant.index import open_index
    from assistant.index.indexer import update_index
    from assistant.mcp.serve_fresh import TreeWatch

    settings = Settings(cache_dir=cache)
    out: dict[str, Any] = {}
    store = open_index(root, settings, update=True)
    out["search"] = [[timed(search, store, q, LIMIT)[0] for q in QUERIES] for _ in range(rounds)]
    out["update"] = [timed(update_index, store, root, settings.max_file_bytes)[0] for _ in range(5)]
    skipped = store.last_stats.skipped if store.last_stats else {}
    watch = TreeWatch.take(root, store.files(), skipped)
    out["watched_paths"] = len(watch.stamps)
    out["check"] = [timed(watch.edited)[0] for _ in range(20)]
    store.close()
    out["engine"] = asyncio.run(_engine_passes(root, settings, rounds))
    return out


async def _engine_passes(root: Path, settings: Any, rounds: int) -> list[list[float]]:
    """Time ContextEngine.search for every query, `rounds` passes, after its first update."""
    from assistant.mcp.serve_engine import ContextEngine

    engine = ContextEngine(root, settings)
    await engine.start()
    try:
        await engine.status()  # waits for the first update
        passes = []
        for _ in range(rounds):
            times = []
            for query in QUERIES:
                started = time.perf_counter()
                await engine.search(query, LIMIT)
                times.append(time.perf_counter() - started)
            passes.append(times)
        return passes
    finally:
        await engine.close()


def report(table: Table, inproc: dict[str, Any], mcp: dict[str, Any]) -> None:
    """Report the figures of both sides, the MCP ones beside the in-process ones."""
    n = len(QUERIES)
    last = len(mcp["passes"]) - 1
    for i, times in enumerate(mcp["passes"]):
        table.report(f"search_code over MCP, pass {i + 1}", spread(times), "p95 < 100 ms",
                     f"{n} calls from the client process, stdio, limit {LIMIT}")  # fmt: skip
    for i, times in enumerate(inproc["search"]):
        table.report(f"search() in-process, pass {i + 1}", spread(times), "-",
                     f"search(store, q, {LIMIT}), the same {n} queries")  # fmt: skip
    table.report("ContextEngine.search in-process, last pass", spread(inproc["engine"][-1]), "-",
                 "freshness check, worker thread, secrets filter, the search")  # fmt: skip
    protocol = statistics.median(mcp["passes"][last]) - statistics.median(inproc["engine"][-1])
    table.report("protocol, rendering and redaction, p50", ms(protocol), "-",
                 "search_code p50 minus ContextEngine.search p50, last passes")  # fmt: skip
    table.report("freshness check (TreeWatch.edited)", spread(inproc["check"]), "-",
                 f"{inproc['watched_paths']} paths stat'ed, 20 runs")  # fmt: skip
    table.report("no-change update_index (what the check saves)", spread(inproc["update"]), "-",
                 "update_index(store, root, max_bytes), 5 runs")  # fmt: skip
    edits = mcp["edits"]
    table.report("search_code after an edit (re-index first)",
                 f"median {ms(statistics.median(edits))}, worst {ms(max(edits))}", "-",
                 f"append a def to {EDITED}, then search for it; {len(edits)} edits")  # fmt: skip
    table.report("first call after the server starts", ms(mcp["first_call"]), "-",
                 "index_status: waits for the server's first index update")  # fmt: skip
    worst = max(percentile(times, 95) for times in mcp["passes"])
    print(f"\nworst MCP p95 over the passes: {worst * 1000:.1f} ms (target < 100 ms)")


def main() -> int:
    """Parse flags; time search over MCP and in-process on Django; print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2, help="passes over the queries")
    add_json_out(parser)
    add_worker_args(parser)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(REPO))
        print(json.dumps(in_process(args.root, args.cache, args.rounds)))
        return 0
    start(__doc__ or "")
    table = Table("mcp_search")
    tree = fetch_sdist(DJANGO)
    announce_django(tree)
    assistant_index(tree, DJANGO_CACHE, fresh=False)
    worker = [sys.executable, __file__, "--worker", "inprocess", "--root", str(tree),
              "--cache", str(DJANGO_CACHE), "--rounds", str(args.rounds)]  # fmt: skip
    inproc, _ = run_json(worker)
    sys.path.insert(0, str(REPO))
    mcp = asyncio.run(over_mcp(tree, DJANGO_CACHE, args.rounds))
    print(f"server: python {mcp['command']} (connected in {ms(mcp['connect'])})")
    report(table, inproc, mcp)
    finish(table, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
