"""`assistant run "TASK"`: run the agent headless; events on stdout, JSON lines with --json."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from assistant.cli.common import (
    add_model_flags,
    add_repo_flag,
    print_notice,
    repo_root,
    settings_from_args,
)

EXIT_DONE, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="run one task headless with the agent",
        description="Run TASK with the agent. Exit 0 done, 1 failed, 2 refused or turn limit.",
    )
    parser.add_argument("task", help="what the agent should do")
    parser.add_argument(
        "--mode",
        choices=("ask", "auto-edit", "yolo", "plan"),
        help="permission mode (headless never asks; plan: read only, the answer is the plan)",
    )
    parser.add_argument("--yes", action="store_true", help="allow edits without asking (auto-edit)")
    parser.add_argument("--json", action="store_true", help="print events as JSON lines")
    parser.add_argument("--max-turns", type=int, default=30, help="model turns at most (30)")
    parser.add_argument("--resume", action="store_true", help="continue the last session")
    parser.add_argument(
        "--commit", action="store_true", help="commit the edited files with a model-written message"
    )
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the task and print its events and final diff."""
    from assistant.agent.runner import RunOptions, run_headless
    from assistant.cli.event_printers import JsonPrinter, TextPrinter
    from assistant.llm.pricing import format_cost

    root = repo_root(args)
    settings = settings_from_args(args, root)
    mode = args.mode or ("auto-edit" if args.yes else settings.permission_mode)
    options = RunOptions(
        mode=mode, max_turns=args.max_turns, resume=args.resume, commit=args.commit
    )
    printer = JsonPrinter() if args.json else TextPrinter()
    import asyncio  # here, not at start-up: `assistant index` has no use for it

    outcome = asyncio.run(
        run_headless(root, settings, args.task, options, printer, notice=print_notice)
    )
    if args.json:
        print(json.dumps({"event": "Outcome", **asdict(outcome)}))
    elif outcome.diff:
        print("\n" + outcome.diff)
    if outcome.commit:
        print(f"committed {outcome.commit[:10]}", file=sys.stderr)
    if not args.json:
        print(f"cost: {format_cost(outcome.cost, outcome.currency)}", file=sys.stderr)
    if outcome.reason == "completed":
        return EXIT_REFUSED if outcome.refused else EXIT_DONE
    return EXIT_REFUSED if outcome.reason in ("turn_limit", "budget") else EXIT_FAILED
