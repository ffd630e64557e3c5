"""Commands that lose work: they need a person's yes whatever the mode, and are refused headless.

Recognised on the parsed argv, in every spelling git and GNU rm accept: git's global options
before the subcommand (`git -C . reset --hard`), combined short flags (`-fd`), long-option
prefixes (`--for`), `--opt=value`. A git subcommand that can lose work, given an argument that
is not statically known, counts as destructive: nobody can tell what it will do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from assistant.security.command_paths import Place, has_glob
from assistant.security.git_args import GitArgs, parse_git
from assistant.security.shell import SimpleCommand
from assistant.security.wrappers import find_starts

# Subcommands that can lose work with some argument; their other uses are judged below.
_GIT_CAN_DESTROY = frozenset({"reset", "checkout", "restore", "clean", "switch", "branch", "push",
                              "stash", "update-ref", "reflog", "gc", "prune", "worktree",
                              "filter-branch", "filter-repo", "rm", "checkout-index",
                              "read-tree"})  # fmt: skip
# Words of a find expression that select nothing: `find . -delete` with only these deletes all.
_FIND_NOT_TESTS = frozenset({"-delete", "-depth", "-d", "-maxdepth", "-mindepth", "-xdev", "-mount",
                             "-print", "-print0", "-noleaf", "-daystart", "-follow",
                             "-ignore_readdir_race", "-noignore_readdir_race"})  # fmt: skip
# Single operands of `git checkout X` that name a commit, not paths.
_REF_MARKS = ("~", "^", "@{")


def destructive_reasons(command: SimpleCommand, place: Place) -> list[str]:
    """Return why `command` can lose work (empty when it cannot)."""
    if not command.argv:
        return []
    if 0 in command.dynamic or has_glob(command.argv[0]):
        # The program is not known (`$G`, `/bin/r?`): read the words as git's and as rm's.
        rest = command.dynamic - {0}
        as_git = replace(command, argv=("git", *command.argv[1:]), dynamic=rest)
        as_rm = replace(command, argv=("rm", *command.argv[1:]), dynamic=rest)
        return [f"program not known, {r}" for r in (*_git(as_git, place), *_rm(as_rm, place))]
    rule = _RULES.get(command.name)
    return rule(command, place) if rule else []


def _git(command: SimpleCommand, place: Place) -> list[str]:
    args = parse_git(command.argv)
    if args.sub_index in command.dynamic:
        return ["git subcommand not known"]
    if args.sub not in _GIT_CAN_DESTROY:
        return []
    if command.extra_args or any(i > args.sub_index for i in command.dynamic):
        return [f"git {args.sub} with arguments not known"]
    if any(has_glob(word) for word in command.argv[args.sub_index + 1 :]):
        # A file named `--hard` turns `git reset --h*` into `git reset --hard`.
        return [f"git {args.sub} with arguments the shell expands"]
    reason = _GIT_RULES[args.sub](args, place)
    return [f"git {args.sub}: {reason}"] if reason else []


def _reset(args: GitArgs, place: Place) -> str | None:
    for mode in ("hard", "merge", "keep"):
        if args.has(long=mode):
            return f"--{mode} discards changes"
    return None


def _checkout(args: GitArgs, place: Place) -> str | None:
    if args.has("f", "force"):
        return "--force discards changes"
    if args.has("B"):
        return "-B resets an existing branch"
    if args.has("p", "patch"):
        return "--patch discards changes"
    if args.paths or args.has(long="pathspec-from-file"):
        return "checking out paths overwrites their changes"
    creates = args.has("b") or args.has(long="orphan")
    operands = args.operands[1:] if creates else args.operands
    folders = [g for i, g in enumerate(args.globals) if i and args.globals[i - 1] == "-C"]
    if len(operands) >= 2 or (operands and _names_paths(operands[0], place, folders)):
        return "checking out paths overwrites their changes"
    return None


def _names_paths(operand: str, place: Place, folders: list[str]) -> bool:
    """Return whether `git checkout OPERAND` checks out paths (git looks at the disk too)."""
    if operand in (".", "..") or operand.startswith((":/", "./", "../", "/")) or has_glob(operand):
        return True
    if any(mark in operand for mark in _REF_MARKS) or operand in ("-", "HEAD"):
        return False
    spellings = [operand, *(os.path.join(folder, operand) for folder in folders)]
    found = [p for word in spellings for p in place.resolve(word) or ()]
    return place.on_disk and any(os.path.lexists(p) for p in found)


def _switch(args: GitArgs, place: Place) -> str | None:
    if args.has("f", "force") or args.has(long="discard-changes"):
        return "--discard-changes discards changes"
    if args.has("C", "force-create"):
        return "-C resets an existing branch"
    return None


def _branch(args: GitArgs, place: Place) -> str | None:
    for flag, what in (("D", "deletes an unmerged branch"), ("M", "overwrites a branch"),
                       ("C", "overwrites a branch")):  # fmt: skip
        if args.has(flag):
            return f"-{flag} {what}"
    if args.has("f", "force"):
        return "--force deletes, moves over or resets a branch"
    return None


def _push(args: GitArgs, place: Place) -> str | None:
    for short, long in (("f", "force"), ("", "force-with-lease"), ("", "force-if-includes"),
                        ("", "mirror"), ("d", "delete"), ("", "prune")):  # fmt: skip
        if args.has(short, long):
            return f"--{long} rewrites or deletes remote branches"
    for refspec in args.operands[1:]:
        if refspec.startswith("+"):
            return f"{refspec} force-pushes"
        if refspec.startswith(":") and refspec != ":":
            return f"{refspec} deletes a remote branch"
    return None


def _stash(args: GitArgs, place: Place) -> str | None:
    action = args.operands[0] if args.operands else ""
    return f"{action} deletes stashed changes" if action in ("drop", "clear") else None


def _update_ref(args: GitArgs, place: Place) -> str | None:
    if args.has("d") or args.has(long="stdin"):
        return "deletes refs"
    return None


def _reflog(args: GitArgs, place: Place) -> str | None:
    action = args.operands[0] if args.operands else ""
    return f"{action} drops history" if action in ("expire", "delete") else None


def _gc(args: GitArgs, place: Place) -> str | None:
    return "--prune deletes unreachable objects" if args.has(long="prune") else None


def _worktree(args: GitArgs, place: Place) -> str | None:
    removes = args.operands[:1] == ("remove",)
    return "remove --force discards changes" if removes and args.has("f", "force") else None


def _rm_index(args: GitArgs, place: Place) -> str | None:
    return "--force deletes changed files" if args.has("f", "force") else None


def _always(args: GitArgs, place: Place) -> str | None:
    return "rewrites history" if args.sub.startswith("filter-") else "deletes objects"


def _clean(args: GitArgs, place: Place) -> str | None:
    return None if args.has("n", "dry-run") else "deletes untracked files"


def _restore(args: GitArgs, place: Place) -> str | None:
    return "overwrites changes in files"


def _checkout_index(args: GitArgs, place: Place) -> str | None:
    # Without --force, checkout-index leaves a file that is already there alone.
    return "--force overwrites changed files" if args.has("f", "force") else None


def _read_tree(args: GitArgs, place: Place) -> str | None:
    if args.has("u"):
        return "-u overwrites or deletes files in the work tree"
    if args.has(long="reset"):
        return "--reset discards staged changes"
    if args.has(long="index-output"):
        return "--index-output overwrites the file it names"
    return None


_GIT_RULES: dict[str, Callable[[GitArgs, Place], str | None]] = {
    "reset": _reset, "checkout": _checkout, "restore": _restore, "clean": _clean,
    "switch": _switch, "branch": _branch, "push": _push, "stash": _stash,
    "update-ref": _update_ref, "reflog": _reflog, "gc": _gc, "prune": _always,
    "worktree": _worktree, "filter-branch": _always, "filter-repo": _always, "rm": _rm_index,
    "checkout-index": _checkout_index, "read-tree": _read_tree,
}  # fmt: skip


def _rm(command: SimpleCommand, place: Place) -> list[str]:
    argv = command.argv
    recursive = force_root = False
    targets: list[str] = []
    options_done = False
    for i, word in enumerate(argv[1:], start=1):
        if options_done or not word.startswith("-") or word == "-" or i in command.dynamic:
            targets.append(word)
        elif word == "--":
            options_done = True
        elif word.startswith("--"):
            name = word[2:].partition("=")[0]
            recursive = recursive or (bool(name) and "recursive".startswith(name))
            force_root = force_root or (len(name) >= 2 and "no-preserve-root".startswith(name))
        else:
            recursive = recursive or "r" in word or "R" in word
    if force_root:
        return ["rm --no-preserve-root"]
    if command.dynamic or command.extra_args:
        return ["rm of paths not known"]
    reasons = []
    for target in targets:
        why = _bad_target(target, place, recursive) or _expands_to_options(target, place)
        if why:
            reasons.append(f"rm {'-r ' if recursive else ''}{target}: {why}")
    return reasons


def _bad_target(word: str, place: Place, recursive: bool) -> str | None:
    """Return why removing `word` loses work: .git always, else when recursive and outside."""
    paths = place.resolve(word, follow=False)
    if paths is None:
        return "the working folder is not known" if recursive else None
    matches = (place.expand(word) or []) if has_glob(word) else []
    home = os.path.realpath(os.path.expanduser("~"))
    for path in [*paths, *matches]:
        if path == os.path.join(place.root, ".git") or path.startswith(
            os.path.join(place.root, ".git") + "/"
        ):
            return "it is the repository's history (.git)"
        if not recursive:
            continue
        if path == "/" or (home + "/").startswith(path.rstrip("/") + "/"):
            return "it holds the home folder" if path != "/" else "it is /"
        if not place.inside(path):
            return "it is outside the repository"
        if path == place.root:
            return "it is the whole repository"
        name = os.path.basename(path)
        if os.path.dirname(path) == place.root and has_glob(name) and not name.strip("*?.[]!-^"):
            return "it matches everything at the repository root"
    return None


def _expands_to_options(word: str, place: Place) -> str | None:
    """Return why a glob is dangerous when it matches a file named like an option (`-rf`)."""
    if not has_glob(word):
        return None
    names = [os.path.basename(path) for path in place.expand(word) or ()]
    options = [name for name in names if name.startswith("-")]
    return f"it matches {options[0]}, which rm reads as options" if options else None


def _find(command: SimpleCommand, place: Place) -> list[str]:
    if "-delete" not in command.argv:
        return []
    starts = find_starts(command.argv)
    if any(i in command.dynamic for i in starts):
        return ["find -delete in a folder not known"]
    after = max(starts, default=0) + 1
    tests = [w for w in command.argv[after:] if w.startswith("-") and w not in _FIND_NOT_TESTS]
    reasons = []
    for start in [command.argv[i] for i in starts] or ["."]:
        for path in place.resolve(start, follow=False) or [""]:
            if not path or not place.inside(path) or "/.git" in path[len(place.root) :]:
                reasons.append(f"find {start} -delete: outside the repository or in .git")
            elif path == place.root and not tests:
                reasons.append(f"find {start} -delete: deletes the whole repository")
    return reasons


_RULES: dict[str, Callable[[SimpleCommand, Place], list[str]]] = {
    "git": _git,
    "rm": _rm,
    "find": _find,
}
