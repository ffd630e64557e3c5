"""`assistant serve-script FILE`: serve a scripted OpenAI-compatible endpoint until interrupted."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `serve-script` subcommand."""
    parser = subparsers.add_parser(
        "serve-script",
        help="serve a scripted OpenAI-compatible endpoint (for tests and replays)",
        description="Serve FILE (JSON or YAML turns) on loopback; prints the base URL first.",
    )
    parser.add_argument("file", type=Path, help="the script, JSON or YAML")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the script until Ctrl+C."""
    from assistant.testing import ScriptedServer, load_script

    server = ScriptedServer(load_script(args.file), host=args.host, port=args.port).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
