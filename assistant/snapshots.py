"""Checkpoints for a directory without git: copies of its files in the user cache."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import GitError

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}
MAX_SNAPSHOT_FILE = 10 * 1024 * 1024


@dataclass(frozen=True)
class Checkpoint:
    """A saved state of the work tree (`ref` names where it is kept)."""

    number: int
    label: str
    ref: str


def walk_files(root: Path) -> Iterator[str]:
    """Yield the directory's files (relative POSIX paths), skipping VCS and vendored folders."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            if (
                path.is_file()
                and not path.is_symlink()
                and path.stat().st_size <= MAX_SNAPSHOT_FILE
            ):
                yield path.relative_to(root).as_posix()


class FileCheckpoints:
    """The checkpoint API of GitCheckpoints, for a plain directory."""

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        self.folder = Path(cache_root) / "snapshots" / f"{self.root.name}-{digest}"

    def create(self, label: str) -> Checkpoint:
        """Copy every file into a new numbered snapshot."""
        latest = self._latest()
        number = latest.number + 1 if latest else 1
        target = self.folder / f"{number:06d}"
        files = list(walk_files(self.root))
        for name in files:
            (target / "files" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.root / name, target / "files" / name)
        target.mkdir(parents=True, exist_ok=True)
        (target / "manifest.json").write_text(json.dumps({"label": label, "files": files}))
        return Checkpoint(number, label, str(target))

    def list(self) -> list[Checkpoint]:
        """Return the snapshots, oldest first."""
        if not self.folder.is_dir():
            return []
        result = []
        for entry in sorted(self.folder.iterdir()):
            manifest = entry / "manifest.json"
            if manifest.is_file():
                label = json.loads(manifest.read_text()).get("label", "")
                result.append(Checkpoint(int(entry.name), label, str(entry)))
        return result

    def undo(self) -> Checkpoint:
        """Restore the latest snapshot exactly (removing files created since), then drop it."""
        latest = self._latest()
        if latest is None:
            raise GitError("nothing to undo: no checkpoint was taken")
        saved = Path(latest.ref)
        kept = set(json.loads((saved / "manifest.json").read_text())["files"])
        for name in walk_files(self.root):
            if name not in kept:
                (self.root / name).unlink()
        for name in kept:
            source, target = saved / "files" / name, self.root / name
            if not target.exists() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        shutil.rmtree(saved)
        return latest

    def status(self) -> str:
        """Return changes since the first snapshot, one `M|A|D path` line each."""
        base = self._base()
        if base is None:
            return ""
        lines = []
        now = set(walk_files(self.root))
        for name in sorted(now | base):
            if name not in base:
                lines.append(f"A {name}")
            elif name not in now:
                lines.append(f"D {name}")
            elif self._base_bytes(name) != (self.root / name).read_bytes():
                lines.append(f"M {name}")
        return "\n".join(lines)

    def diff(self, paths: Sequence[str] | None = None) -> str:
        """Return a unified diff from the first snapshot to now."""
        base = self._base() or set()
        names = sorted(paths) if paths else sorted(set(walk_files(self.root)) | base)
        out = []
        for name in names:
            before = self._base_bytes(name).decode("utf-8", "replace") if name in base else ""
            path = self.root / name
            after = path.read_text(errors="replace") if path.is_file() else ""
            out += difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                f"a/{name}", f"b/{name}",
            )  # fmt: skip
        return "".join(out)

    def commit(self, paths: Sequence[str], message: str) -> str:
        """Refuse: a plain directory has no history to commit to."""
        raise GitError(f"{self.root} is not a git repository; nothing can be committed")

    def _latest(self) -> Checkpoint | None:
        checkpoints = self.list()
        return checkpoints[-1] if checkpoints else None

    def _base(self) -> set[str] | None:
        checkpoints = self.list()
        if not checkpoints:
            return None
        return set(json.loads((Path(checkpoints[0].ref) / "manifest.json").read_text())["files"])

    def _base_bytes(self, name: str) -> bytes:
        return (Path(self.list()[0].ref) / "files" / name).read_bytes()
