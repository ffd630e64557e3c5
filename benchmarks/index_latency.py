"""Search and repo-map latency on Django 5.2, and an edited file re-indexed and re-ranked.

    .venv/bin/python benchmarks/index_latency.py      # about a minute on 2 cores

In a child process (`--worker latency`): the no-change re-index, 50 searches twice, the 4k
repo map cold and focused (computed, then cached), and seven edits of one file in a long-lived
process as the TUI and the language server make them; then one edit through the CLI. It
brings the index in `.bench/cache-django` up to date first, and downloads the Django sdist
from PyPI on first use.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import (
    DJANGO,
    REPO,
    Table,
    add_json_out,
    add_worker_args,
    fetch_sdist,
    ms,
    run_worker,
    spread,
    timed,
)
from index_cold import (
    DJANGO_CACHE,
    MAP_TOKENS,
    announce_django,
    assistant_index,
    cli_command,
    finish,
    start,
)

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index import IndexStore

EDITED = "django/db/models/query.py"
QUERIES = (
    "QuerySet", "get_or_create", "select_related", "prefetch_related_objects", "Paginator",
    "csrf_exempt", "login_required", "HttpResponseRedirect", "reverse_lazy", "ModelForm",
    "ValidationError", "CommandError", "BaseCommand add_arguments", "migrate squashmigrations",
    "MigrationAutodetector", "SchemaEditor alter_field", "ForeignKey on_delete CASCADE",
    "ManyToManyField through", "bulk_create ignore_conflicts", "Subquery OuterRef",
    "Window function RowNumber", "JSONField key transform", "TemplateSyntaxError",
    "render_to_string", "cache_page decorator", "session middleware cookie age",
    "password hashing PBKDF2", "authenticate backend", "signals post_save receiver",
    "transaction atomic savepoint", "database router allow_migrate", "StaticFilesStorage",
    "collectstatic manifest", "send_mail EmailMessage attachments", "gettext_lazy translation",
    "timezone aware datetime", "URL resolver path converters", "admin list_display",
    "ModelAdmin get_queryset", "FileField upload_to storage", "SQL compiler as_sql",
    "how are querysets evaluated lazily", "where does the test runner create the test database",
    "how does the CSRF token get rotated on login", "content negotiation for json response",
    "GenericForeignKey content types", "streaming response iterator",
    "check framework system checks register", "postgres ArrayField contains lookup",
    "runserver autoreload file watcher",
)  # fmt: skip
MAP_CALL = f"repo_map(store, {MAP_TOKENS}"


def latency(root: Path, cache: Path, edit: bool) -> dict[str, Any]:
    """Search and map latency, cold (first call in this process) and warm; then the edit loop."""
    from assistant.config import Settings
    from assistant.context import repo_map, search
    from assistant.index import open_index

    settings = Settings(cache_dir=cache)
    out: dict[str, Any] = {}
    out["open_nochange"], store = timed(open_index, root, settings, update=True)
    maps = store.db_path.with_name(store.db_path.name + ".maps.json")
    maps.unlink(missing_ok=True)
    out["search_first"], _ = timed(search, store, QUERIES[0], 20)
    out["search_pass1"] = [timed(search, store, q, 20)[0] for q in QUERIES]
    out["search_pass2"] = [timed(search, store, q, 20)[0] for q in QUERIES]
    out["map_first"], text = timed(repo_map, store, MAP_TOKENS)
    out["map_chars"] = len(str(text))
    focus = [hit.path for q in QUERIES[:20] for hit in search(store, q, 1).files[:1]]
    out["map_computed"] = [timed(repo_map, store, MAP_TOKENS, focus=[f])[0] for f in focus]
    out["map_cached"] = [timed(repo_map, store, MAP_TOKENS, focus=[f])[0] for f in focus]
    store.close()
    if edit:
        out["edit"] = edit_loop(root, settings)
        out["came"] = came_loop(root, settings)
    return out


def edit_loop(root: Path, settings: Settings) -> list[list[float]]:
    """Edit one file seven times in a long-lived process (as the TUI and the LSP do): time the
    re-index of that file, the re-rank (graph brought forward + the 4k map focused on it), and
    a search for what the edit added."""
    from assistant.context import repo_map, search
    from assistant.index import open_index
    from assistant.index.indexer import update_paths

    edited = edited_file(root)
    path = root / edited
    original = path.read_bytes()
    store = open_index(root, settings, update=True)
    repo_map(store, MAP_TOKENS, focus=[edited])  # the state before the edits, as in a session
    runs = []
    try:
        for n in range(7):
            path.write_bytes(
                original + f"\n\ndef bench_edit_{n}(queryset):\n    return queryset\n".encode()
            )
            t_update, t_map = indexed_and_mapped(store, root, edited, f"bench_edit_{n}", settings)
            t_search, _ = timed(search, store, f"bench_edit_{n} queryset", 20)
            runs.append([t_update, t_map, t_search])
    finally:
        path.write_bytes(original)
        update_paths(store, root, [edited], settings.max_file_bytes)
        store.close()
    return runs


def came_loop(root: Path, settings: Settings) -> list[list[float]]:
    """Make a new file beside the edited one three times, and remove it, in a long-lived
    process (an agent writing a file): time its update and the map focused on it, then the
    removal's update and the map focused on the edited file (the files numbered again)."""
    from assistant.context import repo_map
    from assistant.index import open_index
    from assistant.index.indexer import update_paths

    edited = edited_file(root)
    made = edited.rsplit("/", 1)[0] + "/bench_made_file.py"
    store = open_index(root, settings, update=True)
    repo_map(store, MAP_TOKENS, focus=[edited])
    runs = []
    try:
        for n in range(3):
            (root / made).write_text(f"def bench_made_{n}(queryset):\n    return queryset\n")
            t_add, t_map = indexed_and_mapped(store, root, made, f"bench_made_{n}", settings)
            (root / made).unlink()
            t_gone, _ = timed(update_paths, store, root, [made], settings.max_file_bytes)
            t_map_gone, _ = timed(repo_map, store, MAP_TOKENS, focus=[edited])
            runs.append([t_add, t_map, t_gone, t_map_gone])
    finally:
        (root / made).unlink(missing_ok=True)
        update_paths(store, root, [made], settings.max_file_bytes)
        store.close()
    return runs


def indexed_and_mapped(
    store: IndexStore, root: Path, path: str, made: str, settings: Settings
) -> tuple[float, float]:
    """Time re-indexing `path` (one file parsed) and the map focused on it, which must show
    the definition `made`; return both times."""
    from assistant.context import repo_map
    from assistant.index.indexer import update_paths

    t_update, stats = timed(update_paths, store, root, [path], settings.max_file_bytes)
    if stats.parsed != 1:
        raise SystemExit(f"expected {path} parsed, got {stats}")
    t_map, text = timed(repo_map, store, MAP_TOKENS, focus=[path])
    if made not in text:
        raise SystemExit(f"{made} is missing from the map focused on {path}")
    return t_update, t_map


def edited_file(root: Path) -> str:
    """Return the file the edit loop edits: Django's query.py (in the scale tree, copy 0's)."""
    if (root / EDITED).exists():
        return EDITED
    found = sorted(root.glob(f"*/Django-*/{EDITED}"))
    if not found:
        raise SystemExit(f"no {EDITED} under {root}")
    return found[0].relative_to(root).as_posix()


def latency_section(table: Table, tree: Path, cache: Path, edit: bool, prefix: str = "") -> None:
    """Report the in-process figures from one --worker latency run."""
    data, child = run_worker(__file__, "latency" if edit else "latency-noedit", tree, cache)
    rows = _latency_rows(data)
    if edit:
        rows += _edit_rows(data["edit"]) + _came_rows(data["came"])
    rows.append(("search + map process, peak RSS", f"{child.maxrss_mb:.0f} MB", "< 1.5 GB",
                 "wait4 ru_maxrss of the --worker latency process"))  # fmt: skip
    for name, value, target, what in rows:
        table.report(prefix + name, value, target, "--worker latency: " + what)


def _latency_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Return (figure, value, target, step) rows for the search and map timings."""
    return [
        ("no-change re-index, in-process", ms(data["open_nochange"]), "< 0.5 s",
         "open_index(root, settings, update=True)"),
        ("search, first call in a process", ms(data["search_first"]), "-",
         f"search(store, {QUERIES[0]!r}, 20)"),
        ("search, first pass", spread(data["search_pass1"]), "p95 < 50 ms",
         f"search(store, q, 20), {len(QUERIES)} queries"),
        ("search, second pass", spread(data["search_pass2"]), "p95 < 50 ms",
         f"search(store, q, 20), the same {len(QUERIES)} queries again"),
        ("repo map 4k, first call (cold)", ms(data["map_first"]), "-",
         f"{MAP_CALL}), maps cache removed"),
        ("repo map 4k, focused, computed", spread(data["map_computed"]), "p95 < 200 ms",
         f"{MAP_CALL}, focus=[f]), 20 files found by search"),
        ("repo map 4k, focused, cached", spread(data["map_cached"]), "p95 < 200 ms",
         f"{MAP_CALL}, focus=[f]), the same 20 again"),
    ]  # fmt: skip


def _edit_rows(edits: list[list[float]]) -> list[tuple[str, str, str, str]]:
    """Return the rows for the edit loop's (update, map, search) seconds."""
    update, map_s, search_s = (statistics.median(r[i] for r in edits) for i in range(3))
    value = (
        f"{ms(update + map_s)} (update {ms(update)} + re-rank and map {ms(map_s)}), "
        f"median of {len(edits)}; worst {ms(max(r[0] + r[1] for r in edits))}"
    )
    what = (
        f"append a def to {EDITED}; update_paths(store, root, [it]); {MAP_CALL}, "
        "focus=[it]) in a long-lived process"
    )
    return [
        ("one edited file, re-indexed and re-ranked", value, "< 100 ms", what),
        ("search after the edit", f"median {ms(search_s)}", "-",
         "search(store, 'bench_edit_N queryset', 20) after each edit"),
        ("edit total with search", f"median {ms(update + map_s + search_s)}", "-",
         "the three steps above"),
    ]  # fmt: skip


def _came_rows(runs: list[list[float]]) -> list[tuple[str, str, str, str]]:
    """Return the rows for the new file's (update, map, removal's update, map) seconds."""
    add, map_s, gone, map_gone = (statistics.median(r[i] for r in runs) for i in range(4))
    return [
        ("one new file, indexed and re-ranked",
         f"{ms(add + map_s)} (update {ms(add)} + map {ms(map_s)}), median of {len(runs)}",
         "-", "write a new file beside it; update_paths(store, root, [it]); "
         f"{MAP_CALL}, focus=[it])"),
        ("that file removed, re-ranked",
         f"{ms(gone + map_gone)} (update {ms(gone)} + map {ms(map_gone)}), median of "
         f"{len(runs)}", "-", "remove it; update_paths; the map focused on the edited file"),
    ]  # fmt: skip


def cli_edit(table: Table, tree: Path, cache: Path) -> None:
    """Edit one file and time the CLI re-index (process start-up included)."""
    path = tree / EDITED
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n\ndef bench_cli_edit():\n    return None\n")
        data, child = assistant_index(tree, cache, fresh=False)
    finally:
        path.write_bytes(original)
    table.report("one edited file, CLI", f"{child.wall * 1000:.0f} ms wall ({data['parsed']} "
                 f"parsed, {float(data['seconds']) * 1000:.0f} ms in update)",
                 "start-up is separate", f"append a def to {EDITED}; "
                 f"{cli_command(tree, cache)}")  # fmt: skip
    assistant_index(tree, cache, fresh=False)


def main() -> int:
    """Parse flags; run the latency and edit figures on Django and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_json_out(parser)
    add_worker_args(parser)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(REPO))
        print(json.dumps(latency(args.root, args.cache, edit=args.worker == "latency")))
        return 0
    start(__doc__ or "")
    table = Table("index_latency")
    tree = fetch_sdist(DJANGO)
    announce_django(tree)
    # index_speed.py runs this after its cold and no-change runs: start from the same state.
    assistant_index(tree, DJANGO_CACHE, fresh=False)
    latency_section(table, tree, DJANGO_CACHE, edit=True)
    cli_edit(table, tree, DJANGO_CACHE)
    finish(table, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
