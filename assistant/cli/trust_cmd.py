"""`assistant trust [PATH]`: let a repository's own .assistant/config.toml set every setting."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `trust` subcommand."""
    parser = subparsers.add_parser(
        "trust",
        help="trust a folder's project config (.assistant/config.toml) as it is now",
        description=(
            "A repository's .assistant/config.toml may only set harmless keys unless you trust "
            "the folder. Trust is recorded in your user config with the file's SHA-256: any "
            "change to the file drops it until you run this again."
        ),
    )
    parser.add_argument("path", nargs="?", type=Path, default=None, help="folder (default: .)")
    parser.add_argument("--remove", action="store_true", help="stop trusting the folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Record (or remove) the trust, and show what the project config sets."""
    from assistant.config import user_config_path
    from assistant.config.trust import project_config_path, trust_folder, untrust_folder
    from assistant.errors import ConfigError
    from assistant.workspace import find_root

    root = Path(args.path).resolve() if args.path else find_root(Path.cwd())
    user_config = user_config_path()
    if args.remove:
        removed = untrust_folder(user_config, root)
        _say(args, {"folder": str(root), "trusted": False, "was_trusted": removed},
             f"{root}: {'no longer trusted' if removed else 'was not trusted'}")  # fmt: skip
        return 0
    config = project_config_path(root)
    if not config.is_file():
        raise ConfigError(f"{root} has no {config.relative_to(root)}", hint="nothing to trust")
    digest = trust_folder(user_config, root)
    shown = config.read_text(encoding="utf-8", errors="replace")
    message = (
        f"trusted {root} with {config.relative_to(root)} as it is now "
        f"(sha256 {digest[:12]}…, recorded in {user_config}):\n{shown}"
    )
    _say(args, {"folder": str(root), "trusted": True, "config_sha256": digest}, message)
    return 0


def _say(args: argparse.Namespace, data: dict[str, object], text: str) -> None:
    print(json.dumps(data) if args.json else text)
