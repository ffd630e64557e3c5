"""Who decides before a tool runs: permission modes, and the policy for edits and commands.

Modes: `plan` (read only: no edit, no MCP tool, only commands that run unasked in ask mode,
until the user approves the model's plan, exit_plan_mode), `ask` (edits and commands need
approval), `auto-edit` (edits run, commands ask), `yolo`
(everything runs). Commands are parsed, not pattern-matched: in ask and auto-edit modes a
command line runs without asking only when every simple command in it is on the allow list and
only reads (assistant.security.command_policy explains the rules); a deny pattern matching any
of them refuses the line. Destructive commands (git reset --hard, clean, push --force, rm -rf
outside the repository, ...) always ask, whatever the mode. An MCP server's tool asks in ask
and auto-edit modes (it may do anything its server can) unless the user's own config allows
that server's tools (`allow = ["*"]`) or that tool; yolo runs it. A headless run has no one to
ask: what would need approval is refused. Nothing in the repository can change the policy: it
is built only from settings and flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.security.command_policy import DEFAULT_ALLOW, Decision, Verdict, judge_command

__all__ = ["DEFAULT_ALLOW", "MODES", "PLAN_REMINDER", "Decision", "PermissionPolicy", "Verdict"]

MODES = ("ask", "auto-edit", "yolo", "plan")
PLAN_REMINDER = (
    "Plan mode is active: the user does not want anything changed yet. Read and search only; "
    "when your plan is ready, present it with exit_plan_mode for the user to approve."
)


@dataclass(frozen=True)
class PermissionPolicy:
    """The rules for one run; `root` is the repository that relative paths in commands mean."""

    mode: str = "ask"
    allow: tuple[str, ...] = DEFAULT_ALLOW
    deny: tuple[str, ...] = ()
    headless: bool = False
    root: Path | None = None
    # MCP tools the user's config lets run without asking: server name -> tool names ("*": all).
    mcp_allow: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    after_plan: str = "ask"  # the mode an approved plan switches to

    @property
    def planning(self) -> bool:
        """Return whether this is plan mode: read-only until the user approves a plan."""
        return self.mode == "plan"

    def for_edit(self) -> Decision:
        """Return the decision for writing a file in the repository."""
        if self.mode in ("auto-edit", "yolo"):
            return Decision.ALLOW
        return Decision.DENY if self.headless or self.planning else Decision.ASK

    def for_user_memory(self) -> Decision:
        """Return the decision for writing the user's own memory (it joins every prompt in
        every repository): a person decides, whatever the mode."""
        return Decision.DENY if self.headless or self.planning else Decision.ASK

    def for_fetch(self) -> Decision:
        """Return the decision for a web fetch to a destination the user did not allow in
        their config: a way out of the machine, so a person decides, whatever the mode."""
        return Decision.DENY if self.headless else Decision.ASK

    def for_plan(self) -> Decision:
        """Return the decision for leaving plan mode with a plan: a person must approve it."""
        return Decision.DENY if self.headless or not self.planning else Decision.ASK

    def for_mcp(self, server: str, tool: str) -> Decision:
        """Return the decision for calling `tool` of the MCP server `server`."""
        allowed = self.mcp_allow.get(server, ())
        if self.planning:
            return Decision.DENY  # an MCP tool may change anything its server can
        if self.mode == "yolo" or "*" in allowed or tool in allowed:
            return Decision.ALLOW
        return Decision.DENY if self.headless else Decision.ASK

    def for_command(self, command: str) -> Decision:
        """Return the decision for running a shell command."""
        return self.explain_command(command).decision

    def explain_command(self, command: str) -> Verdict:
        """Return the decision for a shell command with the reasons a front end can show.
        In plan mode a command runs only if it would run unasked in ask mode (it only reads)."""
        verdict = judge_command(
            command,
            allow=self.allow,
            deny=self.deny,
            root=self.root,
            mode="ask" if self.planning else self.mode,
            headless=self.headless,
        )
        if self.planning and verdict.decision is Decision.ASK:
            return replace(verdict, decision=Decision.DENY, reasons=("plan mode", *verdict.reasons))
        return verdict
