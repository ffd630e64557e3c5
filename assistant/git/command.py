"""Run git for the assistant with the repository's own commands switched off.

A repository's configuration can name programs git runs: hooks (`core.hooksPath`, the hooks
folder), `core.fsmonitor`, filter drivers run by `add` and `checkout`, external diff and
textconv drivers, a pager, submodules' own configs. A hostile repository (a downloaded tarball
with its `.git`, or a tracked file its config includes) would run them on the assistant's own
next `git add`. Every git call the assistant makes goes through `run_git`, which neutralises
all of them (as command-scope settings, which win over every config file), takes no optional
locks (so reading commands never rewrite `.git/index`) and never prompts. Filter drivers from
the user's own global config (git-lfs, git-crypt) keep working; a repository's own `required`
filter makes git fail rather than store what the filter would have changed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from assistant.errors import GitError

# Settings that make git run a program, switched off for every call.
NEUTRAL_CONFIG = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.pager", "cat"),
    ("core.editor", "false"),
    ("core.sshCommand", "false"),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("diff.ignoreSubmodules", "all"),  # a submodule's own config is not neutralised: skip them
    ("status.submoduleSummary", "false"),
    ("submodule.recurse", "false"),
    ("log.showSignature", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("uploadpack.packObjectsHook", ""),
)
# Commands that show diffs: external diff and textconv drivers come from .gitattributes.
DIFF_COMMANDS = frozenset({"diff", "log", "show", "diff-tree", "diff-index", "diff-files"})
# Inherited variables that would point git somewhere else than where we send it.
CLEARED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
               "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
               "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF",
               "GIT_PAGER", "GIT_EDITOR", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS")  # fmt: skip
# Filter drivers defined here are the repository's (a tarball's .git/config, or a file it
# includes); the user's own (git-lfs, git-crypt set up globally) come from "global"/"system".
UNTRUSTED_SCOPES = frozenset({"local", "worktree"})


def run_git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
    raw: bool = False,
) -> str:
    """Run `git ARGS` in `cwd` with the repository's programs neutralised; return stdout.

    `env` adds variables (GIT_INDEX_FILE, GIT_DIR, ...) for this call only. `raw` also lets
    git go on where a neutralised filter is `required` (the shadow keeps files as they are
    on disk). Raise GitError with git's message on failure.
    """
    out = git_bytes(cwd, *args, env=env, stdin=stdin, raw=raw)
    return out.decode("utf-8", "surrogateescape").rstrip("\n")


def git_bytes(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
    raw: bool = False,
) -> bytes:
    """Run git like `run_git` and return its stdout as bytes (file contents, -z listings)."""
    settings = [*NEUTRAL_CONFIG, *_filter_overrides(cwd, env, raw)]
    result = subprocess.run(
        ["git", *_args(args)],
        cwd=cwd,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=git_env({**(env or {}), **_config_env(settings)}),
        check=False,
    )
    if result.returncode != 0:
        message = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed: {message}")
    return result.stdout


def config_value(cwd: Path, key: str, env: Mapping[str, str] | None = None) -> str | None:
    """Return a setting as the repository's own git would see it (`git config --path --get`;
    reading configuration runs nothing), or None when it is not set."""
    result = subprocess.run(
        ["git", "config", "--path", "--get", key],
        cwd=cwd, capture_output=True, env=git_env(env), check=False,
    )  # fmt: skip
    value = result.stdout.decode("utf-8", "surrogateescape").strip()
    return value if result.returncode == 0 and value else None


def neutralised_filters(cwd: Path, env: Mapping[str, str] | None = None) -> set[str]:
    """Return the filter drivers the repository's own config defines (which we never run)."""
    result = subprocess.run(
        ["git", "config", "--show-scope", "--get-regexp", r"^filter\..*\.(clean|smudge|process)$"],
        cwd=cwd, capture_output=True, env=git_env(env), check=False,
    )  # fmt: skip
    names = set()
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        scope, _, rest = line.partition("\t")
        setting = rest.split(" ", 1)[0]
        if scope in UNTRUSTED_SCOPES and setting.count(".") >= 2:
            names.add(setting[len("filter.") : setting.rindex(".")])
    return names


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


def _config_env(settings: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Pass settings as GIT_CONFIG_KEY_n/VALUE_n: no quoting, no `=` in names to trip on."""
    env = {"GIT_CONFIG_COUNT": str(len(settings))}
    for number, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{number}"] = key
        env[f"GIT_CONFIG_VALUE_{number}"] = value
    return env


def _filter_overrides(cwd: Path, env: Mapping[str, str] | None, raw: bool) -> list[tuple[str, str]]:
    """Return settings that empty the repository's filter drivers, read afresh on every call
    (a tracked file the config includes may have changed since the last one)."""
    overrides = []
    for name in sorted(neutralised_filters(cwd, env)):
        overrides += [(f"filter.{name}.clean", ""), (f"filter.{name}.smudge", ""),
                      (f"filter.{name}.process", "")]  # fmt: skip
        if raw:
            overrides.append((f"filter.{name}.required", "false"))
    return overrides
