"""Retrieval quality: `assistant search --files` against BM25 over whole files, in one run.

Runs the shared evaluator (../shared/bench/eval_localization.py) twice over the same cases and
worktrees: once with the project's exact command (a fresh process per query, which brings the
index up to date after each checkout), once with its BM25 baseline (bm25s, installed into a
separate virtual environment on first use). Prints recall@1/5/10, MRR and seconds per query side
by side, with the ratio of each figure to the baseline's.

    .venv/bin/python benchmarks/retrieval_quality.py --mirrors DIR [--work DIR] [--repos a,b]
        [--limit N] [--json] [--json-out FILE]

DIR holds the bare repositories named in ../shared/bench/dev-repos.txt as OWNER+NAME/repo.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from harness import REPO, Table, add_json_out, ratio

EVAL = REPO.parent / "shared" / "bench"  # the shared evaluator and its cases
METRICS = ("r@1", "r@5", "r@10", "mrr")
DEFAULT_WORK = Path(tempfile.gettempdir()) / "assistant-retrieval-bench"


def main() -> int:
    """Run both retrievers and print the comparison."""
    args = _parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    bm25_python = args.bm25_python or _bm25_environment(args.work / "bm25-venv")
    common = [str(args.cases), "--mirrors", str(args.mirrors), "--work", str(args.work)]
    common += ["--json", "--repos", args.repos] if args.repos else ["--json"]
    if args.limit:
        common += ["--limit", str(args.limit)]
    env = dict(os.environ, ASSISTANT_CACHE_DIR=str(args.work / "index-cache"))
    command = f'{_assistant_command()} search --files --limit 20 "$BENCH_QUERY"'
    print(f"assistant: {command}", file=sys.stderr)
    ours, our_seconds = _evaluate([sys.executable, *common, "--cmd", command], env)
    print("bm25: eval_localization.py --bm25", file=sys.stderr)
    base, base_seconds = _evaluate([bm25_python, *common, "--bm25"], env)
    _print_table(ours, base, our_seconds, base_seconds)
    _summary(ours, base).write_json(args.json_out)
    if args.json:
        print(json.dumps({"assistant": ours, "bm25": base, "command": command}, indent=1))
    return 0


def _parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=EVAL / "dev-cases.jsonl")
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of bare mirrors")
    parser.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help="worktrees, the index cache and the BM25 environment (reused between runs)",
    )
    parser.add_argument("--repos", default="", help="comma-separated case repos (default: all)")
    parser.add_argument("--limit", type=int, default=0, help="cases per repo (0: all)")
    parser.add_argument("--bm25-python", help="a Python with bm25s (default: make a venv)")
    parser.add_argument("--json", action="store_true", help="also print both tables as JSON")
    add_json_out(parser)
    return parser.parse_args()


def _assistant_command() -> str:
    """Return the shell form of this environment's `assistant` command."""
    script = Path(sys.executable).parent / "assistant"
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m assistant"


def _bm25_environment(path: Path) -> str:
    """Return a Python with bm25s installed, making the virtual environment on first use."""
    python = path / "bin" / "python"
    if not python.exists():
        venv.create(path, with_pip=True)
    probe = subprocess.run([python, "-c", "import bm25s"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "bm25s"], check=True)
    return str(python)


def _evaluate(command: list[str], env: dict[str, str]) -> tuple[dict[str, dict], float]:
    """Run the evaluator; return its table and the mean seconds per case."""
    evaluator = str(EVAL / "eval_localization.py")
    started = time.perf_counter()
    done = subprocess.run(
        [command[0], evaluator, *command[1:]], capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the evaluator failed ({done.returncode}):\n{done.stderr[-2000:]}")
    if done.stderr.strip():
        print(done.stderr.strip()[-2000:], file=sys.stderr)
    table = json.loads(done.stdout)
    return table, elapsed / max(table["ALL"]["n"], 1)


def _print_table(
    ours: dict[str, dict], base: dict[str, dict], our_seconds: float, base_seconds: float
) -> None:
    """Print assistant | bm25 | ratio for every metric and row."""
    head = "".join(f" {m:>6} {'bm25':>6} {'x':>5}" for m in METRICS)
    print(f"{'repo':32} {'n':>4}{head} {'p50 s':>6} {'bm25':>6}")
    for row, score in ours.items():
        other = base.get(row, {})
        cells = ""
        for metric in METRICS:
            mine, theirs = score[metric], other.get(metric, 0.0)
            cells += f" {mine:6.3f} {theirs:6.3f} {ratio(mine, theirs, '5.2f'):>5}"
        seconds = f" {score['p50_s']:6.2f} {other.get('p50_s', 0.0):6.2f}"
        print(f"{row[:32]:32} {score['n']:4d}{cells}{seconds}")
    print(
        f"mean seconds per query (whole run): assistant {our_seconds:.2f}, bm25 {base_seconds:.2f}"
    )


def _summary(ours: dict[str, dict], base: dict[str, dict]) -> Table:
    """Return the whole run's figures (row ALL) with BM25 as the baseline, for --json-out."""
    table = Table("retrieval_quality")
    mine, theirs = ours["ALL"], base.get("ALL", {})
    for metric in METRICS:
        other = theirs.get(metric, 0.0)
        table.record(
            f"{metric}, {mine['n']} cases",
            f"{mine[metric]:.3f} (bm25 {other:.3f}, {ratio(mine[metric], other, '.2f')}x)",
            "-",
            "assistant search --files --limit 20 against eval_localization.py --bm25",
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
