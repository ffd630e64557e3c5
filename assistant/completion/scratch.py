"""A private copy of the repository for editor actions, so the agent never writes the user's files.

In a git repository it is a detached worktree at HEAD, kept between actions (resetting it is
cheap), with the user's uncommitted changes copied in and then the editor's unsaved buffers
written over them: the agent sees exactly what the user sees. Anything else gets a plain copy.
What the agent changes there comes back as file changes the editor applies (and can undo).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assistant.errors import GitError, WorkspaceError
from assistant.workspace import resolve_repo_path

log = logging.getLogger(__name__)
COPY_IGNORES = (".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".tox")


class ScratchTree:
    """One reusable scratch copy of a repository (use one action at a time)."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        self.worktree = Path(cache_dir) / "scratch" / f"{self.root.name}-{digest}"
        self.path: Path | None = None
        self._temporary: Path | None = None

    def prepare(self, buffers: Mapping[str, str]) -> Path:
        """Make the scratch copy match the work tree plus `buffers` (path -> text); return it."""
        head = _head(self.root)
        if head is not None:
            self.path = self._git_copy(head)
        else:
            self._temporary = Path(tempfile.mkdtemp(prefix="assistant-scratch-"))
            self.path = self._temporary / self.root.name
            shutil.copytree(self.root, self.path, ignore=shutil.ignore_patterns(*COPY_IGNORES))
        for name, text in buffers.items():
            target = resolve_repo_path(self.path, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return self.path

    def read(self, name: str) -> str | None:
        """Return a file's text in the scratch copy, or None if it does not exist there."""
        if self.path is None:
            raise WorkspaceError("the scratch copy is not prepared")
        target = resolve_repo_path(self.path, name)
        return target.read_text(encoding="utf-8") if target.is_file() else None

    def release(self) -> None:
        """Remove a temporary plain copy (a git worktree is kept for the next action)."""
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

    def _git_copy(self, head: str) -> Path:
        path = self.worktree
        if (path / ".git").is_file():
            try:
                _git(path, "checkout", "-q", "-f", "--detach", head)
                _git(path, "clean", "-q", "-f", "-d", "-x")
            except GitError as error:
                log.info("scratch worktree unusable (%s); making a new one", error)
                shutil.rmtree(path, ignore_errors=True)
        if not (path / ".git").is_file():
            from assistant.gitops import GitCheckpoints

            shutil.rmtree(path, ignore_errors=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            _git(self.root, "worktree", "prune")
            GitCheckpoints(self.root).add_worktree(path, head, detach=True)
        self._copy_uncommitted(path)
        return path

    def _copy_uncommitted(self, scratch: Path) -> None:
        """Bring the user's modified, deleted and untracked files into the scratch tree."""
        out = _git(self.root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
        fields = out.split("\0")
        index = 0
        while index < len(fields):
            entry = fields[index]
            index += 1
            if len(entry) < 4:
                continue
            status, name = entry[:2], entry[3:]
            if "R" in status or "C" in status:
                index += 1  # the next field is the old name of a rename or copy
            source, target = self.root / name, scratch / name
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
            elif target.is_file():
                target.unlink()


def _head(root: Path) -> str | None:
    """Return the commit HEAD points at, or None (not a git top level, or no commit yet)."""
    try:
        if Path(_git(root, "rev-parse", "--show-toplevel")).resolve() != root:
            return None
        return _git(root, "rev-parse", "--verify", "-q", "HEAD") or None
    except GitError:
        return None


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise GitError(f"git {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.rstrip("\n")
