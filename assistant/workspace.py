"""The repository: its root, the files in it the way git sees them, and safe paths inside it."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.errors import PathOutsideRepository


def resolve_repo_path(root: Path, name: str | os.PathLike[str]) -> Path:
    """Resolve a path the model or user named against the repository root, refusing escapes.

    Refuses absolute paths, `..` that climbs out, and symlinks (at any level) that lead outside
    the root. The file itself need not exist.
    """
    root = Path(root).resolve()
    text = os.fspath(name)
    if not text or "\x00" in text:
        raise PathOutsideRepository(f"invalid path {text!r}", hint="name a file inside the repo")
    candidate = Path(text)
    if candidate.is_absolute():
        raise PathOutsideRepository(
            f"absolute path {text!r} refused", hint="use a path relative to the repository root"
        )
    resolved = (root / candidate).resolve()
    if resolved != root and root not in resolved.parents:
        raise PathOutsideRepository(
            f"path {text!r} resolves outside the repository", hint="stay inside the repository"
        )
    return resolved


def relative_posix(root: Path, path: Path) -> str:
    """Return `path` relative to `root` with POSIX separators."""
    return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
