"""Cold `assistant index` of Django 5.2 against Aider's repo map, in interleaved rounds.

    .venv/bin/python benchmarks/index_cold.py [--rounds 5]   # about 4 minutes on 2 cores

Measures the parse-only lower bound, cold and no-change runs of the real `assistant index`
CLI, and Aider's cold and warm repo map (aider-chat 0.86.2 in its own virtualenv under
`.bench/`), each cold side once per round in turn; it reports the medians and Aider's time as
a ratio to ours. It downloads the Django sdist and aider-chat from PyPI on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    BENCH,
    DJANGO,
    REPO,
    Child,
    Table,
    add_json_out,
    add_worker_args,
    byte_compile,
    fetch_sdist,
    interleave,
    machine,
    median_run,
    ratio,
    run_child,
    run_json,
    run_worker,
    sh,
)

AIDER = "aider-chat==0.86.2"
AIDER_VENV = BENCH / "aider-venv"
DJANGO_CACHE = BENCH / "cache-django"
MAP_TOKENS = 4096
ROUNDS = 5  # cold runs of each side, interleaved (the medians of 3 still swung by 20%)
ISSUE_AIDER = "aider-chat 0.86.2 in the issue: 11.5 s cold, 3.2 s warm"
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


def cli_command(tree: Path, cache: Path) -> str:
    """Return the shell form of the `assistant index` run that the figures time."""
    return f"ASSISTANT_CACHE_DIR={cache} python -m assistant index --json --repo {tree}"


def assistant_index(root: Path, cache: Path, fresh: bool) -> tuple[dict[str, Any], Child]:
    """Run the real `assistant index --json` CLI on `root` with its own cache folder."""
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
    cmd = [sys.executable, "-m", "assistant", "index", "--json", "--repo", str(root)]
    child = run_child(cmd, env={"ASSISTANT_CACHE_DIR": str(cache)}, cwd=REPO)
    return json.loads(child.stdout), child


def aider_on_disk() -> bool:
    """Say whether Aider's virtualenv was installed by an earlier run."""
    return (AIDER_VENV / "bin" / "python").exists()


def ensure_aider() -> Path:
    """Install aider-chat into its own virtualenv under .bench/ (never the project's)."""
    python = AIDER_VENV / "bin" / "python"
    probe = [str(python), "-c", "import aider.repomap"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    sh([sys.executable, "-m", "venv", str(AIDER_VENV)])
    sh([str(python), "-m", "pip", "install", "-q", AIDER])
    return python


def aider_map(python: Path, root: Path, cold: bool) -> tuple[dict[str, Any], Child]:
    """Time Aider's repo map of `root` in a fresh process; cold removes its tags cache."""
    if cold:
        for cache in root.glob(".aider.tags.cache.v*"):
            shutil.rmtree(cache)
    script = BENCH / "aider_map.py"
    script.write_text(AIDER_SCRIPT)
    home = BENCH / "aider-home"
    home.mkdir(exist_ok=True)
    cmd = [str(python), str(script), str(root), str(MAP_TOKENS)]
    return run_json(cmd, env={"HOME": str(home)}, log=BENCH / "aider.log")


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


def report_parse_bound(table: Table, tree: Path, cache: Path) -> float:
    """Report the parse-only lower bound of `tree` (from a --worker) and return its seconds."""
    bound, _ = run_worker(__file__, "parse", tree, cache)
    total = bound["parse"] + bound["tags"]
    table.report("parse-only lower bound (1 process)", f"{total:.2f} s ({bound['parse']:.2f} "
                 f"parse + {bound['tags']:.2f} tags, {bound['files']} .py)", "-", "tree-sitter "
                 "parse + tags query of every .py, --worker parse")  # fmt: skip
    return total


def against_aider(
    table: Table, tree: Path, cache: Path, aider_python: Path, rounds: int = ROUNDS
) -> None:
    """Cold and warm index against Aider's cold and warm repo map, and the parse bound."""
    aider_tree = BENCH / "work" / "django-aider"  # Aider writes its cache into the tree
    if not aider_tree.exists():
        shutil.copytree(tree, aider_tree)
    cli = cli_command(tree, cache)
    total = report_parse_bound(table, tree, cache)
    ours, theirs = interleave(
        rounds,
        lambda: assistant_index(tree, cache, fresh=True),
        lambda: aider_map(aider_python, aider_tree, cold=True),
    )
    cold, cold_child = median_run(ours, lambda run: run[1].wall)
    table.report("assistant index, cold", f"{cold_child.wall:.2f} s wall, median of {rounds} ("
                 f"{', '.join(f'{c.wall:.2f}' for _, c in ours)}; {cold['seconds']} s in update; "
                 f"{cold['files']} files, {cold['symbols']} symbols; peak RSS "
                 f"{cold_child.maxrss_mb:.0f} MB/process, {cold_child.tree_rss_mb:.0f} MB all "
                 "processes)", "-", f"{cli} (fresh cache)")  # fmt: skip
    warm, warm_child = median_run(
        [assistant_index(tree, cache, fresh=False) for _ in range(rounds)], lambda r: r[1].wall
    )
    table.report("no-change re-index, CLI", f"{warm_child.wall:.2f} s wall, median of {rounds} "
                 f"({warm['seconds']} s in update)", "< 0.5 s", cli)  # fmt: skip
    a_cold, a_cold_child = median_run(theirs, lambda run: run[0]["map"])
    step = f"{AIDER} RepoMap(map_tokens={MAP_TOKENS}).get_repo_map([], all files)"
    each = ", ".join(f"{run['map']:.2f}" for run, _ in theirs)
    table.report("Aider repo map, cold", f"{a_cold['map']:.2f} s in get_repo_map, median of "
                 f"{rounds} ({each}; {a_cold_child.wall:.2f} s process; {a_cold['tokens']} "
                 f"tokens; peak RSS {a_cold_child.maxrss_mb:.0f} MB)", ISSUE_AIDER,
                 step + ", tags cache removed")  # fmt: skip
    a_warm, a_warm_child = aider_map(aider_python, aider_tree, cold=False)
    table.report("Aider repo map, warm", f"{a_warm['map']:.2f} s in get_repo_map "
                 f"({a_warm_child.wall:.2f} s process)", "-",
                 step + ", tags cache kept, new process")  # fmt: skip
    pairs = zip(theirs, ours, strict=True)
    each_round = ", ".join(
        f"{ratio(aider['map'], child.wall)}x" for (aider, _), (_, child) in pairs
    )
    table.report("Aider cold / assistant cold, each round", each_round, "-",
                 "Aider's get_repo_map s / assistant index wall s, round by round")  # fmt: skip
    medians = (
        f"{ratio(a_cold['map'], cold_child.wall)}x ({ratio(a_cold_child.wall, cold_child.wall)}x"
    )
    table.report("Aider cold / assistant cold", medians + " process to process)",
                 ">= 5x (goal 10x)", "the medians: Aider's get_repo_map seconds / assistant "
                 "index wall seconds (start-up included)")  # fmt: skip
    table.report("Aider warm / assistant no-change", f"{ratio(a_warm['map'], warm_child.wall)}x",
                 "-", "Aider's warm get_repo_map seconds / no-change assistant index wall "
                 "seconds")  # fmt: skip
    table.report("assistant cold / parse bound", f"{ratio(cold_child.wall, total)}x",
                 "-> 1x on 2 cores", "assistant index wall / parse-only seconds")  # fmt: skip


def start(doc: str) -> None:
    """Print what runs and on what, and byte-compile the package, before any index figure."""
    print(doc)
    print(machine())
    BENCH.mkdir(exist_ok=True)
    byte_compile()


def announce_django(tree: Path) -> None:
    """Print the heading of the Django figures: where the tree is and its size."""
    print(f"\n== Django 5.2 sdist: {tree} ({len(list(tree.rglob('*.py')))} .py files)", flush=True)


def finish(table: Table, json_out: Path | None) -> None:
    """Print the closing table, write the JSON figures if asked, and the load at the end."""
    table.print_table()
    table.write_json(json_out)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def main() -> int:
    """Parse flags; run the cold comparison against Aider on Django and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved cold rounds")
    add_json_out(parser)
    add_worker_args(parser)
    args = parser.parse_args()
    if args.worker == "parse":
        sys.path.insert(0, str(REPO))
        print(json.dumps(parse_bound(args.root)))
        return 0
    start(__doc__ or "")
    table = Table("index_cold")
    tree, aider_python = fetch_sdist(DJANGO), ensure_aider()
    announce_django(tree)
    against_aider(table, tree, DJANGO_CACHE, aider_python, args.rounds)
    finish(table, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
