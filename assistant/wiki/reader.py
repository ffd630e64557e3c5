"""Reading a built wiki: where it lives, its pages, search over them, and where a code link points.

Everything here treats the wiki folder as repository data: pages are read only by the slugs the
manifest holds (checked names, never a path from the data), never through a link, and capped in
size. A code link in a page is a relative link from the page to a repository file with a GitHub
style line anchor (`../../pkg/mod.py#L12`), so the Markdown also reads well on any forge.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from assistant.context.words import STOPWORDS
from assistant.errors import ConfigError
from assistant.index.tokens import code_tokens
from assistant.wiki.manifest import Manifest, PageEntry, load_manifest

DEFAULT_FOLDER = PurePosixPath(".assistant") / "wiki"
MAX_PAGE_BYTES = 2_000_000
TITLE_WEIGHT = 3  # a word in a page's title or area counts as this many in its text


def wiki_folder(root: Path, out: Path | None = None) -> Path:
    """Return the wiki's folder: `out` as the user gave it, or `.assistant/wiki` in `root`.

    The default folder is in the repository, so a repository could make it (or `.assistant`) a
    link to somewhere else; a build would then write there. That is refused.
    """
    if out is not None:
        return Path(out).expanduser().absolute()
    folder = Path(root) / DEFAULT_FOLDER
    for step in (folder.parent, folder):
        if step.is_symlink() or (step.exists() and not step.is_dir()):
            raise ConfigError(f"{step} is a link or not a folder; the wiki is not written there")
    return folder


@dataclass(frozen=True)
class PageHit:
    """A page found by a wiki search, with its score."""

    page: PageEntry
    score: float


class Wiki:
    """A built wiki, read from its folder."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        self._words: dict[str, Counter[str]] = {}

    @classmethod
    def open(cls, folder: Path) -> Wiki | None:
        """Return the wiki in `folder`, or None when none has been built there."""
        manifest = load_manifest(folder)
        return None if manifest is None else cls(folder, manifest)

    @property
    def pages(self) -> tuple[PageEntry, ...]:
        """Return the pages that were written, in the manifest's order."""
        return tuple(p for p in self.manifest.pages if p.status == "done")

    def markdown(self, slug: str) -> str | None:
        """Return a page's Markdown, or None when it has none (or it is not a plain file)."""
        entry = self.manifest.page(slug)
        if entry is None:
            return None
        path = self.folder / entry.file
        try:
            if path.is_symlink() or not path.is_file():
                return None
            with path.open("rb") as handle:
                return handle.read(MAX_PAGE_BYTES).decode("utf-8", "replace")
        except OSError:
            return None

    def search(self, query: str, limit: int = 5) -> list[PageHit]:
        """Return the pages that best match `query` (TF-IDF over title, area and text)."""
        terms = [w for w in _words(query) if w not in STOPWORDS]
        if not terms:
            return []
        pages = self.pages
        counts = {p.slug: self._page_words(p) for p in pages}
        wanted = set(terms)
        holding = Counter(t for c in counts.values() for t in wanted if t in c)
        hits = []
        for page in pages:
            words = counts[page.slug]
            total = sum(words.values()) or 1
            score = 0.0
            for term in wanted:
                if words[term]:
                    idf = math.log(1 + len(pages) / holding[term])
                    score += idf * (1 + math.log(words[term])) / math.log(10 + total)
            if score > 0:
                hits.append(PageHit(page, score))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    def _page_words(self, page: PageEntry) -> Counter[str]:
        found = self._words.get(page.slug)
        if found is None:
            found = Counter(_words(self.markdown(page.slug) or ""))
            for word in _words(f"{page.title} {page.area}"):
                found[word] += TITLE_WEIGHT
            self._words[page.slug] = found
        return found


def _words(text: str) -> list[str]:
    """Return the words of a text in lower case, identifiers whole and split (the index's
    code tokens), single characters left out."""
    return [token for token in code_tokens(text) if len(token) > 1]


def code_href(folder: Path, root: Path, path: str, line: int) -> str:
    """Return the link a page in `folder` makes to line `line` of repository file `path`."""
    target = Path(root).absolute() / path
    relative = _relative(target, Path(folder).absolute())
    return f"{relative}#L{line}"


def code_target(folder: Path, root: Path, href: str) -> tuple[str, int] | None:
    """Return (repository path, line) a page's link points to, or None when it is not a link
    to a line of a file in the repository (outside the wiki folder)."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href) or href.startswith(("/", "#")):
        return None
    link, _, anchor = href.partition("#")
    line_match = re.fullmatch(r"L(\d{1,7})", anchor)
    if not link or line_match is None:
        return None
    root, folder = Path(root).absolute(), Path(folder).absolute()
    parts: list[str] = list(folder.parts)
    for part in unquote(link).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) <= 1:
                return None
            parts.pop()
        else:
            parts.append(part)
    target = Path(*parts)
    if not target.is_relative_to(root) or target.is_relative_to(folder) or target == root:
        return None
    return target.relative_to(root).as_posix(), int(line_match.group(1))


def _relative(target: Path, start: Path) -> str:
    """Return `target` relative to folder `start` with `..` steps (both absolute)."""
    common = 0
    for a, b in zip(target.parts, start.parts, strict=False):
        if a != b:
            break
        common += 1
    ups = [".."] * (len(start.parts) - common)
    return "/".join([*ups, *target.parts[common:]])
