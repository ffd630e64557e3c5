"""Commands that run another command given as their arguments: `sudo CMD`, `bash -c STRING`.

`inner_commands(argv)` returns what such a command runs (an argv, or a shell string to parse),
so that a destructive or denied command cannot hide behind `env`, `timeout`, `xargs`, `eval`,
`find -exec` or a shell. Option parsing follows each tool's manual for the options that take a
value; where a tool has options we do not know, a second reading that skips one more word is
given too: reading too many commands only makes a policy ask more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Inner:
    """A command run by another one: its argv (a slice of the outer argv) or a shell string."""

    reason: str
    argv: tuple[str, ...] = ()
    start: int = 0  # where `argv` starts in the outer argv
    script: str | None = None
    script_dynamic: bool = False  # the string is not statically known
    extra_args: bool = False  # more arguments come at run time (`xargs`)


@dataclass(frozen=True)
class _Spec:
    short_values: str = ""  # short options that take a value
    long_values: frozenset[str] = frozenset()  # long options that take a separate value
    operands: int = 0  # words before the command (`timeout DURATION CMD`)


_SUDO_VALUES = frozenset({"user", "group", "prompt", "chdir", "chroot", "role", "type",
                          "other-user", "command-timeout", "close-from", "host"})  # fmt: skip
_XARGS_VALUES = frozenset({"arg-file", "delimiter", "max-args", "max-procs", "max-chars",
                           "process-slot-var"})  # fmt: skip
_SPECS = {
    "sudo": _Spec("CDgpRrTtUu", _SUDO_VALUES),
    "doas": _Spec("uC"),
    "nice": _Spec("n", frozenset({"adjustment"})),
    "timeout": _Spec("sk", frozenset({"signal", "kill-after"}), operands=1),
    "xargs": _Spec("adEILnPs", _XARGS_VALUES),
    "exec": _Spec("a"),
    "command": _Spec(),
    "nohup": _Spec(),
    "builtin": _Spec(),
    "time": _Spec("fo", frozenset({"format", "output"})),
    "stdbuf": _Spec("ioe", frozenset({"input", "output", "error"})),
    "setsid": _Spec(),
    "ionice": _Spec("cn", frozenset({"class", "classdata"})),
    "taskset": _Spec("", operands=1),
    "unbuffer": _Spec(),
    "coproc": _Spec(),
    "chroot": _Spec("", frozenset({"groups", "userspec"}), operands=1),
    "flock": _Spec("wE", frozenset({"timeout", "conflict-exit-code"}), operands=1),
    "env": _Spec("uCS", frozenset({"unset", "chdir", "split-string"})),
}
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish"})
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye", "conda", "mamba", "pixi"})
# Endings of git settings whose value is a command git runs (core.pager, diff.x.textconv, ...).
_GIT_PROGRAM_KEYS = ("pager", "editor", "fsmonitor", "sshcommand", "external", "textconv",
                     "askpass", "helper", "command", "cmd", "program", "tool")  # fmt: skip
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


def inner_commands(argv: Sequence[str], dynamic: frozenset[int] = frozenset()) -> list[Inner]:
    """Return the commands `argv` runs through its arguments; empty for an ordinary command."""
    if not argv:
        return []
    name = argv[0].rsplit("/", 1)[-1]
    if name == "eval":
        script = " ".join(argv[1:])
        return [Inner("eval", script=script, script_dynamic=bool(dynamic - {0}))]
    if name in ("source", "."):
        return [Inner(f"runs a script file: {name}")]
    if name in _SHELLS:
        return _shell(name, argv, dynamic)
    if name == "su":
        return _option_script(argv, "c", "command", dynamic, "su")
    if name == "watch":
        return _watch(argv, dynamic)
    if name == "find":
        return _find_exec(argv)
    if name == "git":
        return _git_config_programs(argv, dynamic)
    if name == "busybox" and len(argv) > 1:
        return [Inner("busybox", tuple(argv[1:]), 1)]
    if name in _RUNNERS and len(argv) > 1 and argv[1] == "run":
        return _wrapped(f"{name} run", _Spec(), argv, 2, dynamic)
    spec = _SPECS.get(name)
    if spec is None:
        return []
    if name == "command" and any(w in ("-v", "-V") for w in argv[1:]):
        return []  # `command -v` only says where a program is
    if name == "flock" and any(w == "-c" or w.startswith("--command") for w in argv):
        return _option_script(argv, "c", "command", dynamic, "flock")
    return _wrapped(name, spec, argv, 1, dynamic)


def _wrapped(
    name: str, spec: _Spec, argv: Sequence[str], start: int, dynamic: frozenset[int]
) -> list[Inner]:
    """Skip the wrapper's options and operands; return the command after them."""
    i, unsure = start, False
    split_string: str | None = None
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if name == "env" and "=" in word and not word.startswith("-"):
            i += 1  # NAME=VALUE
            continue
        if word.startswith("--"):
            key, has_value = word[2:].partition("=")[0], "=" in word
            if key == "split-string":
                split_string = word.partition("=")[2] if has_value else _at(argv, i + 1)
            unsure = unsure or (key not in spec.long_values and not has_value)
            i += 2 if key in spec.long_values and not has_value else 1
            continue
        if word.startswith("-") and len(word) > 1:
            i += 1
            for pos, char in enumerate(word[1:], start=2):
                if char in spec.short_values:
                    if char == "S" and name == "env":
                        split_string = word[pos:] or _at(argv, i)
                    i += 0 if word[pos:] else 1
                    break
            continue
        break
    if split_string is not None:  # env -S 'CMD ARGS': a string split into the command
        script = " ".join([split_string, *argv[i:]])
        return [Inner("env -S", script=script, script_dynamic=bool(dynamic))]
    i += spec.operands
    extra = name == "xargs"
    if i >= len(argv):
        return [Inner(f"runs its input as commands: {name}")] if extra else []
    reason = f"runs its arguments as a command: {name}"
    found = [Inner(reason, tuple(argv[i:]), i, extra_args=extra)]
    if unsure and i + 1 < len(argv):
        found.append(Inner(reason, tuple(argv[i + 1 :]), i + 1, extra_args=extra))
    return found


def _shell(name: str, argv: Sequence[str], dynamic: frozenset[int]) -> list[Inner]:
    """Return the string of `bash -c STRING` (in any option spelling), else a script run."""
    i, command_string = 1, False
    while i < len(argv) and argv[i][:1] in ("-", "+") and argv[i] not in ("-", "--"):
        word = argv[i]
        if word in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if not word.startswith("--") and "c" in word[1:]:
            command_string = True
        i += 1
    if i < len(argv) and argv[i] == "--":
        i += 1
    if command_string and i < len(argv):
        return [Inner(f"{name} -c", script=argv[i], script_dynamic=i in dynamic)]
    return [Inner(f"runs a shell: {name}")]


def _option_script(
    argv: Sequence[str], short: str, long: str, dynamic: frozenset[int], name: str
) -> list[Inner]:
    """Return the string given to `-c STRING` or `--command=STRING` (`su`, `flock`)."""
    reason = f"{name} -{short}"
    for i, word in enumerate(argv):
        if word in (f"-{short}", f"--{long}") and i + 1 < len(argv):
            return [Inner(reason, script=argv[i + 1], script_dynamic=i + 1 in dynamic)]
        if word.startswith(f"--{long}="):
            return [Inner(reason, script=word.partition("=")[2], script_dynamic=i in dynamic)]
    return [Inner(f"runs a shell: {name}")]


def _watch(argv: Sequence[str], dynamic: frozenset[int]) -> list[Inner]:
    """Return what `watch` runs: its remaining words joined and given to `sh -c`."""
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in ("-n", "--interval", "-q") else 1
    if i >= len(argv):
        return []
    script = " ".join(argv[i:])
    return [Inner("watch", script=script, script_dynamic=any(j >= i for j in dynamic))]


def _git_config_programs(argv: Sequence[str], dynamic: frozenset[int]) -> list[Inner]:
    """Return what `git -c KEY=VALUE` settings run: `alias.x=CMD`, core.pager, diff.external."""
    found = []
    for i in range(1, len(argv) - 1):
        if not argv[i].startswith("-"):
            break
        key, _, value = argv[i + 1].partition("=")
        key = key.lower()
        if argv[i] != "-c" or not (key.startswith("alias.") or key.endswith(_GIT_PROGRAM_KEYS)):
            continue
        if key.startswith("alias."):  # `!CMD` runs CMD; anything else is a git command line
            value = value[1:] if value.startswith("!") else f"git {value}"
        found.append(Inner("git -c runs a program", script=value, script_dynamic=i + 1 in dynamic))
    return found


def _find_exec(argv: Sequence[str]) -> list[Inner]:
    """Return each command of find's -exec, -execdir, -ok and -okdir actions.

    `{}` (a file found) becomes `START/{}` for each starting point, so that a rule sees where
    the files come from: `find / -exec rm -rf {} +` removes files outside the repository.
    """
    starts = [argv[i] for i in find_starts(argv)] or ["."]
    found: list[Inner] = []
    i = 1
    while i < len(argv):
        if argv[i] in _FIND_EXEC:
            end = i + 1
            while end < len(argv) and argv[end] not in (";", "+"):
                end += 1
            for start in starts:
                placed = start.rstrip("/") + "/{}"
                words = tuple(w.replace("{}", placed) for w in argv[i + 1 : end])
                found.append(Inner(f"find {argv[i]}", words, i + 1))
            i = end
        i += 1
    return found


def find_starts(argv: Sequence[str]) -> list[int]:
    """Return the positions of find's starting points (after its options, before the test)."""
    i = 1
    while i < len(argv) and argv[i] in ("-H", "-L", "-P", "-O", "-D"):
        i += 2 if argv[i] in ("-O", "-D") else 1
    starts = []
    while i < len(argv) and not argv[i].startswith(("-", "(", "!")):
        starts.append(i)
        i += 1
    return starts


def _at(argv: Sequence[str], index: int) -> str:
    return argv[index] if index < len(argv) else ""
