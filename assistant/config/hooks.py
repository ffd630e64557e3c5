"""Hooks: the user's own commands run on the agent's events, as Claude Code and Qwen Code run
theirs. Read from the user config only (a repository cannot add a command to run):

    [[hooks]]
    event = "before_tool"              # before_tool | after_edit | turn_end
    tools = ["run_shell_command"]      # before_tool only: tool names or globs (default: all)
    command = "~/bin/check-command"    # run with bash in the repository, the event on stdin
    timeout = 10                       # seconds (default 30)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from assistant.errors import ConfigError

HOOKS_TABLE = "hooks"
HookEvent = Literal["before_tool", "after_edit", "turn_end"]
HOOK_EVENTS = ("before_tool", "after_edit", "turn_end")
DEFAULT_HOOK_TIMEOUT = 30.0
_KEYS = frozenset({"event", "tools", "command", "timeout"})


@dataclass(frozen=True)
class HookConfig:
    """One hook: the event it runs on, the tools it watches, and its command."""

    event: HookEvent
    command: str
    tools: tuple[str, ...] = ()
    timeout: float = DEFAULT_HOOK_TIMEOUT


def user_hooks(data: Mapping[str, Any], path: Path) -> tuple[HookConfig, ...]:
    """Return the `[[hooks]]` of the user config (a mistake is an error the user can fix)."""
    entries = data.get(HOOKS_TABLE) or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: hooks must be an array of tables ([[hooks]])")
    hooks = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: hook {number}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ConfigError(f"{where} has unknown key(s) {', '.join(unknown)}",
                              hint=f"known keys: {', '.join(sorted(_KEYS))}")  # fmt: skip
        event, command = entry.get("event"), entry.get("command")
        if event not in HOOK_EVENTS:
            raise ConfigError(f"{where}: event must be one of {', '.join(HOOK_EVENTS)}")
        if not isinstance(command, str) or not command.strip():
            raise ConfigError(f"{where}: command must be a non-empty string")
        tools = entry.get("tools") or []
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            raise ConfigError(f"{where}: tools must be a list of tool names")
        try:
            timeout = float(entry.get("timeout", DEFAULT_HOOK_TIMEOUT))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: timeout must be a number of seconds") from None
        hooks.append(HookConfig(cast(HookEvent, event), command, tuple(tools), max(timeout, 0.1)))
    return tuple(hooks)
