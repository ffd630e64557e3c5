"""Building and updating the wiki: plan from the index, write what changed, resume what stopped.

`prepare_wiki` plans the pages (an update keeps the last build's areas) and decides which need
the model: a page is kept when the last manifest has it done from the very same files (same
content hashes) and, for the overview, the same areas. The plan, the diagrams and a manifest
with the other pages pending are written before any request, then `WikiBuild` asks the model
for the pending pages, `jobs` at a time, saving the manifest after each page. Ctrl+C or an
endpoint failure leaves the rest pending: the next build or update does only those.
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.context.cache import index_state
from assistant.context.rank import rank_files
from assistant.context.repomap import RankedSymbol, ranked_symbols, shared_graph
from assistant.context.tokens import tokens_for
from assistant.edits.atomic import write_atomic
from assistant.errors import AssistantError, ConfigError, EndpointError
from assistant.index import IndexStore
from assistant.wiki.links import check_links, strip_title, summary_of
from assistant.wiki.manifest import Manifest, PageEntry, load_manifest
from assistant.wiki.page import SYSTEM, assemble, diagram_for, messages
from assistant.wiki.plan import PlannedPage, WikiPlan, plan_wiki
from assistant.wiki.reader import code_href
from assistant.wiki.sources import SourceReader, by_area, page_context

if TYPE_CHECKING:  # the SDK loads in a second: a dry run or a no-change update never asks
    from assistant.llm import ModelClient

log = logging.getLogger(__name__)
README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md")


@dataclass(frozen=True)
class WikiOptions:
    """How a wiki build runs."""

    pages: int = 20  # at most this many pages: the overview, areas and flows
    jobs: int = 4  # pages asked of the model at once
    update: bool = False  # keep the last build's areas
    force: bool = False  # write every page again
    max_tokens: int = 1_500  # the longest answer one page may get


@dataclass
class Prepared:
    """A planned build: what to write, what is kept, and what it will cost."""

    root: Path
    folder: Path
    plan: WikiPlan
    manifest: Manifest
    contexts: dict[str, str]  # slug -> the model's context, for the pages to write
    ranked: list[RankedSymbol]
    lines_of: dict[str, int]
    diagrams: dict[str, str]  # slug -> SVG
    removed: list[str] = field(default_factory=list)  # slugs of the last build no longer planned

    @property
    def pending(self) -> list[PlannedPage]:
        """Return the planned pages the model will write, in plan order."""
        return [p for p in self.plan.pages if p.slug in self.contexts]

    def estimate(self, max_tokens: int) -> tuple[int, int]:
        """Return (prompt tokens, at most completion tokens) the pending pages will take."""
        prompt = sum(tokens_for(len(SYSTEM) + len(c) + 200) for c in self.contexts.values())
        return prompt, max_tokens * len(self.contexts)

    def slugs(self) -> dict[str, str]:
        """Return each area folder's page slug."""
        return {p.area: p.slug for p in self.plan.pages if p.kind == "area"}

    def href(self, path: str, line: int) -> str:
        """Return a page's link to a line of a repository file."""
        return code_href(self.folder, self.root, path, line)


def prepare_wiki(
    root: Path, settings: Settings, folder: Path, options: WikiOptions, store: IndexStore
) -> Prepared:
    """Plan the wiki over an up-to-date index and decide which pages need the model."""
    old = _old_manifest(folder, options.update)
    state = index_state(store)
    graph = shared_graph(store, state)
    scores = rank_files(graph).scores
    ranked = ranked_symbols(store, state=state)
    reader = SourceReader(root)
    records = store.files()
    readme = next((n for n in README_NAMES if any(r.path == n for r in records)), None)
    keep = list(old.areas) if options.update and old is not None else None
    # an update keeps the build's number of flows (its page budget is not recorded)
    flows = sum(p.kind == "flow" for p in old.pages) if keep is not None and old else None
    known = {path for page in old.pages for path in page.sources} if old is not None else set()
    plan = plan_wiki(
        store, graph, scores, pages=options.pages, keep_areas=keep, known=known, flows=flows,
        readme=readme, scripts=_console_scripts(reader, {r.path for r in records}),
    )  # fmt: skip
    areas = tuple(a.folder for a in plan.areas)
    grouped = by_area(plan, ranked)
    entries, contexts = [], {}
    for page in plan.pages:
        sources = {path: plan.sha[path] for path in page.files}
        before = old.page(page.slug) if old is not None else None
        same_areas = page.kind != "overview" or (old is not None and old.areas == areas)
        if (
            not options.force
            and before is not None
            and before.status == "done"
            and before.sources == sources
            and same_areas
            and (folder / before.file).is_file()
        ):
            entries.append(before)
            continue
        entries.append(PageEntry(page.slug, page.title, page.kind, page.area, sources))
        contexts[page.slug] = page_context(page, plan, grouped, reader, readme)
    manifest = Manifest(store_commit(root), settings.model, areas, tuple(entries))
    prepared = Prepared(
        root, folder, plan, manifest, contexts, ranked,
        {path: r.n_lines for r in records if (path := r.path) in plan.sha}, {},
    )  # fmt: skip
    slugs = prepared.slugs()
    for page in plan.pages:
        svg = diagram_for(page, plan, slugs)
        if svg is not None:
            prepared.diagrams[page.slug] = svg
    if old is not None:
        prepared.removed = [p.slug for p in old.pages if plan.page(p.slug) is None]
    return prepared


def write_plan(prepared: Prepared) -> Manifest:
    """Write the diagrams and the manifest, and remove pages no longer planned. A diagram
    that cannot be written (a folder in its place) is left out of its page."""
    folder = prepared.folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot make the wiki's folder {folder}: {error}") from error
    for slug in prepared.removed:
        for name in (f"{slug}.md", f"{slug}.svg"):
            try:
                (folder / name).unlink(missing_ok=True)
            except OSError as error:
                log.warning("left %s in the wiki: %s", name, error)
    pages = []
    for entry in prepared.manifest.pages:
        svg = prepared.diagrams.get(entry.slug)
        try:
            if svg is not None:
                write_atomic(folder / f"{entry.slug}.svg", svg.encode("utf-8"))
        except OSError as error:
            log.warning("no diagram for %s: %s", entry.slug, error)
            svg = None
        pages.append(replace(entry, diagram=svg is not None))
    manifest = replace(prepared.manifest, pages=tuple(pages))
    try:
        manifest.save(folder)
    except OSError as error:
        raise ConfigError(f"cannot write the wiki's manifest in {folder}: {error}") from error
    prepared.manifest = manifest
    return manifest


Progress = Callable[[Manifest, str], None]  # the manifest so far, the page just finished


class WikiBuild:
    """Ask the model for the pending pages of a prepared wiki, `jobs` at a time."""

    def __init__(self, prepared: Prepared, client: ModelClient, options: WikiOptions) -> None:
        self.prepared = prepared
        self.client = client
        self.options = options
        self.requests = 0
        self.links = {"kept": 0, "dropped": 0}
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()  # the endpoint failed: start no more pages

    async def run(self, progress: Progress | None = None) -> Manifest:
        """Write every pending page; return the final manifest (saved after each page)."""
        gate = asyncio.Semaphore(max(1, self.options.jobs))

        async def one(page: PlannedPage) -> None:
            async with gate:
                if self._stop.is_set():
                    return
                entry = await self._write(page)
            async with self._lock:
                manifest = self.prepared.manifest.with_page(entry)
                await asyncio.to_thread(manifest.save, self.prepared.folder)
                self.prepared.manifest = manifest
            if progress is not None:
                progress(manifest, page.slug)

        await asyncio.gather(*(one(p) for p in self.prepared.pending))
        return self.prepared.manifest

    async def _write(self, page: PlannedPage) -> PageEntry:
        prepared = self.prepared
        entry = prepared.manifest.page(page.slug)
        assert entry is not None
        request = messages(page, prepared.contexts[page.slug], prepared.root.name)
        self.requests += 1
        try:
            answer = await self.client.chat(request, max_tokens=self.options.max_tokens)
        except EndpointError as error:
            self._stop.set()
            return replace(entry, status="pending", error=error.one_line())
        except AssistantError as error:
            return replace(entry, status="failed", error=error.one_line())
        keys = tuple(k for k in (self.client.settings.api_key,) if k)
        checked = check_links(strip_title(answer.text), prepared.lines_of, prepared.href, keys)
        self.links["kept"] += checked.kept
        self.links["dropped"] += checked.dropped
        if not checked.text.strip():
            return replace(entry, status="failed", error="the model wrote nothing")
        markdown = assemble(
            page, checked.text, diagram=entry.diagram, plan=prepared.plan,
            ranked=prepared.ranked, slugs=prepared.slugs(), href=prepared.href,
        )  # fmt: skip
        try:
            await asyncio.to_thread(
                write_atomic, prepared.folder / entry.file, markdown.encode("utf-8")
            )
        except OSError as error:
            return replace(entry, status="failed", error=f"cannot write {entry.file}: {error}")
        return replace(
            entry, status="done", error="", summary=summary_of(checked.text),
            prompt_tokens=answer.usage.prompt_tokens,
            completion_tokens=answer.usage.completion_tokens,
        )  # fmt: skip


def store_commit(root: Path) -> str | None:
    """Return the commit the work tree is at, or None outside git or before the first one."""
    from assistant.git import GitRepository

    try:
        return GitRepository(root).head()
    except (AssistantError, OSError):
        return None


def _old_manifest(folder: Path, update: bool) -> Manifest | None:
    try:
        return load_manifest(folder)
    except ConfigError as error:
        if update:
            raise
        log.warning("starting the wiki afresh: %s", error.one_line())
        return None


def _console_scripts(reader: SourceReader, indexed: set[str]) -> list[tuple[str, str]]:
    """Return pyproject.toml's console scripts as (repository path, function name)."""
    text = "\n".join(reader.lines("pyproject.toml"))
    try:
        scripts = tomllib.loads(text).get("project", {}).get("scripts", {}) if text else {}
    except tomllib.TOMLDecodeError:
        return []
    found = []
    for target in scripts.values() if isinstance(scripts, dict) else ():
        module, _, func = str(target).partition(":")
        base = module.replace(".", "/")
        for path in (f"{base}.py", f"{base}/__init__.py", f"src/{base}.py"):
            if path in indexed and func:
                found.append((path, func.split(".")[0]))
    return found
