"""Who decides before a tool runs: permission modes and command allow/deny patterns.

Modes: `ask` (edits and commands need approval), `auto-edit` (edits run, commands ask),
`yolo` (everything runs). Destructive git commands always ask, whatever the mode. A headless
run has no one to ask: what would need approval is refused. Nothing in the repository can
change the policy: it is built only from settings and flags.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass
from enum import Enum

MODES = ("ask", "auto-edit", "yolo")

# Commands that lose work; they need a person's yes even in yolo mode.
DESTRUCTIVE = (
    "git reset --hard*",
    "git clean*",
    "git checkout -- *",
    "git checkout .",
    "git restore*",
    "git push*--force*",
    "git push -f*",
    "git branch -D*",
    "git stash drop*",
    "git stash clear*",
    "rm -rf /*",
    "rm -rf ~*",
)
# Read-only commands that are safe to run without asking.
DEFAULT_ALLOW = (
    "ls*",
    "cat *",
    "pwd",
    "git status*",
    "git diff*",
    "git log*",
    "git show*",
    "grep *",
    "rg *",
)


class Decision(Enum):
    """What the policy says about one action."""

    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True)
class PermissionPolicy:
    """The rules for one run."""

    mode: str = "ask"
    allow: tuple[str, ...] = DEFAULT_ALLOW
    deny: tuple[str, ...] = ()
    headless: bool = False

    def for_edit(self) -> Decision:
        """Return the decision for writing a file in the repository."""
        if self.mode in ("auto-edit", "yolo"):
            return Decision.ALLOW
        return Decision.DENY if self.headless else Decision.ASK

    def for_command(self, command: str) -> Decision:
        """Return the decision for running a shell command."""
        normalized = normalize_command(command)
        parts = [normalize_command(p) for p in re.split(r"&&|\|\||[;|\n]", command) if p.strip()]
        if any(_matches(part, self.deny) for part in parts):
            return Decision.DENY
        if any(_matches(part, DESTRUCTIVE) for part in parts):
            return Decision.DENY if self.headless else Decision.ASK
        if _matches(normalized, self.allow) and not _chains(command):
            return Decision.ALLOW
        if self.mode == "yolo":
            return Decision.ALLOW
        return Decision.DENY if self.headless else Decision.ASK


def normalize_command(command: str) -> str:
    """Collapse whitespace so patterns match the way people write commands."""
    try:
        return " ".join(shlex.split(command))
    except ValueError:
        return " ".join(command.split())


def _chains(command: str) -> bool:
    # An allowed prefix must not smuggle a second command through ;, &&, | or $(...).
    return bool(re.search(r"[;&|`]|\$\(", command))


def _matches(command: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(command, pattern) for pattern in patterns)
