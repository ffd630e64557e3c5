"""Flags and helpers that several subcommands share: choosing the model and the repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.config import Settings, load_settings


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """Add --profile, --model, --base-url and --api-key to a subcommand."""
    group = parser.add_argument_group("model endpoint")
    group.add_argument("--profile", help="model profile (see `assistant config --profiles`)")
    group.add_argument("--model", help="model name to use for chat")
    group.add_argument("--base-url", dest="base_url", help="OpenAI-compatible base URL")
    group.add_argument("--api-key", dest="api_key", help="API key for the endpoint")


def add_repo_flag(parser: argparse.ArgumentParser) -> None:
    """Add --repo (the repository to work on; default: the current directory)."""
    parser.add_argument(
        "--repo", type=Path, default=None, help="repository root (default: current directory)"
    )


def repo_root(args: argparse.Namespace) -> Path:
    """Return the repository the command works on: --repo as given, else the enclosing git
    work tree of the current directory (or the directory itself when it has none)."""
    from assistant.workspace import find_root

    given = getattr(args, "repo", None)
    return Path(given).resolve() if given else find_root(Path.cwd())


def settings_from_args(args: argparse.Namespace, root: Path | None = None) -> Settings:
    """Return the effective settings, with this command's flags as the top layer."""
    overrides = {
        key: getattr(args, key, None) for key in ("profile", "model", "base_url", "api_key")
    }
    settings = load_settings(root, overrides=overrides)
    for notice in settings.notices:
        print_notice(notice)
    return settings


def print_notice(text: str) -> None:
    """Print one line the user should know about on stderr (stdout stays the command's)."""
    print(f"note: {text}", file=sys.stderr)
