"""What a path in the repository holds right now, read without following links out of it.

The undo journal compares and restores files by repository-relative path. A hostile command
can replace a folder with a link (`rm -rf conf && ln -s $HOME conf`), so every read and write
of the journal goes through `inside()`, which refuses a path whose parent folders are not
plain folders inside the root; the file itself may be a link, and is then read and restored as
a link, never followed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FILE, LINK, FOLDER = "file", "link", "folder"


@dataclass(frozen=True)
class PathState:
    """What a path holds: nothing, a file's bytes, a link's target, or a folder."""

    kind: str | None  # FILE, LINK, FOLDER or None (nothing there)
    data: bytes = b""
    mode: int | None = None

    @property
    def digest(self) -> str | None:
        """Return an identity of this state that tells files, links and folders apart."""
        if self.kind is None:
            return None
        if self.kind == FOLDER:
            return FOLDER
        return f"{self.kind}:{hashlib.sha256(self.data).hexdigest()}"


ABSENT_STATE = PathState(None)


def inside(root: Path, rel: str) -> Path | None:
    """Return `root/rel` if every folder on the way is a real folder inside `root` (or does not
    exist yet); None when `rel` climbs out or passes through a link."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        return None
    folder = Path(root)
    for part in parts[:-1]:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            return Path(root).joinpath(*parts)  # the rest is created inside, by us
        except OSError:
            return None
        if not stat.S_ISDIR(mode):
            return None
    return folder / parts[-1]


def read_state(root: Path, rel: str) -> PathState | None:
    """Return what `rel` holds now; None when it cannot be read safely (see `inside`)."""
    path = inside(root, rel)
    if path is None:
        return None
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return ABSENT_STATE
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        return PathState(LINK, os.fsencode(os.readlink(path)), mode)
    if stat.S_ISDIR(info.st_mode):
        return PathState(FOLDER, b"", mode)
    if not stat.S_ISREG(info.st_mode):
        return None
    try:
        return PathState(FILE, path.read_bytes(), mode)
    except OSError:
        return None


def missing_folders(root: Path, rel: str) -> list[str]:
    """Return the parent folders of `rel` that do not exist yet, outermost first."""
    missing = []
    parts = PurePosixPath(rel).parts[:-1]
    for depth in range(1, len(parts) + 1):
        folder = PurePosixPath(*parts[:depth])
        if not os.path.lexists(Path(root) / folder):
            missing.append(folder.as_posix())
    return missing
