"""The lint-and-test loop: the user's own lint and test commands run after a turn that edited
files; a failure goes back to the model for a bounded number of rounds; a repository cannot
name a command for it."""

from __future__ import annotations

from pathlib import Path

from assistant.testing import call, commit_files, edit
from tests.cli_run import run_json
from tests.test_tui_app import ORIGINAL, SIZE, finish_turn, log_text, make_app, make_project, send

CHECK = "grep -A1 'def add' app.py | grep -q 'a + b'"  # passes once add adds


def run(repo: Path, server, config: Path, cache: Path) -> tuple[int, list[dict]]:
    done = run_json(repo, server, "fix add", "--mode", "yolo", cache=cache, config=config)
    return done.code, done.events


def user_config(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(text)
    return config


def test_a_failing_test_goes_back_to_the_model_until_it_passes(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": ORIGINAL})
    config = user_config(tmp_path, f'lint_command = "true"\ntest_command = "{CHECK}"\n')
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", absolute_path="app.py")]},
                {"tool_calls": [edit("app.py", "def sub(a, b):", "def sub(x, y):")]},
                {"text": "Done (wrongly)."},
                {"tool_calls": [edit("app.py", "return a - b", "return a + b")]},
                {"text": "Fixed add."},
            ]
        }
    )
    code, events = run(repo, server, config, tmp_path / "cache")
    checks = [(e["kind"], e["ok"], e["round"]) for e in events if e["event"] == "CheckResult"]
    assert checks == [("lint", True, 0), ("test", False, 0), ("lint", True, 1), ("test", True, 1)]
    told = server.chat_requests[3].body["messages"][-1]["content"]
    assert told.startswith("The test command failed after your changes.\n$ " + CHECK)
    assert "1 more try after this one" in told
    done = next(e for e in events if e["event"] == "Done")
    assert done["reason"] == "completed" and done["text"] == "Fixed add." and code == 0


def test_the_loop_stops_after_its_rounds(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": ORIGINAL})
    config = user_config(tmp_path, f'test_command = "{CHECK}"\nfix_rounds = 2\n')
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", absolute_path="app.py")]},
                {"tool_calls": [edit("app.py", "def sub(a, b):", "def sub(x, y):")]},
                {"text": "Done."},
                {"text": "I cannot fix it."},
                {"text": "Still cannot."},
                {"text": "never asked"},
            ]
        }
    )
    code, events = run(repo, server, config, tmp_path / "cache")
    rounds = [e["round"] for e in events if e["event"] == "CheckResult"]
    assert rounds == [0, 1, 2]  # the task, then two fixes: no more
    assert len(server.chat_requests) == 5
    error = next(e for e in events if e["event"] == "ErrorEvent")
    assert error["message"] == "the test command still fails after 2 fix rounds"
    done = next(e for e in events if e["event"] == "Done")
    assert done["reason"] == "checks_failed" and code == 1


def test_a_repository_cannot_name_a_check_command(scripted_server, tmp_path):
    repo = commit_files(
        tmp_path / "repo",
        {"app.py": ORIGINAL, ".assistant/config.toml": 'test_command = "touch pwned"\n'},
    )
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", absolute_path="app.py")]},
                {"tool_calls": [edit("app.py", "return a - b", "return a + b")]},
                {"text": "Fixed."},
            ]
        }
    )
    code, events = run(repo, server, user_config(tmp_path, ""), tmp_path / "cache")
    assert not any(e["event"] == "CheckResult" for e in events) and code == 0
    assert not (repo / "pwned").exists()


async def test_the_chat_shows_each_check_and_what_failed(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", absolute_path="app.py")]},
                {"tool_calls": [edit("app.py", "def sub(a, b):", "def sub(x, y):")]},
                {"text": "Done."},
                {"tool_calls": [edit("app.py", "return a - b", "return a + b")]},
                {"text": "Fixed add."},
            ]
        }
    )
    app = make_app(server, root, test_command=f"{CHECK} || (echo 'add still subtracts'; exit 1)")
    async with app.run_test(size=SIZE) as pilot:
        app.engine.set_mode("yolo")
        await send(pilot, "fix add")
        await finish_turn(pilot)
        shown = log_text(app)
    assert "✗ test: grep -A1" in shown and "add still subtracts" in shown
    assert "✓ test (after fix 1): grep -A1" in shown
