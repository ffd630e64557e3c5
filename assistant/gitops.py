"""Checkpoints and undo that never touch the user's index, branch or stash; status, diff, commit.

A checkpoint is a commit object built through a private temporary index (so untracked files
are included and `.git/index` stays byte-identical), kept under refs/assistant/checkpoints/.
Undo writes the checkpoint's files back and removes files created since, through the same
kind of private index. A directory without git gets the same API from file snapshots.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import git

from assistant.errors import GitError
from assistant.snapshots import Checkpoint, FileCheckpoints

REF_PREFIX = "refs/assistant/checkpoints/"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitCheckpoints:
    """Checkpoints of a git work tree."""

    def __init__(self, root: Path) -> None:
        try:
            self.repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
            raise GitError(f"{root} is not inside a git repository") from error
        self.root = Path(self.repo.working_tree_dir or root)

    # -- checkpoints -------------------------------------------------------------------------

    def create(self, label: str) -> Checkpoint:
        """Save the whole work tree (untracked files too) without touching index or HEAD."""
        tree = self._snapshot_tree()
        head = self._head()
        args = ["commit-tree", tree, "-m", f"assistant checkpoint: {label}"]
        if head:
            args[2:2] = ["-p", head]
        commit = self._git(*args)
        number = (self._latest().number + 1) if self._latest() else 1
        ref = f"{REF_PREFIX}{number:06d}"
        self._git("update-ref", ref, commit)
        return Checkpoint(number, label, ref)

    def list(self) -> list[Checkpoint]:
        """Return the checkpoints, oldest first."""
        out = self._git("for-each-ref", "--format=%(refname)%09%(contents:subject)", REF_PREFIX)
        result = []
        for line in filter(None, out.splitlines()):
            ref, _, subject = line.partition("\t")
            label = subject.removeprefix("assistant checkpoint: ")
            result.append(Checkpoint(int(ref.rsplit("/", 1)[1]), label, ref))
        return sorted(result, key=lambda c: c.number)

    def undo(self) -> Checkpoint:
        """Restore the work tree to the latest checkpoint exactly, then forget that checkpoint."""
        latest = self._latest()
        if latest is None:
            raise GitError("nothing to undo: no checkpoint was taken")
        saved_tree = self._git("rev-parse", f"{latest.ref}^{{tree}}")
        now_tree = self._snapshot_tree()
        changes = self._git(
            "diff-tree", "-r", "--no-renames", "--name-status", "-z", now_tree, saved_tree
        )
        restore, remove = _split_changes(changes)
        if restore:
            with self._private_index() as env:
                self._git("read-tree", saved_tree, env=env)
                self._git(
                    "checkout-index", "-f", "-z", "--stdin", env=env, stdin="\0".join(restore)
                )
        for path in remove:
            (self.root / path).unlink(missing_ok=True)
            _prune_empty_dirs(self.root, (self.root / path).parent)
        self._git("update-ref", "-d", latest.ref)
        return latest

    # -- inspection and commits --------------------------------------------------------------

    def status(self) -> str:
        """Return `git status --short` for the work tree."""
        return self._git("status", "--short")

    def diff(self, paths: Sequence[str] | None = None) -> str:
        """Return the diff from HEAD to the work tree, new untracked files included."""
        tree = self._snapshot_tree()
        base = self._head() or EMPTY_TREE
        return self._git("diff", base, tree, "--", *(paths or []))

    def commit(self, paths: Sequence[str], message: str) -> str:
        """Commit only `paths` as they are in the work tree; the user's other staged changes
        stay staged and out of the commit. Return the new commit's id."""
        head = self._head()
        with self._private_index() as env:
            if head:
                self._git("read-tree", head, env=env)
            self._git("add", "-A", "--", *paths, env=env)
            tree = self._git("write-tree", env=env)
        args = ["commit-tree", tree, "-m", message] + (["-p", head] if head else [])
        commit = self._git(*args)
        self._git("update-ref", "-m", f"assistant: {message.splitlines()[0]}", "HEAD", commit)
        self._git("reset", "-q", "--", *paths)  # only these entries move to the new HEAD
        return commit

    def create_branch(self, name: str, from_ref: str = "HEAD") -> None:
        """Create branch `name` at `from_ref` without switching to it."""
        self._git("branch", name, from_ref)

    def add_worktree(self, path: Path, ref: str, *, detach: bool = False) -> Path:
        """Check `ref` out in a separate work tree at `path` (for batch work)."""
        self._git("worktree", "add", "-q", *(["--detach"] if detach else []), str(path), ref)
        return path

    def remove_worktree(self, path: Path) -> None:
        """Remove a work tree made by `add_worktree` (and any stale worktree records)."""
        if Path(path).exists():
            self._git("worktree", "remove", "--force", str(path))
        self._git("worktree", "prune")

    def apply_to_branch(self, branch: str, diff: str, message: str) -> str:
        """Commit `diff` on top of `branch` without a work tree (through a private index);
        return the new commit. The user's index, HEAD and files are not touched."""
        ref = f"refs/heads/{branch}"
        tip = self._git("rev-parse", "--verify", ref)
        with self._private_index() as env:
            self._git("read-tree", tip, env=env)
            patch = diff if diff.endswith("\n") else diff + "\n"
            self._git("apply", "--cached", "--whitespace=nowarn", env=env, stdin=patch)
            tree = self._git("write-tree", env=env)
        commit = self._git("commit-tree", tree, "-p", tip, "-m", message)
        self._git("update-ref", ref, commit, tip)
        return commit

    def head(self) -> str | None:
        """Return the commit HEAD points at, or None in an empty repository."""
        return self._head()

    # -- internals ---------------------------------------------------------------------------

    def _head(self) -> str | None:
        try:
            return self._git("rev-parse", "--verify", "-q", "HEAD")
        except GitError:
            return None

    def _latest(self) -> Checkpoint | None:
        checkpoints = self.list()
        return checkpoints[-1] if checkpoints else None

    def _snapshot_tree(self) -> str:
        with self._private_index() as env:
            head = self._head()
            if head:
                self._git("read-tree", head, env=env)
            self._git("add", "-A", env=env)
            return self._git("write-tree", env=env)

    @contextmanager
    def _private_index(self) -> Iterator[dict[str, str]]:
        git_dir = Path(self.repo.git_dir)
        handle, path = tempfile.mkstemp(prefix="assistant-index-", dir=git_dir)
        os.close(handle)
        os.unlink(path)  # git wants to create it itself
        try:
            yield {"GIT_INDEX_FILE": path}
        finally:
            Path(path).unlink(missing_ok=True)
            Path(f"{path}.lock").unlink(missing_ok=True)

    def _git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
        command = ["git", "-C", str(self.root), *args]
        result = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if result.returncode != 0:
            raise GitError(
                f"git {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}"
            )
        return result.stdout.rstrip("\n")


def _split_changes(raw: str) -> tuple[list[str], list[str]]:
    """Split `diff-tree --name-status -z now saved` into paths to restore and to remove."""
    fields = raw.split("\0")
    restore, remove = [], []
    for status, path in zip(fields[::2], fields[1::2], strict=False):
        if not path:
            continue
        (remove if status == "D" else restore).append(path)
    return restore, remove


def _prune_empty_dirs(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def open_checkpoints(root: Path, settings: object) -> GitCheckpoints | FileCheckpoints:
    """Return git checkpoints for a git work tree, file snapshots for a plain directory."""
    try:
        return GitCheckpoints(root)
    except GitError:
        from assistant.paths import cache_root

        return FileCheckpoints(root, cache_root(settings))  # type: ignore[arg-type]
