"""The paths of a repository that tools and commands must leave alone, found in one place.

- Git internals: the `.git` folder or a worktree's `.git` file (and the git folders it really
  uses), every nested repository's and submodule's `.git`, the `core.hooksPath` folder, and
  config files the repository's git config includes from the work tree (`include.path`):
  a tool or command that writes there makes the user's own git run its programs.
- The project's assistant config, `.assistant/config.toml`, and its MCP server lists
  (`.mcp.json`, `.assistant/mcp.toml`): trust is checked by hash anyway, but a model should not
  be the one to change what a trusted folder may set or start.
- Secrets files inside the repository (never shown to a sandboxed command the policy let run).

Tools refuse these paths (workspace.resolve_repo_path); the sandbox binds them read-only or
hides them. Finding them walks the repository's folders, so the answer is kept for a few
seconds per repository.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.config.trust import PROJECT_COMMANDS, PROJECT_CONFIG, PROJECT_MCP_FILES
from assistant.errors import GitError
from assistant.git.command import config_value, git_bytes, run_git
from assistant.security.secrets import SECRET_DIRS, is_secret_path

SKIPPED_DIRS = frozenset({"node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache",
                          ".pytest_cache", "site-packages", "dist", "build", "target"})  # fmt: skip
# The project's own assistant files (and its commands folder): tools may read the files, never
# write any of them.
PROJECT_FILES = (PROJECT_CONFIG, *PROJECT_MCP_FILES, PROJECT_COMMANDS)
MAX_FOLDERS = 20_000  # a walk of more folders stops there (the top ones are the likely ones)
FRESH_SECONDS = 5.0


@dataclass(frozen=True)
class ProtectedPaths:
    """What must not be written (git internals, config) and what must not be read (secrets)."""

    git: tuple[Path, ...]
    config: tuple[Path, ...]
    secrets: tuple[Path, ...]
    hooks: tuple[Path, ...] = ()

    def forbids_write(self, path: Path) -> bool:
        """Return whether a resolved path lies in git internals or is protected config."""
        return any(path == p or p in path.parents for p in (*self.git, *self.config))


_cache: dict[tuple[Path, bool], tuple[float, ProtectedPaths]] = {}


def protected_paths(root: Path, *, walk: bool = True) -> ProtectedPaths:
    """Return the protected paths of the repository at `root` (all resolved). Without `walk`,
    only what git's config names (cheap: what a tool's path check needs, since `.git` at any
    depth is refused by name there); with it, nested repositories and secrets files too."""
    root = Path(root).resolve()
    cached = _cache.get((root, walk))
    # Only the config-named paths are kept a moment (tools ask on every call); a walk is
    # always fresh: the previous command may have made a nested repository.
    if not walk and cached is not None and time.monotonic() - cached[0] < FRESH_SECONDS:
        return cached[1]
    nested, secrets = _walk(root) if walk else ([], [])
    git = [*git_folders(root), *nested, *(_submodule_git(root) if walk else [])]
    hooks = _hooks(root)
    config = [*(root / name for name in PROJECT_FILES), *hooks, *_included_configs(root)]
    found = ProtectedPaths(_unique(git), _unique(config), _unique(secrets), _unique(hooks))
    _cache[(root, walk)] = (time.monotonic(), found)
    return found


def git_folders(root: Path) -> list[Path]:
    """Return the repository's `.git` and, for a worktree, the git folders it really uses.

    `.git` is repository content: a folder it names outside the repository counts only when
    it really is this worktree's (its `gitdir` file points back here).
    """
    dot_git = root / ".git"
    if dot_git.is_symlink():
        return [dot_git] if dot_git.resolve().is_relative_to(root) else []
    if not dot_git.is_file():
        return [dot_git]
    gitdir = _named_gitdir(dot_git)
    if gitdir is None or not (gitdir.is_relative_to(root) or _points_back(gitdir, dot_git)):
        return [dot_git]
    paths = [dot_git, gitdir]
    common = _read_line(gitdir / "commondir")
    if common:
        common_dir = (gitdir / common).resolve()
        if gitdir.is_relative_to(common_dir) and (common_dir / "HEAD").is_file():
            paths.insert(1, common_dir)
    return paths


def _walk(root: Path) -> tuple[list[Path], list[Path]]:
    """Return the nested `.git` entries and the secrets files and folders under `root`."""
    nested: list[Path] = []
    secrets: list[Path] = []
    pending, seen = [root], 0
    while pending and seen < MAX_FOLDERS:
        folder = pending.pop()
        seen += 1
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name == ".git":
                if folder != root:
                    nested.append(path)
                continue
            rel = path.relative_to(root)
            if entry.name in SECRET_DIRS or (is_secret_path(rel) and not entry.is_dir()):
                secrets.append(path)
            elif entry.is_dir(follow_symlinks=False) and entry.name not in SKIPPED_DIRS:
                pending.append(path)
    return nested, secrets


def _hooks(root: Path) -> list[Path]:
    """Return `core.hooksPath` when it lies in the work tree."""
    value = _config(root, "core.hooksPath")
    return [(root / value).resolve()] if value else []


def _included_configs(root: Path) -> list[Path]:
    """Return the config files the repository's git config includes from the work tree."""
    if not (root / ".git").exists():
        return []
    try:
        out = run_git(root, "config", "--local", "--get-regexp", r"^include(if\..*)?\.path$")
    except (GitError, OSError):
        return []
    found = []
    for line in out.splitlines():
        value = line.split(" ", 1)[1] if " " in line else ""
        if value:
            found.append(((root / ".git") / Path(value).expanduser()).resolve())
    return [p for p in found if p.is_relative_to(root)]


def _submodule_git(root: Path) -> list[Path]:
    """Return each submodule's `.git`, from the index (`.gitmodules` may have been deleted)."""
    if not (root / ".git").exists():
        return []
    try:
        listing = git_bytes(root, "ls-files", "--stage", "-z").decode("utf-8", "surrogateescape")
    except (GitError, OSError):
        return []
    paths = []
    for entry in listing.split("\0"):
        mode, _, rest = entry.partition(" ")
        if mode == "160000" and "\t" in rest:
            paths.append(root / rest.split("\t", 1)[1] / ".git")
    return paths


def _config(root: Path, key: str) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        return config_value(root, key)
    except OSError:
        return None


def _named_gitdir(dot_git: Path) -> Path | None:
    line = _read_line(dot_git)
    if not line.startswith("gitdir:"):
        return None
    gitdir = (dot_git.parent / line.removeprefix("gitdir:").strip()).resolve()
    return gitdir if (gitdir / "HEAD").is_file() else None


def _points_back(gitdir: Path, dot_git: Path) -> bool:
    back = _read_line(gitdir / "gitdir")
    return bool(back) and (gitdir / back).resolve() == dot_git.resolve()


def _read_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            return file.readline().strip()
    except OSError:
        return ""


def _unique(paths: list[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(Path(os.path.realpath(p)) for p in paths))
