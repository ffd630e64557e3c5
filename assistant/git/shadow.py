"""Snapshots of a work tree in a private git repository in the user cache (a shadow).

The shadow records the whole tree (untracked files too, ignored ones not) as a git tree object
without writing anything in the user's repository: its own objects, index and refs live in the
cache, and it reads the user's objects through git's alternates so unchanged files cost
nothing. It tells which files a command changed (two captures), shows diffs that include new
files, and gives plain directories the status and diff a git repository has.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import GitError
from assistant.git.command import git_bytes, run_git
from assistant.security.secrets import is_secret_path

VENDORED = ("node_modules/", ".venv/", "venv/", "__pycache__/", ".tox/", ".mypy_cache/",
            ".pytest_cache/", ".hg/", ".svn/", "*.assistant-*.tmp")  # fmt: skip
BASE_REF = "refs/assistant/base"
GITLINK, LINK_MODE = "160000", "120000"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True)
class TreeChange:
    """A path that differs between two captures: "A" added, "M" modified, "D" deleted ("T":
    its type changed), with its mode and object id in the first capture."""

    status: str
    path: str
    old_mode: str = "000000"
    old_id: str = ""


@dataclass(frozen=True)
class StoredPath:
    """A path as a capture holds it: a file's bytes or a link's target (kind None: absent)."""

    kind: str | None
    data: bytes = b""
    mode: int | None = None


class ShadowTree:
    """The shadow repository of one work tree."""

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        self.git_dir = Path(cache_root) / "shadow" / f"{self.root.name}-{digest}.git"

    def capture(self) -> str:
        """Record the work tree as it is now; return its tree id (one capture at a time,
        across processes: they share the shadow's index)."""
        with self._locked():
            if self._ensure():
                self._seed_index()
            try:
                tree = self._write_tree()
            except GitError:
                # An object the index names is gone (the user's repository pruned it):
                # start the index again from scratch, which re-reads every file once.
                (self.git_dir / "index").unlink(missing_ok=True)
                self._seed_index()
                tree = self._write_tree()
            try:
                self._git("rev-parse", "--verify", "-q", BASE_REF)
            except GitError:
                self._git("update-ref", BASE_REF, self._git("commit-tree", tree, "-m", "base"))
            return tree

    def changes(self, before: str, after: str) -> list[TreeChange]:
        """Return the files (and links) that differ between two captures; nested
        repositories (gitlinks) are left out: their content is not the shadow's."""
        raw = self._git("diff-tree", "-r", "--no-renames", "--raw", "-z", before, after)
        fields = raw.split("\0")
        found = []
        for meta, path in zip(fields[::2], fields[1::2], strict=False):
            parts = meta.lstrip(":").split()
            if len(parts) < 5 or not path:
                continue
            old_mode, new_mode, old_id, _new_id, status = parts[:5]
            if GITLINK in (old_mode, new_mode):
                continue
            found.append(TreeChange(status[0], path, old_mode, old_id))
        return found

    def contents_before(self, changes: Sequence[TreeChange]) -> dict[str, StoredPath | None]:
        """Return each changed path as the first capture holds it (kind None: absent; None:
        unreadable), reading every object in one `cat-file --batch`."""
        states: dict[str, StoredPath | None] = {}
        wanted = [c for c in changes if c.old_mode != "000000"]
        for change in changes:
            if change.old_mode == "000000":
                states[change.path] = StoredPath(None)
        if not wanted:
            return states
        out = git_bytes(
            self.root, "cat-file", "--batch", env=self._env(), raw=True,
            stdin="".join(f"{c.old_id}\n" for c in wanted),
        )  # fmt: skip
        offset = 0
        for change in wanted:
            end = out.index(b"\n", offset)
            header = out[offset:end].split()
            offset = end + 1
            if len(header) < 3 or header[1] != b"blob":
                states[change.path] = None
                continue
            size = int(header[2])
            data, offset = out[offset : offset + size], offset + size + 1
            kind = "link" if change.old_mode == LINK_MODE else "file"
            mode = 0o755 if change.old_mode == "100755" else 0o644
            states[change.path] = StoredPath(kind, data, mode if kind == "file" else None)
        return states

    def read(self, tree: str, path: str) -> bytes | None:
        """Return a file's bytes in a capture, or None if it was not there."""
        try:
            return git_bytes(self.root, "cat-file", "blob", f"{tree}:{path}", env=self._env())
        except GitError:
            return None

    def diff(self, base: str, tree: str, paths: Sequence[str] = ()) -> str:
        """Return the unified diff between a base tree and a capture (for some paths), with
        secrets files left out (listed by name, never by content)."""
        names = self._git("diff", "--name-only", "-z", base, tree, "--", *paths).split("\0")
        secret = [name for name in names if name and is_secret_path(name)]
        spec = [*(paths or ["."]), *(f":(exclude,literal){name}" for name in secret)]
        diff = self._git("diff", base, tree, "--", *spec)
        notes = "".join(f"[a secrets file changed; not shown: {name}]\n" for name in secret)
        return notes + diff

    def base(self) -> str:
        """Return the tree of the first capture ever made of this work tree."""
        try:
            return self._git("rev-parse", f"{BASE_REF}^{{tree}}")
        except GitError:
            return EMPTY_TREE

    def _write_tree(self) -> str:
        self._git("add", "-A", "--ignore-errors", ".")
        return self._git("write-tree")

    def _seed_index(self) -> None:
        """Start from the user's HEAD, so files they track stay tracked here even where a
        .gitignore matches them (the shadow's own `add -A` would skip those)."""
        try:
            head = run_git(self.root, "rev-parse", "--verify", "-q", "HEAD^{tree}")
        except GitError:
            return
        if self._user_objects() is not None:
            self._git("read-tree", head)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{self.git_dir}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _ensure(self) -> bool:
        """Make the shadow repository if needed; return whether it is new."""
        if (self.git_dir / "HEAD").is_file():
            return False
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
        return True

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
        # raw: the shadow keeps files exactly as they are on disk, whatever filters say.
        return run_git(self.root, *args, env=self._env(), raw=True)
