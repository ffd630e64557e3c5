"""`/review` and `assistant review`: the model reviews the uncommitted diff or a commit range,
read only, and its findings come back by file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.agent.review import (
    Finding,
    Review,
    ReviewTarget,
    by_file,
    filter_findings,
    format_text,
    parse_answer,
)
from assistant.testing import call, cli_env, commit_files, edit, run_git, stage_files, write_files
from tests.test_tui_app import ORIGINAL, SIZE, log_text, make_app, make_project, send, wait_until
from tui.widgets.assistant_message import AssistantMessage

ROOT = Path(__file__).resolve().parents[1]
APP = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"
FIXED = APP.replace("a - b", "a + b", 1)
SECRET = "API_TOKEN=sk-review-secret-0123456789"


def review_cli(
    repo: Path, server, *args: str, cache: Path, endpoint: bool = True
) -> subprocess.CompletedProcess:
    """Run `assistant review ARGS --repo REPO` as a user would, against the scripted model."""
    flags = ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]
    command = [sys.executable, "-m", "assistant", "review", *args, "--repo", str(repo)]
    return subprocess.run(
        [*command, *(flags if endpoint else [])],
        env=cli_env(cache), capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


def task_of(server) -> str:
    """Return the task the review agent sent the model (its first user message)."""
    messages = server.chat_requests[0].body["messages"]
    return next(m["content"] for m in messages if m["role"] == "user")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with code, a second module and a secrets file."""
    files = {"app.py": APP, "util.py": "X = 1\n", ".env": "API_TOKEN=old\n"}
    return commit_files(tmp_path / "repo", files, "initial")


def test_the_model_sees_the_uncommitted_diff_but_never_a_secrets_files_change(
    scripted_server, repo, tmp_path
):
    write_files(
        repo, {"app.py": FIXED, ".env": SECRET + "\n", "new_mod.py": "def f():\n    pass\n"}
    )
    stage_files(repo, {"util.py": "X = 2\n"})  # staged, not committed
    answer = "app.py:2: warning: the fix needs a test\nnew_mod.py:2: note: f does nothing"
    server = scripted_server({"turns": [{"text": answer}]})
    result = review_cli(repo, server, cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    task = task_of(server)
    assert "+    return a + b" in task and "-    return a - b" in task  # unstaged
    assert "+X = 2" in task  # staged
    assert "+def f():" in task  # untracked, as a new file
    assert "API_TOKEN" not in task and "sk-review-secret" not in task
    assert "not shown: .env" in task
    assert all("sk-review-secret" not in json.dumps(r.body) for r in server.chat_requests)
    assert "reviewing 3 file(s)" in result.stderr and ".env" in result.stderr
    assert result.stdout.splitlines()[:4] == [
        "app.py",
        "  L2 warning: the fix needs a test",
        "new_mod.py",
        "  L2 note: f does nothing",
    ]
    assert (repo / "app.py").read_text() == FIXED  # nothing changed by the review


def test_findings_are_parsed_grouped_sorted_and_those_outside_the_diff_dropped():
    answer = (
        "```\n"
        "app.py:5: note: sub adds\n"
        "- `app.py:2`: Error: add subtracts\n"
        "util.py:1: warning: not part of this change\n"  # a file outside the diff
        "app.py:99: error: past the end\n"  # a line outside the file
        "lib.py:1:4: warning: shadowed name\n"
        "Overall the change is small.\n"
        "```"
    )
    findings, remarks = parse_answer(answer)
    assert remarks == ["Overall the change is small."]
    assert Finding("app.py", 2, "error", "add subtracts") in findings
    target = ReviewTarget(Path("."), None, "diff", ("app.py", "lib.py"), {"app.py": 6, "lib.py": 3})
    kept, dropped = filter_findings(findings, target)
    assert [(f.path, f.line) for f in dropped] == [("util.py", 1), ("app.py", 99)]
    assert list(by_file(kept)) == ["app.py", "lib.py"]
    assert [f.line for f in by_file(kept)["app.py"]] == [2, 5]
    assert parse_answer("No findings.") == ([], [])


def test_a_finding_on_a_file_outside_the_diff_is_dropped_and_errors_exit_1(
    scripted_server, repo, tmp_path
):
    write_files(repo, {"app.py": FIXED})
    answer = "util.py:1: error: unrelated\napp.py:2: error: still wrong\napp.py:1: note: fine"
    server = scripted_server({"turns": [{"text": answer}]})
    result = review_cli(repo, server, cache=tmp_path / "c")
    assert result.returncode == 1, result.stderr
    assert "util.py" not in result.stdout.split("note:")[0]
    assert result.stdout.splitlines()[:3] == [
        "app.py", "  L1 note: fine", "  L2 error: still wrong"
    ]  # fmt: skip
    assert "1 finding(s) outside the diff dropped" in result.stdout


def test_a_commit_range_is_reviewed_with_json_output(scripted_server, repo, tmp_path):
    commit_files(repo, {"util.py": "X = 1\nY = X / 0\n"}, "divide")
    commit_files(repo, {"app.py": FIXED}, "fix add")
    write_files(repo, {"app.py": "uncommitted = True\n"})  # not part of the range
    answer = "util.py:2: error: division by zero\napp.py:2: note: good fix\nLooks fine otherwise."
    server = scripted_server({"turns": [{"text": answer}]})
    result = review_cli(repo, server, "HEAD~2..HEAD", "--json", cache=tmp_path / "c")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["range"] == "HEAD~2..HEAD"
    assert report["files"] == ["app.py", "util.py"]
    assert report["findings"] == [
        {"path": "util.py", "line": 2, "severity": "error", "message": "division by zero"},
        {"path": "app.py", "line": 2, "severity": "note", "message": "good fix"},
    ]
    assert report["remarks"] == ["Looks fine otherwise."]
    task = task_of(server)
    assert "+Y = X / 0" in task and "+    return a + b" in task
    assert "uncommitted = True" not in task
    assert "the commits HEAD~2..HEAD" in task


def test_a_three_dot_range_reviews_the_branch_since_it_forked(scripted_server, repo, tmp_path):
    run_git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"util.py": "X = 3\n"}, "on feature")
    run_git(repo, "checkout", "-q", "-")
    commit_files(repo, {"app.py": FIXED}, "on main")
    server = scripted_server({"turns": [{"text": "no findings"}]})
    main = run_git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    result = review_cli(repo, server, f"{main}...feature", cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no findings")
    task = task_of(server)
    assert "+X = 3" in task and "return a + b" not in task


def test_the_review_cannot_edit_or_run_commands(scripted_server, repo, tmp_path):
    write_files(repo, {"app.py": FIXED})
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", path="app.py")]},
                {"tool_calls": [edit("app.py", "a + b", "a * b")]},
                {"tool_calls": [call("run_shell_command", command="touch pwned")]},
                {"tool_calls": [call("write_file", file_path="app.py", content="gone\n")]},
                {"text": "no findings"},
            ]
        }
    )
    result = review_cli(repo, server, cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no findings")
    assert (repo / "app.py").read_text() == FIXED and not (repo / "pwned").exists()
    offered = {tool["function"]["name"] for tool in server.chat_requests[0].body["tools"]}
    assert "read_file" in offered
    assert not offered & {"edit", "write_file", "run_shell_command"}
    results = [m for m in server.chat_requests[-1].body["messages"] if m["role"] == "tool"]
    assert FIXED.splitlines()[1] in results[0]["content"]  # reading works
    assert all(not r["content"].startswith("unknown tool") for r in results[:1])
    assert all(r["content"].startswith("unknown tool") for r in results[1:])
    assert run_git(repo, "status", "--short").split() == ["M", "app.py"]


def test_nothing_to_review_a_bad_range_and_no_repository(scripted_server, repo, tmp_path):
    server = scripted_server({"turns": []})
    cache = tmp_path / "c"
    clean = review_cli(repo, server, cache=cache)
    assert (clean.returncode, clean.stdout.strip()) == (0, "nothing to review")
    bad = review_cli(repo, server, "nope..HEAD", cache=cache)
    assert bad.returncode == 2 and "bad range 'nope..HEAD'" in bad.stderr
    option = review_cli(repo, server, "--output=x", cache=cache)
    assert option.returncode == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    outside = review_cli(plain, server, cache=cache)
    assert outside.returncode == 2 and "not inside a git repository" in outside.stderr
    assert server.chat_requests == []


async def test_review_in_the_chat_shows_the_findings_by_file(scripted_server, tmp_path):
    root = make_project(tmp_path)
    (root / "app.py").write_text(ORIGINAL.replace("a - b", "a + b"))
    answer = "app.py:6: warning: sub adds\napp.py:2: note: add is fixed\nREADME.md:1: error: x"
    server = scripted_server({"turns": [{"text": answer}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/review")
        await wait_until(pilot, lambda: "sub adds" in log_text(app))
        text = log_text(app)
        output = list(app.query(AssistantMessage))[-1].source
    assert "reviewing 1 file…" in text
    assert "Review** of the uncommitted changes (1 file)" in text
    assert text.index("L2 **note**: add is fixed") < text.index("L6 **warning**: sub adds")
    assert "**`app.py`**" in output and "README.md" not in output
    assert "1 finding(s) outside the diff dropped" in output
    assert "+    return a + b" in task_of(server)
    assert (root / "app.py").read_text() == ORIGINAL.replace("a - b", "a + b")
    assert app.engine.conversation.history == []  # the chat's conversation is untouched


async def test_review_in_the_chat_with_a_clean_tree_says_nothing_to_review(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "No findings."}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/review")
        await wait_until(pilot, lambda: "nothing to review" in log_text(app))
        assert server.chat_requests == []
        await send(pilot, "/review HEAD")  # the first commit, against nothing
        await wait_until(pilot, lambda: "no findings." in log_text(app))
        await send(pilot, "/review nope..HEAD")
        await wait_until(pilot, lambda: "✗ bad range 'nope..HEAD'" in log_text(app))
        text = log_text(app)
    assert "the commit HEAD (2 files)" in text
    assert "+# Demo" in task_of(server)


def test_format_text_says_no_findings():
    target = ReviewTarget(Path("."), "HEAD", "diff", ("a.py",), {"a.py": 1})
    assert format_text(Review(target)).splitlines() == ["no findings"]
