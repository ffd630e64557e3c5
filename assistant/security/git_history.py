"""Git commands that print history (`log`, `show`, `diff`): which of them print file contents.

A key committed once stays in history after it is deleted; the sandbox hides the file, not
the objects git keeps. These rules let a history command run unasked only when it prints no
file content, or only the work tree's changes:

- `git log` prints commits; it needs approval with an option that adds patches (`-p`, `-u`,
  `-U`, `-L`, `-W`, `-c`, `-m`, `--cc`, `--word-diff`, `--full-diff`, `--binary`, ...).
- `git show` prints a commit's patch, or a blob's whole content, unless a format without
  content is given (`--stat`, `--numstat`, `--shortstat`, `--name-only`, `--name-status`,
  `--raw`, `--summary`, `-s`, `--no-patch`); `--oneline` alone still prints the patch. Even
  then a blob is printed whole: an object named by its hash (`git log --raw` lists blobs'
  hashes) must be peeled to a commit (`abc123~0` is the commit abc123), and `REV:path` (a
  file's contents) needs approval.
- `git diff` compares the work tree: it needs approval when it compares two revisions (a
  range included), or names an object that may be a blob (as above).

A ref that points at a blob is not looked for: only who can write refs makes one (the user,
a command a person approved, or a remote, whose objects are then no secret).

Secrets files named as arguments are caught by assistant.security.effects in every case.
"""

from __future__ import annotations

import os
import re

from assistant.security.command_paths import Place
from assistant.security.git_args import GitArgs, parse_git
from assistant.security.shell import SimpleCommand

# Options that make log or show print patches; git also takes any unambiguous prefix.
_PATCH_SHORTS = frozenset("pucmULW")
_PATCH_LONGS = ("patch", "patch-with-raw", "patch-with-stat", "unified", "full-diff", "cc", "dd",
                "remerge-diff", "diff-merges", "word-diff", "word-diff-regex", "color-words",
                "binary", "check", "function-context")  # fmt: skip
# Real options that are also prefixes of the ones above: an exact name is never a prefix.
_EXACT = frozenset({"color"})
_NO_CONTENT = frozenset({"stat", "numstat", "shortstat", "name-only", "name-status", "raw",
                         "summary", "no-patch", "dirstat", "compact-summary"})  # fmt: skip
# `git show` options that name objects other than the operands: blobs of the index, anything.
_SHOW_OBJECTS = ("indexed-objects", "stdin", "alternate-refs")
_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
# Suffixes that peel to a commit (a blob has none): `~`, `~2`, `^`, `^2`, `^{commit}`, `^!`, ...
_TO_COMMIT = re.compile(r"(?:~\d*|\^\d*|\^\{commit\}|\^!|\^@|\^-\d*)$")
_HINT = "use --stat, --name-only or -s to see history without file contents"


def history_reasons(command: SimpleCommand, place: Place) -> list[str]:
    """Return why `command` may print file contents from git's history (empty when it cannot)."""
    if command.name != "git" or not command.argv:
        return []
    args = parse_git(command.argv)
    if args.sub == "log":
        return [f"git log {flag} prints file contents from history" for flag in _patch(args)]
    if args.sub == "show":
        return _show(args)
    if args.sub == "diff":
        return _diff(args, place)
    return []


def _patch(args: GitArgs) -> list[str]:
    """Return the options of `args` that add patches to what log or show prints."""
    found = [f"-{s}" for s in sorted(_PATCH_SHORTS & args.shorts)]
    for given in args.longs:
        exact = given in _PATCH_LONGS
        prefix = given not in _EXACT and any(p.startswith(given) for p in _PATCH_LONGS)
        if given and (exact or prefix):
            found.append(f"--{given}")
    return found


def _show(args: GitArgs) -> list[str]:
    patch = _patch(args)
    if patch:
        return [f"git show {patch[0]} prints file contents from history; {_HINT}"]
    if not ("s" in args.shorts or _NO_CONTENT.intersection(args.longs)):
        return [f"git show prints file contents from history; {_HINT}"]
    walked = [g for g in args.longs if g and any(o.startswith(g) for o in _SHOW_OBJECTS)]
    if walked:
        return [f"git show --{walked[0]} may print blobs (file contents)"]
    return [_blob_reason("show", o) for o in args.operands if _may_be_blob(o)]


def _diff(args: GitArgs, place: Place) -> list[str]:
    if args.has(long="no-index"):
        return []  # two paths on disk: secrets files among them are caught as named
    revisions = [o for o in args.operands if not _on_disk(o, place)]
    reasons = [_blob_reason("diff", r) for r in revisions if _may_be_blob(r)]
    if len(revisions) >= 2 or any(".." in r for r in revisions):
        reasons.append("git diff of two revisions prints file contents from history")
    return reasons


def _may_be_blob(operand: str) -> bool:
    """Return whether `operand` (a revision or a range) may name a blob: `REV:path`, or an
    object named by its hash and not peeled to a commit."""
    if ":" in operand:
        return True
    for side in re.split(r"\.\.\.?", operand):
        side = side.lstrip("^")
        base = re.split(r"[~^@]", side, maxsplit=1)[0]
        if _HEX.fullmatch(base) and not _TO_COMMIT.search(side):
            return True
    return False


def _on_disk(operand: str, place: Place) -> bool:
    """Return whether `operand` is a path in the working folder (git reads it as one)."""
    if not place.on_disk or _HEX.fullmatch(operand) or ":" in operand:
        return False
    return any(os.path.lexists(path) for path in place.resolve(operand, follow=False) or ())


def _blob_reason(sub: str, operand: str) -> str:
    if ":" in operand:
        return f"git {sub} {operand}: REV:path prints a file's contents from history"
    return (
        f"git {sub} {operand}: may name a blob (a file's contents); "
        f"write {operand}~0 to name the commit"
    )
