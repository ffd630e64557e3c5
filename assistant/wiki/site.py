"""The wiki as a web site: every page as HTML in one layout, the search index, the diagrams and
the code view, read from the wiki's folder when asked (a rebuilt wiki shows at once).

The served site (serve.py) and the static export (export.py) are the same pages with different
URLs (SiteLinks). The layout is a navigation grouped by page kind with a search box, and the
page; the search runs in the page's one inline script over a JSON index (fetched from the server,
or inlined in an export, so it works from files). Pages pass through site_markdown, which
escapes raw HTML and checks every link; the code view through site_code, which shows only
repository files that are not secrets.
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from assistant.context.words import STOPWORDS
from assistant.index.tokens import code_tokens
from assistant.wiki.diagram import svg_is_safe
from assistant.wiki.manifest import SLUG, PageEntry
from assistant.wiki.reader import Wiki
from assistant.wiki.site_assets import EXPORT_POLICY, SCRIPT, STYLE
from assistant.wiki.site_code import code_body, read_code
from assistant.wiki.site_markdown import SiteLinks, diagram_slugs, render_markdown

__all__ = ["Site", "SiteLinks", "search_words"]

SECTIONS = (("overview", "Overview"), ("area", "Areas"), ("flow", "Flows"))
MAX_DIAGRAM_BYTES = 5_000_000
MAX_SEARCH_WORDS = 300  # per page, the most frequent
INDEX_WORDS = 30_000  # in the whole index: about 300 KB
MAX_SUMMARY = 400


class Site:
    """A built wiki (or none yet) as the pages of a web site."""

    def __init__(self, root: Path, folder: Path, links: SiteLinks) -> None:
        self.root = Path(root)
        self.folder = Path(folder)
        self.links = links
        self.wiki = Wiki.open(self.folder)  # ConfigError when its manifest cannot be read
        self._search_json: str | None = None  # made once: an export inlines it in every page

    @property
    def pages(self) -> tuple[PageEntry, ...]:
        """Return the pages written so far, in the manifest's order."""
        return self.wiki.pages if self.wiki else ()

    def home_slug(self) -> str | None:
        """Return the slug of the first page: the overview, else the first page written."""
        pages = self.pages
        first = next((p for p in pages if p.kind == "overview"), pages[0] if pages else None)
        return first.slug if first else None

    def home_html(self) -> str:
        """Return the first page's HTML, or a page saying no wiki has been built."""
        slug = self.home_slug()
        html = self.page_html(slug) if slug else None
        if html is not None:
            return html
        body = (
            "<h1>No wiki yet</h1><p>No pages have been written in "
            f"<code>{escape(str(self.folder))}</code>. Build them with "
            "<code>assistant wiki build</code>.</p>"
        )
        return self.layout("Wiki", body)

    def page_html(self, slug: str) -> str | None:
        """Return page `slug` as a whole HTML document, or None when there is no such page."""
        entry = next((p for p in self.pages if p.slug == slug), None)
        markdown = self.wiki.markdown(slug) if self.wiki and entry else None
        if entry is None or markdown is None:
            return None
        slugs = [p.slug for p in self.pages]
        body = render_markdown(
            markdown, self.folder, self.links, slugs, diagram_slugs(self.folder, slugs)
        )
        return self.layout(entry.title, f"<article>{body}</article>", current=slug)

    def code_html(self, path: str) -> str:
        """Return the code view of repository file `path`; PathOutsideRepository when the view
        may not show it, WorkspaceError when it cannot be read."""
        code = read_code(self.root, path)
        return self.layout(path, code_body(code))

    def diagram(self, slug: str) -> bytes | None:
        """Return page `slug`'s SVG diagram, or None when it has none (or it is not a plain
        file, or is too large)."""
        if not SLUG.fullmatch(slug) or slug not in {p.slug for p in self.pages}:
            return None
        path = self.folder / f"{slug}.svg"
        if slug not in diagram_slugs(self.folder, [slug]):
            return None
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_DIAGRAM_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_DIAGRAM_BYTES or not svg_is_safe(data):
            return None
        return data

    def search_index(self) -> dict[str, Any]:
        """Return the search index: per page its slug, title, kind, summary, URL and words
        (fewer words per page in a big wiki: an export inlines the index in every page)."""
        entries = []
        words = max(20, min(MAX_SEARCH_WORDS, INDEX_WORDS // max(1, len(self.pages))))
        for page in self.pages:
            markdown = self.wiki.markdown(page.slug) if self.wiki else None
            entries.append(
                {
                    "slug": page.slug,
                    "title": page.title,
                    "kind": page.kind,
                    "summary": page.summary[:MAX_SUMMARY],
                    "url": self.links.page(page.slug),
                    "words": search_words(f"{page.title} {page.area} {markdown or ''}")[:words],
                }
            )
        return {"pages": entries}

    def search_json(self) -> str:
        """Return the search index as JSON text."""
        if self._search_json is None:
            self._search_json = json.dumps(self.search_index(), ensure_ascii=False)
        return self._search_json

    def layout(self, title: str, body: str, current: str | None = None) -> str:
        """Return a whole HTML document: the navigation, the search box and `body`."""
        export = self.links.export is not None
        policy = (
            f'<meta http-equiv="Content-Security-Policy" content="{escape(EXPORT_POLICY)}">'
            if export
            else ""
        )
        index = _script_json(self.search_json()) if export else ""
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'{policy}<meta name="referrer" content="no-referrer">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · wiki</title><style>{STYLE}</style></head>"
            f"<body>{self._navigation(current)}<main>{body}</main>"
            f'<script type="application/json" id="Wiki-index" '
            f'data-src="{escape(self.links.search())}">{index}</script>'
            f"<script>{SCRIPT}</script></body></html>\n"
        )

    def _navigation(self, current: str | None) -> str:
        parts = [
            f'<nav><a class="home" href="{escape(self.links.home())}">'
            f"{escape(self.root.resolve().name)} wiki</a>",
            '<input id="Wiki-search" type="search" placeholder="Search the wiki" '
            'autocomplete="off" aria-label="Search the wiki">',
            '<ul id="Wiki-results" hidden></ul>',
        ]
        for kind, heading in SECTIONS:
            pages = [p for p in self.pages if p.kind == kind]
            if not pages:
                continue
            parts.append(f"<h2>{heading}</h2><ul>")
            for page in pages:
                mark = ' class="current" aria-current="page"' if page.slug == current else ""
                href = escape(self.links.page(page.slug))
                parts.append(f'<li><a href="{href}"{mark}>{escape(page.title)}</a></li>')
            parts.append("</ul>")
        parts.append("</nav>")
        return "".join(parts)


def search_words(text: str) -> list[str]:
    """Return a text's distinct words for the search index, lower case, most frequent first
    (identifiers also split at `_` and case changes), at most MAX_SEARCH_WORDS."""
    counts = Counter(t for t in code_tokens(text) if len(t) > 1 and t not in STOPWORDS)
    return [word for word, _ in counts.most_common(MAX_SEARCH_WORDS)]


def _script_json(text: str) -> str:
    """Return JSON text safe inside a <script> element (no `</script>` or `<!--` in it)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
