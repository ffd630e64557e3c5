"""`assistant lsp`: the language server for editors, on stdio (default) or TCP."""

from __future__ import annotations

import argparse

from assistant.cli.common import add_model_flags, add_repo_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `lsp` subcommand."""
    parser = subparsers.add_parser(
        "lsp",
        help="run the language server (completions and code actions in your editor)",
        description="Speak the Language Server Protocol on stdio, or on TCP with --tcp PORT. "
        "The repository is the editor's workspace folder (or --repo, or the current directory).",
    )
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    parser.add_argument("--tcp", type=int, metavar="PORT", help="listen on TCP port PORT instead")
    parser.add_argument("--host", default="127.0.0.1", help="address for --tcp (127.0.0.1)")
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until the editor disconnects."""
    from lsp.server import create_server

    overrides = {
        key: value
        for key in ("profile", "model", "base_url", "api_key")
        if (value := getattr(args, key, None))
    }
    root = args.repo.resolve() if args.repo else None
    server = create_server(root, overrides)
    if args.tcp is not None:
        server.start_tcp(args.host, args.tcp)
    else:
        server.start_io()
    return 0
