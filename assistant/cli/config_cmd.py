"""`assistant config`: the effective settings, where each came from, keys masked."""

from __future__ import annotations

import argparse
import json

from assistant.cli.common import add_model_flags, add_repo_flag, repo_root


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `config` subcommand."""
    parser = subparsers.add_parser(
        "config", help="show the effective settings and where each came from"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--profiles", action="store_true", help="list the model profiles")
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the settings table (or the profiles)."""
    from rich.console import Console
    from rich.table import Table

    from assistant.config import SECRET_KEYS, explain_settings
    from assistant.config.profiles import PROFILES
    from assistant.security.secrets import mask_secret

    console = Console()
    if args.profiles:
        table = Table("profile", "model", "base URL", "about")
        for profile in PROFILES.values():
            values = profile.values({})
            table.add_row(
                profile.name,
                values.get("model", ""),
                values.get("base_url", ""),
                profile.description,
            )
        console.print(table)
        return 0
    overrides = {k: getattr(args, k) for k in ("profile", "model", "base_url", "api_key")}
    rows = explain_settings(repo_root(args), overrides=overrides)
    shown = [
        (r.key, mask_secret(r.value) if r.key in SECRET_KEYS else r.value, r.source) for r in rows
    ]
    if args.json:
        data = {key: {"value": _plain(value), "source": source} for key, value, source in shown}
        print(json.dumps(data, indent=2))
        return 0
    table = Table("setting", "value", "source")
    for key, value, source in shown:
        table.add_row(key, str(value), source)
    console.print(table)
    return 0


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)
