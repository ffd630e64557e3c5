"""Run git for the assistant with the repository's own commands switched off.

A repository's configuration can name programs git runs: hooks (`core.hooksPath`, the hooks
folder), `core.fsmonitor`, filter drivers run by `add` and `checkout`, external diff and
textconv drivers, a pager. A hostile repository (a downloaded tarball with its `.git`, or a
config a tool once wrote) would run them on the assistant's own next `git add`. Every git call
the assistant makes goes through `run_git`, which neutralises all of them, takes no optional
locks (so reading commands never rewrite `.git/index`) and never prompts.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from assistant.errors import GitError

# Settings that make git run a program, switched off for every call.
NEUTRAL_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    "core.editor=false",
    "core.sshCommand=false",
    "credential.helper=",
    "diff.external=",
    "gc.auto=0",
    "maintenance.auto=false",
    "submodule.recurse=false",
    "uploadpack.packObjectsHook=",
)
# Commands that show diffs: external diff and textconv drivers come from .gitattributes.
DIFF_COMMANDS = frozenset({"diff", "log", "show", "diff-tree", "diff-index", "diff-files"})
# Inherited variables that would point git somewhere else than where we send it.
CLEARED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
               "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
               "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF",
               "GIT_PAGER", "GIT_EDITOR", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS")  # fmt: skip
_filter_cache: dict[str, tuple[float, tuple[str, ...]]] = {}


def run_git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
) -> str:
    """Run `git ARGS` in `cwd` with the repository's programs neutralised; return stdout.

    `env` adds variables (GIT_INDEX_FILE, GIT_DIR, ...) for this call only. Raise GitError
    with git's message on failure.
    """
    return (
        git_bytes(cwd, *args, env=env, stdin=stdin).decode("utf-8", "surrogateescape").rstrip("\n")
    )


def git_bytes(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
) -> bytes:
    """Run git like `run_git` and return its stdout as bytes (file contents, -z listings)."""
    command = ["git", *_config_flags(cwd, env), *_args(args)]
    result = subprocess.run(
        command,
        cwd=cwd,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=git_env(env),
        check=False,
    )
    if result.returncode != 0:
        message = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed: {message}")
    return result.stdout


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a git call: no inherited redirections, no prompts, no
    optional locks, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_NO_REPLACE_OBJECTS="1")
    env.update(extra or {})
    return env


def _args(args: Sequence[str]) -> list[str]:
    if args and args[0] in DIFF_COMMANDS:
        return [args[0], "--no-ext-diff", "--no-textconv", *args[1:]]
    return list(args)


def _config_flags(cwd: Path, env: Mapping[str, str] | None) -> list[str]:
    flags: list[str] = []
    for item in (*NEUTRAL_CONFIG, *_filter_overrides(cwd, env)):
        flags += ["-c", item]
    return flags


def _filter_overrides(cwd: Path, env: Mapping[str, str] | None) -> tuple[str, ...]:
    """Return settings that empty every filter driver the repository's config defines.

    Filter names are free-form, so they are read from the config first (reading runs nothing).
    The answer is kept per config file and its modification time.
    """
    source = _config_file(cwd, env)
    key = f"{cwd}|{source}"
    try:
        stamp = source.stat().st_mtime if source is not None else 0.0
    except OSError:
        stamp = 0.0
    cached = _filter_cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    result = subprocess.run(
        ["git", "config", "--get-regexp", r"^filter\..*\.(clean|smudge|process)$"],
        cwd=cwd,
        capture_output=True,
        env=git_env(env),
        check=False,
    )
    names = set()
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        setting = line.split(" ", 1)[0]
        names.add(setting[len("filter.") : setting.rindex(".")])
    overrides = tuple(
        item
        for name in sorted(names)
        for item in (f"filter.{name}.clean=", f"filter.{name}.smudge=",
                     f"filter.{name}.process=", f"filter.{name}.required=false")
    )  # fmt: skip
    _filter_cache[key] = (stamp, overrides)
    return overrides


def _config_file(cwd: Path, env: Mapping[str, str] | None) -> Path | None:
    git_dir = (env or {}).get("GIT_DIR")
    if git_dir:
        return Path(git_dir) / "config"
    dot_git = Path(cwd) / ".git"
    if dot_git.is_dir():
        return dot_git / "config"
    return None
