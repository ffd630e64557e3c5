"""`assistant wiki export`: the wiki as a static site that works from files, with no server.

The export holds `index.html` (the first page), one `SLUG.html` per page and the `SLUG.svg`
diagrams; each page carries the search index inline, so search works offline. Code links go to
the user's editor link when one is set, else to the source file itself (a relative link from
the export with its `#L12` anchor). Nothing is written into the repository's git internals or
over the wiki's own folder.
"""

from __future__ import annotations

from pathlib import Path

from assistant.edits.atomic import write_atomic
from assistant.errors import ConfigError, WorkspaceError
from assistant.protected_paths import git_folders
from assistant.wiki.site import Site
from assistant.wiki.site_markdown import SiteLinks


def export_site(root: Path, folder: Path, dest: Path, *, editor_link: str = "") -> int:
    """Write the wiki in `folder` as a static site into `dest`; return the pages written."""
    dest = Path(dest).expanduser().absolute()
    _check_destination(Path(root), Path(folder), dest)
    site = Site(Path(root), Path(folder), SiteLinks(Path(root), editor_link, export=dest))
    if site.wiki is None or not site.pages:
        raise ConfigError(
            f"no wiki pages in {folder} to export", hint="build them with `assistant wiki build`"
        )
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    for page in site.pages:
        html = site.page_html(page.slug)
        if html is None:
            continue
        _write(dest / f"{page.slug}.html", html.encode("utf-8"))
        written += 1
        diagram = site.diagram(page.slug)
        if diagram is not None:
            _write(dest / f"{page.slug}.svg", diagram)
    _write(dest / "index.html", site.home_html().encode("utf-8"))
    return written


def _check_destination(root: Path, folder: Path, dest: Path) -> None:
    """Refuse a destination in git internals or the wiki's own folder (a link counts as where
    it leads)."""
    target = dest.resolve()
    if target == folder.resolve():
        raise WorkspaceError(
            f"{dest} is the wiki's own folder; the export does not write over it",
            hint="export to another folder, e.g. --out wiki-site",
        )
    git_dirs = [g.resolve() for g in git_folders(root.resolve())]
    inside = ".git" in target.parts or any(
        target == g or target.is_relative_to(g) for g in git_dirs
    )
    if inside:
        raise WorkspaceError(
            f"{dest} is inside the repository's git folder; nothing is written there",
            hint="export to a folder outside .git",
        )


def _write(path: Path, data: bytes) -> None:
    """Write one file of the export, never through a link already there."""
    if path.is_symlink():
        path.unlink()
    write_atomic(path, data)
