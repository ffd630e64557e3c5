"""Running the user's hooks (assistant/config/hooks.py) on the agent's events.

A hook is the user's own command: it runs with bash in the repository, outside the sandbox,
with the command environment (never the assistant's keys), the event as JSON on stdin. Exit 0
lets things go on; for `before_tool`, exit 2 blocks the call and what the hook printed on
stderr (else stdout) is the reason the model reads; any other outcome (another code, a crash,
the time-out) is reported as a notice and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import os
import shutil
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config.hooks import HookConfig, HookEvent
from assistant.security.sandbox import command_env
from assistant.security.secrets import redact

BLOCK_EXIT = 2
REASON_CHARS = 2_000


@dataclass
class HookOutcome:
    """What the hooks of one event said: a reason to block (before_tool), and notices."""

    blocked: str | None = None
    notices: list[str] = field(default_factory=list)


class Hooks:
    """The hooks of a session, run for one repository."""

    def __init__(self, root: Path, hooks: tuple[HookConfig, ...], keys: tuple[str, ...]) -> None:
        self.root = root
        self.hooks = hooks
        self.keys = keys

    async def before_tool(self, tool: str, arguments: Mapping[str, Any]) -> HookOutcome:
        """Run the before_tool hooks watching `tool`; the first that blocks decides."""
        payload = {"tool": tool, "arguments": dict(arguments)}
        return await self._run("before_tool", payload, tool)

    async def after_edit(self, path: str, diff: str, created: bool) -> HookOutcome:
        """Run the after_edit hooks for a file the agent wrote."""
        return await self._run("after_edit", {"path": path, "diff": diff, "created": created})

    async def turn_end(self, reason: str, edited: tuple[str, ...]) -> HookOutcome:
        """Run the turn_end hooks when a run ends."""
        return await self._run("turn_end", {"reason": reason, "edited": list(edited)})

    async def _run(
        self, event: HookEvent, payload: dict[str, Any], tool: str | None = None
    ) -> HookOutcome:
        outcome = HookOutcome()
        for hook in self.hooks:
            if hook.event != event or not _watches(hook, tool):
                continue
            data = json.dumps({"event": event, "repository": str(self.root), **payload})
            code, out, err = await _execute(hook, self.root, data, self.keys)
            if code == 0:
                continue
            if event == "before_tool" and code == BLOCK_EXIT:
                said = redact((err or out).strip(), self.keys)[:REASON_CHARS]
                outcome.blocked = said or f"the hook {hook.command!r} refused it"
                return outcome
            why = "timed out" if code is None else f"exit {code}"
            outcome.notices.append(f"hook {hook.command!r} on {event} failed ({why})")
        return outcome


def _watches(hook: HookConfig, tool: str | None) -> bool:
    return tool is None or not hook.tools or any(fnmatch.fnmatch(tool, t) for t in hook.tools)


async def _execute(
    hook: HookConfig, root: Path, data: str, keys: tuple[str, ...]
) -> tuple[int | None, str, str]:
    """Run the hook with the event on stdin; return (exit code or None on time-out, stdout,
    stderr)."""
    bash = shutil.which("bash") or "/bin/bash"
    env = {**command_env(known=keys), "ASSISTANT_HOOK": "1"}
    command = os.path.expanduser(hook.command)
    process = await asyncio.create_subprocess_exec(
        bash, "--noprofile", "--norc", "-c", command, cwd=root, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(data.encode()), hook.timeout)
    except (TimeoutError, asyncio.CancelledError) as stopped:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        if isinstance(stopped, asyncio.CancelledError):
            raise
        return None, "", ""
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
