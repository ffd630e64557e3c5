"""Retrieval quality: `assistant search --files` against BM25 over whole files, in one run.

Runs the shared evaluator (../shared/bench/eval_localization.py) over each half of the
development set: the seven projects of ../shared/bench/dev-cases.jsonl ("old") and the twelve of
benchmarks/cases/dev2-cases.jsonl ("new", made by benchmarks/cases/make_dev2.sh). Per half it
runs the project's exact command (a fresh process per query, which brings the index up to date
after each checkout), the evaluator's BM25 baseline (bm25s, installed into a separate virtual
environment on first use) and, with `--embeddings`, the same command with semantic search on
(`assistant index` first, so every chunk has its vector, then the search). Prints recall@1/5/10,
MRR and seconds per query side by side, with the ratio of each figure to the baseline's.

    .venv/bin/python benchmarks/retrieval_quality.py --mirrors DIR [--work DIR] [--half old|new]
        [--repos a,b] [--limit N] [--embeddings [--embeddings-url URL --embeddings-model M]]
        [--json] [--json-out FILE]

DIR holds the bare repositories of both halves' repository lists as OWNER+NAME/repo.
`--embeddings` alone starts benchmarks/embedding_server.py (all-MiniLM-L6-v2 on this machine's
CPU, vectors cached in WORK/embeddings.sqlite); `--embeddings-url` names a running endpoint.
"""

from __future__ import annotations

import argparse
import hashlib
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

EVAL = REPO.parent / "shared" / "bench"  # the shared evaluator and the first half's cases
HALVES = {
    "old": EVAL / "dev-cases.jsonl",
    "new": REPO / "benchmarks" / "cases" / "dev2-cases.jsonl",
}
METRICS = ("r@1", "r@5", "r@10", "mrr")
DEFAULT_WORK = Path(tempfile.gettempdir()) / "assistant-retrieval-bench"


def main() -> int:
    """Run the retrievers over each half and print the comparisons."""
    args = _parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    bm25_python = args.bm25_python or _bm25_environment(args.work / "bm25-venv")
    env = dict(os.environ, ASSISTANT_CACHE_DIR=str(args.work / "index-cache"))
    for name in ("ASSISTANT_EMBEDDINGS_MODEL", "ASSISTANT_EMBEDDINGS_BASE_URL"):
        env.pop(name, None)  # the plain run is lexical whatever the caller's environment says
    assistant = _assistant_command()
    command = f'{assistant} search --files --limit 20 "$BENCH_QUERY"'
    server = None
    if args.embeddings and not args.embeddings_url:
        server, args.embeddings_url = _start_embedding_server(args.work)
    summary = Table("retrieval_quality")
    report: dict[str, dict[str, object]] = {}
    try:
        for half in (args.half,) if args.half else tuple(HALVES):
            cases = args.cases or HALVES[half]
            common = _evaluator_args(cases, args)
            print(f"[{half}] assistant: {command}", file=sys.stderr)
            ours, our_seconds = _evaluate([sys.executable, *common, "--cmd", command], env)
            print(f"[{half}] bm25: eval_localization.py --bm25", file=sys.stderr)
            base, base_seconds = _bm25(args.work, [bm25_python, *common, "--bm25"], env)
            print(f"\n{half} half ({cases.name}): assistant against BM25")
            _print_table(ours, base, our_seconds, base_seconds)
            _record(summary, half, "assistant", ours, base)
            report[half] = {"assistant": ours, "bm25": base}
            if args.embeddings_url:
                semantic = _embeddings_env(env, args)
                with_vectors = f"{assistant} index >/dev/null 2>&1 && {command}"
                print(f"[{half}] assistant + embeddings: {with_vectors}", file=sys.stderr)
                embedded, embedded_seconds = _evaluate(
                    [sys.executable, *common, "--cmd", with_vectors], semantic
                )
                print(
                    f"\n{half} half: assistant with embeddings ({args.embeddings_model}) "
                    "against BM25"
                )
                _print_table(embedded, base, embedded_seconds, base_seconds)
                _record(summary, half, "with embeddings", embedded, base)
                report[half]["embeddings"] = embedded
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    summary.write_json(args.json_out)
    if args.json:
        print(json.dumps({"halves": report, "command": command}, indent=1))
    return 0


def _parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=tuple(HALVES), help="one half only (default: both)")
    parser.add_argument("--cases", type=Path, help="a cases file instead of the halves' own")
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
    parser.add_argument("--embeddings", action="store_true", help="also run with embeddings")
    parser.add_argument("--embeddings-url", help="an OpenAI-compatible /v1 endpoint")
    parser.add_argument("--embeddings-model", default="all-MiniLM-L6-v2")
    parser.add_argument("--json", action="store_true", help="also print the tables as JSON")
    add_json_out(parser)
    args = parser.parse_args()
    args.embeddings = args.embeddings or bool(args.embeddings_url)
    return args


def _evaluator_args(cases: Path, args: argparse.Namespace) -> list[str]:
    """Return the evaluator's arguments common to every retriever of one half."""
    common = [str(cases), "--mirrors", str(args.mirrors), "--work", str(args.work), "--json"]
    if args.repos:
        common += ["--repos", args.repos]
    if args.limit:
        common += ["--limit", str(args.limit)]
    return common


def _embeddings_env(env: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """Return the environment that turns semantic search on against the given endpoint."""
    return dict(
        env,
        ASSISTANT_EMBEDDINGS_MODEL=args.embeddings_model,
        ASSISTANT_EMBEDDINGS_BASE_URL=args.embeddings_url,
    )


def _start_embedding_server(work: Path) -> tuple[subprocess.Popen[str], str]:
    """Start benchmarks/embedding_server.py on a free port; return it and its /v1 URL."""
    from embedding_server import start_embedding_server

    # 128 word pieces, the length the model was trained at, for speed on a CPU: about 13
    # chunks a second on two cores (256 halves it).
    return start_embedding_server(port=0, cache=work / "embeddings.sqlite", max_tokens=128)


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


def _bm25(work: Path, command: list[str], env: dict[str, str]) -> tuple[dict[str, dict], float]:
    """Run the BM25 baseline, or reuse its table from an earlier run of the same arguments.

    BM25 over whole files depends only on the cases and the files at each case's commit, and
    on a 4,000-file repository it re-reads and re-indexes every file for every case (about an
    hour for the new half on two cores): its table is kept in WORK/bm25-tables, keyed by the
    cases file, the evaluator and the arguments, and the reuse is said on stderr.
    """
    cases, evaluator = Path(command[1]), EVAL / "eval_localization.py"
    key = hashlib.sha256(
        "\0".join([cases.read_text(), evaluator.read_text(), *command[2:]]).encode()
    ).hexdigest()[:16]
    kept = work / "bm25-tables" / f"{cases.stem}-{key}.json"
    if kept.exists():
        saved = json.loads(kept.read_text())
        print(f"bm25: reusing {kept} (made {saved['made']})", file=sys.stderr)
        return saved["table"], saved["seconds"]
    table, seconds = _evaluate(command, env)
    kept.parent.mkdir(parents=True, exist_ok=True)
    made = time.strftime("%Y-%m-%d %H:%M")
    kept.write_text(json.dumps({"made": made, "table": table, "seconds": seconds}))
    return table, seconds


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


def _record(
    table: Table, half: str, label: str, ours: dict[str, dict], base: dict[str, dict]
) -> None:
    """Record one half's figures (row ALL) with BM25 as the baseline, for --json-out."""
    mine, theirs = ours["ALL"], base.get("ALL", {})
    for metric in METRICS:
        other = theirs.get(metric, 0.0)
        table.record(
            f"{half} half, {label}: {metric}, {mine['n']} cases",
            f"{mine[metric]:.3f} (bm25 {other:.3f}, {ratio(mine[metric], other, '.2f')}x)",
            "-",
            "assistant search --files --limit 20 against eval_localization.py --bm25",
        )


if __name__ == "__main__":
    sys.exit(main())
