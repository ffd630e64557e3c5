"""`assistant index`: build or update the code index; a summary, or JSON for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.cli.common import add_repo_flag, print_notice, repo_root, settings_from_args

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from assistant.index import IndexStats


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `index` subcommand."""
    parser = subparsers.add_parser("index", help="build or update the code index")
    parser.add_argument("--stats", action="store_true", help="also list skipped files and why")
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    parser.add_argument("--rebuild", action="store_true", help="start from an empty index")
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Update the index with a progress bar on a TTY, then report."""
    from assistant.index import open_index

    root = repo_root(args)
    settings = settings_from_args(args, root)
    with IndexProgress(sys.stderr.isatty() and not args.json) as progress:
        store = open_index(
            root, settings, progress=progress, rebuild=args.rebuild, notice=print_notice
        )
    stats = store.last_stats
    store.close()
    assert stats is not None  # open_index with an update always leaves its figures
    if args.json:
        data = {"repo": str(root), "db": str(store.db_path), **stats.to_json()}
        print(json.dumps(data, indent=2))
        return 0
    print(_summary(stats))
    if args.stats:
        for reason, paths in sorted(stats.skipped.items()):
            print(f"skipped ({reason}): {len(paths)}")
            for path in sorted(paths):
                print(f"  {path}")
    return 0


def _summary(stats: IndexStats) -> str:
    """Return the one-line account of an update."""
    skipped = sum(len(paths) for paths in stats.skipped.values())
    return (
        f"{stats.files} files ({stats.parsed} parsed, {stats.unchanged} unchanged, "
        f"{stats.removed} removed), {stats.symbols} symbols, {skipped} skipped, "
        f"{stats.seconds:.2f}s"
    )


class IndexProgress:
    """A rich progress bar for the parse phase when on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        self.task = self.bar.add_task("indexing", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        """Show `done` of `total` files parsed."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
