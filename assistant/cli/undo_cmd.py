"""`assistant undo`: undo the agent's changes of its last turn in this repository."""

from __future__ import annotations

import argparse
import json

from assistant.cli.common import add_repo_flag, repo_root, settings_from_args

EXIT_DONE, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `undo` subcommand."""
    parser = subparsers.add_parser(
        "undo",
        help="undo the agent's changes of its last turn",
        description=(
            "Restore the files the agent changed in its last turn (`assistant run` or the chat) "
            "as they were before it, and remove the files it created. A file changed since the "
            "agent wrote it is a conflict: nothing is restored (exit 2); undo in the chat, "
            "which shows the three versions, or restore it by hand. Files that changed while "
            "the agent's commands ran are restored only with --commands."
        ),
    )
    parser.add_argument(
        "--commands",
        action="store_true",
        help="also restore the files that changed while the agent's commands ran",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Undo, or say why not."""
    from assistant.config.paths import cache_root
    from assistant.edits.undo import UndoJournal, UndoRefused

    root = repo_root(args)
    journal = UndoJournal(root, cache_root(settings_from_args(args, root)))
    try:
        result = journal.undo(commands=True if args.commands else None)
    except UndoRefused as error:
        if args.json:
            print(json.dumps({"undone": False, "reason": error.one_line(),
                              **journal.plan().to_json()}))  # fmt: skip
        else:
            print(f"error: {error.one_line()}")
        return EXIT_REFUSED
    print(json.dumps({"undone": True, **result.to_json()}) if args.json else result.to_text())
    return EXIT_DONE
