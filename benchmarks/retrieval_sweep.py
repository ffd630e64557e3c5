"""Retrieval error analysis and weight sweeps, in one process, over both halves of the dev set.

Where `retrieval_quality.py` runs the exact CLI once per case (the figures to report), this
script keeps one index per repository open, checks each case's parent commit out, brings the
index up to date and ranks the query under several search-weight variants at once, so a change
to the ranking is judged on both halves in one pass. It prints recall@1/5/10 and MRR per half
and variant, and with `--errors FILE` writes, per case and variant, the gold files' ranks and
what ranked above them (path, kind, lines, reasons): the raw material of an error analysis.

    .venv/bin/python benchmarks/retrieval_sweep.py --mirrors /work/.mirror [--work DIR]
        [--variants default,no-proximity] [--repos a,b] [--limit N] [--errors FILE]
        [--embeddings [--embeddings-url URL]]

Variants are named in VARIANTS below (search weights differing from the defaults). With
`--embeddings` every chunk is embedded after each checkout (only new texts: vectors are kept
per text) by benchmarks/embedding_server.py (or the endpoint at `--embeddings-url`), and the
variants named "semantic-*" search with the embedding signal; the others never do.
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
    "semantic-0.1": lambda: _weights(semantic=0.1),
    "semantic-0.2": lambda: _weights(semantic=0.2),
    "semantic-0.3": lambda: _weights(semantic=0.3),
    "semantic-0.5": lambda: _weights(semantic=0.5),
    "semantic-1.0": lambda: _weights(semantic=1.0),
}


def main() -> int:
    """Run every case under every variant; print the table; write the errors file."""
    args = _parse_args()
    names = args.variants.split(",")
    variants = {name: VARIANTS[name]() for name in names}
    cases = _load_cases(args.repos, args.limit)
    settings = Settings(cache_dir=args.work / "index-cache")
    server = None
    if args.embeddings and not args.embeddings_url:
        from embedding_server import start_embedding_server

        cache = args.work / "embeddings.sqlite"
        server, args.embeddings_url = start_embedding_server(cache=cache, max_tokens=128)
    if args.embeddings_url:
        settings = dataclasses.replace(
            settings,
            embeddings_model=args.embeddings_model,
            embeddings_base_url=args.embeddings_url,
        )
    rows: list[dict[str, Any]] = []
    try:
        for repo in dict.fromkeys(case["repo"] for case in cases):
            tree = _worktree(args.mirrors, args.work, repo)
            for case in (c for c in cases if c["repo"] == repo):
                _checkout(tree, case["parent"])
                results = use_index(
                    tree,
                    settings,
                    lambda store, case=case: _rank(store, case, variants, args, settings),
                )
                rows.extend(_row(case, name, result) for name, result in results.items())
            print(f"{repo}: {sum(1 for c in cases if c['repo'] == repo)} cases", file=sys.stderr)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    _print_table(rows, names)
    if args.errors:
        args.errors.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return 0


def _rank(
    store: Any,
    case: dict[str, Any],
    variants: dict[str, SearchWeights],
    args: argparse.Namespace,
    settings: Settings,
) -> dict[str, Any]:
    """Rank one case's query under every variant (embedding the index first when asked)."""
    semantic = None
    if args.embeddings_url:
        from assistant.llm.embeddings import semantic_signal, update_embeddings

        stats = update_embeddings(store, settings, None)
        if stats is not None and stats.error:
            print(f"  embeddings: {stats.error}", file=sys.stderr)
        semantic = semantic_signal(settings)
    return {
        name: search(
            store,
            case["query"],
            args.depth,
            weights=weights,
            semantic=semantic if name.startswith("semantic") else None,
        )
        for name, weights in variants.items()
    }


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
    parser.add_argument("--embeddings", action="store_true", help="start the MiniLM server")
    parser.add_argument("--embeddings-url", help="an OpenAI-compatible /v1 endpoint instead")
    parser.add_argument("--embeddings-model", default="all-MiniLM-L6-v2")
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
