"""`assistant mcp list|serve`: the MCP servers the agent uses, and this repository's context
engine served to other agents over MCP."""

from __future__ import annotations

import argparse

from assistant.cli.common import add_repo_flag, repo_root, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `mcp` subcommand and its `list` and `serve` subcommands."""
    parser = subparsers.add_parser("mcp", help="MCP servers: list the ones in use, or serve ours")
    actions = parser.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the configured MCP servers, their state and tools")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    add_repo_flag(listing)
    listing.set_defaults(func=run_list)
    serve = actions.add_parser(
        "serve", help="serve this repository's context engine over MCP (stdio by default)"
    )
    serve.add_argument(
        "--http", type=int, metavar="PORT", help="streamable HTTP on 127.0.0.1:PORT instead"
    )
    add_repo_flag(serve)
    serve.set_defaults(func=run_serve)


def run_list(args: argparse.Namespace) -> int:
    """Start each configured server, list its tools, print the table (or JSON)."""
    from assistant.mcp.listing import list_servers

    root = repo_root(args)
    return list_servers(root, settings_from_args(args, root), as_json=args.json)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP)."""
    from assistant.mcp.server import serve

    root = repo_root(args)
    serve(root, settings_from_args(args, root), http_port=args.http)
    return 0
