"""Hooks: the user's own commands on the agent's events (the Claude Code / Qwen Code model):
the event as JSON on stdin; exit 2 before a tool blocks it with a reason the model reads; a
failing hook is a notice; only the user's config can name one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ConfigError
from assistant.testing import call, cli_env, commit_files, edit
from tests.cli_run import run_json

GUARD = """import json, sys
event = json.load(sys.stdin)
with open(sys.argv[1], "a") as log:
    log.write(json.dumps(event) + "\\n")
if event["event"] == "before_tool" and "rm " in event["arguments"].get("command", ""):
    print("no deleting files in this repository", file=sys.stderr)
    sys.exit(2)
"""


def hooks_config(tmp_path: Path, *tables: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("\n".join(tables))
    return config


def hook(event: str, command: str, **keys: object) -> str:
    lines = ["[[hooks]]", f"event = {json.dumps(event)}", f"command = {json.dumps(command)}"]
    return "\n".join(lines + [f"{k} = {json.dumps(v)}" for k, v in keys.items()]) + "\n"


def run(repo: Path, server, config: Path, cache: Path) -> tuple[int, list[dict]]:
    done = run_json(repo, server, "tidy up", "--mode", "yolo", cache=cache, config=config)
    return done.code, done.events


def test_a_hook_blocks_a_command_and_sees_every_event(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"notes.txt": "keep me\n", "app.py": "x = 1\n"})
    guard, log = tmp_path / "guard.py", tmp_path / "events.jsonl"
    guard.write_text(GUARD)
    command = f"{sys.executable} {guard} {log}"
    config = hooks_config(
        tmp_path,
        hook("before_tool", command, tools=["run_shell_command"]),
        hook("after_edit", command),
        hook("turn_end", command),
    )
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("run_shell_command", command="rm -f notes.txt")]},
                {"tool_calls": [call("run_shell_command", command="echo tidy")]},
                {"tool_calls": [call("read_file", absolute_path="app.py")]},
                {"tool_calls": [edit("app.py", "x = 1", "x = 2")]},
                {"text": "Tidied."},
            ]
        }
    )
    code, events = run(repo, server, config, tmp_path / "cache")
    results = [e for e in events if e["event"] == "ToolResult"]
    assert results[0]["refused"] and results[0]["output"] == (
        "blocked by the user's hook: no deleting files in this repository"
    )
    assert results[1]["ok"] and (repo / "notes.txt").read_text() == "keep me\n"
    told = server.chat_requests[1].body["messages"][-1]["content"]
    assert "no deleting files in this repository" in told  # the model reads the reason
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in seen] == ["before_tool", "before_tool", "after_edit", "turn_end"]
    assert seen[0]["arguments"] == {"command": "rm -f notes.txt"}  # only the watched tool
    assert seen[2]["path"] == "app.py" and "+x = 2" in seen[2]["diff"]
    assert seen[3] == {"event": "turn_end", "repository": str(repo), "reason": "completed",
                       "edited": ["app.py"]}  # fmt: skip
    assert code == 2  # a tool was refused


def test_a_failing_or_slow_hook_is_a_notice_and_changes_nothing(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": "x = 1\n"})
    config = hooks_config(
        tmp_path, hook("before_tool", "exit 1"), hook("before_tool", "sleep 5", timeout=0.3)
    )
    server = scripted_server(
        {"turns": [{"tool_calls": [call("glob", pattern="*.py")]}, {"text": "ok"}]}
    )
    code, events = run(repo, server, config, tmp_path / "cache")
    notices = [e["message"] for e in events if e["event"] == "ErrorEvent"]
    assert notices == ["hook 'exit 1' on before_tool failed (exit 1)",
                       "hook 'sleep 5' on before_tool failed (timed out)"]  # fmt: skip
    assert next(e for e in events if e["event"] == "ToolResult")["ok"] and code == 0


def test_only_the_users_config_names_hooks(tmp_path):
    repo = commit_files(
        tmp_path / "repo",
        {".assistant/config.toml": '[[hooks]]\nevent = "turn_end"\ncommand = "touch pwned"\n'},
    )
    settings = load_settings(repo, env=cli_env(tmp_path / "cache", hooks_config(tmp_path, "")))
    assert settings.hooks == ()
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings(env=cli_env(None, hooks_config(tmp_path, hook("turn_end", "x", when=1))))
    with pytest.raises(ConfigError, match="event must be one of"):
        load_settings(env=cli_env(None, hooks_config(tmp_path, hook("before_commit", "x"))))
