"""Run the benchmarks in order, each in its own process, and print a summary of their figures.

    make bench                                        # the quick set, a few minutes
    .venv/bin/python benchmarks/run_all.py [--full] [--mirrors DIR] [--only NAME ...]

It never downloads anything: a benchmark whose corpus is not on disk (the Django sdist, Aider's
virtualenv, the scale sdists under .bench/, the retrieval mirrors and BM25 environment) is
skipped with one line that says what it needs and which command fetches it. The quick set runs
each benchmark with its shortest meaningful options; --full runs the figures the README
reports (index_speed.py --scale in place of the three index scripts, all retrieval cases).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import BENCH, DJANGO, REPO, sdist_on_disk
from index_cold import aider_on_disk
from index_scale import SCALE_SDISTS
from retrieval_quality import DEFAULT_WORK, EVAL

HERE = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
Needs = Callable[[argparse.Namespace], str | None]


@dataclass(frozen=True)
class Bench:
    """One benchmark script: its options in the quick and the full set, and what it needs."""

    name: str
    quick: tuple[str, ...] | None  # None: not in the quick set
    full: tuple[str, ...] | None  # None: not in the full set
    needs: tuple[Needs, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What became of one benchmark: ran (with its exit status), or skipped and why."""

    name: str
    status: str  # "ok", "failed (N)" or "skipped"
    seconds: float = 0.0
    why: str = ""


def _django(_: argparse.Namespace) -> str | None:
    """Say what is missing for the Django figures, or None."""
    if sdist_on_disk(DJANGO):
        return None
    return "the Django 5.2 sdist in .bench/src (`python benchmarks/index_latency.py` fetches it)"


def _aider(_: argparse.Namespace) -> str | None:
    """Say what is missing for the comparison with Aider, or None."""
    if aider_on_disk():
        return None
    return "aider-chat in .bench/aider-venv (`python benchmarks/index_cold.py` installs it)"


def _scale(_: argparse.Namespace) -> str | None:
    """Say what is missing for the scale tree, or None."""
    missing = [spec for spec in SCALE_SDISTS if not sdist_on_disk(spec)]
    if not missing:
        return None
    return f"{', '.join(missing)} in .bench/src (`python benchmarks/index_scale.py` fetches them)"


def _mirrors(args: argparse.Namespace) -> str | None:
    """Say what is missing for the retrieval cases, or None."""
    lists = (EVAL / "dev-repos.txt", HERE / "cases" / "dev2-repos.txt")
    repos = [line.split()[0] for path in lists for line in path.read_text().splitlines()]
    if args.mirrors is None:
        return "--mirrors DIR holding the bare repositories of " + " and ".join(map(str, lists))
    absent = [r for r in repos if not (args.mirrors / r.replace("/", "+") / "repo").is_dir()]
    return f"{', '.join(absent)} as OWNER+NAME/repo in {args.mirrors}" if absent else None


def _bm25(_: argparse.Namespace) -> str | None:
    """Say what is missing for the BM25 baseline, or None."""
    if list((DEFAULT_WORK / "bm25-venv").glob("lib/python*/site-packages/bm25s")):
        return None
    return (
        f"bm25s in {DEFAULT_WORK / 'bm25-venv'} (`python benchmarks/retrieval_quality.py` makes it)"
    )


BENCHES = (
    Bench("batch_speed", quick=(), full=()),
    Bench("command_policy_speed", quick=(), full=()),
    Bench("index_latency", quick=(), full=None, needs=(_django,)),
    Bench("lsp_latency", quick=(), full=(), needs=(_django,)),
    Bench("mcp_search", quick=(), full=(), needs=(_django,)),
    Bench("wiki_bench", quick=("--jobs", "4", "--delay", "0.2"), full=(), needs=(_django,)),
    Bench("index_cold", quick=("--rounds", "1"), full=None, needs=(_django, _aider)),
    Bench("index_speed", quick=None, full=("--scale",), needs=(_django, _aider, _scale)),
    Bench("retrieval_quality", quick=("--limit", "5"), full=(), needs=(_mirrors, _bm25)),
)


def run(bench: Bench, options: tuple[str, ...], args: argparse.Namespace) -> Outcome:
    """Run one benchmark script to the end, its output streaming through, unless it can't."""
    for need in bench.needs:
        if why := need(args):
            print(f"skipped {bench.name}: needs {why}", flush=True)
            return Outcome(bench.name, "skipped", why=why)
    if bench.name == "retrieval_quality":
        options = (*options, "--mirrors", str(args.mirrors))
    out = RESULTS / f"{bench.name}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(HERE / f"{bench.name}.py"), *options, "--json-out", str(out)]
    print(f"\n=== {bench.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    code = subprocess.run(command, cwd=REPO).returncode
    status = "ok" if code == 0 else f"failed ({code})"
    return Outcome(bench.name, status, time.perf_counter() - started)


def summary(outcomes: list[Outcome]) -> None:
    """Print each benchmark's status and the figures it wrote."""
    print("\n=== summary")
    for outcome in outcomes:
        if outcome.status == "skipped":
            print(f"{outcome.name}: skipped, needs {outcome.why}")
            continue
        print(f"{outcome.name}: {outcome.status} in {outcome.seconds:.0f} s")
        result = RESULTS / f"{outcome.name}.json"
        if not result.exists():
            continue
        for figure in json.loads(result.read_text())["figures"]:
            target = f"   (target {figure['target']})" if figure["target"] != "-" else ""
            print(f"  {figure['name']}: {figure['value']}{target}")


def main() -> int:
    """Parse flags, run the chosen set in order, print the summary; fail if any run failed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="the README's figures (long)")
    parser.add_argument("--mirrors", type=Path, help="bare mirrors for retrieval_quality.py")
    names = [bench.name for bench in BENCHES]
    parser.add_argument("--only", nargs="+", choices=names, help="run only these benchmarks")
    args = parser.parse_args()
    outcomes = []
    for bench in BENCHES:
        options = bench.full if args.full else bench.quick
        if options is None or (args.only and bench.name not in args.only):
            continue
        outcomes.append(run(bench, options, args))
    summary(outcomes)
    return 1 if any(o.status.startswith("failed") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
