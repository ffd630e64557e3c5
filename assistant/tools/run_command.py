"""run_command: run a shell command in the repository, with a timeout and a bounded output.

Commands run in the sandbox the settings ask for (assistant/security/sandbox.py): the
repository writable, `.git` read-only unless a person approved this very command, no network,
and never with the assistant's keys or other credentials in their environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.security.sandbox import SandboxPolicy, available, command_env, sandbox_notice
from assistant.tools.base import (
    Grant,
    ToolContext,
    ToolOutput,
    ToolSpec,
    cut_middle,
    optional_int,
    require_str,
)

OUTPUT_BUDGET = 12_000
CHANGED_SHOWN = 20
DEFAULT_TIMEOUT = 120
MAX_TIMEOUT = 900
READ_ONLY_HINT = (
    "\n[sandbox: commands may write only in the repository, and in .git only when the user "
    "approved that very command]\n"
)
NOTICE_SHOWN = "sandbox_notice_shown"  # ctx.state key: the notice goes out once per run


class RunCommand:
    """Run a shell command in the repository root once the policy (or the user) allows it."""

    spec = ToolSpec(
        name="run_command",
        description=(
            "Run a shell command in the repository root (tests, linters, builds). Output is "
            "cut to its head and tail when long. Needs approval unless allowed by the settings. "
            "It may run in a sandbox: only the repository is writable, .git is read-only, "
            "there is no network and the home folder's secrets are hidden."
        ),
        parameters={
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "the command line to run"},
                "timeout": {"type": "integer", "description": "seconds (default 120)"},
            },
            "required": ["command"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Run the command if authorized; report exit code and output."""
        command = require_str(args, "command")
        timeout = min(
            optional_int(args, "timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT, MAX_TIMEOUT
        )
        detail = f"$ {command}\n(in {ctx.root})"
        grant = await ctx.authorize("command", command, detail)
        if not grant:
            return ToolOutput(
                f"command not run: refused by the permission policy: {command}",
                ok=False,
                refused=True,
            )
        policy = await asyncio.to_thread(SandboxPolicy.from_settings, ctx.settings, ctx.root)
        notice = await self._notice_once(ctx)
        before = await asyncio.to_thread(ctx.changes.snapshot)
        changed: list[str] = []
        try:
            # Only a person who saw this very command may let it write git's own files.
            code, output, timed_out = await run_shell(
                command, ctx.root, timeout, sandbox=policy, git_writable=grant is Grant.PERSON
            )
        finally:  # what the command changed goes in the turn's undo journal, even if stopped
            changed = await asyncio.to_thread(ctx.changes.record_since, before)
        text = cut_middle(output, OUTPUT_BUDGET) + _changed_note(ctx, before, changed)
        if code != 0 and policy.enabled and "Read-only file system" in output:
            text += READ_ONLY_HINT
        if timed_out:
            return ToolOutput(
                f"{notice}timed out after {timeout}s and was stopped\n{text}", ok=False
            )
        return ToolOutput(f"{notice}exit code {code}\n{text}", ok=code == 0)

    @staticmethod
    async def _notice_once(ctx: ToolContext) -> str:
        """Return the no-sandbox notice line for the run's first command, else ""."""
        if ctx.state.get(NOTICE_SHOWN):
            return ""
        notice = await asyncio.to_thread(sandbox_notice, ctx.settings)
        ctx.state[NOTICE_SHOWN] = True
        return f"{notice}\n" if notice else ""


def _changed_note(ctx: ToolContext, snapshot: str | None, changed: list[str]) -> str:
    """Say which files the command changed (or that its changes cannot be undone)."""
    if ctx.changes.records_commands and snapshot is None:
        return "\n[the files this command changed could not be recorded: /undo cannot undo them]"
    if not changed:
        return ""
    shown = ", ".join(changed[:CHANGED_SHOWN])
    more = f" and {len(changed) - CHANGED_SHOWN} more" if len(changed) > CHANGED_SHOWN else ""
    return f"\n[files changed: {shown}{more}]"


async def run_shell(
    command: str,
    cwd: os.PathLike[str],
    timeout: float,
    *,
    sandbox: SandboxPolicy | None = None,
    git_writable: bool = False,
) -> tuple[int, str, bool]:
    """Run `command` with a shell, in `sandbox` when given and usable; return (exit code,
    combined output, timed out). The environment never carries credentials."""
    argv = ["/bin/sh", "-c", command]
    env = command_env()
    if sandbox is not None:
        wrapped = sandbox.enabled and await asyncio.to_thread(available)
        if wrapped:
            argv = sandbox.wrap(argv, git_writable=git_writable, cwd=Path(cwd))
        env = sandbox.environment(sandboxed=wrapped)
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
        return process.returncode or 0, out.decode("utf-8", "replace"), False
    except TimeoutError:
        _kill_group(process.pid)
        out, _ = await process.communicate()
        return -1, out.decode("utf-8", "replace"), True
    except asyncio.CancelledError:
        _kill_group(process.pid)
        await process.wait()
        raise


def _kill_group(pid: int) -> None:
    # In a sandbox this kills bwrap; --die-with-parent and the pid namespace take the rest.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
