"""What a command does besides printing: files it writes, programs it runs, secrets it reads.

A command on the allow list runs without asking only when none of these apply: no writing
redirection, no option that writes a file or runs a program (`git log --output=F`, `sed -i`,
`sort -o F`, `find -delete`, `rg --pre CMD`, `git -c K=V`), no argument naming a secrets file,
no git history command that prints file contents (assistant.security.git_history).
Long options match the prefixes GNU getopt and git accept (`--out=F` is `--output=F`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.security.command_paths import Place
from assistant.security.git_args import GitArgs, parse_git
from assistant.security.git_history import history_reasons
from assistant.security.shell import Redirect, SimpleCommand

_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})
_HARMLESS_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/1", "/dev/fd/2"})
_DIFF_LIKE = frozenset({"log", "diff", "show", "whatchanged", "diff-tree", "diff-files",
                        "diff-index", "range-diff", "blame", "annotate"})  # fmt: skip
_BRANCH_WRITES = (("d", "delete"), ("D", ""), ("m", "move"), ("M", ""), ("c", "copy"), ("C", ""),
                  ("f", "force"), ("u", "set-upstream-to"), ("", "unset-upstream"),
                  ("", "edit-description"), ("t", "track"), ("", "create-reflog"))  # fmt: skip
_BRANCH_LISTS = (("l", "list"), ("v", "verbose"), ("", "contains"), ("", "no-contains"),
                 ("", "merged"), ("", "no-merged"), ("", "points-at"))  # fmt: skip
# /proc/self/environ holds the environment, API keys included.
_PROCESS_ENVIRONMENT = re.compile(r"/proc/[^/]+/(task/[^/]+/)?environ$")
_FIND_WRITES = frozenset({"-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0",
                          "-fprintf", "-fls"})  # fmt: skip


def write_reasons(command: SimpleCommand) -> list[str]:
    """Return how `command` writes files or runs programs beyond printing."""
    reasons = [f"writes {r.target or 'a file'} ({r.op})" for r in command.redirects if _writes(r)]
    rule = _FLAG_RULES.get(command.name)
    if rule is not None and command.argv:
        reasons.extend(rule(command.argv))
    return reasons


def secret_reasons(
    command: SimpleCommand, place: Place, skip: frozenset[int] = frozenset()
) -> list[str]:
    """Return the secrets files that `command` names or reads from, and how it may print
    committed ones; the words at `skip` are checked elsewhere (as the names a glob became)."""
    skip = skip | command.dynamic
    words = [w for i, w in enumerate(command.argv) if i and i not in skip]
    words += [r.target for r in command.redirects if r.op in ("<", "<&") and not r.dynamic]
    found = history_reasons(command, place)
    for word in words:
        expanded = {c: place.expand(c) for c in _path_candidates(word)}
        if any(place.is_secret(c, paths) for c, paths in expanded.items()):
            found.append(f"names a secrets file: {word}")
        elif any(_PROCESS_ENVIRONMENT.match(p) for paths in expanded.values() for p in paths or ()):
            found.append(f"reads a process environment (API keys): {word}")
    return found


def _path_candidates(word: str) -> list[str]:
    """Return the paths a word may name: itself, `--opt=PATH`, `-fPATH`, `REV:PATH`."""
    candidates = [word]
    if word.startswith("-"):
        candidates.append(word.partition("=")[2])
        if not word.startswith("--"):
            candidates.append(word[2:])
    if ":" in word:
        candidates.append(word.rpartition(":")[2])
    return [c for c in candidates if c]


def _writes(redirect: Redirect) -> bool:
    if redirect.op in (">&", "<&"):
        # `2>&1` and `>&-` copy or close a descriptor; `>&FILE` writes FILE.
        return redirect.op == ">&" and not re.fullmatch(r"\d+-?|-", redirect.target)
    if redirect.op not in _WRITE_OPS:
        return False
    return redirect.dynamic or redirect.target not in _HARMLESS_TARGETS


def _long(word: str, *names: str, shortest: int = 1) -> bool:
    """Return whether `word` is `--NAME[=...]` for one of `names`, or a prefix getopt accepts."""
    if not word.startswith("--"):
        return False
    given = word[2:].partition("=")[0]
    return len(given) >= shortest and any(name.startswith(given) for name in names)


def _short_cluster(word: str, flag: str, values: str = "") -> bool:
    """Return whether a cluster like `-nio` holds `flag` before any option taking a value."""
    if not word.startswith("-") or word.startswith("--"):
        return False
    for char in word[1:]:
        if char == flag:
            return True
        if char in values:
            return False
    return False


def _git(argv: tuple[str, ...]) -> list[str]:
    args = parse_git(argv)
    reasons = []
    if args.has_global("-c", "--config-env", "--exec-path"):
        reasons.append("git -c/--config-env/--exec-path can run any program")
    if args.sub in _DIFF_LIKE or args.sub == "format-patch":
        reasons.extend(_git_diff_like(args))
    if args.sub == "format-patch" and not args.has(long="stdout"):
        reasons.append("git format-patch writes patch files")
    if args.sub == "grep" and args.has("O", "open-files-in-pager"):
        reasons.append("git grep --open-files-in-pager runs a program")
    if args.sub == "branch" and _branch_writes(args):
        reasons.append("git branch creates, deletes or changes branches unless it lists them")
    return reasons


def _git_diff_like(args: GitArgs) -> list[str]:
    names = {"output": "writes a file", "ext-diff": "runs a program", "textconv": "runs a program"}
    if args.sub == "format-patch":
        names["output-directory"] = "writes files"
    reasons = []
    # `--text` is an option of its own, not an abbreviation of `--textconv`.
    for given in (g for g in args.longs if len(g) >= 3 and g != "text"):
        found = next((n for n in names if n.startswith(given)), None)
        if found:
            reasons.append(f"git {args.sub} --{found} {names[found]}")
    if args.sub == "format-patch" and args.has("o"):
        reasons.append("git format-patch -o writes files")
    return reasons


def _branch_writes(args: GitArgs) -> bool:
    if any(args.has(short, long) for short, long in _BRANCH_WRITES):
        return True
    return bool(args.operands) and not any(args.has(s, long) for s, long in _BRANCH_LISTS)


def _sed(argv: tuple[str, ...]) -> list[str]:
    reasons, scripts, explicit, sandbox = [], [], False, False
    i = 1
    while i < len(argv):
        word = argv[i]
        i += 1
        if _long(word, "in-place") or _short_cluster(word, "i", "efl"):
            reasons.append("sed -i edits files in place")
        if _long(word, "sandbox", shortest=2):
            sandbox = True
        if _long(word, "expression") or _long(word, "file", shortest=2):
            explicit = True
            value = word.partition("=")[2] if "=" in word else (argv[i] if i < len(argv) else "")
            i += 0 if "=" in word else 1
            scripts.append(value if _long(word, "expression") else "w")
        elif word.startswith("-") and not word.startswith("--") and len(word) > 1:
            for pos, char in enumerate(word[1:], start=2):
                if char in "ef":
                    explicit = True
                    value = word[pos:] or (argv[i] if i < len(argv) else "")
                    i += 0 if word[pos:] else 1
                    scripts.append(value if char == "e" else "w")  # a script file: not known
                    break
                if char == "l":
                    i += 0 if word[pos:] else 1
                    break
        elif not explicit and not word.startswith("-"):
            scripts.append(word)
            explicit = True
    if not sandbox and any(_sed_script_unsafe(s) for s in scripts):
        reasons.append("sed script writes files, reads files or runs commands (w, r, e)")
    return reasons


# Addresses and separators: line numbers, `$`, `/regex/I`, `\cREGEXc`, `first~step`, `addr,+N`.
_SED_SAFE = re.compile(r"[\s;{}!0-9,$~+]|/(?:[^/\\\n]|\\.)*/[IM]*|\\(.)(?:(?!\1).)*\1[IM]*")
_SED_PLAIN = frozenset("pdDnNgGhHxlqQ=zPF")


def _sed_script_unsafe(script: str) -> bool:
    """Return whether a sed script may write, read or run (w, W, r, R, e; s///w, s///e)."""
    i = 0
    while i < len(script):
        match = _SED_SAFE.match(script, i)
        if match:
            i = match.end()
            continue
        char = script[i]
        if char in _SED_PLAIN:
            i += 1
        elif char in "sy" and i + 1 < len(script):
            end = _sed_substitution_end(script, i + 1)
            if end is None:
                return True
            flags = re.match(r"[gpiImMe0-9w]*", script[end:]).group(0)  # type: ignore[union-attr]  # a `*` pattern always matches
            if char == "s" and ("w" in flags or "e" in flags):
                return True
            i = end + len(flags)
        elif char in ":bBtT":
            i = _line_end(script, i)
        elif char == "#":
            i = script.find("\n", i) if "\n" in script[i:] else len(script)
        else:
            return True  # w W r R e a i c, or something not understood
    return False


def _sed_substitution_end(script: str, start: int, parts: int = 2) -> int | None:
    delimiter, i, seen = script[start], start + 1, 0
    while i < len(script):
        if script[i] == "\\":
            i += 2
            continue
        if script[i] == delimiter:
            seen += 1
            if seen == parts:
                return i + 1
        i += 1
    return None


def _line_end(script: str, start: int) -> int:
    ends = [p for p in (script.find(";", start), script.find("\n", start)) if p >= 0]
    return min(ends) if ends else len(script)


def _sort(argv: tuple[str, ...]) -> list[str]:
    reasons = []
    for word in argv[1:]:
        if _long(word, "output") or _short_cluster(word, "o", "ktST"):
            reasons.append("sort -o writes a file")
        if _long(word, "compress-program", shortest=2):
            reasons.append("sort --compress-program runs a program")
    return reasons


def _find(argv: tuple[str, ...]) -> list[str]:
    return [f"find {w} writes files or runs commands" for w in argv if w in _FIND_WRITES]


def _rg(argv: tuple[str, ...]) -> list[str]:
    return [
        f"rg {w} runs a program"
        for w in argv[1:]
        if w.partition("=")[0] in ("--pre", "--hostname-bin")
    ]


def _tee(argv: tuple[str, ...]) -> list[str]:
    return ["tee writes files"]


def _uniq(argv: tuple[str, ...]) -> list[str]:
    operands = [w for w in argv[1:] if not w.startswith("-") or w == "-"]
    return ["uniq writes its second operand"] if len(operands) >= 2 else []


def _less(argv: tuple[str, ...]) -> list[str]:
    writes = any(_long(w, "log-file", "LOG-FILE") or _short_cluster(w, "o") or
                 _short_cluster(w, "O") for w in argv[1:])  # fmt: skip
    return ["less -o writes a log file"] if writes else []


def _awk(argv: tuple[str, ...]) -> list[str]:
    # An awk program can write (print > F), run commands (system, |) and edit in place.
    if any(re.search(r"system|[|>]|getline|inplace|-f", w) for w in argv[1:]):
        return ["awk program may write files or run commands"]
    return []


_FLAG_RULES: dict[str, Callable[[tuple[str, ...]], list[str]]] = {
    "git": _git, "sed": _sed, "gsed": _sed, "sort": _sort, "find": _find, "rg": _rg,
    "tee": _tee, "uniq": _uniq, "less": _less, "awk": _awk, "gawk": _awk, "mawk": _awk,
    "nawk": _awk,
}  # fmt: skip
