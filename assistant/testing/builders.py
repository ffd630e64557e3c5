"""Builders for what a scripted model says (tool calls, edits, whole scripts), for settings
that point at a scripted server, and for the environment a test runs the command line in.

Calls and scripts are returned in a script's mapping form (what `Script.from_dict` and the
`scripted_server` fixture read), so a test can mix them with turns written out by hand:

    server = scripted_server(turns(call("read_file", path="app.py"), text="It adds."))
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, TypedDict

from assistant.config import Settings
from assistant.testing.script import DEFAULT_MODEL

# Variables that pick an endpoint, a key or a setting: a test's subprocess must not inherit them.
_MACHINE_VARS = ("OPENAI", "DASHSCOPE", "ASSISTANT")


class ToolCallSpec(TypedDict):
    """One tool call of a scripted turn, in its mapping form."""

    name: str
    arguments: dict[str, Any]


def call(name: str, /, **arguments: Any) -> ToolCallSpec:
    """Return a scripted call of the tool `name` with `arguments`."""
    return {"name": name, "arguments": arguments}


def edit(path: str, search: str, replace: str) -> ToolCallSpec:
    """Return an `edit` call (Qwen Code's arguments) replacing `search` by `replace` in `path`."""
    return call("edit", file_path=path, old_string=search, new_string=replace)


def turns(*calls: ToolCallSpec, text: str = "done") -> dict[str, Any]:
    """Return a script in which each call is a model turn of its own, then a closing `text`."""
    script: list[dict[str, Any]] = [{"tool_calls": [one]} for one in calls]
    return {"turns": [*script, {"text": text}]}


def settings_for(base_url: str, **changes: Any) -> Settings:
    """Return settings that talk to the scripted model at `base_url`, with `changes` applied."""
    base = Settings(
        profile="test",
        base_url=base_url,
        api_key="test-key",
        model=DEFAULT_MODEL,
        request_timeout=10.0,
        connect_timeout=2.0,
        memory_file=Path(os.devnull),  # never the machine's own memory
        commands_dir=Path(os.devnull) / "commands",  # nor its own custom commands
    )
    return dataclasses.replace(base, **changes)


def cli_env(
    cache: Path | None = None, config: Path | str = os.devnull, **extra: str
) -> dict[str, str]:
    """Return this process's environment for running `assistant` as a user would, without any
    endpoint, key or assistant setting of the machine's: the user config read from `config`,
    the cache in `cache` (when given), and `extra` variables on top."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_MACHINE_VARS)}
    env["ASSISTANT_CONFIG"] = str(config)
    # The user's memory file: never the machine's own (it joins every prompt).
    env["ASSISTANT_MEMORY_FILE"] = str(cache / "memory.md") if cache is not None else os.devnull
    env["ASSISTANT_COMMANDS_DIR"] = str(Path(env["ASSISTANT_MEMORY_FILE"]).parent / "commands")
    if cache is not None:
        env["ASSISTANT_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env
