"""Read a git command line the way git does: global options, the subcommand, then its options
parsed like git's parse-options (combined short flags `-fd`, `--opt=value`, `--opt value`,
unambiguous long-option prefixes `--for` for `--force`, `--` before paths).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Global options that take the next word as their value (git.c handle_options).
_GLOBAL_VALUES = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env",
                            "--super-prefix", "--shallow-file", "--attr-source"})  # fmt: skip
# Per subcommand: short options whose value is the rest of the word or the next word, and long
# options that take the next word when no `=` is given. Only options that surely take a value
# are listed: taking one too few makes a rule see an extra operand, which only asks more.
_SHORT_VALUES = {
    "checkout": "bB",
    "switch": "cC",
    "branch": "u",
    "push": "o",
    "clean": "e",
    "restore": "s",
    "update-ref": "m",
    "stash": "m",
    "log": "nSGL",
    "show": "nSGL",
    "diff": "SGO",
}
_BRANCH_VALUES = frozenset({"set-upstream-to", "contains", "no-contains", "merged", "no-merged",
                            "points-at", "sort", "format"})  # fmt: skip
_LONG_VALUES = {
    "checkout": frozenset({"orphan", "pathspec-from-file"}),
    "switch": frozenset({"create", "force-create", "orphan"}),
    "branch": _BRANCH_VALUES,
    "push": frozenset({"repo", "receive-pack", "exec", "push-option"}),
    "clean": frozenset({"exclude"}),
    "restore": frozenset({"source", "pathspec-from-file"}),
    # `--pretty` and `--format` take a value only after `=`: `git log --pretty -p` prints patches.
    "log": frozenset({"output", "max-count", "author", "committer", "grep"}),
    "show": frozenset({"output"}),
    "diff": frozenset({"output"}),
    "checkout-index": frozenset({"prefix", "stage"}),
    "read-tree": frozenset({"prefix", "index-output", "exclude-per-directory"}),
}


@dataclass(frozen=True)
class GitArgs:
    """A parsed git command line."""

    globals: tuple[str, ...]  # global options as written, values included
    sub: str  # the subcommand, "" when none
    sub_index: int  # where the subcommand is in argv, -1 when none
    shorts: frozenset[str]  # short flags given, clusters split
    longs: tuple[str, ...]  # long option names as written, without `--` and `=value`
    operands: tuple[str, ...]  # words that are not options, before `--`
    paths: tuple[str, ...]  # words after `--`
    dashdash: bool = False

    def has(self, short: str = "", long: str = "") -> bool:
        """Return whether the short flag or the long option (or a prefix git accepts) is given."""
        if short and short in self.shorts:
            return True
        return bool(long) and any(long.startswith(given) for given in self.longs if given)

    def has_global(self, *names: str) -> bool:
        """Return whether a global option is given (`-c`, `--exec-path=...`)."""
        return any(g.split("=", 1)[0] in names for g in self.globals)


def parse_git(argv: Sequence[str]) -> GitArgs:
    """Parse `argv` (argv[0] is git) into global options, subcommand and its arguments."""
    i = 1
    globals_: list[str] = []
    while i < len(argv) and argv[i].startswith("-"):
        takes_value = argv[i] in _GLOBAL_VALUES
        globals_.extend(argv[i : i + (2 if takes_value else 1)])
        i += 2 if takes_value else 1
    if i >= len(argv):
        return GitArgs(tuple(globals_), "", -1, frozenset(), (), (), ())
    sub = argv[i]
    shorts, longs, operands, paths = _parse_options(sub, argv[i + 1 :])
    dashdash = "--" in argv[i + 1 :]
    return GitArgs(tuple(globals_), sub, i, shorts, longs, operands, paths, dashdash)


def _parse_options(
    sub: str, words: Sequence[str]
) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    short_values = _SHORT_VALUES.get(sub, "")
    long_values = _LONG_VALUES.get(sub, frozenset())
    shorts: set[str] = set()
    longs: list[str] = []
    operands: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            return frozenset(shorts), tuple(longs), tuple(operands), tuple(words[i:])
        if word.startswith("--"):
            name = word[2:].partition("=")[0]
            longs.append(name)
            if "=" not in word and name in long_values:
                i += 1
        elif word.startswith("-") and len(word) > 1:
            for pos, char in enumerate(word[1:], start=2):
                shorts.add(char)
                if char in short_values:
                    i += 0 if word[pos:] else 1
                    break
        else:
            operands.append(word)
    return frozenset(shorts), tuple(longs), tuple(operands), ()
