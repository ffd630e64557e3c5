"""Scratch worktrees: private, detached checkouts of the user's repository in the cache, where
batch targets and editor actions let an agent edit without touching the user's files.

The agent (and the commands it runs) works inside a scratch tree, so its `.git` file is
hostile data: rewritten to point at the user's repository, the next `checkout -f` or
`clean -x` would run against the user's work. So the assistant never reads that file: every
git call in a scratch tree names its administrative folder and work tree explicitly, the
folder found in (and checked against) the main repository's own `worktrees/` records, and
the `.git` file is written back as git made it before the tree is handed out again.
"""

from __future__ import annotations

import shutil
import threading
from contextlib import nullcontext
from pathlib import Path

from assistant.errors import GitError
from assistant.git.command import run_git
from assistant.git.repository import GitRepository


class ScratchWorktree:
    """One scratch worktree of `repo` at `path` (created on first `reset`)."""

    def __init__(self, repo: GitRepository, path: Path, lock: threading.Lock | None = None) -> None:
        self.repo = repo
        self.path = Path(path).resolve()
        # git keeps the worktree list in shared files: adds and removes must not overlap.
        self._lock = lock

    def reset(self, commit: str) -> Path:
        """Make the scratch tree a clean checkout of `commit` (reused when intact); return it."""
        admin = self._admin_dir()
        if admin is not None and self.path.is_dir():
            self._repair_link(admin)
            try:
                self.git("checkout", "-q", "-f", "--detach", commit)
                self.git("clean", "-q", "-f", "-d", "-x")
                return self.path
            except GitError:
                pass  # broken beyond repair: make it again
        self.remove()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock or nullcontext():
            self.repo.git("worktree", "add", "-q", "--detach", str(self.path), commit)
        return self.path

    def git(self, *args: str, stdin: str | None = None) -> str:
        """Run git in the scratch tree with its administrative folder named explicitly."""
        admin = self._admin_dir()
        if admin is None:
            raise GitError(f"{self.path} is not a worktree of {self.repo.root}")
        env = {"GIT_DIR": str(admin), "GIT_WORK_TREE": str(self.path)}
        return run_git(self.path, *args, env=env, stdin=stdin)

    def diff(self, base: str) -> str:
        """Return the scratch tree's changes against `base`, new files included."""
        self.git("add", "-A")
        return self.git("diff", "--cached", "--binary", base)

    def remove(self) -> None:
        """Remove the scratch tree and git's record of it."""
        with self._lock or nullcontext():
            admin = self._admin_dir()
            if admin is not None:
                try:
                    self.repo.git("worktree", "remove", "--force", str(self.path))
                except GitError:
                    shutil.rmtree(admin, ignore_errors=True)
            shutil.rmtree(self.path, ignore_errors=True)
            self.repo.git("worktree", "prune")

    def _admin_dir(self) -> Path | None:
        """Return the main repository's record of this worktree (trusted: the user's `.git`)."""
        records = self.repo.common_dir() / "worktrees"
        if not records.is_dir():
            return None
        wanted = (self.path / ".git").as_posix()
        for folder in records.iterdir():
            try:
                pointer = (folder / "gitdir").read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if pointer == wanted and not folder.is_symlink():
                return folder
        return None

    def _repair_link(self, admin: Path) -> None:
        """Write the scratch tree's `.git` file back as git made it (it is agent territory)."""
        link = self.path / ".git"
        expected = f"gitdir: {admin}\n"
        try:
            if link.is_file() and not link.is_symlink() and link.read_text() == expected:
                return
        except OSError:
            pass
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        else:
            link.unlink(missing_ok=True)
        link.write_text(expected)
