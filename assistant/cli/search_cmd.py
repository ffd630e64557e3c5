"""`assistant search`: ranked files and chunks for a query, from the code index (no model)."""

from __future__ import annotations

import argparse
import json
import sys

from assistant.cli.common import add_repo_flag, print_notice, repo_root, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `search` subcommand."""
    parser = subparsers.add_parser(
        "search",
        help="search the code index",
        description="Rank the repository's files and code chunks for a query. The index is "
        "brought up to date first (incrementally). With embeddings_model set, closeness in "
        "meaning counts too (README: Semantic search).",
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
    from assistant.context import render_paths, render_search, search, search_result_to_dict
    from assistant.index import use_index

    query = sys.stdin.read() if args.query == "-" else args.query
    root = repo_root(args)
    settings = settings_from_args(args, root)
    limit = max(args.limit, 1)
    semantic = None
    if settings.embeddings_model:  # the client's import costs about a second: only when asked
        from assistant.llm.embeddings import semantic_signal

        semantic = semantic_signal(settings, root, print_notice)
    result = use_index(
        root,
        settings,
        lambda store: search(store, query, limit, semantic=semantic),
        notice=print_notice,
    )
    if args.files:
        sys.stdout.write(render_paths(result))
    elif args.json:
        print(json.dumps(search_result_to_dict(result), indent=1))
    elif result.files:
        print("\n".join(render_search(result)))
    else:
        print("nothing found", file=sys.stderr)
    return 0
