"""`assistant wiki build|update|serve|export`: the repo wiki, planned from the index, written by
the model, kept current, browsed on loopback or exported as a static site."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.cli.common import (
    add_model_flags,
    add_repo_flag,
    print_notice,
    repo_root,
    settings_from_args,
)

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.wiki.build import Prepared, WikiOptions
    from assistant.wiki.manifest import Manifest


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `wiki` subcommand and its own subcommands."""
    parser = subparsers.add_parser(
        "wiki",
        help="build, update, serve or export the repository's wiki",
        description="A wiki of the repository: pages planned from the code index (an overview, "
        "one page per area, key flows), written by the model with checked links to code and "
        "diagrams drawn from the reference graph. Written to .assistant/wiki/ by default.",
    )
    actions = parser.add_subparsers(dest="wiki_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="plan the wiki and write every page")
    build.add_argument("--pages", type=int, default=20, help="at most this many pages (20)")
    build.add_argument("--force", action="store_true", help="write every page again")
    update = actions.add_parser(
        "update", help="write again only the pages whose files changed (keeps the areas)"
    )
    for action in (build, update):
        action.add_argument("--jobs", type=int, default=4, help="pages asked at once (4)")
        action.add_argument("--dry-run", action="store_true", help="list the pages; ask nothing")
        action.add_argument("--json", action="store_true", help="print the plan or report as JSON")
        add_model_flags(action)
    serve = actions.add_parser("serve", help="browse the wiki on http://127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (8765)")
    export = actions.add_parser("export", help="write the wiki as a static web site")
    export.add_argument("dest", type=Path, help="the folder to write the site into")
    for action in (build, update, serve, export):
        action.add_argument("--out", type=Path, help="the wiki's folder (.assistant/wiki)")
        add_repo_flag(action)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen wiki action."""
    from assistant.wiki.reader import wiki_folder

    root = repo_root(args)
    settings = settings_from_args(args, root)
    folder = wiki_folder(root, args.out)
    if args.wiki_command in ("serve", "export"):
        return _browse(args, root, settings, folder)
    return _build(args, root, settings, folder)


def _build(args: argparse.Namespace, root: Path, settings: Settings, folder: Path) -> int:
    from assistant.index import use_index
    from assistant.wiki.build import WikiOptions, prepare_wiki
    from assistant.wiki.manifest import MAX_PAGES

    update = args.wiki_command == "update"
    options = WikiOptions(
        pages=min(MAX_PAGES, max(2, getattr(args, "pages", 20))), jobs=max(1, args.jobs),
        update=update, force=getattr(args, "force", False),
    )  # fmt: skip
    if update and not (folder / "manifest.json").is_file():
        from assistant.errors import ConfigError

        raise ConfigError(f"no wiki in {folder} to update", hint="run `assistant wiki build`")
    prepared = use_index(
        root, settings, lambda store: prepare_wiki(root, settings, folder, options, store),
        notice=print_notice,
    )  # fmt: skip
    _print_plan(prepared, settings, options, args.json, args.dry_run)
    if args.dry_run:
        return 0
    return _write(prepared, settings, options, args.json)


def _print_plan(
    prepared: Prepared, settings: Settings, options: WikiOptions, as_json: bool, dry_run: bool
) -> None:
    prompt, completion = prepared.estimate(options.max_tokens)
    pending = {p.slug for p in prepared.pending}
    price = _price(settings, prompt, completion) if pending else ""
    if as_json:
        if dry_run:
            data = {
                "pages": [
                    {
                        "slug": p.slug,
                        "title": p.title,
                        "kind": p.kind,
                        "files": list(p.files),
                        "write": p.slug in pending,
                    }
                    for p in prepared.plan.pages
                ],
                "removed": prepared.removed,
                "estimated_prompt_tokens": prompt,
                "estimated_completion_tokens_at_most": completion,
            }
            print(json.dumps(data, indent=2))
        return
    out = sys.stdout if dry_run else sys.stderr
    for page in prepared.plan.pages:
        mark = "write" if page.slug in pending else "keep "
        print(f"  {mark} {page.slug}: {page.title} ({len(page.files)} files)", file=out)
    for slug in prepared.removed:
        print(f"  drop  {slug}", file=out)
    if not pending:
        print(f"all {len(prepared.plan.pages)} pages are up to date: nothing to write.", file=out)
        return
    print(
        f"{len(pending)} of {len(prepared.plan.pages)} pages to write: about {prompt:,} prompt "
        f"tokens and at most {completion:,} completion tokens, "
        f"{price} at most (estimate).",
        file=out,
    )


def _price(settings: Settings, prompt: int, completion: int) -> str:
    """Return what these tokens cost with the configured model, for people ("?": unknown).
    (Loading the model client's package takes a second: only done when a page is to write.)"""
    from assistant.llm.pricing import format_cost, pricing_for
    from assistant.llm.types import Usage

    prices = pricing_for(settings)
    if prices is None:
        return format_cost(None, "")
    return format_cost(prices.cost(Usage(prompt, completion, prompt + completion)), prices.currency)


def _write(prepared: Prepared, settings: Settings, options: WikiOptions, as_json: bool) -> int:
    import asyncio

    from assistant.wiki.build import WikiBuild, write_plan

    write_plan(prepared)
    total = len(prepared.pending)
    report: dict[str, object] = {}

    async def execute() -> Manifest:
        from assistant.llm.connect import connect_model  # loads the SDK: only with pages to write

        async with connect_model(settings, notice=print_notice) as client:
            build = WikiBuild(prepared, client, options)
            with _Bar(total, enabled=sys.stderr.isatty() and not as_json) as bar:
                try:
                    return await build.run(bar)
                finally:
                    report.update(requests=build.requests, links=build.links)

    try:
        manifest = asyncio.run(execute()) if total else prepared.manifest
    except KeyboardInterrupt:
        print(
            "interrupted: written pages are kept; run the same command to finish", file=sys.stderr
        )
        return 130
    counts = {
        s: sum(1 for p in manifest.pages if p.status == s) for s in ("done", "pending", "failed")
    }
    if as_json:
        pages = [{"slug": p.slug, "status": p.status, "error": p.error} for p in manifest.pages]
        print(
            json.dumps(
                {"folder": str(prepared.folder), **counts, **report, "pages": pages}, indent=2
            )
        )
    else:
        for page in manifest.pages:
            if page.status != "done":
                print(f"  {page.status} {page.slug}: {page.error}", file=sys.stderr)
        print(f"wiki: {counts['done']} pages done, {counts['pending']} pending, "
              f"{counts['failed']} failed, in {prepared.folder}")  # fmt: skip
        if counts["pending"] or counts["failed"]:
            print("run the same command again to finish the rest", file=sys.stderr)
    return 1 if counts["pending"] or counts["failed"] else 0


def _browse(args: argparse.Namespace, root: Path, settings: Settings, folder: Path) -> int:
    from assistant.errors import ConfigError
    from assistant.wiki.reader import Wiki

    if Wiki.open(folder) is None:
        raise ConfigError(f"no wiki in {folder}", hint="run `assistant wiki build` first")
    if args.wiki_command == "export":
        from assistant.wiki.export import export_site

        count = export_site(root, folder, args.dest, editor_link=settings.editor_link)
        print(f"wrote {count} pages to {args.dest}")
        return 0
    from assistant.wiki.serve import serve_wiki

    serve_wiki(
        root, folder, port=args.port, editor_link=settings.editor_link,
        ready=lambda url: print(f"serving the wiki on {url} (Ctrl+C stops)", flush=True),
    )  # fmt: skip
    return 0


class _Bar:
    """A progress bar of pages written, on a terminal; nothing otherwise."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.bar: object | None = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.progress import Progress

            bar = Progress(transient=True)
            bar.start()
            self.task = bar.add_task("wiki pages", total=self.total)
            self.bar = bar
        return self

    def __call__(self, manifest: Manifest, slug: str) -> None:
        """Show one more page finished."""
        from rich.progress import Progress

        if isinstance(self.bar, Progress):
            self.bar.update(self.task, advance=1, description=f"wiki: {slug}")

    def __exit__(self, *exc: object) -> None:
        from rich.progress import Progress

        if isinstance(self.bar, Progress):
            self.bar.stop()
