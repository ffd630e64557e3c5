"""`assistant refactor "INSTRUCTION"`: one instruction over many files, verified, on a branch."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.cli.common import add_model_flags, add_repo_flag, repo_root, settings_from_args

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from assistant.batch.run import Plan
    from assistant.batch.state import BatchState
    from assistant.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `refactor` subcommand."""
    parser = subparsers.add_parser(
        "refactor",
        help="apply one instruction across many files, in parallel, on a new branch",
        description="Each target gets its own agent run; verified changes land as one commit "
        "per target on a new branch. Your branch and work tree are not touched.",
    )
    parser.add_argument("instruction", nargs="?", help="what to change in every target")
    parser.add_argument("--files", nargs="+", default=[], metavar="GLOB", help="target globs")
    parser.add_argument("--files-from", type=Path, help="a file listing targets, one per line")
    parser.add_argument("--symbol", help="target every file that defines or uses this symbol")
    parser.add_argument("--jobs", type=int, default=4, help="targets in flight at once (4)")
    parser.add_argument("--branch", help="branch to create (default assistant/refactor-TIME)")
    parser.add_argument("--verify", help="command that must pass after each target")
    parser.add_argument("--max-turns", type=int, default=12, help="model turns per target (12)")
    parser.add_argument("--squash", action="store_true", help="one commit instead of one each")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.add_argument("--resume", action="store_true", help="continue the last batch")
    parser.add_argument("--json", action="store_true", help="print the plan or report as JSON")
    add_model_flags(parser)
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Plan, then run or resume the batch, then print the report."""
    from assistant.batch.report import render_json, render_markdown, write_reports
    from assistant.batch.run import BatchOptions, BatchRun, make_plan
    from assistant.config.paths import cache_root
    from assistant.llm.connect import connect_model

    root = repo_root(args)
    settings = settings_from_args(args, root)
    cache = cache_root(settings)
    state, instruction, targets = _begin(args, root, settings, cache)
    plan = make_plan(root, targets)
    if args.dry_run:
        return _print_plan(plan, instruction, args.json)
    options = BatchOptions(
        instruction=instruction, jobs=args.jobs, branch=args.branch,
        verify=args.verify or (state.verify if state is not None else None),
        max_turns=args.max_turns, squash=args.squash,
    )  # fmt: skip

    async def execute() -> BatchState:
        async with connect_model(
            settings, notice=lambda t: print(f"note: {t}", file=sys.stderr)
        ) as client:
            with ProgressDisplay(len(plan.targets)) as show:
                batch = BatchRun(root, settings, options, client, cache, progress=show)
                return await batch.run(state or batch.start(plan))

    import asyncio  # here, not at start-up: `assistant index` has no use for it

    try:
        final = asyncio.run(execute())
    except KeyboardInterrupt:
        print("interrupted: finished targets are kept; continue with --resume", file=sys.stderr)
        return 130
    markdown_path, json_path = write_reports(final)
    print(render_json(final) if args.json else render_markdown(final))
    print(f"reports: {markdown_path} and {json_path}", file=sys.stderr)
    return 1 if final.counts()["failed"] or final.counts()["pending"] else 0


def _begin(
    args: argparse.Namespace, root: Path, settings: Settings, cache: Path
) -> tuple[BatchState | None, str, list[str]]:
    """Return the batch to resume (None for a new one), its instruction and its targets."""
    from assistant.batch.state import BatchState, latest_state, state_path
    from assistant.batch.targets import select_targets
    from assistant.errors import ConfigError

    if args.resume:
        path = state_path(cache, root, args.branch) if args.branch else latest_state(cache, root)
        if path is None or not path.is_file():
            raise ConfigError("no batch to resume in this repository")
        state = BatchState.load(path)
        return state, state.instruction, list(state.targets)
    if not args.instruction:
        raise ConfigError("an instruction is needed (or --resume)")
    targets = select_targets(root, settings, args.files, args.files_from, args.symbol)
    return None, args.instruction, targets


def _print_plan(plan: Plan, instruction: str, as_json: bool) -> int:
    targets, tokens = plan.targets, plan.estimated_tokens
    if as_json:
        data = {"instruction": instruction, "targets": list(targets), "estimated_tokens": tokens}
        print(json.dumps(data, indent=2))
        return 0
    print(f"Plan: {instruction}")
    for target in targets:
        print(f"  {target}")
    print(f"{len(targets)} targets, about {tokens:,} tokens (estimate). Nothing was changed.")
    return 0


class ProgressDisplay:
    """A rich progress bar on a TTY (done/failed/in flight, tokens); silent otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: RichProgress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Callable[[BatchState], None]:
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}")
            )
            self.bar.start()
            self.task = self.bar.add_task("refactor", total=self.total, info="")
        return self.show

    def show(self, state: BatchState) -> None:
        """Show the batch's progress (nothing when not on a TTY)."""
        if self.bar is None or self.task is None:
            return
        counts = state.counts()
        finished = counts["done"] + counts["failed"] + counts["unchanged"]
        info = (f"{counts['done']} done, {counts['failed']} failed, {counts['running']} in flight, "
                f"{state.tokens():,} tokens")  # fmt: skip
        self.bar.update(self.task, completed=finished, info=info)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
