"""Planning and building the repo wiki of Django 5.2 against the scripted server.

The Django sources are copied into a git repository in a temporary folder (one commit) and
indexed once with a fresh cache (reported apart: the index is not the wiki's cost). The
scripted server answers every page after a fixed delay with the same ~300-word page citing
real Django lines. Then, each one a real `assistant wiki` process:

1. planning alone: `wiki build --dry-run --json` (median of --plan-rounds), beside a no-change
   `assistant index` of the same tree (every wiki command brings the index up to date first);
2. `wiki build --force --jobs J --pages P --json` for each --jobs: wall time, pages done,
   requests the server received, prompt tokens per page (the project's estimate over the
   request's messages; the scripted server's own usage figures are bytes/4 of the JSON body),
   completion tokens, CPU seconds of the CLI and of the scripted server, beside the ideal
   time ceil(pages/J) x delay (the model's delay alone); the answer streams in chunks of
   --chunk-size characters (8, the scripted server's default: about a token a chunk, as real
   endpoints stream);
3. a no-change `wiki update` after the last build (median of --plan-rounds): wall time and
   requests (should be 0).

    .venv/bin/python benchmarks/wiki_bench.py [--pages 20] [--delay 1.0] [--jobs 1 4 8]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    DJANGO,
    REPO,
    Table,
    add_json_out,
    byte_compile,
    fetch_sdist,
    machine,
    ratio,
    sh,
)
from index_cold import assistant_index

sys.path.insert(0, str(REPO))

from assistant.context.tokens import estimate_tokens
from assistant.testing import ScriptedServer

MODEL = "qwen3-coder-plus"
# What the scripted model answers for every page: plausible prose citing real Django 5.2 lines
# (checked against the index by the build: all of them hold).
PAGE = """\
This part of Django turns an incoming request into a response and gives the rest of the
framework its entry points. It exists so that a project's settings, URLconf, models and
management commands all meet in one well-defined pipeline instead of each app wiring its
own. Most newcomers meet it through `manage.py`, which hands control to
`django/core/management/__init__.py:439`, and through the request handler.

## How it works

Command-line use starts in `ManagementUtility` (`django/core/management/__init__.py:197`),
which finds the command by name and runs it. Every command derives from `BaseCommand`
(`django/core/management/base.py:187`), which parses the arguments, checks the project and
calls `handle()`.

A web request goes through the handler's middleware chain, built once by `load_middleware`
(`django/core/handlers/base.py:26`); `get_response` (`django/core/handlers/base.py:136`) runs
it for each request. The URL resolver (`django/urls/resolvers.py:493`) matches the path in
`resolve()` (`django/urls/resolvers.py:660`) and returns the view with its arguments. The view
reads the `HttpRequest` (`django/http/request.py:53`) and usually queries the database.

## Main pieces

- Models: every model class derives from `Model` (`django/db/models/base.py:461`), whose
  metaclass collects the fields and builds the manager.
- Querysets: `QuerySet` (`django/db/models/query.py:277`) is lazy; it builds SQL only when it
  is iterated, sliced or counted, and caches its results afterwards.
- Commands: the management package discovers commands in every installed app, so an app
  adds a command by dropping a module into `management/commands/`.

## How the pieces fit together

Settings decide which apps are installed; the app registry loads their models; the URLconf
points at views; the handler ties them together per request. Signals and middleware are the
two places where an app may hook into another's work without importing it.

## What to read first

Read `execute_from_command_line` and `BaseCommand` to see how a project starts, then
`get_response` and `URLResolver.resolve` to follow a request, and finally `QuerySet` to see
how views reach the database. The tests under `tests/` mirror this layout and show each
piece in use.
"""


@dataclass(frozen=True)
class Run:
    """One finished CLI process: wall and CPU seconds, peak RSS, exit code, its JSON output."""

    wall: float
    cpu: float  # user + system seconds of the CLI process
    maxrss_mb: float
    code: int
    data: dict[str, Any]
    stderr: str


@dataclass(frozen=True)
class Build:
    """One `wiki build` at a --jobs: what it did and what the server saw."""

    jobs: int
    run: Run
    requests: int
    prompt_tokens: list[int]
    completion_tokens: int  # per page (every page gets the same scripted answer)
    ideal: float
    server_cpu: float  # CPU seconds of this process (the scripted server's thread) meanwhile


@dataclass(frozen=True)
class Update:
    """The no-change `wiki update` runs: their wall times and the requests they made."""

    runs: list[Run]
    requests: int


def main() -> int:
    """Set up the repository, index it, run the wiki builds and print the table."""
    args = _parse_args()
    source = args.source or fetch_sdist(DJANGO)
    table = Table("wiki_bench")
    print(f"source: {source}; {args.pages} pages, {args.delay}s per request, {machine()}; "
          f"assistant at {_commit()}")  # fmt: skip
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="wiki-bench-") as folder:
        work = Path(folder)
        root, cache = work / source.name, work / "cache"
        started = time.perf_counter()
        _git_copy(source, root)
        print(f"copied and committed in {time.perf_counter() - started:.1f} s")
        report, child = assistant_index(root, cache, fresh=True)
        table.report(
            "index (cold, not the wiki's cost)",
            f"{child.wall:.1f} s ({report.get('files', '?')} files)",
            step=f"assistant index --json --repo {root.name}, fresh cache",
        )
        env = {"ASSISTANT_CACHE_DIR": str(cache), "ASSISTANT_CONFIG": str(work / "none.toml")}
        turn = {"text": PAGE, "chunk_size": args.chunk_size,
                "fault": {"kind": "delay", "seconds": args.delay}}  # fmt: skip
        with ScriptedServer({"default_turn": turn}) as server:
            flags = ["--repo", str(root), "--base-url", server.base_url, "--api-key", "k",
                     "--model", MODEL]  # fmt: skip
            plan = _planning(table, root, cache, env, flags, args)
            builds = [_build(server, env, flags, jobs, args) for jobs in args.jobs]
            update = _update(server, env, flags, args.plan_rounds)
    _report(table, plan, builds, update, args)
    table.write_json(args.json_out)
    return 0


def _commit() -> str:
    """Return the project's commit, marked when its tracked files have changes."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "assistant"]).returncode
    return head.stdout.strip() + (" (assistant/ modified)" if dirty else "")


def _git_copy(source: Path, root: Path) -> None:
    """Copy the source tree into a fresh git repository at `root`, committed once."""
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(".git"))
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    sh([*git, "init", "-q"])
    sh([*git, "add", "-A"])
    sh([*git, "commit", "-q", "-m", "sources"])


def _assistant() -> list[str]:
    """Return the command that starts the installed `assistant` CLI."""
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]


def _cli(argv: list[str], env: dict[str, str]) -> Run:
    """Run the CLI to the end; return its wall and CPU time, peak RSS, exit code and JSON."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            [*_assistant(), *argv], stdout=subprocess.PIPE, stderr=errors, text=True,
            env={**os.environ, **env}, cwd=REPO,
        )  # fmt: skip
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read()
    try:
        data = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        data = {}
    if code not in (0, 1) or not data:  # 1: the build left pages pending or failed
        raise SystemExit(f"failed ({code}): assistant {' '.join(argv)}\n{err}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, code, data, err)


def _planning(
    table: Table, root: Path, cache: Path, env: dict[str, str], flags: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    """Time the dry run (planning alone) beside a no-change index, interleaved; report both."""
    index_walls, runs, rounds = [], [], args.plan_rounds
    argv = ["wiki", "build", "--dry-run", "--json", "--pages", str(args.pages), *flags]
    for _ in range(rounds):
        _, child = assistant_index(root, cache, fresh=False)
        index_walls.append(child.wall)
        runs.append(_cli(argv, env))
    index_s = statistics.median(index_walls)
    run = sorted(runs, key=lambda r: r.wall)[(len(runs) - 1) // 2]
    pages = run.data["pages"]
    kinds = {k: sum(1 for p in pages if p["kind"] == k) for k in ("overview", "area", "flow")}
    table.report("no-change index (baseline)", f"{index_s:.2f} s",
                 step=f"assistant index --json, median of {rounds}")  # fmt: skip
    table.report(
        "planning (wiki build --dry-run)",
        f"{run.wall:.2f} s ({run.cpu:.2f} s CPU), {run.wall - index_s:+.2f} s over the no-change "
        f"index; {len(pages)} pages ({kinds['overview']} overview, {kinds['area']} areas, "
        f"{kinds['flow']} flows), estimate {run.data['estimated_prompt_tokens']:,} prompt tokens",
        step=f"wiki build --dry-run --json, median of {rounds}",
    )
    return {"wall": run.wall, "cpu": run.cpu, "index": index_s, "pages": len(pages),
            "estimate": run.data["estimated_prompt_tokens"]}  # fmt: skip


def _build(
    server: ScriptedServer, env: dict[str, str], flags: list[str], jobs: int,
    args: argparse.Namespace,
) -> Build:  # fmt: skip
    """Run one forced build at `jobs`; return its figures and the requests the server saw."""
    before, server_cpu = len(server.chat_requests), time.process_time()
    argv = ["wiki", "build", "--force", "--jobs", str(jobs), "--pages", str(args.pages), "--json"]
    run = _cli([*argv, *flags], env)
    server_cpu = time.process_time() - server_cpu
    requests = server.chat_requests[before:]
    prompt = [_prompt_tokens(r.body) for r in requests]
    done = run.data.get("done", 0)
    ideal = math.ceil(done / jobs) * args.delay
    print(f"--jobs {jobs}: {run.wall:.1f} s, {done} done, {run.data.get('failed')} failed, "
          f"{len(requests)} requests, links {run.data.get('links')}", flush=True)  # fmt: skip
    if run.code:
        print(run.stderr[-2000:], file=sys.stderr)
    return Build(jobs, run, len(requests), prompt, estimate_tokens(PAGE), ideal, server_cpu)


def _update(server: ScriptedServer, env: dict[str, str], flags: list[str], rounds: int) -> Update:
    """Run a no-change `wiki update` `rounds` times; return them and the requests they made.

    `wiki update` has no --pages: it plans at the default of 20 pages, so after a build with
    another --pages it adds or drops pages (requests that are not the update's own cost)."""
    before = len(server.chat_requests)
    runs = [_cli(["wiki", "update", "--json", *flags], env) for _ in range(rounds)]
    return Update(runs, len(server.chat_requests) - before)


def _prompt_tokens(body: Any) -> int:
    """Return the project's token estimate of one chat request's messages."""
    messages = body.get("messages", []) if isinstance(body, dict) else []
    return sum(estimate_tokens(str(m.get("content") or "")) for m in messages)


def _report(
    table: Table, plan: dict[str, Any], builds: list[Build], update: Update,
    args: argparse.Namespace,
) -> None:  # fmt: skip
    """Print the Markdown table and record every row for --json-out."""
    print(
        f"\n{plan['pages']} pages planned in {plan['wall']:.2f} s (no-change index "
        f"{plan['index']:.2f} s); {args.delay} s per request; ideal = ceil(pages/jobs) x delay\n"
    )
    columns = ["run", "wall", "ideal", "wall / ideal", "wall - ideal", "CPU (CLI, server)",
               "pages done", "requests", "prompt tokens per page (mean, max)",
               "completion tokens per page", "peak RSS"]  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for b in builds:
        done, failed = b.run.data.get("done", 0), b.run.data.get("failed", 0)
        mean = statistics.mean(b.prompt_tokens) if b.prompt_tokens else 0
        row = (
            f"{b.run.wall:.1f} s | {b.ideal:.1f} s | {ratio(b.run.wall, b.ideal, '.2f')} | "
            f"{b.run.wall - b.ideal:.1f} s | {b.run.cpu:.1f} s, {b.server_cpu:.1f} s | "
            f"{done}/{plan['pages']}" + (f" ({failed} failed)" if failed else "") + " | "
            f"{b.requests} | {mean:,.0f}, {max(b.prompt_tokens, default=0):,} | "
            f"{b.completion_tokens} | {b.run.maxrss_mb:.0f} MB"
        )
        print(f"| build --jobs {b.jobs} | {row} |")
        table.record(f"build --jobs {b.jobs}", row.replace(" | ", "; "), step="wiki build --force")
    run = sorted(update.runs, key=lambda r: r.wall)[(len(update.runs) - 1) // 2]
    row = (
        f"{run.wall:.1f} s | - | - | - | {run.cpu:.1f} s, - | {run.data.get('done', 0)} kept | "
        f"{update.requests} | - | - | {run.maxrss_mb:.0f} MB"
    )
    print(f"| update, no change (median of {len(update.runs)}) | {row} |")
    table.record("update, no change", row.replace(" | ", "; "), "0 requests", "wiki update")
    if builds:
        last = builds[-1]
        links = last.run.data.get("links", {})
        note = (
            f"prompt tokens of one build: {sum(last.prompt_tokens):,} measured (estimate_tokens "
            f"of the request messages), {plan['estimate']:,} in the dry run's estimate; "
            f"citations kept {links.get('kept', '?')}, dropped {links.get('dropped', '?')}; "
            f"dry run {plan['cpu']:.1f} s CPU"
        )
        print("\n" + note)
        table.record("prompt tokens, one build", note, step=f"--jobs {last.jobs}")


def _parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="tree to build the wiki of (default: Django)")
    parser.add_argument("--pages", type=int, default=20, help="wiki build --pages")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per model request")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--plan-rounds", type=int, default=3, help="dry runs and updates timed")
    parser.add_argument(
        "--chunk-size", type=int, default=8, help="characters per streamed chunk (server's: 8)"
    )
    add_json_out(parser)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
