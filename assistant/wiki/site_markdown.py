"""A wiki page's Markdown as safe HTML: raw HTML escaped, every link and image checked.

Pages are written by a model from repository data, so both may be hostile. Raw HTML is never
passed through (markdown-it's `html` is off), and the renderer decides every link itself:
- a code link (a relative link to a line of a repository file, see reader.code_target) to a
  file the code view may show becomes the code view's URL, or the user's editor link;
- a link to another page (`other-page.md`, with an optional `#section`) becomes that page's URL;
- http(s) links stay, with rel="noopener noreferrer"; `#section` links stay;
- anything else (javascript:, data:, file:, links out of the repository, into .git, to a
  secrets file, to a page that does not exist) is dropped: its text stays, as text.
Images are only the wiki's own diagrams, `SLUG.svg` in the wiki folder; others keep their alt
text only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from assistant.config.values import EDITOR_LINK
from assistant.errors import ConfigError
from assistant.wiki.manifest import PAGE_LINK, SLUG
from assistant.wiki.reader import code_href, code_target
from assistant.wiki.site_code import code_allowed

ACTIVE_FILE = re.compile(r"\.(x?html?|shtml|svgz?|xml|xsl|xht|mht(ml)?|pdf)$", re.IGNORECASE)
DIAGRAM_LINK = re.compile(r"^(?:\./)?([a-z0-9][a-z0-9-]{0,79})\.svg$")
FRAGMENT = re.compile(r"^#[A-Za-z0-9_.-]{0,200}$")
WEB_LINK = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


@dataclass(frozen=True)
class SiteLinks:
    """Where the site's HTML points: the served URLs, or files of a static export in `export`."""

    root: Path
    editor_link: str = ""  # e.g. "vscode://file/{path}:{line}"; empty: the code view
    export: Path | None = None  # the static export's folder; None for the served site

    def __post_init__(self) -> None:
        if self.editor_link and not EDITOR_LINK.match(self.editor_link):
            raise ConfigError(
                f"editor link {self.editor_link!r} is not valid",
                hint='an editor URL with {path} and {line}, e.g. "vscode://file/{path}:{line}"',
            )

    def home(self) -> str:
        """Return the URL of the wiki's first page."""
        return "index.html" if self.export else "/"

    def page(self, slug: str) -> str:
        """Return the URL of page `slug`."""
        return f"{slug}.html" if self.export else f"/page/{slug}"

    def diagram(self, slug: str) -> str:
        """Return the URL of page `slug`'s diagram."""
        return f"{slug}.svg" if self.export else f"/{slug}.svg"

    def search(self) -> str:
        """Return the URL of the search index (the export inlines it instead)."""
        return "" if self.export else "/search.json"

    def can_open(self, path: str) -> bool:
        """Return whether a code link may point at this file: an export without an editor
        link points at the file itself, and a browser would run a page or an SVG there."""
        return bool(self.editor_link) or self.export is None or not ACTIVE_FILE.search(path)

    def code(self, path: str, line: int) -> str:
        """Return the URL that opens line `line` of repository file `path`."""
        if self.editor_link:
            absolute = (Path(self.root).resolve() / path).as_posix()
            return self.editor_link.replace("{path}", quote(absolute, safe="/:")).replace(
                "{line}", str(line)
            )
        if self.export is not None:
            relative, _, anchor = code_href(self.export, self.root, path, line).partition("#")
            return f"{quote(relative, safe='/.')}#{anchor}"
        return f"/code/{quote(path, safe='/')}#L{line}"


class _Markdown(MarkdownIt):
    """markdown-it that parses every link: link_url, not the parser, decides what is kept."""

    def validateLink(self, url: str) -> bool:
        """Accept every link (the renderer drops the unsafe ones)."""
        return True


@dataclass
class _Context:
    """What one page's rendering needs: where it is, the pages and diagrams that exist."""

    folder: Path
    links: SiteLinks
    slugs: frozenset[str]
    diagrams: frozenset[str]
    open_links: list[bool] = field(default_factory=list)  # per open <a>: was it kept?


def render_markdown(
    text: str, folder: Path, links: SiteLinks, slugs: Sequence[str], diagrams: Sequence[str]
) -> str:
    """Return page Markdown as HTML; `slugs` are the pages links may reach, `diagrams` the
    slugs whose `SLUG.svg` exists in `folder`."""
    context = _Context(Path(folder), links, frozenset(slugs), frozenset(diagrams))
    md = _Markdown("commonmark", {"html": False}).enable("table")
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image)
    md.add_render_rule("heading_open", _heading_open)
    return md.render(text, {"wiki": context, "ids": set()})


def link_url(href: str, context: _Context) -> tuple[str, str] | None:
    """Return (URL, kind) for a page's link, kind one of code/page/web/anchor; None: drop it."""
    if WEB_LINK.fullmatch(href):
        return href, "web"
    if FRAGMENT.fullmatch(href):
        return href, "anchor"
    target = code_target(context.folder, context.links.root, href)
    if target is not None:
        path, line = target
        if not code_allowed(context.links.root, path) or not context.links.can_open(path):
            return None
        return context.links.code(path, line), "code"
    page = PAGE_LINK.fullmatch(href)
    if page and page.group(1) in context.slugs:
        return context.links.page(page.group(1)) + (page.group(2) or ""), "page"
    return None


def _link_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    context: _Context = env["wiki"]
    token = tokens[idx]
    found = link_url(str(token.attrGet("href") or ""), context)
    context.open_links.append(found is not None)
    if found is None:
        return ""
    url, kind = found
    attributes = f' href="{escape(url)}" class="{kind}-link"'
    title = token.attrGet("title")
    if title:
        attributes += f' title="{escape(str(title))}"'
    if kind == "web":
        attributes += ' rel="noopener noreferrer"'
    return f"<a{attributes}>"


def _link_close(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    context: _Context = env["wiki"]
    kept = context.open_links.pop() if context.open_links else False
    return "</a>" if kept else ""


def _image(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    context: _Context = env["wiki"]
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    match = DIAGRAM_LINK.fullmatch(str(token.attrGet("src") or ""))
    if match is None or match.group(1) not in context.diagrams:
        return escape(alt)
    src = context.links.diagram(match.group(1))
    return f'<img src="{escape(src)}" alt="{escape(alt)}" class="diagram">'


def _heading_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    words = re.findall(r"[a-z0-9_]+", (inline.content if inline else "").lower())
    anchor = "-".join(words)[:80] or "section"
    ids: set[str] = env["ids"]
    seen: dict[str, int] = env.setdefault("anchors", {})  # per anchor, the last number given
    unique, n = anchor, seen.get(anchor, 1)
    while unique in ids:  # from the last number on: repeated headings cost linear time
        n += 1
        unique = f"{anchor}-{n}"
    seen[anchor] = n
    ids.add(unique)
    return f'<{token.tag} id="{escape(unique)}">'


def diagram_slugs(folder: Path, slugs: Sequence[str]) -> list[str]:
    """Return the slugs whose diagram, `SLUG.svg`, is a plain file in `folder`."""
    found = []
    for slug in slugs:
        path = Path(folder) / f"{slug}.svg"
        if SLUG.fullmatch(slug) and not path.is_symlink() and path.is_file():
            found.append(slug)
    return found
