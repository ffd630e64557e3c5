"""`assistant run` as a user runs it: headless, JSON events, exit codes, diff, commit, resume."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import git

from assistant.testing import call, cli_env, commit_files, edit

ROOT = Path(__file__).resolve().parents[1]


GREET = {"greet.py": 'def greet(name):\n    return "Hello " + name\n'}


def run_cli(repo: Path, server, *args: str, cache: Path) -> subprocess.CompletedProcess:
    endpoint = ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]
    command = [sys.executable, "-m", "assistant", "run", *args, "--repo", str(repo), *endpoint]
    return subprocess.run(
        command, env=cli_env(cache), capture_output=True, text=True, timeout=120, cwd=ROOT
    )


EDIT_TURNS = [
    {"tool_calls": [call("read_file", path="greet.py")]},
    {"tool_calls": [edit("greet.py", '"Hello " + name', 'f"Hello, {name}!"')]},
    {"text": "greet now uses an f-string."},
]


def test_headless_run_prints_json_events_and_exits_0(scripted_server, tmp_path):
    repo_path = commit_files(tmp_path / "repo", GREET, "greet")
    server = scripted_server({"turns": EDIT_TURNS})
    result = run_cli(
        repo_path, server, "Use an f-string in greet", "--yes", "--json", cache=tmp_path / "c"
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[-2:] == ["Done", "Outcome"]
    assert "FileEdited" in kinds and "ToolCallStarted" in kinds
    assert events[-1]["edited"] == ["greet.py"]
    assert '+    return f"Hello, {name}!"' in events[-1]["diff"]
    assert (
        repo_path / "greet.py"
    ).read_text() == 'def greet(name):\n    return f"Hello, {name}!"\n'
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert "greet.py" in system  # the repository map went into the prompt


def test_headless_run_without_edit_permission_is_refused_with_exit_2(scripted_server, tmp_path):
    repo_path = commit_files(tmp_path / "repo", GREET, "greet")
    server = scripted_server({"turns": [*EDIT_TURNS[:2], {"text": "I could not edit."}]})
    result = run_cli(repo_path, server, "Use an f-string", "--mode", "ask", cache=tmp_path / "c")
    assert result.returncode == 2, result.stderr
    assert (repo_path / "greet.py").read_text().endswith('"Hello " + name\n')


def test_commit_flag_commits_with_the_models_message(scripted_server, tmp_path):
    repo_path = commit_files(tmp_path / "repo", GREET, "greet")
    repo = git.Repo(repo_path)
    message = {"text": "Use an f-string in greet\n\nReads better."}
    server = scripted_server({"turns": [*EDIT_TURNS, message]})
    result = run_cli(
        repo_path, server, "Use an f-string", "--yes", "--commit", cache=tmp_path / "c"
    )
    assert result.returncode == 0, result.stderr
    assert repo.head.commit.message.startswith("Use an f-string in greet")
    assert not repo.is_dirty()


def test_resume_continues_the_last_session(scripted_server, tmp_path):
    repo_path = commit_files(tmp_path / "repo", GREET, "greet")
    server = scripted_server({"turns": [{"text": "The answer is 42."}, {"text": "As I said, 42."}]})
    cache = tmp_path / "c"
    assert run_cli(repo_path, server, "What is the answer?", cache=cache).returncode == 0
    assert run_cli(repo_path, server, "Say it again", "--resume", cache=cache).returncode == 0
    messages = server.chat_requests[1].body["messages"]
    contents = [m.get("content") for m in messages]
    assert "What is the answer?" in contents and "The answer is 42." in contents
    assert contents[-1] == "Say it again"


def test_turn_limit_exits_2(scripted_server, tmp_path):
    repo_path = commit_files(tmp_path / "repo", GREET, "greet")
    loop = {"tool_calls": [call("read_file", path="greet.py")]}
    server = scripted_server({"default_turn": loop})
    result = run_cli(repo_path, server, "loop", "--max-turns", "2", cache=tmp_path / "c")
    assert result.returncode == 2
    assert "turn limit" in result.stderr
