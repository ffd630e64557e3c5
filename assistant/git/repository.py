"""The user's repository as the assistant uses it: status, diffs, commits, branches.

Reading never writes in `.git` (no optional locks; diffs that include new files are made in
the shadow repository). Writing happens only when the user asked for it (a commit, a batch
branch), always through a private index so the user's staged changes stay as they are.
A directory without git gets status and diff from the shadow, and refuses commits.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.errors import GitError
from assistant.git.command import neutralised_filters, run_git
from assistant.git.shadow import EMPTY_TREE, ShadowTree


@dataclass(frozen=True)
class StatusEntry:
    """One line of `git status`: its two-letter code (`M `, `??`, `R `...), the path, and for a
    rename or copy the path it came from."""

    code: str
    path: str
    old_path: str | None = None


class WorkTree(Protocol):
    """What the agent and the front ends ask of a work tree, git or not."""

    root: Path

    def status(self) -> str:
        """Return one `XY path` line per changed file."""
        ...

    def diff(self, paths: Sequence[str] | None = None) -> str:
        """Return the diff of the changes (new files included)."""
        ...

    def changed_paths(self) -> list[str]:
        """Return the paths `status` lists."""
        ...

    def commit(self, paths: Sequence[str], message: str) -> str:
        """Commit `paths` as they are now; return the commit id."""
        ...


class GitRepository:
    """A git work tree, found from `root` or one of its parents."""

    def __init__(self, root: Path, cache_root: Path | None = None) -> None:
        try:
            top = run_git(Path(root), "rev-parse", "--show-toplevel")
        except (GitError, OSError) as error:
            raise GitError(f"{root} is not inside a git repository") from error
        self.root = Path(top).resolve()
        self.cache_root = cache_root

    def head(self) -> str | None:
        """Return the commit HEAD points at, or None in an empty repository."""
        try:
            return self.git("rev-parse", "--verify", "-q", "HEAD") or None
        except GitError:
            return None

    def status(self) -> str:
        """Return `git status --short` (read-only: the index is not refreshed on disk)."""
        return self.git("status", "--short", "--untracked-files=all")

    def status_entries(self) -> list[StatusEntry]:
        """Return each changed, added, deleted and untracked file with its status code."""
        raw = self.git("status", "--porcelain=v1", "-z", "--untracked-files=all")
        fields = raw.split("\0")
        entries, index = [], 0
        while index < len(fields):
            entry = fields[index]
            index += 1
            if len(entry) < 4:
                continue
            old = None
            if entry[0] in "RC":
                old, index = fields[index], index + 1  # the next field is the old name
            entries.append(StatusEntry(entry[:2], entry[3:], old))
        return entries

    def changed_paths(self) -> list[str]:
        """Return the paths of changed, added, deleted and untracked files."""
        return [entry.path for entry in self.status_entries()]

    def diff(self, paths: Sequence[str] | None = None) -> str:
        """Return the diff from HEAD to the work tree, new untracked files included."""
        head = self.head()
        base = self.git("rev-parse", f"{head}^{{tree}}") if head else EMPTY_TREE
        if self.cache_root is None:
            raise GitError("a diff with new files needs the cache folder")
        shadow = ShadowTree(self.root, self.cache_root)
        return shadow.diff(base, shadow.capture(), paths or ())

    def commit(self, paths: Sequence[str], message: str) -> str:
        """Commit only `paths` as they are in the work tree; the user's other staged changes
        stay staged and out of the commit. Return the new commit's id."""
        self._refuse_unfiltered(paths)
        head = self.head()
        with self.private_index() as env:
            if head:
                self.git("read-tree", head, env=env)
            self.git("add", "-A", "--", *paths, env=env)
            tree = self.git("write-tree", env=env)
        commit = self.commit_tree(tree, [head] if head else [], message)
        # Only if HEAD has not moved meanwhile (a commit of the user's is never orphaned).
        old = head or "0" * 40
        self.git("update-ref", "-m", f"assistant: {message.splitlines()[0]}", "HEAD", commit, old)
        self.git("reset", "-q", "--", *paths)  # only these entries move to the new HEAD
        return commit

    def _refuse_unfiltered(self, paths: Sequence[str]) -> None:
        """Refuse to commit a path whose filter (git-crypt, git-lfs) the repository's own
        config defines: the assistant never runs it, and must not store what it would change."""
        names = neutralised_filters(self.root)
        if not names or not paths:
            return
        out = self.git("check-attr", "-z", "filter", "--", *paths)
        fields = out.split("\0")
        for path, _, value in zip(fields[::3], fields[1::3], fields[2::3], strict=False):
            if value in names:
                raise GitError(
                    f"{path} goes through the repository's filter {value!r}, which the assistant "
                    "does not run",
                    hint="commit it with git yourself",
                )

    def commit_tree(self, tree: str, parents: Sequence[str], message: str) -> str:
        """Make a commit object of `tree` with these parents; return its id."""
        args = ["commit-tree", tree, "-m", message]
        for parent in parents:
            args += ["-p", parent]
        return self.git(*args)

    def update_ref(self, ref: str, commit: str, old: str | None = None) -> None:
        """Point `ref` at `commit` (only if it still points at `old`, when given)."""
        self.git("update-ref", ref, commit, *([old] if old else []))

    def rev_parse(self, spec: str) -> str:
        """Return the object id `spec` names (GitError if none)."""
        return self.git("rev-parse", "--verify", "-q", spec)

    def create_branch(self, name: str, from_ref: str = "HEAD") -> None:
        """Create branch `name` at `from_ref` without switching to it."""
        self.git("branch", name, from_ref)

    def apply_to_branch(self, branch: str, diff: str, message: str) -> str:
        """Commit `diff` on top of `branch` without a work tree (through a private index);
        return the new commit. The user's index, HEAD and files are not touched."""
        ref = f"refs/heads/{branch}"
        tip = self.rev_parse(ref)
        with self.private_index() as env:
            self.git("read-tree", tip, env=env)
            patch = diff if diff.endswith("\n") else diff + "\n"
            self.git("apply", "--cached", "--whitespace=nowarn", env=env, stdin=patch)
            tree = self.git("write-tree", env=env)
        commit = self.commit_tree(tree, [tip], message)
        self.update_ref(ref, commit, tip)
        return commit

    def common_dir(self) -> Path:
        """Return the repository's shared git directory (the main `.git`)."""
        return Path(self.git("rev-parse", "--path-format=absolute", "--git-common-dir"))

    @contextmanager
    def private_index(self) -> Iterator[dict[str, str]]:
        """Yield the environment of a fresh index file kept outside the repository."""
        folder = Path(tempfile.mkdtemp(prefix="assistant-index-"))
        try:
            yield {"GIT_INDEX_FILE": str(folder / "index")}
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
        """Run a git command in this repository (neutralised: see assistant.git.command)."""
        return run_git(self.root, *args, env=env, stdin=stdin)


class PlainDirectory:
    """A directory without git: status and diff against the shadow's first capture."""

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = Path(root).resolve()
        self.shadow = ShadowTree(self.root, cache_root)

    def status(self) -> str:
        """Return one `M|A|D path` line per file changed since the first capture."""
        return "\n".join(f"{c.status} {c.path}" for c in self._changes())

    def changed_paths(self) -> list[str]:
        """Return the files changed since the first capture."""
        return [c.path for c in self._changes()]

    def diff(self, paths: Sequence[str] | None = None) -> str:
        """Return the diff from the first capture to now."""
        tree = self.shadow.capture()
        return self.shadow.diff(self.shadow.base(), tree, paths or ())

    def commit(self, paths: Sequence[str], message: str) -> str:
        """Refuse: a plain directory has no history to commit to."""
        raise GitError(f"{self.root} is not a git repository; nothing can be committed")

    def _changes(self) -> list:
        tree = self.shadow.capture()
        return self.shadow.changes(self.shadow.base(), tree)


def open_work_tree(root: Path, cache_root: Path) -> GitRepository | PlainDirectory:
    """Return the git repository at `root`, or a plain directory's stand-in."""
    try:
        return GitRepository(root, cache_root)
    except GitError:
        return PlainDirectory(root, cache_root)
