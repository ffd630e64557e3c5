"""`assistant search`: ranked files and chunks for a query, from the code index (no model)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from assistant.cli.common import add_repo_flag, repo_root, settings_from_args

if TYPE_CHECKING:
    from assistant.context import SearchResult


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `search` subcommand."""
    parser = subparsers.add_parser(
        "search",
        help="search the code index",
        description="Rank the repository's files and code chunks for a query. The index is "
        "brought up to date first (incrementally).",
    )
    parser.add_argument("query", help="words, identifiers or a description; '-' reads stdin")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--files", action="store_true", help="print repository-relative paths only, best first"
    )
    output.add_argument("--json", action="store_true", help="print ranked chunks and files as JSON")
    parser.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Update the index, search it, print the results."""
    from assistant.context import search, search_result_to_dict
    from assistant.index import use_index

    query = sys.stdin.read() if args.query == "-" else args.query
    root = repo_root(args)
    settings = settings_from_args(args, root)
    limit = max(args.limit, 1)
    result = use_index(root, settings, lambda store: search(store, query, limit), notice=_note)
    if args.files:
        sys.stdout.write("".join(f"{hit.path}\n" for hit in result.files))
    elif args.json:
        print(json.dumps(search_result_to_dict(result), indent=1))
    else:
        _print_human(result)
    return 0


def _print_human(result: SearchResult) -> None:
    """Print files with their reasons, then the best chunks with line ranges."""
    if not result.files:
        print("nothing found", file=sys.stderr)
        return
    for rank, hit in enumerate(result.files, 1):
        print(f"{rank:>3}. {hit.path}  ({hit.score:.3f})")
        for reason in hit.reasons:
            print(f"       - {reason}")
    if result.chunks:
        print("\nbest chunks:")
        for hit in result.chunks:
            chunk = hit.chunk
            label = f" {chunk.symbol}" if chunk.symbol else ""
            print(f"  {chunk.path}:{chunk.start_line}-{chunk.end_line}{label}  ({hit.score:.3f})")


def _note(text: str) -> None:
    """Print a notice from the index (rebuilt, moved) on stderr: stdout is for results."""
    print(f"note: {text}", file=sys.stderr)
