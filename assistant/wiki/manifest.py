"""The wiki's manifest: which pages exist, what each was made from, and how far a build got.

A wiki is a folder (`.assistant/wiki/` by default) of Markdown pages, SVG diagrams and one
`manifest.json`. The manifest records the commit and model of the build and, per page, its
slug, title, kind, area, the files (with content hashes) it was made from, a one-paragraph
summary, and its status: `done`, or `pending` until the model's page is written (a build
interrupted by Ctrl+C or an endpoint failure resumes from the pending pages).

The folder sits in the repository, so a manifest is data that may be hostile: it is read
strictly (unknown shapes refused), and slugs, the only names used to make file paths, must
match SLUG, so no manifest can make a build write or a server read outside the folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.edits.atomic import write_atomic
from assistant.errors import ConfigError
from assistant.security.terminal import without_controls

MANIFEST = "manifest.json"
FORMAT = "assistant-wiki"
VERSION = 1
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
# A page's link to another page (`other.md`, `./other.md#part`), used with fullmatch: the slug,
# then the anchor (with its #) if any.
PAGE_LINK = re.compile(r"(?:\./)?([a-z0-9][a-z0-9-]{0,79})\.md(#[A-Za-z0-9_.-]{0,200})?")
COMMIT = re.compile(r"[0-9a-f]{4,64}")
PAGE_KINDS = ("overview", "area", "flow")
STATUSES = ("pending", "done", "failed")
MAX_MANIFEST_BYTES = 20_000_000
MAX_PAGES = 500  # a build plans tens; more is a hostile manifest that would slow every search
MAX_SUMMARY = 1_000


@dataclass(frozen=True)
class PageEntry:
    """One page of the wiki as the manifest records it."""

    slug: str  # the page is `{slug}.md`, its diagram (if any) `{slug}.svg`
    title: str
    kind: str  # "overview" | "area" | "flow"
    area: str = ""  # the area's folder for area pages ("" for the root's own files)
    sources: dict[str, str] = field(default_factory=dict)  # path -> content sha it was made from
    summary: str = ""  # the page's first paragraph, for search results and the chat's context
    diagram: bool = False  # whether `{slug}.svg` was drawn for it
    status: str = "pending"  # "pending" | "done" | "failed"
    error: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def file(self) -> str:
        """Return the page's Markdown file name."""
        return f"{self.slug}.md"


@dataclass(frozen=True)
class Manifest:
    """The whole manifest: the build's commit and model, the areas and the pages in order."""

    commit: str | None
    model: str
    areas: tuple[str, ...] = ()  # the planned areas, to tell when the overview must be redone
    pages: tuple[PageEntry, ...] = ()

    def page(self, slug: str) -> PageEntry | None:
        """Return the page with this slug, if any."""
        return self._by_slug.get(slug)

    @cached_property
    def _by_slug(self) -> dict[str, PageEntry]:
        return {p.slug: p for p in self.pages}

    def with_page(self, entry: PageEntry) -> Manifest:
        """Return this manifest with `entry` replacing the page of the same slug."""
        pages = tuple(entry if p.slug == entry.slug else p for p in self.pages)
        return replace(self, pages=pages)

    def to_json(self) -> str:
        """Return the manifest as the JSON text kept on disk."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "commit": self.commit,
            "model": self.model,
            "areas": list(self.areas),
            "pages": [asdict(p) for p in self.pages],
        }
        return json.dumps(data, indent=1, sort_keys=False) + "\n"

    def save(self, folder: Path) -> None:
        """Write the manifest into `folder`, whole or not at all."""
        write_atomic(folder / MANIFEST, self.to_json().encode("utf-8"))


def load_manifest(folder: Path) -> Manifest | None:
    """Return the manifest in `folder`; None when there is none; ConfigError when it is not
    one this version can read (or is not safe to use)."""
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file():
            return None
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ConfigError(f"{path} is too large to be a wiki manifest")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ConfigError(f"cannot read the wiki manifest {path}: {error}") from error
    try:
        return _parse(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            f"{path} is not a wiki manifest this version can read: {error}"
        ) from error


def _parse(data: Any) -> Manifest:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a wiki manifest")
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        raise ValueError(f"version {data.get('version')!r}")
    commit = data.get("commit")
    if commit is not None and not (
        isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{4,64}", commit)
    ):
        raise ValueError("commit")
    pages: list[PageEntry] = []
    seen: set[str] = set()
    listed = _list(data.get("pages", []))
    if len(listed) > MAX_PAGES:
        raise ValueError(f"{len(listed)} pages (at most {MAX_PAGES})")
    for raw in listed:
        entry = _page(raw)
        if entry.slug in seen:
            raise ValueError(f"page {entry.slug!r} twice")
        seen.add(entry.slug)
        pages.append(entry)
    return Manifest(
        commit=commit,
        model=_text(data.get("model", "")),
        areas=tuple(_text(a) for a in _list(data.get("areas", []))),
        pages=tuple(pages),
    )


def _page(raw: Any) -> PageEntry:
    if not isinstance(raw, dict):
        raise TypeError("a page must be an object")
    slug = _text(raw["slug"])
    if not SLUG.fullmatch(slug):
        raise ValueError(f"page slug {slug!r}")
    kind, status = _text(raw["kind"]), _text(raw.get("status", "pending"))
    if kind not in PAGE_KINDS or status not in STATUSES:
        raise ValueError(f"page {slug!r}: kind {kind!r} or status {status!r}")
    sources = raw.get("sources", {})
    if not isinstance(sources, dict):
        raise TypeError(f"page {slug!r}: sources")
    return PageEntry(
        slug=slug,
        title=_plain(_text(raw["title"])),
        kind=kind,
        area=_plain(_text(raw.get("area", ""))),
        sources={_text(k): _text(v) for k, v in sources.items()},
        summary=_plain(_text(raw.get("summary", "")), MAX_SUMMARY),
        diagram=raw.get("diagram") is True,
        status=status,
        error=_plain(_text(raw.get("error", ""))),
        prompt_tokens=_count(raw.get("prompt_tokens", 0)),
        completion_tokens=_count(raw.get("completion_tokens", 0)),
    )


def _plain(text: str, limit: int = 300) -> str:
    """Return a manifest's text on one line, without control characters, capped: titles and
    summaries are shown in terminals and prompts."""
    return " ".join(without_controls(text).split())[:limit]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a count, got {value!r}")
    return value
