"""What the MCP client tests share: the demo server (a real SDK server over stdio), its entries
in a user config, the command line run in this process, and the check that no server outlived
its session."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.config.mcp_servers import McpServerConfig
from assistant.testing import DEFAULT_MODEL, ScriptedServer, cli_env
from tests.cli_run import CliResult
from tests.cli_run import run_cli as run_in_process

DEMO = Path(__file__).with_name("mcp_client_demo_server.py")


def demo_config(name: str = "demo", mode: str = "", **fields: Any) -> McpServerConfig:
    """Return a server entry that starts the demo server (in `mode`, if given)."""
    args = (str(DEMO), mode) if mode else (str(DEMO),)
    return McpServerConfig(name, command=sys.executable, args=args, **fields)


def demo_toml(name: str = "demo", mode: str = "", env: dict[str, str] | None = None,
              **keys: Any) -> str:  # fmt: skip
    """Return the `[mcp_servers.NAME]` table of a user config that starts the demo server."""
    args = [str(DEMO), mode] if mode else [str(DEMO)]
    lines = [f"[mcp_servers.{name}]", f"command = {json.dumps(sys.executable)}",
             f"args = {json.dumps(args)}"]  # fmt: skip
    if env:
        pairs = ", ".join(f"{key} = {json.dumps(value)}" for key, value in env.items())
        lines.append(f"env = {{ {pairs} }}")
    lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def server_pids(pid_file: Path) -> list[int]:
    """Return the pids the demo servers wrote at start."""
    if not pid_file.exists():
        return []
    return [int(line) for line in pid_file.read_text().split()]


def assert_no_server_left(pid_file: Path, started: int | None = None) -> None:
    """Assert every demo server that started is gone (and how many started, if given)."""
    pids = server_pids(pid_file)
    if started is not None:
        assert len(pids) == started, pids
    assert pids or started == 0, "no demo server started"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def run_cli(monkeypatch: pytest.MonkeyPatch, config: Path, cache: Path, *argv: str) -> CliResult:
    """Run `assistant ARGV` in this process with `config` as the user config."""
    return run_in_process(monkeypatch, cli_env(cache, config), *argv)


def run_task(
    monkeypatch: pytest.MonkeyPatch, config: Path, repo: Path, model: ScriptedServer, *flags: str
) -> CliResult:
    """Run `assistant run --json` on `repo` against the scripted model."""
    return run_cli(
        monkeypatch, config, repo.parent / "cache", "run", "do the task", "--json",
        "--repo", str(repo), "--base-url", model.base_url, "--api-key", "test-key",
        "--model", DEFAULT_MODEL, *flags,
    )  # fmt: skip
