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
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assistant.errors import GitError, WorkspaceError
from assistant.git import GitRepository, ScratchWorktree
from assistant.security.secrets import is_secret_path
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
        found = _repository(self.root)
        if found is not None:
            self.path = self._git_copy(*found)
        else:
            self._temporary = Path(tempfile.mkdtemp(prefix="assistant-scratch-"))
            self.path = self._temporary / self.root.name
            # Links stay links (one leading out of the repository stays unreadable there).
            shutil.copytree(self.root, self.path, symlinks=True, ignore=_copy_ignores)
        for name, text in buffers.items():
            if is_secret_path(name):
                continue  # an open secrets file never enters the agent's copy
            target = resolve_repo_path(self.path, name, for_write=True)
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

    def _git_copy(self, repo: GitRepository, head: str) -> Path:
        path = ScratchWorktree(repo, self.worktree).reset(head)
        self._copy_uncommitted(repo, path)
        return path

    def _copy_uncommitted(self, repo: GitRepository, scratch: Path) -> None:
        """Bring the user's modified, deleted and untracked files into the scratch tree."""
        for name in repo.changed_paths():
            source, target = self.root / name, scratch / name
            if (source.is_file() or source.is_symlink()) and not is_secret_path(name):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
            elif target.is_file():
                target.unlink()


def _copy_ignores(folder: str, names: list[str]) -> set[str]:
    """Leave out of a plain copy what the agent must not see there: VCS and vendored folders,
    secrets files."""
    return {n for n in names if n in COPY_IGNORES or is_secret_path(n)}


def _repository(root: Path) -> tuple[GitRepository, str] | None:
    """Return the repository whose top level is `root` and its HEAD, or None (not a git top
    level, or no commit yet)."""
    try:
        repo = GitRepository(root)
    except GitError:
        return None
    head = repo.head() if repo.root == root else None
    return (repo, head) if head else None
