"""run_shell_command: run a shell command in the repository, with a time-out and a bounded
output, under Qwen Code's name and arguments (command, description, directory, timeout in
milliseconds); the answer is Qwen Code's Command / Directory / Output / Exit Code block.

Commands run in the sandbox the settings ask for (assistant/security/sandbox.py): the
repository writable, `.git` read-only unless a person approved this very command, no network,
and never with the assistant's keys or other credentials in their environment. A command for
another folder of the repository is judged, shown and run as `cd -- DIR && COMMAND`, so the
permission policy sees where it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
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
    ToolError,
    ToolOutput,
    ToolSpec,
    cut_middle,
    require_str,
)
from assistant.workspace import relative_posix, resolve_repo_path

OUTPUT_BUDGET = 12_000
KEEP_BYTES = 256_000  # of a command's output's start, and as much of its end
CHANGED_SHOWN = 20
DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
READ_ONLY_HINT = (
    "\n[sandbox: commands may write only in the repository, and in .git only when the user "
    "approved that very command]\n"
)


class RunShellCommand:
    """Run a shell command in the repository once the policy (or the user) allows it."""

    spec = ToolSpec(
        name="run_shell_command",
        description=(
            "Executes a given shell command as `bash -c <command>` in the repository (tests, "
            "linters, builds) and returns its combined output (cut to its head and tail when "
            "long) and exit code. Needs approval unless the settings allow it. It may run in "
            "a sandbox: only the repository is writable, .git is read-only, there is no "
            "network and the home folder's secrets are hidden. Use read_file, glob and "
            "grep_search rather than cat, find and grep. Long-running servers are not "
            "supported (no background commands)."
        ),
        parameters={
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "Exact bash command to execute"},
                "description": {
                    "type": "string",
                    "description": "Brief description of the command for the user.",
                },
                "directory": {
                    "type": "string",
                    "description": "(OPTIONAL) The directory to run the command in (absolute, "
                    "or relative to the repository root); default the repository root.",
                },
                "timeout": {
                    "type": "number",
                    "description": "Optional timeout in milliseconds (max 600000)",
                },
            },
            "required": ["command"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Run the command if authorized; report Qwen Code's block of its outcome."""
        given = require_str(args, "command")
        if args.get("is_background") in (True, "true"):
            raise ToolError(
                "background commands are not supported here; run the command in the "
                "foreground (with a timeout), or ask the user to start it in their terminal"
            )
        timeout_ms = _timeout_ms(args.get("timeout"))
        directory = _directory(ctx, args.get("directory"))
        command = f"cd -- {shlex.quote(directory)} && {given}" if directory != "." else given
        return await run_authorized(ctx, command, timeout_ms / 1000, shown_dir=directory)


async def run_authorized(
    ctx: ToolContext, command: str, timeout: float, *, shown_dir: str = "."
) -> ToolOutput:
    """Ask the policy (and maybe the user) about `command`, run it in the repository root and
    return Qwen Code's Command / Directory / Output / Error / Exit Code block."""
    detail = f"$ {command}\n(in {ctx.root})"
    grant = await ctx.authorize("command", command, detail)
    if not grant:
        return ToolOutput.refusal(f"command not run ({command})")
    policy = await asyncio.to_thread(sandbox_for, ctx.settings, ctx.root)
    notice = await _notice_once(ctx)
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
    notes = _changed_note(ctx, before, changed)
    if code != 0 and policy.enabled and "Read-only file system" in output:
        notes += READ_ONLY_HINT
    if timed_out:
        said = (
            f"Below is the output before it timed out:\n{text}"
            if text.strip()
            else ("There was no output before it timed out.")
        )
        ms = round(timeout * 1000)
        return ToolOutput(
            f"{notice}Command timed out after {ms}ms before it could complete. {said}{notes}",
            ok=False,
        )
    block = "\n".join([
        f"Command: {command}",
        f"Directory: {'(root)' if shown_dir == '.' else shown_dir}",
        f"Output: {text.rstrip() if text.strip() else '(empty)'}",
        "Error: (none)",
        f"Exit Code: {code}",
    ])  # fmt: skip
    return ToolOutput(f"{notice}{block}{notes}", ok=code == 0)


def _timeout_ms(value: object) -> float:
    """Return the time-out in milliseconds (Qwen Code's unit), default 2 minutes, at most 10."""
    if value is None:
        return DEFAULT_TIMEOUT_MS
    try:
        timeout = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ToolError("Timeout must be an integer number of milliseconds.") from None
    if timeout <= 0:
        raise ToolError("Timeout must be a positive number.")
    return min(timeout, MAX_TIMEOUT_MS)


def _directory(ctx: ToolContext, value: object) -> str:
    """Return the folder a command runs in, relative to the repository root ("." for it)."""
    if value is None or value == "":
        return "."
    if not isinstance(value, str):
        raise ToolError("argument 'directory' must be a string")
    path = resolve_repo_path(ctx.root, value)
    if not path.is_dir():
        raise ToolError(f"Directory '{value}' is not a folder of the repository.")
    return relative_posix(ctx.root, path) or "."


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
    return ctx.settings.known_secrets


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
