"""`assistant map`: the ranked repo map within a token budget, from the code index (no model)."""

from __future__ import annotations

import argparse
import sys

from assistant.cli.common import add_repo_flag, print_notice, repo_root, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `map` subcommand."""
    parser = subparsers.add_parser(
        "map",
        help="print the ranked repo map",
        description="Print the repository's most important files and symbol signatures, ranked "
        "by the reference graph, within a token budget.",
    )
    parser.add_argument("--tokens", type=int, default=2_048, help="token budget (default 2048)")
    parser.add_argument(
        "--focus", nargs="+", default=[], metavar="PATH", help="files to rank the map around"
    )
    parser.add_argument(
        "--mention", nargs="+", default=[], metavar="NAME", help="identifiers to rank toward"
    )
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Update the index and print the map."""
    from assistant.context import repo_map
    from assistant.index import use_index
    from assistant.workspace import relative_posix, resolve_repo_path

    root = repo_root(args)
    focus = [relative_posix(root, resolve_repo_path(root, path)) for path in args.focus]
    tokens = max(args.tokens, 0)
    text = use_index(
        root,
        settings_from_args(args, root),
        lambda store: repo_map(store, tokens, focus=focus, mentioned=args.mention),
        notice=print_notice,
    )
    if not text:
        print("the map is empty: nothing indexed fits the budget", file=sys.stderr)
    sys.stdout.write(text)
    return 0
