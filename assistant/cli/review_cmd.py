"""`assistant review [RANGE] [--json]`: the model reviews a change, read only; findings by file."""

from __future__ import annotations

import argparse
import json
import sys

from assistant.cli.common import (
    add_model_flags,
    add_repo_flag,
    print_notice,
    repo_root,
    settings_from_args,
)

EXIT_CLEAN, EXIT_ERRORS, EXIT_PROBLEM = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `review` subcommand."""
    parser = subparsers.add_parser(
        "review",
        help="review the uncommitted changes or a commit range with the model (read only)",
        description="Review the uncommitted changes (or RANGE: A..B, A...B, one commit) with the "
        "model, which only reads. Exit 0 with no error findings, 1 with some, 2 on a problem.",
    )
    parser.add_argument("range", nargs="?", help="commits to review (default: uncommitted)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Collect the diff, review it with the model, print the findings; return the exit code."""
    import asyncio  # here, not at start-up: other commands have no use for it

    from assistant.agent.review import Review, collect_target, format_text, run_review, to_json
    from assistant.errors import AssistantError
    from assistant.llm.connect import connect_model

    root = repo_root(args)
    try:
        settings = settings_from_args(args, root)
        target = collect_target(root, settings, args.range)
    except AssistantError as error:
        print(f"error: {error.one_line()}", file=sys.stderr)
        return EXIT_PROBLEM
    for name in target.secrets:
        print_notice(f"a secrets file changed; not shown to the model: {name}")
    if target.empty:
        print(json.dumps(to_json(Review(target))) if args.json else "nothing to review")
        return EXIT_CLEAN

    async def progress(text: str) -> None:
        print(f"  {text}", file=sys.stderr, flush=True)

    async def review() -> Review:
        async with connect_model(settings, notice=print_notice) as client:
            return await run_review(target.root, settings, client, target, progress)

    print(f"reviewing {len(target.files)} file(s)…", file=sys.stderr, flush=True)
    try:
        result = asyncio.run(review())
    except AssistantError as error:
        print(f"error: {error.one_line()}", file=sys.stderr)
        return EXIT_PROBLEM
    print(json.dumps(to_json(result)) if args.json else format_text(result))
    if result.reason != "completed":
        return EXIT_PROBLEM
    return EXIT_ERRORS if result.has_errors else EXIT_CLEAN
