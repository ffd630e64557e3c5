"""run_command: run a shell command in the repository, with a timeout and a bounded output."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from typing import Any

from assistant.tools.base import (
    ToolContext,
    ToolOutput,
    ToolSpec,
    cut_middle,
    optional_int,
    require_str,
)

OUTPUT_BUDGET = 12_000
DEFAULT_TIMEOUT = 120
MAX_TIMEOUT = 900


class RunCommand:
    """Run a shell command in the repository root once the policy (or the user) allows it."""

    spec = ToolSpec(
        name="run_command",
        description=(
            "Run a shell command in the repository root (tests, linters, builds). Output is "
            "cut to its head and tail when long. Needs approval unless allowed by the settings."
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
        if not await ctx.authorize("command", command, detail):
            return ToolOutput(
                f"command not run: refused by the permission policy: {command}", ok=False
            )
        code, output, timed_out = await run_shell(command, ctx.root, timeout)
        text = cut_middle(output, OUTPUT_BUDGET)
        if timed_out:
            return ToolOutput(f"timed out after {timeout}s and was stopped\n{text}", ok=False)
        return ToolOutput(f"exit code {code}\n{text}", ok=code == 0)


async def run_shell(command: str, cwd: os.PathLike[str], timeout: float) -> tuple[int, str, bool]:
    """Run `command` with a shell; return (exit code, combined output, timed out)."""
    process = await asyncio.create_subprocess_shell(
        command,
        cwd=cwd,
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
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
