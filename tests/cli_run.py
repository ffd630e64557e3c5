"""Running the real command line as tests need it: in the test's own process with exactly the
environment given (`run_cli`), or as a user runs it, a subprocess (`run_json`); and reading what
it printed (`--json` events, the run's outcome, tool outputs)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]


class EnvPatcher(Protocol):
    """What sets and removes environment variables for one test (pytest's monkeypatch)."""

    def setenv(self, name: str, value: str) -> None:
        """Set a variable until the test ends."""
        ...

    def delenv(self, name: str, raising: bool = True) -> None:
        """Remove a variable until the test ends."""
        ...


@dataclass
class CliResult:
    """What an in-process run of the command line gave."""

    code: int
    out: str
    err: str

    @property
    def events(self) -> list[dict[str, Any]]:
        """Return the JSON lines printed with --json."""
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]

    @property
    def outcome(self) -> dict[str, Any]:
        """Return the final Outcome line of `assistant run --json`."""
        return next(e for e in reversed(self.events) if e.get("event") == "Outcome")

    def results(self) -> list[dict[str, Any]]:
        """Return the ToolResult events."""
        return [event for event in self.events if event.get("event") == "ToolResult"]

    def tool_outputs(self, name: str | None = None) -> list[str]:
        """Return the outputs of the tools that ran (of one tool, if named)."""
        return [e["output"] for e in self.results() if name is None or e["name"] == name]


def run_cli(monkeypatch: EnvPatcher, env: Mapping[str, str], *argv: str) -> CliResult:
    """Run `assistant ARGV` in this process with `env` as its whole environment."""
    from assistant.cli import main

    for key in [key for key in os.environ if key not in env]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


@dataclass
class RunJson:
    """What `assistant run --json` printed, run as a user runs it (a subprocess)."""

    code: int
    events: list[dict[str, Any]]
    err: str

    def of(self, kind: str) -> list[dict[str, Any]]:
        """Return the events of one kind (`ToolResult`, `Done`, ...)."""
        return [event for event in self.events if event["event"] == kind]


def run_json(
    repo: Path, server: Any, task: str, *flags: str, cache: Path, config: Path | None = None
) -> RunJson:
    """Run `python -m assistant run TASK --json` on `repo` against the scripted model."""
    import subprocess
    import sys

    from assistant.testing import cli_env

    endpoint = ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]
    command = [sys.executable, "-m", "assistant", "run", task, "--json", "--repo", str(repo),
               *endpoint, *flags]  # fmt: skip
    env = cli_env(cache, config) if config is not None else cli_env(cache)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return RunJson(done.returncode, events, done.stderr)
