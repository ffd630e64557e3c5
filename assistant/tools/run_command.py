"""run_command: run a shell command in the repository, with a timeout and a bounded output.

Commands run in the sandbox the settings ask for (assistant/security/sandbox.py): the
repository writable, `.git` read-only unless a person approved this very command, no network,
and never with the assistant's keys or other credentials in their environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.security.sandbox import SandboxPolicy, available, command_env, sandbox_notice
from assistant.security.secrets import redact
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
KEEP_BYTES = 256_000  # of a command's output's start, and as much of its end
CHANGED_SHOWN = 20
DEFAULT_TIMEOUT = 120
MAX_TIMEOUT = 900
READ_ONLY_HINT = (
    "\n[sandbox: commands may write only in the repository, and in .git only when the user "
    "approved that very command]\n"
)


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
            return ToolOutput.refusal(f"command not run ({command})")
        policy = await asyncio.to_thread(sandbox_for, ctx.settings, ctx.root)
        notice = await self._notice_once(ctx)
        before = await asyncio.to_thread(ctx.changes.snapshot)
        changed: list[str] = []
        try:
            # Only a person who saw this very command may let it write git's own files.
            person = grant is Grant.PERSON
            code, output, timed_out = await run_shell(
                command, ctx.root, timeout, sandbox=policy, git_writable=person,
                show_secrets=person,
            )  # fmt: skip
        finally:  # what the command changed goes in the turn's undo journal, even if stopped
            changed = await asyncio.to_thread(ctx.changes.record_since, before)
        # Redacted whole, before the cut: a cut could leave a key's body without its BEGIN line.
        text = cut_middle(redact(output, _keys(ctx)), OUTPUT_BUDGET)
        text += _changed_note(ctx, before, changed)
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
        if ctx.state.sandbox_notice_shown:
            return ""
        notice = await asyncio.to_thread(sandbox_notice, ctx.settings)
        ctx.state.sandbox_notice_shown = True
        return f"{notice}\n" if notice else ""


def sandbox_for(settings: Settings, root: Path) -> SandboxPolicy:
    """Return the sandbox of a command run in `root`: its git internals, protected config
    and secrets files found afresh (a missing hooks folder is made, so a command cannot)."""
    from assistant.protected_paths import protected_paths

    repository = protected_paths(root)
    for hooks in repository.hooks:
        if not os.path.lexists(hooks) and hooks.is_relative_to(Path(root).resolve()):
            hooks.mkdir(parents=True, exist_ok=True)
    return SandboxPolicy.from_settings(settings, root, repository=repository)


def _keys(ctx: ToolContext) -> tuple[str, ...]:
    return tuple(k for k in (ctx.settings.api_key, ctx.settings.completion_api_key) if k)


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
    show_secrets: bool = False,
) -> tuple[int, str, bool]:
    """Run `command` with bash, in `sandbox` when given and usable; return (exit code,
    combined output, timed out). The environment never carries credentials; the output kept
    is bounded (its head and tail), however much the command prints."""
    # bash, not /bin/sh: the policy parses commands as bash does (dash reads `&>` otherwise).
    argv = [shutil.which("bash") or "/bin/bash", "--noprofile", "--norc", "-c", command]
    env = command_env()
    if sandbox is not None:
        wrapped = sandbox.enabled and await asyncio.to_thread(available)
        if wrapped:
            argv = sandbox.wrap(
                argv, git_writable=git_writable, cwd=Path(cwd), show_secrets=show_secrets
            )
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
    output = _BoundedOutput()
    assert process.stdout is not None
    reader = asyncio.ensure_future(output.read_all(process.stdout))
    try:
        await asyncio.wait_for(asyncio.shield(reader), timeout)
        return await process.wait() or 0, output.text(), False
    except TimeoutError:
        _kill_group(process.pid)
        await process.wait()
        await reader
        return -1, output.text(), True
    except asyncio.CancelledError:
        _kill_group(process.pid)
        reader.cancel()
        await process.wait()
        raise


class _BoundedOutput:
    """A command's output, keeping at most KEEP_BYTES of its start and of its end."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    async def read_all(self, stream: asyncio.StreamReader) -> None:
        """Read the stream to its end."""
        while chunk := await stream.read(65_536):
            self.total += len(chunk)
            room = KEEP_BYTES - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                del self.tail[: max(0, len(self.tail) - KEEP_BYTES)]

    def text(self) -> str:
        """Return what was kept, marking the part that was not."""
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {dropped} bytes of output not kept ...]\n" if dropped > 0 else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle
                + bytes(self.tail).decode("utf-8", "replace"))  # fmt: skip


def _kill_group(pid: int) -> None:
    # In a sandbox this kills bwrap; --die-with-parent and the pid namespace take the rest.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
