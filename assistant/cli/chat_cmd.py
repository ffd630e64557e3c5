"""`assistant chat` (also bare `assistant`): open the terminal chat app in a repository."""

from __future__ import annotations

import argparse

from assistant.agent.permissions import MODES
from assistant.cli.common import add_model_flags, add_repo_flag, repo_root, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `chat` subcommand."""
    parser = subparsers.add_parser(
        "chat",
        help="chat with the agent in the terminal (the default command)",
        description="Open the chat app: ask about the code, review and approve edits, undo.",
    )
    parser.add_argument("--mode", choices=MODES, help="permission mode (default from settings)")
    parser.add_argument("--resume", action="store_true", help="continue the last conversation")
    parser.add_argument(
        "--no-index", action="store_true", help="do not index the repository on start-up"
    )
    parser.add_argument("--light", action="store_true", help="start with the light theme")
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chat app until the user quits."""
    from tui.app import ChatApp
    from tui.engine import ChatEngine

    root = repo_root(args)
    settings = settings_from_args(args, root)
    engine = ChatEngine(root, settings, mode=getattr(args, "mode", None))
    if getattr(args, "resume", False):
        engine.conversation.resume()
    theme = "textual-light" if getattr(args, "light", False) else "textual-dark"
    ChatApp(engine, theme=theme, index=not getattr(args, "no_index", False)).run()
    return 0
