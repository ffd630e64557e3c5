"""Snapshots of a work tree in a private git repository in the user cache (a shadow).

The shadow records the whole tree (untracked files too, ignored ones not) as a git tree object
without writing anything in the user's repository: its own objects, index and refs live in the
cache, and it reads the user's objects through git's alternates so unchanged files cost
nothing. It tells which files a command changed (two captures), shows diffs that include new
files, and gives plain directories the status and diff a git repository has.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import GitError
from assistant.git.command import git_bytes, run_git

VENDORED = ("node_modules/", ".venv/", "venv/", "__pycache__/", ".tox/", ".mypy_cache/",
            ".pytest_cache/", ".hg/", ".svn/", "*.assistant-*.tmp")  # fmt: skip
BASE_REF = "refs/assistant/base"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True)
class TreeChange:
    """A path that differs between two captures: "A" added, "M" modified, "D" deleted."""

    status: str
    path: str


class ShadowTree:
    """The shadow repository of one work tree."""

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        self.git_dir = Path(cache_root) / "shadow" / f"{self.root.name}-{digest}.git"

    def capture(self) -> str:
        """Record the work tree as it is now; return its tree id."""
        self._ensure()
        self._git("add", "-A", "--ignore-errors", ".")
        tree = self._git("write-tree")
        try:
            self._git("rev-parse", "--verify", "-q", BASE_REF)
        except GitError:
            self._git("update-ref", BASE_REF, self._git("commit-tree", tree, "-m", "base"))
        return tree

    def changes(self, before: str, after: str) -> list[TreeChange]:
        """Return the files that differ between two captures."""
        raw = self._git("diff-tree", "-r", "--no-renames", "--name-status", "-z", before, after)
        fields = raw.split("\0")
        return [
            TreeChange(status, path)
            for status, path in zip(fields[::2], fields[1::2], strict=False)
            if path
        ]

    def read(self, tree: str, path: str) -> bytes | None:
        """Return a file's bytes in a capture, or None if it was not there."""
        try:
            return git_bytes(self.root, "cat-file", "blob", f"{tree}:{path}", env=self._env())
        except GitError:
            return None

    def diff(self, base: str, tree: str, paths: Sequence[str] = ()) -> str:
        """Return the unified diff between a base tree and a capture (for some paths)."""
        return self._git("diff", base, tree, "--", *paths)

    def base(self) -> str:
        """Return the tree of the first capture ever made of this work tree."""
        try:
            return self._git("rev-parse", f"{BASE_REF}^{{tree}}")
        except GitError:
            return EMPTY_TREE

    def _ensure(self) -> None:
        if (self.git_dir / "HEAD").is_file():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        run_git(self.git_dir.parent, "init", "-q", "--bare", str(self.git_dir))
        for key in ("core.bare", "core.autocrlf", "core.safecrlf", "advice.addEmbeddedRepo"):
            self._git("config", key, "false")
        exclude = self.git_dir / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        objects = self._user_objects()
        user_exclude = ""
        if objects is not None:
            (self.git_dir / "objects" / "info").mkdir(parents=True, exist_ok=True)
            (self.git_dir / "objects" / "info" / "alternates").write_text(f"{objects}\n")
            info = objects.parent / "info" / "exclude"
            user_exclude = info.read_text(errors="replace") if info.is_file() else ""
        exclude.write_text("\n".join(VENDORED) + "\n" + user_exclude)

    def _user_objects(self) -> Path | None:
        try:
            common = run_git(self.root, "rev-parse", "--path-format=absolute", "--git-common-dir")
        except GitError:
            return None
        if Path(run_git(self.root, "rev-parse", "--show-toplevel")).resolve() != self.root:
            return None
        objects = Path(common) / "objects"
        return objects if objects.is_dir() else None

    def _env(self) -> dict[str, str]:
        return {
            "GIT_DIR": str(self.git_dir),
            "GIT_WORK_TREE": str(self.root),
            "GIT_INDEX_FILE": str(self.git_dir / "index"),
            # The shadow's own commits: no identity of the user's is needed or used.
            "GIT_AUTHOR_NAME": "assistant",
            "GIT_AUTHOR_EMAIL": "assistant@localhost",
            "GIT_COMMITTER_NAME": "assistant",
            "GIT_COMMITTER_EMAIL": "assistant@localhost",
        }

    def _git(self, *args: str) -> str:
        return run_git(self.root, *args, env=self._env())
