"""`assistant index`: build or update the code index, and its embeddings when semantic search
is configured; a summary, or JSON for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.cli.common import add_repo_flag, print_notice, repo_root, settings_from_args

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from assistant.config import Settings
    from assistant.index import IndexStats, IndexStore
    from assistant.index.embedding import EmbedStats


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `index` subcommand."""
    parser = subparsers.add_parser("index", help="build or update the code index")
    parser.add_argument("--stats", action="store_true", help="also list skipped files and why")
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    parser.add_argument("--rebuild", action="store_true", help="start from an empty index")
    transfer = parser.add_mutually_exclusive_group()
    transfer.add_argument(
        "--export", metavar="FILE", help="write the index (brought up to date) to one file"
    )
    transfer.add_argument(
        "--import",
        dest="import_from",
        metavar="FILE_OR_URL",
        help="start from an exported index (a path or an http(s) URL), then update it",
    )
    add_repo_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Update the index with a progress bar on a TTY, then report."""
    from assistant.index import open_index

    root = repo_root(args)
    settings = settings_from_args(args, root)
    transfer: dict[str, object] = {}
    bar = IndexProgress(sys.stderr.isatty() and not args.json)
    with bar as progress:
        if args.import_from:
            transfer["import"] = _import(root, settings, args.import_from, progress)
        store = open_index(
            root, settings, progress=progress, rebuild=args.rebuild, notice=print_notice
        )
        try:
            embedded = _embed(store, root, settings, progress, bar)
            _prepare_context(store)
        except BaseException:  # Ctrl+C: the batches done are kept, the next run goes on
            store.close()
            raise
    stats = store.last_stats
    try:
        if args.export:
            transfer["export"] = _export(store, root, Path(args.export))
    finally:
        store.close()
    assert stats is not None  # open_index with an update always leaves its figures
    if embedded is not None:
        transfer["embeddings"] = embedded.to_json()
    if args.json:
        data = {"repo": str(root), "db": str(store.db_path), **stats.to_json(), **transfer}
        print(json.dumps(data, indent=2))
        return 0
    for line in _transfer_lines(transfer):
        print(line)
    print(_summary(stats))
    if embedded is not None:
        print(_embedded_line(embedded, settings.embeddings_model))
    if args.stats:
        for reason, paths in sorted(stats.skipped.items()):
            print(f"skipped ({reason}): {len(paths)}")
            for path in sorted(paths):
                print(f"  {path}")
    return 0


def _import(
    root: Path, settings: Settings, source: str, progress: Callable[[int, int], None] | None
) -> dict[str, object]:
    """Start the index from `source`; on refusal say why (the update builds it instead)."""
    from assistant.index import db_path_for
    from assistant.index.transfer import ImportRefused, import_index

    try:
        done = import_index(
            root, db_path_for(root, settings), source, settings.max_file_bytes, progress
        )
    except ImportRefused as error:
        print_notice(f"import refused: {error.one_line()}; building the index from the files")
        return {"imported": False, "error": error.one_line()}
    return {
        "imported": True,
        "files": done.files,
        "dropped": done.dropped,
        "commit": done.commit,
        "reparsed": done.stats.parsed,
        "removed": done.stats.removed,
    }


def _prepare_context(store: IndexStore) -> None:
    """After files changed, bring the search fields up to date and save them, and build the
    repo map's graph and symbol table when they could not be brought forward, so the next
    process's first search and first map load them instead of building them (~1 s and ~5 s at
    100,000 files). A failure here loses nothing: the index is written, and a map builds them."""
    stats = store.last_stats
    if stats is not None and (stats.parsed or stats.removed):
        from assistant.context.repomap import prepare_map
        from assistant.context.retrieve import search_fields

        try:
            search_fields(store)
            prepare_map(store)
        except Exception as error:  # (a bug, or memory): said, and the index run still done
            print_notice(f"could not prepare search and the repo map ahead: {error}")


def _embed(
    store: IndexStore,
    root: Path,
    settings: Settings,
    progress: Callable[[int, int], None] | None,
    bar: IndexProgress,
) -> EmbedStats | None:
    """Embed the chunks with no vector yet, when semantic search is configured; a failing
    endpoint is one notice (the next run carries on)."""
    if not settings.embeddings_model:
        return None
    from assistant.llm.embeddings import update_embeddings

    bar.phase("embedding")
    stats = update_embeddings(store, settings, root, progress=progress)
    if stats is not None and stats.error:
        print_notice(
            f"embedding stopped, {stats.pending} chunks left for the next run: {stats.error}"
        )
    return stats


def _embedded_line(stats: EmbedStats, model: str) -> str:
    """Return the one-line account of an embeddings pass."""
    failed = f", {stats.failed} failed, {stats.pending} left" if stats.error else ""
    return (
        f"embeddings ({model}): {stats.embedded} embedded, {stats.reused} reused"
        f"{failed}, {stats.seconds:.2f}s"
    )


def _export(store: IndexStore, root: Path, dest: Path) -> dict[str, object]:
    from assistant.index.transfer import export_index

    done = export_index(store, root, dest)
    return {"path": str(done.path), "files": done.files, "bytes": done.bytes, "commit": done.commit}


def _transfer_lines(transfer: dict[str, object]) -> list[str]:
    """Return a line for an import or export, for people."""
    lines = []
    imported = transfer.get("import")
    if isinstance(imported, dict) and imported.get("imported"):
        lines.append(
            f"imported {imported['files']} files (commit {str(imported['commit'])[:12]}), "
            f"{imported['dropped']} dropped; since then {imported['reparsed']} re-parsed, "
            f"{imported['removed']} removed"
        )
    exported = transfer.get("export")
    if isinstance(exported, dict):
        size = int(str(exported["bytes"])) / 1e6
        lines.append(f"exported {exported['files']} files to {exported['path']} ({size:.1f} MB)")
    return lines


def _summary(stats: IndexStats) -> str:
    """Return the one-line account of an update."""
    skipped = sum(len(paths) for paths in stats.skipped.values())
    return (
        f"{stats.files} files ({stats.parsed} parsed, {stats.unchanged} unchanged, "
        f"{stats.removed} removed), {stats.symbols} symbols, {skipped} skipped, "
        f"{stats.seconds:.2f}s"
    )


class IndexProgress:
    """A rich progress bar for the parse phase (then embedding) on a terminal; else nothing."""

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

    def phase(self, description: str) -> None:
        """Start counting another phase (embedding after parsing) from zero."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=description, completed=0, total=None)

    def update(self, done: int, total: int) -> None:
        """Show `done` of `total` files parsed (or chunks embedded)."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
