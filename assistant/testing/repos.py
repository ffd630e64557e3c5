"""Real git repositories for tests: files committed, the user's work on top, and what a work
tree holds, to compare before and after.

Every repository is made with the git command line in `git_env()`: the user's own git config
(global and system) and `GIT_*` variables are left out, so a test's repository is the same on
every machine (no signing, no hooks path, no autocrlf) and commits carry the test identity.
The builders return the repository's folder; a test that inspects history opens it with
GitPython (`git.Repo(root)`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

IDENTITY = ("T", "t@example.com")
FileContents = Mapping[str, str | bytes]


def git_env() -> dict[str, str]:
    """Return this process's environment with no git config but the test identity's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    name, email = IDENTITY
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
        LC_ALL="C",
    )
    return env


def run_git(root: Path, *args: str) -> str:
    """Run `git ARGS` in `root` with `git_env()`; return what it printed, or raise if it failed."""
    done = subprocess.run(
        ["git", *args], cwd=root, env=git_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def init_repo(root: Path, *, identity: bool = True) -> Path:
    """Make an empty repository at `root` (and the folder); set the test identity in its config
    unless `identity` is false, so that commits the code under test makes work anywhere."""
    root.mkdir(parents=True, exist_ok=True)
    run_git(root, "init", "-q")
    if identity:
        name, email = IDENTITY
        run_git(root, "config", "user.name", name)
        run_git(root, "config", "user.email", email)
    return root


def write_files(root: Path, files: FileContents) -> Path:
    """Write `files` (relative path -> text or bytes) under `root`, making folders; return it."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def commit_files(
    root: Path, files: FileContents, message: str = "files", *, identity: bool = True
) -> Path:
    """Write `files` under `root` and commit exactly them (ignore rules do not apply), making
    the repository first where there is none (see `init_repo` for `identity`)."""
    if not (root / ".git").exists():
        init_repo(root, identity=identity)
    stage_files(root, files)
    if files:
        run_git(root, "commit", "-q", "--no-verify", "-m", message, "--", *files)
    return root


def stage_files(root: Path, files: FileContents) -> None:
    """Write `files` under `root` and stage them (ignore rules do not apply), committing nothing."""
    write_files(root, files)
    if files:
        run_git(root, "add", "-f", "--", *files)


def work_tree_bytes(root: Path) -> dict[str, bytes]:
    """Return every file under `root` outside `.git`, by relative POSIX path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def tree_digest(folder: Path) -> dict[str, str]:
    """Return every file under `folder` (`.git` included), by relative POSIX path, with the
    SHA-256 of its bytes: what a test compares to show that nothing was written there."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
