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

Globs are expanded against the disk as bash would (assistant.security.command_paths), and
every rule also runs on the expanded words: a repository that ships a file named `-oapp.py`
turns `sort *.py` into `sort -oapp.py ...`. A glob that expands to a name starting with `-`,
or whose names cannot be told, makes the line not understood.

Patterns keep fnmatch semantics and match each simple command's argv joined by spaces, so
`pytest*` allows `pytest -q tests/` and `cat "a b"` is `cat a b`.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from assistant.security.command_paths import Place, expand_globs
from assistant.security.destructive import destructive_reasons
from assistant.security.effects import secret_reasons, write_reasons
from assistant.security.globs import Budget
from assistant.security.shell import TOO_DEEP, SimpleCommand, parse_command_line


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
    line = parse_command_line(command)
    found = _Findings(tuple(allow), tuple(deny))
    place, budget = Place.at(root), Budget()
    assigns = any("assignment" in p or "declaration" in p for p in line.problems)
    for simple in line.commands:
        expansion = expand_globs(simple, place, budget)
        found.unknown.extend(f"not understood: {p}" for p in expansion.problems)
        forms = [simple, *(c for c in expansion.commands if c.argv != simple.argv)]
        # The names a glob became are checked for secrets in the expanded commands.
        expanded = expansion.expanded and len(forms) == 1 + len(expansion.commands)
        found.look(simple, place, frozenset(dict(simple.globs)) if expanded else None)
        for form in forms[1:]:
            found.look(form, place)
        # After `X=... cd` or `export CDPATH=...`, `cd` may lead anywhere.
        if assigns and simple.name in ("cd", "pushd"):
            place = place.lost()
        else:
            place = functools.reduce(Place.join, [place.after(form) for form in forms])
    if TOO_DEEP in line.problems:
        found.destructive.append("nested too deep to look at every command")
    problems = [f"not understood: {p}" for p in line.problems]
    problems += [f"not understood: {r} in {c.text}" for c in line.commands for r in c.unknown]
    understood = line.understood and not found.unknown
    reasons = _unique([*found.denied, *found.destructive, *problems, *found.unknown,
                       *found.unlisted, *found.writes, *found.secrets])  # fmt: skip
    decision = _decide(
        mode, headless, bool(found.denied), bool(found.destructive),
        understood and not found.unlisted and not found.writes and not found.secrets,
    )  # fmt: skip
    if decision is Decision.ALLOW and not reasons:
        reasons = ("every command is on the allow list and only reads",)
    elif decision is Decision.ALLOW and mode == "yolo":
        reasons = ("yolo mode", *reasons)
    return Verdict(decision, reasons, bool(found.destructive), bool(found.writes), understood)


@dataclass
class _Findings:
    """What the rules found in the simple commands of one line, as reasons."""

    allow: tuple[str, ...]
    deny: tuple[str, ...]
    denied: list[str] = field(default_factory=list)
    destructive: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def look(
        self, command: SimpleCommand, place: Place, checked: frozenset[int] | None = None
    ) -> None:
        """Run every rule on `command` (as written, or one expansion of its globs); the words
        at `checked` are not looked at for secrets."""
        text = command.text
        self.denied.extend(
            f"denied by {p!r}: {text}" for p in self.deny if fnmatch.fnmatchcase(text, p)
        )
        self.destructive.extend(destructive_reasons(command, place))
        self.writes.extend(write_reasons(command))
        self.secrets.extend(secret_reasons(command, place, checked or frozenset()))
        if not any(fnmatch.fnmatchcase(text, p) for p in self.allow):
            self.unlisted.append(f"not on the allow list: {text or '(a redirection alone)'}")


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
