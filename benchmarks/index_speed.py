"""Index speed against Aider's repo map on Django 5.2, latency, and (with --scale) a 100k-file tree.

One command, from a fresh clone, after `pip install -e .[dev]` into .venv:

    .venv/bin/python benchmarks/index_speed.py            # Django: about 6-9 minutes on 2 cores
    .venv/bin/python benchmarks/index_speed.py --scale    # also the ~100,000-file tree (longer)

It downloads what it needs from PyPI itself (source distributions with `pip download`, and
`aider-chat` into its own virtualenv), and keeps everything it creates under `.bench/`
(git-ignored). Every figure is printed with the command or step that produced it; the closing
table gives each figure beside its target, and Aider's cold map time as a ratio to ours.
In-process figures come from a child process running this script with `--worker`.
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from assistant.config import Settings

T = TypeVar("T")
R = TypeVar("R")

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / ".bench"
DJANGO = "django==5.2"
AIDER = "aider-chat==0.86.2"
# Setuptools-built sdists only: for meson-built ones (numpy, pandas) `pip download` compiles the
# whole build toolchain from source just to read the metadata.
SCALE_SDISTS = ("django==5.2", "sympy==1.14.0", "transformers==4.46.3")
SCALE_FILES = 100_000
MAP_TOKENS = 4096
ROUNDS = 5  # cold runs of each side, interleaved (the medians of 3 still swung by 20%)
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
ISSUE_AIDER = "aider-chat 0.86.2 in the issue: 11.5 s cold, 3.2 s warm"


@dataclass(frozen=True)
class Child:
    """One finished child process: wall seconds, peak RSS figures, its stdout."""

    wall: float
    maxrss_mb: float  # the largest single process (wait4's ru_maxrss)
    tree_rss_mb: float  # the largest sum over the process and its descendants, sampled
    stdout: str


@dataclass(frozen=True)
class Row:
    """One line of the closing table."""

    name: str
    value: str
    target: str
    step: str


ROWS: list[Row] = []


def report(name: str, value: str, target: str, step: str) -> None:
    """Print one figure with the step that produced it, and keep it for the table."""
    ROWS.append(Row(name, value, target, step))
    print(f"  {name}: {value}   [{step}]", flush=True)


def sh(cmd: list[str]) -> None:
    """Run a setup command, failing loudly."""
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def _tree_rss(root_pid: int) -> int:
    """Return the summed RSS in bytes of a process and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, size = {root_pid}, 0
    while True:
        grown = family | {pid for pid, parent in parents.items() if parent in family}
        if grown == family:
            break
        family = grown
    for pid in family:
        try:
            size += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except OSError:
            continue  # it ended between the listing and now
    return size * os.sysconf("SC_PAGESIZE")


def run_child(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Child:
    """Run a command to the end; return its wall time, peak RSS and stdout (stderr to `log`)."""
    started = time.perf_counter()
    stderr = log.open("a") if log else None
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=stderr, env={**os.environ, **(env or {})}, cwd=cwd,
        text=True,
    )  # fmt: skip
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if stderr:
        stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return Child(wall, usage.ru_maxrss / 1024, peak[0] / 2**20, out)


def fetch_sdist(spec: str) -> Path:
    """Download a source distribution from PyPI once and unpack it; return its folder."""
    dl, src = BENCH / "dl", BENCH / "src"
    name = spec.split("==")[0].lower()
    marker = src / f"{spec}.done"
    if marker.exists():
        return Path(marker.read_text())
    dl.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    sh([*pip, spec, "-d", str(dl)])
    version = spec.split("==")[1]
    tarball = next(p for p in dl.glob("*.tar.gz") if p.name.lower() == f"{name}-{version}.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(src, filter="data")
    folder = src / tarball.name[: -len(".tar.gz")]
    marker.write_text(str(folder))
    return folder


def ensure_aider() -> Path:
    """Install aider-chat into its own virtualenv under .bench/ (never the project's)."""
    venv = BENCH / "aider-venv"
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import aider.repomap"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    sh([sys.executable, "-m", "venv", str(venv)])
    sh([str(python), "-m", "pip", "install", "-q", AIDER])
    return python


AIDER_SCRIPT = """
import json, os, sys, time
started = time.perf_counter()
from aider import models
models.ModelInfoManager._update_cache = lambda self: None  # no network: never fetch prices
from aider.io import InputOutput
from aider.models import Model
from aider.repomap import RepoMap
root, tokens = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
               if ".aider.tags.cache" not in d)
io = InputOutput(pretty=False, yes=True, fancy_input=False)
model = Model("gpt-4o")
ready = time.perf_counter()
text = RepoMap(map_tokens=tokens, root=root, main_model=model, io=io).get_repo_map([], files)
done = time.perf_counter()
print(json.dumps({"files": len(files), "start": ready - started, "map": done - ready,
                  "tokens": model.token_count(text or "")}))
"""


def aider_map(python: Path, root: Path, cold: bool) -> tuple[dict[str, float], Child]:
    """Time Aider's repo map of `root` in a fresh process; cold removes its tags cache."""
    if cold:
        for cache in root.glob(".aider.tags.cache.v*"):
            shutil.rmtree(cache)
    script = BENCH / "aider_map.py"
    script.write_text(AIDER_SCRIPT)
    home = BENCH / "aider-home"
    home.mkdir(exist_ok=True)
    cmd = [str(python), str(script), str(root), str(MAP_TOKENS)]
    child = run_child(cmd, env={"HOME": str(home)}, log=BENCH / "aider.log")
    return json.loads(child.stdout.strip().splitlines()[-1]), child


def _median_run(runs: list[R], key: Callable[[R], float]) -> R:
    """Return the run with the median `key` (the lower middle one of an even count)."""
    return sorted(runs, key=key)[(len(runs) - 1) // 2]


def assistant_index(root: Path, cache: Path, fresh: bool) -> tuple[dict[str, Any], Child]:
    """Run the real `assistant index --json` CLI on `root` with its own cache folder."""
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
    cmd = [sys.executable, "-m", "assistant", "index", "--json", "--repo", str(root)]
    child = run_child(cmd, env={"ASSISTANT_CACHE_DIR": str(cache)}, cwd=REPO)
    return json.loads(child.stdout), child


def worker(kind: str, root: Path, cache: Path) -> dict[str, Any]:
    """Child-process measurements: the parse-only bound, or latency/edit figures."""
    sys.path.insert(0, str(REPO))
    if kind == "parse":
        return parse_bound(root)
    return latency(root, cache, edit=kind == "latency")


def parse_bound(root: Path) -> dict[str, Any]:
    """Tree-sitter parse plus tags query of every .py file, one process: a lower bound."""
    import tree_sitter
    import tree_sitter_python

    lang = tree_sitter.Language(tree_sitter_python.language())
    parser, query = tree_sitter.Parser(lang), tree_sitter.Query(lang, tree_sitter_python.TAGS_QUERY)
    files = sorted(root.rglob("*.py"))
    parse_s = tags_s = 0.0
    for path in files:
        data = path.read_bytes()
        t0 = time.perf_counter()
        tree = parser.parse(data)
        t1 = time.perf_counter()
        tree_sitter.QueryCursor(query).matches(tree.root_node)
        tags_s += time.perf_counter() - t1
        parse_s += t1 - t0
    return {"files": len(files), "parse": parse_s, "tags": tags_s}


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, nearest rank, in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    """Return seconds as whole milliseconds."""
    return f"{seconds * 1000:.0f} ms"


def spread(values: list[float]) -> str:
    """Return 'p50 .. ms, p95 .. ms' of a list of seconds."""
    return f"p50 {pct(values, 0.5):.1f} ms, p95 {pct(values, 0.95):.1f} ms"


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Return (seconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


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
    return out


def edit_loop(root: Path, settings: Settings) -> list[list[float]]:
    """Edit one file five times in a long-lived process (as the TUI and the LSP are): time the
    re-index of that file, the re-rank (graph brought forward + the 4k map focused on it), and
    a search for what the edit added."""
    from assistant.context import repo_map, search
    from assistant.index import open_index
    from assistant.index.indexer import update_paths

    path = root / EDITED
    original = path.read_bytes()
    store = open_index(root, settings, update=True)
    repo_map(store, MAP_TOKENS, focus=[EDITED])  # the state before the edits, as in a session
    runs = []
    try:
        for n in range(7):
            path.write_bytes(
                original + f"\n\ndef bench_edit_{n}(queryset):\n    return queryset\n".encode()
            )
            t_update, stats = timed(update_paths, store, root, [EDITED], settings.max_file_bytes)
            if stats.parsed != 1:
                raise SystemExit(f"expected one file re-parsed, got {stats}")
            t_map, text = timed(repo_map, store, MAP_TOKENS, focus=[EDITED])
            if f"bench_edit_{n}" not in text:
                raise SystemExit("the edit is missing from the re-ranked map")
            t_search, _ = timed(search, store, f"bench_edit_{n} queryset", 20)
            runs.append([t_update, t_map, t_search])
    finally:
        path.write_bytes(original)
        update_paths(store, root, [EDITED], settings.max_file_bytes)
        store.close()
    return runs


def run_worker(kind: str, root: Path, cache: Path) -> tuple[dict[str, Any], Child]:
    """Run this script's --worker in a child process and return its JSON."""
    cmd = [sys.executable, __file__, "--worker", kind, "--root", str(root), "--cache", str(cache)]
    child = run_child(cmd)
    return json.loads(child.stdout.strip().splitlines()[-1]), child


def django_section(tree: Path, aider_python: Path) -> None:
    """The Django figures: against Aider, then latency and edits."""
    cache = BENCH / "cache-django"
    print(f"\n== Django 5.2 sdist: {tree} ({len(list(tree.rglob('*.py')))} .py files)", flush=True)
    against_aider(tree, cache, aider_python)
    latency_section(tree, cache, edit=True)
    cli_edit(tree, cache)


def against_aider(tree: Path, cache: Path, aider_python: Path) -> None:
    """Cold and warm index against Aider's cold and warm repo map, and the parse bound."""
    aider_tree = BENCH / "work" / "django-aider"  # Aider writes its cache into the tree
    if not aider_tree.exists():
        shutil.copytree(tree, aider_tree)
    cli = f"ASSISTANT_CACHE_DIR={cache} python -m assistant index --json --repo {tree}"
    bound, _ = run_worker("parse", tree, cache)
    total = bound["parse"] + bound["tags"]
    report("parse-only lower bound (1 process)", f"{total:.2f} s ({bound['parse']:.2f} parse + "
           f"{bound['tags']:.2f} tags, {bound['files']} .py)", "-", "tree-sitter parse + tags "
           "query of every .py, --worker parse")  # fmt: skip
    # Cold runs of both, interleaved, so a busy neighbour slows both alike; medians reported.
    ours: list[tuple[dict[str, Any], Child]] = []
    theirs: list[tuple[dict[str, Any], Child]] = []
    for _ in range(ROUNDS):
        ours.append(assistant_index(tree, cache, fresh=True))
        theirs.append(aider_map(aider_python, aider_tree, cold=True))
    cold, cold_child = _median_run(ours, lambda run: run[1].wall)
    report("assistant index, cold", f"{cold_child.wall:.2f} s wall, median of {ROUNDS} ("
           f"{', '.join(f'{c.wall:.2f}' for _, c in ours)}; {cold['seconds']} s in update; "
           f"{cold['files']} files, {cold['symbols']} symbols; peak RSS "
           f"{cold_child.maxrss_mb:.0f} MB/process, {cold_child.tree_rss_mb:.0f} MB all "
           "processes)", "-", f"{cli} (fresh cache)")  # fmt: skip
    warm, warm_child = _median_run(
        [assistant_index(tree, cache, fresh=False) for _ in range(ROUNDS)], lambda r: r[1].wall
    )
    report("no-change re-index, CLI", f"{warm_child.wall:.2f} s wall, median of {ROUNDS} "
           f"({warm['seconds']} s in update)", "< 0.5 s", cli)  # fmt: skip
    a_cold, a_cold_child = _median_run(theirs, lambda run: run[0]["map"])
    step = f"{AIDER} RepoMap(map_tokens={MAP_TOKENS}).get_repo_map([], all files)"
    each = ", ".join(f"{run['map']:.2f}" for run, _ in theirs)
    report("Aider repo map, cold", f"{a_cold['map']:.2f} s in get_repo_map, median of {ROUNDS} "
           f"({each}; {a_cold_child.wall:.2f} s process; {a_cold['tokens']} tokens; peak RSS "
           f"{a_cold_child.maxrss_mb:.0f} MB)", ISSUE_AIDER,
           step + ", tags cache removed")  # fmt: skip
    a_warm, a_warm_child = aider_map(aider_python, aider_tree, cold=False)
    report("Aider repo map, warm", f"{a_warm['map']:.2f} s in get_repo_map ({a_warm_child.wall:.2f}"
           " s process)", "-", step + ", tags cache kept, new process")  # fmt: skip
    pairs = zip(theirs, ours, strict=True)
    rounds = ", ".join(f"{aider['map'] / child.wall:.1f}x" for (aider, _), (_, child) in pairs)
    report("Aider cold / assistant cold, each round", rounds, "-",
           "Aider's get_repo_map s / assistant index wall s, round by round")  # fmt: skip
    ratio = f"{a_cold['map'] / cold_child.wall:.1f}x ({a_cold_child.wall / cold_child.wall:.1f}x"
    report(
        "Aider cold / assistant cold",
        ratio + " process to process)",
        ">= 5x (goal 10x)",
        "the medians: Aider's get_repo_map seconds / assistant index wall seconds (start-up "
        "included)",
    )
    report(
        "Aider warm / assistant no-change",
        f"{a_warm['map'] / warm_child.wall:.1f}x",
        "-",
        "Aider's warm get_repo_map seconds / no-change assistant index wall seconds",
    )
    report("assistant cold / parse bound", f"{cold_child.wall / total:.1f}x", "-> 1x on 2 cores",
           "assistant index wall / parse-only seconds")  # fmt: skip


def latency_section(tree: Path, cache: Path, edit: bool, prefix: str = "") -> None:
    """Report the in-process figures from one --worker latency run."""
    data, child = run_worker("latency" if edit else "latency-noedit", tree, cache)
    map_call = f"repo_map(store, {MAP_TOKENS}"
    rows = [
        ("no-change re-index, in-process", ms(data["open_nochange"]), "< 0.5 s",
         "open_index(root, settings, update=True)"),
        ("search, first call in a process", ms(data["search_first"]), "-",
         f"search(store, {QUERIES[0]!r}, 20)"),
        ("search, first pass", spread(data["search_pass1"]), "p95 < 50 ms",
         f"search(store, q, 20), {len(QUERIES)} queries"),
        ("search, second pass", spread(data["search_pass2"]), "p95 < 50 ms",
         f"search(store, q, 20), the same {len(QUERIES)} queries again"),
        ("repo map 4k, first call (cold)", ms(data["map_first"]), "-",
         f"{map_call}), maps cache removed"),
        ("repo map 4k, focused, computed", spread(data["map_computed"]), "p95 < 200 ms",
         f"{map_call}, focus=[f]), 20 files found by search"),
        ("repo map 4k, focused, cached", spread(data["map_cached"]), "p95 < 200 ms",
         f"{map_call}, focus=[f]), the same 20 again"),
    ]  # fmt: skip
    if edit:
        edits = data["edit"]
        update, map_s, search_s = (statistics.median(r[i] for r in edits) for i in range(3))
        value = (
            f"{ms(update + map_s)} (update {ms(update)} + re-rank and map {ms(map_s)}), "
            f"median of {len(edits)}; worst {ms(max(r[0] + r[1] for r in edits))}"
        )
        what = (
            f"append a def to {EDITED}; update_paths(store, root, [it]); {map_call}, "
            "focus=[it]) in a long-lived process"
        )
        rows.append(("one edited file, re-indexed and re-ranked", value, "< 100 ms", what))
        rows.append(
            (
                "search after the edit",
                f"median {ms(search_s)}",
                "-",
                "search(store, 'bench_edit_N queryset', 20) after each edit",
            )
        )
        rows.append(("edit total with search", f"median {ms(update + map_s + search_s)}", "-",
                     "the three steps above"))  # fmt: skip
    rows.append(("search + map process, peak RSS", f"{child.maxrss_mb:.0f} MB", "< 1.5 GB",
                 "wait4 ru_maxrss of the --worker latency process"))  # fmt: skip
    for name, value, target, what in rows:
        report(prefix + name, value, target, "--worker latency: " + what)


def cli_edit(tree: Path, cache: Path) -> None:
    """Edit one file and time the CLI re-index (process start-up included)."""
    cli = f"ASSISTANT_CACHE_DIR={cache} python -m assistant index --json --repo {tree}"
    path = tree / EDITED
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n\ndef bench_cli_edit():\n    return None\n")
        data, child = assistant_index(tree, cache, fresh=False)
    finally:
        path.write_bytes(original)
    report("one edited file, CLI", f"{child.wall * 1000:.0f} ms wall ({data['parsed']} parsed, "
           f"{float(data['seconds']) * 1000:.0f} ms in update)", "start-up is separate",
           f"append a def to {EDITED}; {cli}")  # fmt: skip
    assistant_index(tree, cache, fresh=False)


def build_scale_tree() -> tuple[Path, str]:
    """Copy several real sdists into numbered folders until the tree holds ~100k files."""
    tree = BENCH / "scale" / "tree"
    sources = [fetch_sdist(spec) for spec in SCALE_SDISTS]
    counts = {s.name: sum(1 for p in s.rglob("*") if p.is_file()) for s in sources}
    per_copy = sum(counts.values())
    copies = -(-SCALE_FILES // per_copy)
    for n in range(copies):
        for source in sources:
            target = tree / f"copy-{n:02d}" / source.name
            if not target.exists():
                shutil.copytree(source, target)
    files = sum(1 for p in tree.rglob("*") if p.is_file())
    how = (f"{copies} copies of {', '.join(f'{k} ({v} files)' for k, v in counts.items())} "
           f"= {files} files")  # fmt: skip
    return tree, how


def scale_section() -> None:
    """Cold index of the ~100k-file tree: time, database size, peak RSS, search p95."""
    tree, how = build_scale_tree()
    cache = BENCH / "cache-scale"
    print(f"\n== Scale tree: {tree}: {how}", flush=True)
    cli = f"ASSISTANT_CACHE_DIR={cache} python -m assistant index --json --repo {tree}"
    data, child = assistant_index(tree, cache, fresh=True)
    report("scale: cold index", f"{child.wall:.1f} s wall ({data['files']} files indexed, "
           f"{data['symbols']} symbols)", "-", f"{cli} (fresh cache)")  # fmt: skip
    db = Path(str(data["db"]))
    size = sum(
        Path(f"{db}{s}").stat().st_size for s in ("", "-wal", "-shm") if Path(f"{db}{s}").exists()
    )
    report("scale: database size", f"{size / 2**20:.0f} MB", "-", f"du {db}*")
    report("scale: peak RSS", f"{child.maxrss_mb:.0f} MB largest process, {child.tree_rss_mb:.0f} "
           "MB all processes (sampled)", "< 1.5 GB", "wait4 ru_maxrss; /proc sampling")  # fmt: skip
    _, again = assistant_index(tree, cache, fresh=False)
    report("scale: no-change re-index, CLI", f"{again.wall:.2f} s", "-", cli)
    latency_section(tree, cache, edit=False, prefix="scale: ")


def print_table() -> None:
    """Print every figure beside its target."""
    width = max(len(r.name) for r in ROWS)
    print("\n" + f"{'figure':<{width}}  {'value':<60}  target")
    for row in ROWS:
        print(f"{row.name:<{width}}  {row.value:<60}  {row.target}")


def main() -> int:
    """Parse flags; run the Django section, and the scale section with --scale."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", action="store_true", help="also index the ~100k-file tree")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.root, args.cache)))
        return 0
    print(__doc__)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    BENCH.mkdir(exist_ok=True)
    # Every CLI run imports the package; an installed or once-run one has its bytecode cached
    # (Aider's virtualenv has it from pip), but not an editable install under
    # PYTHONDONTWRITEBYTECODE, which would recompile ~30 modules in each run.
    compileall.compile_dir(REPO / "assistant", quiet=1)
    print("byte-compiled assistant/ (python -m compileall), as any first run leaves it")
    django_section(fetch_sdist(DJANGO), ensure_aider())
    if args.scale:
        scale_section()
    print_table()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
