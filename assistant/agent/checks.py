"""The lint-and-test loop: after a turn that edited files, the user's own `lint_command` and
`test_command` run (in the sandbox, as commands do); a failure goes back to the model, which
gets `fix_rounds` more tries, as Aider's loop does.

The commands come from the user's settings only (a repository's config cannot name a command
to run: neither key is one it may set unless the user trusted the folder). Their output is
redacted and cut like any tool output before the model or a front end sees it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from assistant.agent.events import CheckKind, CheckResult
from assistant.config import Settings
from assistant.security.secrets import redact
from assistant.tools.base import cut_middle
from assistant.tools.run_command import run_shell, sandbox_for

CHECK_OUTPUT_CHARS = 8_000
CHECK_TIMEOUT = 600.0


def configured_checks(settings: Settings) -> list[tuple[CheckKind, str]]:
    """Return the checks the user configured, lint first."""
    checks: list[tuple[CheckKind, str]] = []
    if settings.lint_command.strip():
        checks.append(("lint", settings.lint_command.strip()))
    if settings.test_command.strip():
        checks.append(("test", settings.test_command.strip()))
    return checks


async def run_check(
    root: Path, settings: Settings, kind: CheckKind, command: str, round_: int
) -> CheckResult:
    """Run one check in the repository (sandboxed as the settings say); return its result."""
    policy = await asyncio.to_thread(sandbox_for, settings, root)
    code, output, timed_out = await run_shell(command, root, CHECK_TIMEOUT, sandbox=policy)
    keys = settings.known_secrets
    text = cut_middle(redact(output, keys), CHECK_OUTPUT_CHARS).rstrip()
    if timed_out:
        text = f"(timed out after {CHECK_TIMEOUT:.0f}s)\n{text}"
    return CheckResult(kind, command, code == 0 and not timed_out, text, round_)


def failure_message(result: CheckResult, rounds_left: int) -> str:
    """Return what the model is told when a check fails after its edits."""
    return (
        f"The {result.kind} command failed after your changes.\n$ {result.command}\n"
        f"{result.output or '(no output)'}\n\nFix the cause (not the check), then stop. "
        f"{rounds_left} more {'try' if rounds_left == 1 else 'tries'} after this one."
    )
