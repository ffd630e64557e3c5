"""`assistant trust [PATH]`: let a repository's own config set every setting and its own MCP
server lists (.mcp.json, .assistant/mcp.toml) start servers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `trust` subcommand."""
    parser = subparsers.add_parser(
        "trust",
        help="trust a folder's project config and MCP server lists as they are now",
        description=(
            "A repository's .assistant/config.toml may only set harmless keys, and its MCP "
            "server lists (.mcp.json, .assistant/mcp.toml) start nothing, unless you trust the "
            "folder. Trust is recorded in your user config with the files' SHA-256: any change "
            "to one of them drops it until you run this again."
        ),
    )
    parser.add_argument("path", nargs="?", type=Path, default=None, help="folder (default: .)")
    parser.add_argument("--remove", action="store_true", help="stop trusting the folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Record (or remove) the trust, and show what the project config sets."""
    from assistant.config import user_config_path
    from assistant.config.trust import trust_folder, untrust_folder
    from assistant.errors import ConfigError
    from assistant.security.terminal import without_controls
    from assistant.workspace import find_root

    root = Path(args.path).resolve() if args.path else find_root(Path.cwd())
    user_config = user_config_path()
    if args.remove:
        removed = untrust_folder(user_config, root)
        _say(args, {"folder": str(root), "trusted": False, "was_trusted": removed},
             f"{root}: {'no longer trusted' if removed else 'was not trusted'}")  # fmt: skip
        return 0
    files = [path for path in _project_files(root) if path.is_file()]
    if not files:
        names = ", ".join(str(path.relative_to(root)) for path in _project_files(root))
        raise ConfigError(f"{root} has none of {names}", hint="nothing to trust")
    digest = trust_folder(user_config, root)
    shown = "\n".join(
        f"--- {path.relative_to(root)} ---\n{without_controls(path.read_text('utf-8', 'replace'))}"
        for path in files
    )
    message = (
        f"trusted {root} with these files as they are now "
        f"(sha256 {digest[:12]}…, recorded in {user_config}):\n{shown}"
    )
    data: dict[str, object] = {
        "folder": str(root),
        "trusted": True,
        "config_sha256": digest,
        "files": [str(path.relative_to(root)) for path in files],
    }
    _say(args, data, message)
    return 0


def _project_files(root: Path) -> list[Path]:
    """Return the files trust covers: the project config, the MCP server lists, the custom
    commands."""
    from assistant.config.trust import PROJECT_COMMANDS, PROJECT_MCP_FILES, project_config_path

    commands = sorted((root / PROJECT_COMMANDS).rglob("*.md"))
    return [project_config_path(root), *(root / name for name in PROJECT_MCP_FILES), *commands]


def _say(args: argparse.Namespace, data: dict[str, object], text: str) -> None:
    print(json.dumps(data) if args.json else text)
