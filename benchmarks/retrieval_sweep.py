"""Retrieval error analysis and weight sweeps, in one process, over both halves of the dev set.

Where `retrieval_quality.py` runs the exact CLI once per case (the figures to report), this
script keeps one index per repository open, checks each case's parent commit out, brings the
index up to date and ranks the query under several search-weight variants at once, so a change
to the ranking is judged on both halves in one pass. It prints recall@1/5/10 and MRR per half
and variant, and with `--errors FILE` writes, per case and variant, the gold files' ranks and
what ranked above them (path, kind, lines, reasons): the raw material of an error analysis.

    .venv/bin/python benchmarks/retrieval_sweep.py --mirrors /work/.mirror [--work DIR]
        [--variants default,no-proximity] [--repos a,b] [--limit N] [--errors FILE]

Variants are named in VARIANTS below (search weights differing from the defaults).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import REPO

from assistant.config import Settings
from assistant.context import search
from assistant.context.priors import PriorWeights, file_kind
from assistant.context.retrieve import DEFAULT_WEIGHTS, SearchWeights
from assistant.index.access import use_index

HALVES = {
    "old": REPO.parent / "shared" / "bench" / "dev-cases.jsonl",
    "new": REPO / "benchmarks" / "cases" / "dev2-cases.jsonl",
}
DEFAULT_WORK = Path(tempfile.gettempdir()) / "assistant-retrieval-sweep"
_D = DEFAULT_WEIGHTS
_P = PriorWeights()


def _weights(**changes: Any) -> SearchWeights:
    """Return the default weights with some fields changed (`priors` takes a dict)."""
    priors = changes.pop("priors", None)
    weights = dataclasses.replace(_D, **changes)
    if priors:
        weights = dataclasses.replace(weights, priors=dataclasses.replace(_P, **priors))
    return weights


VARIANTS: dict[str, Callable[[], SearchWeights]] = {
    "default": lambda: _D,
    "no-proximity": lambda: _weights(proximity=0.0),
    "no-size": lambda: _weights(priors={"size": 0.0}),
    "no-stem": lambda: _weights(stem=0.0),
    "no-definition": lambda: _weights(definition=0.0, fuzzy_definition=0.0),
    "path-0.25": lambda: _weights(path=0.25),
    "path-1.0": lambda: _weights(path=1.0),
    "proximity-0.05": lambda: _weights(proximity=0.05),
    "proximity-0.1": lambda: _weights(proximity=0.1),
    "seeds-3": lambda: _weights(proximity_seeds=3),
    "seeds-10": lambda: _weights(proximity_seeds=10),
    "proximity-0.3": lambda: _weights(proximity=0.3),
    "damping-0.4": lambda: _weights(chunk_damping=0.4),
    "top-5": lambda: _weights(chunk_top=5),
    "definition-0.4": lambda: _weights(definition=0.4),
    "stem-0.2": lambda: _weights(stem=0.2),
    "size-0.3": lambda: _weights(priors={"size": 0.3}),
    "test-0.3": lambda: _weights(priors={"test": 0.3}),
}


def main() -> int:
    """Run every case under every variant; print the table; write the errors file."""
    args = _parse_args()
    names = args.variants.split(",")
    variants = {name: VARIANTS[name]() for name in names}
    cases = _load_cases(args.repos, args.limit)
    settings = Settings()
    rows: list[dict[str, Any]] = []
    for repo in dict.fromkeys(case["repo"] for case in cases):
        tree = _worktree(args.mirrors, args.work, repo)
        env_settings = dataclasses.replace(settings, cache_dir=args.work / "index-cache")
        for case in (c for c in cases if c["repo"] == repo):
            _checkout(tree, case["parent"])
            results = use_index(
                tree,
                env_settings,
                lambda store, case=case: {
                    name: search(store, case["query"], args.depth, weights=weights)
                    for name, weights in variants.items()
                },
            )
            for name, result in results.items():
                rows.append(_row(case, name, result))
        print(f"{repo}: {sum(1 for c in cases if c['repo'] == repo)} cases", file=sys.stderr)
    _print_table(rows, names)
    if args.errors:
        args.errors.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return 0


def _parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of bare mirrors")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--variants", default="default", help=", ".join(VARIANTS))
    parser.add_argument("--repos", default="", help="comma-separated case repos (default: all)")
    parser.add_argument("--limit", type=int, default=0, help="cases per repo (0: all)")
    parser.add_argument("--depth", type=int, default=20, help="files ranked per query")
    parser.add_argument("--errors", type=Path, help="write per-case ranks and rivals as JSONL")
    return parser.parse_args()


def _load_cases(repos: str, limit: int) -> list[dict[str, Any]]:
    """Return the cases of both halves, each tagged with its half."""
    keep = set(repos.split(",")) if repos else None
    cases: list[dict[str, Any]] = []
    for half, path in HALVES.items():
        seen: dict[str, int] = {}
        for line in path.read_text().splitlines():
            case = json.loads(line)
            if keep is not None and case["repo"] not in keep:
                continue
            seen[case["repo"]] = seen.get(case["repo"], 0) + 1
            if not limit or seen[case["repo"]] <= limit:
                cases.append(dict(case, half=half))
    return cases


def _worktree(mirrors: Path, work: Path, name: str) -> Path:
    """Return a reusable clone of the mirror whose folder ends in +NAME."""
    tree = work / name
    if not tree.exists():
        (bare,) = [p / "repo" for p in mirrors.iterdir() if p.name.endswith("+" + name)]
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(bare), str(tree)], check=True)
    return tree


def _checkout(tree: Path, sha: str) -> None:
    """Check a commit out, dropping anything left over."""
    subprocess.run(["git", "checkout", "-q", "-f", sha], cwd=tree, check=True)
    subprocess.run(["git", "clean", "-q", "-f", "-d", "-e", ".assistant"], cwd=tree, check=True)


def _row(case: dict[str, Any], variant: str, result: Any) -> dict[str, Any]:
    """Return one case's outcome under one variant: gold ranks and what ranked above them."""
    ranked = [hit.path for hit in result.files]
    ranks = [ranked.index(g) + 1 if g in ranked else None for g in case["gold"]]
    worst = max((r for r in ranks if r), default=len(ranked) + 1)
    above = [
        {"path": hit.path, "kind": file_kind(hit.path), "score": round(hit.score, 4)}
        | {"reasons": list(hit.reasons)}
        for hit in result.files[: min(worst, 10)]
        if hit.path not in case["gold"]
    ]
    gold = [
        {"path": hit.path, "score": round(hit.score, 4), "reasons": list(hit.reasons)}
        for hit in result.files
        if hit.path in case["gold"]
    ]
    return {
        "half": case["half"],
        "repo": case["repo"],
        "sha": case["sha"],
        "variant": variant,
        "query": case["query"][:300],
        "gold": case["gold"],
        "ranks": ranks,
        "names_file": case["names_file"],
        "above": above,
        "gold_hits": gold,
    }


def _score(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Return recall@1/5/10 and MRR over rows (the shared evaluator's definitions)."""

    def recall(k: int) -> float:
        return sum(sum(1 for r in x["ranks"] if r and r <= k) / len(x["ranks"]) for x in rows)

    n = len(rows) or 1
    mrr = sum(1 / min((r for r in x["ranks"] if r), default=float("inf")) for x in rows)
    return {"r@1": recall(1) / n, "r@5": recall(5) / n, "r@10": recall(10) / n, "mrr": mrr / n}


def _print_table(rows: list[dict[str, Any]], variants: list[str]) -> None:
    """Print r@1/5/10 and MRR per half (and per repository) for every variant."""
    repos = list(dict.fromkeys((row["half"], row["repo"]) for row in rows))
    groups = [(f"{h}:{r}", lambda x, h=h, r=r: x["half"] == h and x["repo"] == r) for h, r in repos]
    groups += [(f"ALL {h}", lambda x, h=h: x["half"] == h) for h in HALVES]
    print(f"{'group':22} " + " ".join(f"{v[:14]:>14}" for v in variants) + "   (r@5 / mrr)")
    for label, keep in groups:
        cells = []
        for variant in variants:
            chosen = [x for x in rows if x["variant"] == variant and keep(x)]
            if not chosen:
                cells.append(f"{'-':>14}")
                continue
            s = _score(chosen)
            cells.append(f"{s['r@5']:6.3f}/{s['mrr']:6.3f}  ")
        print(f"{label[:22]:22} " + " ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
