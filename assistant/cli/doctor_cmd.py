"""`assistant doctor`: check the configured model endpoint and print a pass/fail table."""

from __future__ import annotations

import argparse

from assistant.cli.common import add_model_flags, add_repo_flag, repo_root, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `doctor` subcommand."""
    parser = subparsers.add_parser(
        "doctor", help="check the model endpoint: reachable, model, tool calls, FIM"
    )
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks; exit 0 only when every one passes."""
    from rich.console import Console
    from rich.table import Table

    from assistant.llm.connect import connect_model
    from assistant.llm.doctor import run_checks

    settings = settings_from_args(args, repo_root(args))
    console = Console()

    async def check() -> list:
        async with connect_model(settings, notice=lambda text: console.print(text)) as client:
            return await run_checks(client)

    import asyncio  # here, not at start-up: `assistant index` has no use for it

    checks = asyncio.run(check())
    table = Table("check", "result", "detail", title=f"model endpoint ({settings.profile})")
    for item in checks:
        mark = "[green]pass[/green]" if item.passed else "[red]FAIL[/red]"
        table.add_row(item.name, mark, item.detail)
    console.print(table)
    return 0 if all(c.passed for c in checks) else 1
