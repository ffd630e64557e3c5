"""The repository as the chat sees it: its files, the code index, the repo map and search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant import workspace
from assistant.config import Settings
from assistant.errors import ConfigError, PathOutsideRepository
from assistant.workspace import resolve_repo_path

MAX_SYMBOLS = 50_000
MAX_WIKI_PAGE_CHARS = 100_000  # what the terminal shows of one page
WIKI_HITS = 10


@dataclass(frozen=True)
class RepoCatalog:
    """What @ completion offers: the repository's files and the index's symbol names."""

    files: tuple[str, ...] = ()
    symbols: dict[str, str] = field(default_factory=dict)  # symbol name -> its file
    indexed: bool = False


def resolve_file(root: Path, name: str) -> Path | None:
    """Return the file `name` names inside the repository, or None."""
    try:
        path = resolve_repo_path(root, name)
    except PathOutsideRepository:
        return None
    return path if path.is_file() else None


def list_files(root: Path, settings: Settings) -> tuple[str, ...]:
    """Return the repository's source files, the way the index sees them."""
    return tuple(workspace.list_files(root, settings.max_file_bytes).files)


def build_catalog(
    root: Path,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    with_index: bool = True,
) -> RepoCatalog:
    """Update the index (reporting progress) and return the files and symbols it knows."""
    files = list_files(root, settings)
    if not with_index:
        return RepoCatalog(files=files)
    from assistant.index import IndexStore, use_index

    def names(store: IndexStore) -> dict[str, str]:
        symbols: dict[str, str] = {}
        for symbol in store.all_symbols():
            symbols.setdefault(symbol.name, symbol.path)
            if len(symbols) >= MAX_SYMBOLS:
                break
        return symbols

    symbols = use_index(root, settings, names, progress=progress)
    return RepoCatalog(files=files, symbols=symbols, indexed=True)


def repo_map(root: Path, settings: Settings, tokens: int, focus: tuple[str, ...]) -> str:
    """Return the ranked repo map within `tokens`."""
    from assistant.context import repo_map as render_map
    from assistant.index import use_index

    return use_index(root, settings, lambda store: render_map(store, tokens, focus=focus))


def search(root: Path, settings: Settings, query: str, limit: int = 10) -> list[str]:
    """Return search results as lines: the best files with scores and reasons, then the best
    chunks (as `assistant search` prints them)."""
    from assistant.context import render_search
    from assistant.context import search as ranked_search
    from assistant.index import use_index

    ranked = use_index(root, settings, lambda store: ranked_search(store, query, limit=limit))
    return render_search(ranked)


@dataclass(frozen=True)
class Completion:
    """One @ completion: the text inserted and what it is."""

    value: str
    detail: str


def complete(catalog: RepoCatalog, prefix: str, limit: int = 8) -> list[Completion]:
    """Return files then symbols matching `prefix`: starts-with first, then contains."""
    needle = prefix.lower()

    def ranked(names: list[str]) -> list[str]:
        """Order matches: basename starts with, path starts with, then contains."""
        starts = [n for n in names if n.lower().rsplit("/", 1)[-1].startswith(needle)]
        starts += [n for n in names if n.lower().startswith(needle) and n not in starts]
        contains = [n for n in names if needle in n.lower() and n not in starts]
        return starts + contains

    found = [Completion(name, "file") for name in ranked(list(catalog.files))[:limit]]
    found += [
        Completion(name, f"symbol in {catalog.symbols[name]}")
        for name in ranked(list(catalog.symbols))[:limit]
    ]
    return found[:limit]


@dataclass(frozen=True)
class WikiView:
    """What /wiki shows: a page's Markdown (`slug` set), or lines (the pages, or search hits)."""

    text: str
    slug: str = ""


def wiki_view(root: Path, argument: str) -> WikiView:
    """Return the wiki's pages (no argument), the page `argument` names, or the pages matching
    it; ConfigError when there is no wiki or it cannot be used."""
    from assistant.tools.wiki_search import (
        built_note,
        find_page,
        hit_line,
        one_line,
        open_wiki,
        page_text,
    )

    try:
        wiki = open_wiki(root)
    except OSError as error:
        raise ConfigError(f"cannot read the repository's wiki: {error}") from error
    if wiki is None:
        raise ConfigError("this repository has no wiki", hint="build it: assistant wiki build")
    page = find_page(wiki, argument) if argument else None
    if page is not None:
        return WikiView(page_text(wiki, root, page, MAX_WIKI_PAGE_CHARS), slug=page.slug)
    if not argument:
        rows = [f"  {p.slug:<28} {one_line(p.title, 80)}" for p in wiki.pages]
        head = f"wiki pages ({built_note(wiki)}):"
        tail = "/wiki SLUG opens a page; /wiki WORDS searches the pages"
        return WikiView("\n".join([head, *(rows or ["  (none written yet)"]), "", tail]))
    hits = wiki.search(argument, WIKI_HITS)
    if not hits:
        return WikiView(f"no wiki page matches {one_line(argument, 80)!r} (/wiki lists them)")
    rows = [f"  {hit_line(hit.page)}" for hit in hits]
    return WikiView("\n".join([f"wiki pages matching {one_line(argument, 80)!r}:", *rows]))


def wiki_link(href: str) -> str | None:
    """Return the slug of the wiki page a page's link points to (`other.md`), else None."""
    from assistant.wiki.manifest import PAGE_LINK

    match = PAGE_LINK.fullmatch(href.strip())
    return match.group(1) if match else None
