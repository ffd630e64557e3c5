"""Judge a shell command line before it runs: allow it, ask a person, or refuse it.

The line is parsed (assistant.security.shell), never pattern-matched as text: every simple
command bash would run is judged on its own, those inside `$(...)`, here-documents, `bash -c`
strings and wrappers (`sudo`, `env`, `xargs`, `find -exec`) included.

- A deny pattern matching any simple command, wherever it is, refuses the whole line.
- A destructive command (assistant.security.destructive) anywhere needs a person's yes in every
  mode, yolo included; headless, it is refused.
- In yolo mode everything else runs, lines not understood included.
- In ask and auto-edit modes a line runs without asking only when it is understood (nothing
  only known at run time: no expansion, substitution, here-document, control flow, wrapper)
  and each simple command matches an allow pattern and neither writes (redirection, write
  flags), runs another program, nor names a secrets file (assistant.security.effects).

Patterns keep fnmatch semantics and match each simple command's argv joined by spaces, so
`pytest*` allows `pytest -q tests/` and `cat "a b"` is `cat a b`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from assistant.security.command_paths import Place
from assistant.security.destructive import destructive_reasons
from assistant.security.effects import secret_reasons, write_reasons
from assistant.security.shell import TOO_DEEP, parse_command_line


class Decision(Enum):
    """What the policy says about one action."""

    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True)
class Verdict:
    """The decision about a command line and what it was based on, for a person to read."""

    decision: Decision
    reasons: tuple[str, ...]
    destructive: bool
    writes: bool
    understood: bool


def _word_patterns(*commands: str) -> tuple[str, ...]:
    # `ls*` would also allow `lsof`, `lsblk`, `lsattr` and any program whose name starts with
    # `ls`; `git status*` would allow a `git status-x` alias. The bare command and the command
    # followed by a space and anything end each pattern at a word boundary.
    return tuple(p for command in commands for p in (command, f"{command} *"))


# Read-only commands that run without asking in ask and auto-edit modes. Their options that
# write or run programs (`find -exec`, `sort -o`, `git log --output`) are caught by
# assistant.security.effects whatever the pattern says.
DEFAULT_ALLOW = _word_patterns(
    "ls", "cat", "pwd", "head", "tail", "wc", "which", "echo", "grep", "rg", "find", "sort",
    "git status", "git diff", "git log", "git show", "git branch", "git rev-parse",
)  # fmt: skip


def judge_command(
    command: str,
    *,
    allow: Iterable[str],
    deny: Iterable[str] = (),
    root: Path | None = None,
    mode: str = "ask",
    headless: bool = False,
) -> Verdict:
    """Judge `command` run in `root` under `mode`; see the module docstring for the rules."""
    allow, deny = tuple(allow), tuple(deny)
    line = parse_command_line(command)
    place = Place.at(root)
    assigns = any("assignment" in p or "declaration" in p for p in line.problems)
    denied: list[str] = []
    destructive: list[str] = []
    writes: list[str] = []
    secrets: list[str] = []
    unlisted: list[str] = []
    for simple in line.commands:
        text = simple.text
        denied.extend(f"denied by {p!r}: {text}" for p in deny if fnmatch.fnmatchcase(text, p))
        destructive.extend(destructive_reasons(simple, place))
        writes.extend(write_reasons(simple))
        secrets.extend(secret_reasons(simple, place))
        if not any(fnmatch.fnmatchcase(text, p) for p in allow):
            unlisted.append(f"not on the allow list: {text or '(a redirection alone)'}")
        # After `X=... cd` or `export CDPATH=...`, `cd` may lead anywhere.
        place = place.lost() if assigns and simple.name in ("cd", "pushd") else place.after(simple)
    if TOO_DEEP in line.problems:
        destructive.append("nested too deep to look at every command")
    problems = [f"not understood: {p}" for p in line.problems]
    problems += [f"not understood: {r} in {c.text}" for c in line.commands for r in c.unknown]
    reasons = _unique([*denied, *destructive, *problems, *unlisted, *writes, *secrets])
    decision = _decide(
        mode, headless, bool(denied), bool(destructive),
        line.understood and not unlisted and not writes and not secrets,
    )  # fmt: skip
    if decision is Decision.ALLOW and not reasons:
        reasons = ("every command is on the allow list and only reads",)
    elif decision is Decision.ALLOW and mode == "yolo":
        reasons = ("yolo mode", *reasons)
    return Verdict(decision, reasons, bool(destructive), bool(writes), line.understood)


def _decide(mode: str, headless: bool, denied: bool, destructive: bool, safe: bool) -> Decision:
    if denied:
        return Decision.DENY
    if destructive:
        return Decision.DENY if headless else Decision.ASK
    if mode == "yolo" or safe:
        return Decision.ALLOW
    return Decision.DENY if headless else Decision.ASK


def _unique(reasons: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))
