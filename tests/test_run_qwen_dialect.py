"""`assistant run --json` against a scripted model speaking Qwen Code's tool dialect, in the
XML form Qwen3-Coder writes as text when the server does not parse it: find, read, edit with
old_string/new_string, run the tests with run_shell_command; and a session logged with our
older tool names resumes."""

from __future__ import annotations

import sys

from assistant.testing import call, commit_files
from tests.cli_run import run_json

SHOP = {
    "shop/__init__.py": "",
    "shop/pricing.py": "def total(items):\n    return sum(items) - 1  # bug\n",
    "tests/test_pricing.py": (
        "from shop.pricing import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n"
    ),
}


def xml_turn(*calls: object, text: str = "") -> dict:
    return {"text": text, "tool_calls": list(calls), "tool_call_format": "xml"}


def test_a_task_in_qwen_codes_dialect_as_xml_tool_calls(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", SHOP)
    pricing = str(repo / "shop" / "pricing.py")
    test_command = (
        f"{sys.executable} -c 'from shop.pricing import total; assert total([1, 2]) == 3'"
    )
    plan = [("1", "Find total()"), ("2", "Fix the off-by-one"), ("3", "Run the check")]
    todos = [{"id": i, "content": c, "status": "pending"} for i, c in plan]
    done = [{**todo, "status": "completed"} for todo in todos]
    turns = [
        xml_turn(call("todo_write", todos=todos), text="A plan first."),
        xml_turn(call("grep_search", pattern=r"def total", glob="*.py"), text="Finding it."),
        xml_turn(call("read_file", absolute_path=pricing)),
        xml_turn(
            call(
                "edit",
                file_path=pricing,
                old_string="    return sum(items) - 1  # bug",
                new_string="    return sum(items)",
            )
        ),
        xml_turn(call("run_shell_command", command=test_command, description="Check total")),
        xml_turn(call("todo_write", todos=done)),
        {"text": "Fixed total(): it no longer subtracts 1."},
    ]
    server = scripted_server({"turns": turns})
    result = run_json(repo, server, "fix total", "--mode", "yolo", cache=tmp_path / "cache")
    assert result.code == 0, result.err
    events = result.events
    results = {e["name"]: e for e in events if e["event"] == "ToolResult"}
    assert list(results) == ["todo_write", "grep_search", "read_file", "edit", "run_shell_command"]
    lists = [e["todos"] for e in events if e["event"] == "TodoUpdated"]
    assert lists == [todos, done]  # the checklist, as --json emits it
    assert all(r["ok"] for r in results.values()), results
    assert "shop/pricing.py:1:def total(items):" in results["grep_search"]["output"]
    assert results["edit"]["output"].startswith("The file: shop/pricing.py has been updated.")
    assert "Exit Code: 0" in results["run_shell_command"]["output"]
    assert (
        repo / "shop" / "pricing.py"
    ).read_text() == "def total(items):\n    return sum(items)\n"
    assert events[-1]["edited"] == ["shop/pricing.py"]
    offered = [t["function"]["name"] for t in server.chat_requests[0].body["tools"]]
    assert offered[:4] == ["read_file", "list_directory", "glob", "grep_search"]
    assert {"edit", "write_file", "run_shell_command"} <= set(offered)
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert f"at {repo}" in system and "# Workflow" in system  # absolute paths can be built


def test_a_session_logged_with_the_older_tool_names_resumes(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", SHOP)
    cache = tmp_path / "cache"
    old_names = [  # what a session of the previous version recorded
        {"tool_calls": [call("read_file", path="shop/pricing.py", start_line=1, end_line=2)]},
        {
            "tool_calls": [
                call(
                    "edit_file",
                    path="shop/pricing.py",
                    blocks=[{"search": "sum(items) - 1  # bug", "replace": "sum(items)"}],
                )
            ]
        },
        {"tool_calls": [call("run_command", command="echo checked", timeout=10)]},
        {"text": "Fixed."},
    ]
    first = run_json(
        repo, scripted_server({"turns": old_names}), "fix", "--mode", "yolo", cache=cache
    )
    assert first.code == 0, first.err
    results = first.of("ToolResult")
    assert [r["ok"] for r in results] == [True, True, True]
    assert "sum(items)\n" in (repo / "shop" / "pricing.py").read_text()
    server = scripted_server({"turns": [{"text": "It was the - 1."}]})
    again = run_json(repo, server, "what was wrong?", "--resume", cache=cache)
    assert again.code == 0, again.err
    history = server.chat_requests[0].body["messages"]
    called = [c["function"]["name"] for m in history for c in m.get("tool_calls") or []]
    assert called == ["read_file", "edit_file", "run_command"]
    assert history[-1]["content"] == "what was wrong?"
