"""The `assistant` command line: one module per subcommand, each a few lines over the core."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from assistant import __version__
from assistant.errors import AssistantError

# Each module here defines `register(subparsers)`, which adds its subcommand and sets
# `func(args) -> int` as the parser default. Heavy imports stay inside `func`.
COMMAND_MODULES: tuple[str, ...] = (
    "assistant.cli.config_cmd",
    "assistant.cli.doctor_cmd",
    "assistant.cli.serve_script_cmd",
    "assistant.cli.ask_cmd",
    "assistant.cli.run_cmd",
    "assistant.cli.review_cmd",
    "assistant.cli.refactor_cmd",
    "assistant.cli.index_cmd",
    "assistant.cli.chat_cmd",
    "assistant.cli.lsp_cmd",
    "assistant.cli.search_cmd",
    "assistant.cli.map_cmd",
    "assistant.cli.trust_cmd",
    "assistant.cli.undo_cmd",
    "assistant.cli.mcp_cmd",
    "assistant.cli.wiki_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A repository-aware coding assistant for Qwen3-Coder.",
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None and sys.stdin.isatty() and sys.stdout.isatty():
        args = parser.parse_args(["chat"])  # bare `assistant` in a terminal opens the chat
        func = args.func
    if func is None:
        parser.print_help()
        return 0
    try:
        return int(func(args) or 0)
    except AssistantError as error:
        print(f"error: {error.one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
