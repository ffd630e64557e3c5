"""Which files a listing of the repository considers: git's (tracked, and untracked but not
ignored), or for a plain directory a walk of it; all of them, or those among some paths.

The skip rules (workspace.py) then judge each of them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import pathspec

from assistant.errors import GitError
from assistant.git.command import git_bytes

VENDORED_DIRS = frozenset(
    {"node_modules", "vendor", "third_party", "third-party", ".venv", "venv", "env",
     "site-packages", "dist", "build", "target", "__pycache__", ".git", ".hg", ".svn",
     ".tox", ".mypy_cache", ".pytest_cache", ".next", "bower_components", "Pods"}
)  # fmt: skip


def candidate_files(root: Path, only: Sequence[str] | None = None) -> list[str]:
    """Return the files (relative, POSIX, sorted) git lists, or the walk finds; with `only`
    (clean relative paths), those of them among `only`, without listing the rest (an editor
    saved a new file: no need to walk 100,000 others to know whether it counts)."""
    listed = _git_files(root, only)
    if listed is not None:
        return listed
    if only is None:
        return walk_files(root)
    ignore = ignore_spec(root / ".gitignore")
    return sorted({path for path in only if _walked(root, path, ignore)})


def _git_files(root: Path, only: Sequence[str] | None) -> list[str] | None:
    if not (root / ".git").exists():
        return None
    if only is not None and not only:
        return []
    literal = [f":(literal){path}" for path in only or ()]  # no globbing in a file's name
    try:
        out = git_bytes(root, "ls-files", "-co", "--exclude-standard", "-z", "--", *literal)
    except (GitError, OSError):
        return None
    return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})


def walk_files(root: Path) -> list[str]:
    """List a plain directory's files (relative, POSIX), as `os.walk` without following links
    would, minus vendored folders and what the root .gitignore ignores. One `scandir` per folder
    and no generator per level: the 38k folders of a 100k-file tree list in half the time.
    (`_walked` answers the same for one path.)"""
    ignore = ignore_spec(root / ".gitignore")
    matching = bool(ignore.patterns)  # without a .gitignore, skip the per-path matching
    found: list[str] = []
    pending = [""]  # folders still to read, relative, each with its trailing slash
    while pending:
        prefix = pending.pop()
        try:
            entries = os.scandir(os.path.join(root, prefix))
        except OSError:
            continue
        with entries:
            for entry in entries:
                rel = prefix + entry.name
                try:
                    is_dir = entry.is_dir()  # follows a link: a link to a folder is not a file
                except OSError:
                    is_dir = False
                if not is_dir:
                    if not (matching and ignore.match_file(rel)):
                        found.append(rel)
                elif (
                    entry.name not in VENDORED_DIRS
                    and not entry.is_symlink()
                    and not (matching and ignore.match_file(rel + "/"))
                ):
                    pending.append(rel + "/")
    return sorted(found)


def _walked(root: Path, rel: str, ignore: pathspec.PathSpec) -> bool:
    """Return whether `walk_files` would list `rel`: every folder on its way a real folder
    (not a link) it walks into, and `rel` itself there and no folder (nor a link to one)."""
    matching = bool(ignore.patterns)
    folder, _, _ = rel.rpartition("/")
    parts = folder.split("/") if folder else []
    if through_link(str(root) + os.sep, folder, {}) or any(
        part in VENDORED_DIRS
        or (matching and ignore.match_file("/".join(parts[: depth + 1]) + "/"))
        for depth, part in enumerate(parts)
    ):
        return False
    path = os.path.join(root, rel)
    if not os.path.lexists(path) or os.path.isdir(path):
        return False
    return not (matching and ignore.match_file(rel))


def through_link(top: str, folder: str, seen: dict[str, bool]) -> bool:
    """Return whether the relative `folder` ("" for the root, `top` the root with a trailing
    separator) is reached through a link, or is not a folder: git still lists the files it
    tracks under a folder replaced by a link (`rm -r docs && ln -s ~/.aws docs`), and reading
    them would read outside the repository. `seen` keeps each folder's answer: one `lstat`
    per folder however many files a listing holds."""
    if not folder:
        return False
    found = seen.get(folder)
    if found is None:
        try:
            status = os.lstat(top + folder)
            found = not stat.S_ISDIR(status.st_mode) or through_link(
                top, folder.rpartition("/")[0], seen
            )
        except OSError:
            found = True
        seen[folder] = found
    return found


def ignore_spec(path: Path) -> pathspec.PathSpec:
    """Return the gitignore-style patterns of the file at `path` (none when it is missing)."""
    lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
    return pathspec.PathSpec.from_lines("gitignore", lines)
