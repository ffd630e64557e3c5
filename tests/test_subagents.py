"""task: read-only sub-agents with their own context answer focused questions; their steps
show under the call, their tokens count in the run, and several run side by side."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.agent.parallel import tool_batches
from assistant.llm import ToolCall
from assistant.testing import call, commit_files
from tests.cli_run import run_json
from tests.test_tui_app import SIZE, finish_turn, make_app, make_project, send
from tui.widgets.tool_entry import ToolEntry

FILES = {
    "net/retry.py": "MAX_RETRIES = 5\n\n\ndef backoff(attempt):\n    return 2 ** attempt\n",
    "net/client.py": "from net.retry import backoff\n",
}
USAGE = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}


def run(repo: Path, server, task: str, cache: Path) -> list[dict]:
    done = run_json(repo, server, task, "--mode", "yolo", cache=cache)
    assert done.code == 0, done.err
    return done.events


def test_a_sub_agent_explores_read_only_and_only_its_report_comes_back(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", FILES)
    question = "Where is the retry limit set, and who uses backoff? Report paths and lines."
    grep = call("grep_search", pattern="MAX_RETRIES|backoff")
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("task", description="Find retry settings", prompt=question,
                                     subagent_type="general-purpose")], "usage": USAGE},
                {"tool_calls": [grep], "usage": USAGE},
                {"text": "net/retry.py:1 sets MAX_RETRIES = 5; net/client.py imports backoff.",
                 "usage": USAGE},
                {"text": "The limit is 5, in net/retry.py.", "usage": USAGE},
            ]
        }
    )  # fmt: skip
    events = run(repo, server, "what is the retry limit?", tmp_path / "cache")
    [task] = [e for e in events if e["event"] == "ToolResult" and e["name"] == "task"]
    assert task["ok"] and task["output"].startswith("net/retry.py:1 sets MAX_RETRIES = 5")
    steps = [e["text"] for e in events if e["event"] == "ToolProgress"]
    assert steps[0] == "Find retry settings: started"
    assert steps[1].startswith("→ grep_search(pattern=MAX_RETRIES|backoff")
    sub = server.chat_requests[1].body
    assert sub["messages"][0]["content"].startswith("You are a sub-agent")
    assert sub["messages"][-1]["content"] == question  # its own context: the question alone
    offered = {t["function"]["name"] for t in sub["tools"]}
    assert {"read_file", "grep_search", "glob", "search_code", "find_symbol"} <= offered
    assert not offered & {"edit", "write_file", "run_shell_command", "task", "todo_write"}
    parent = server.chat_requests[3].body["messages"]
    assert not any("grep_search" in json.dumps(m) for m in parent[2:])  # its reads stay out
    totals = [e["total"]["total_tokens"] for e in events if e["event"] == "UsageUpdate"]
    assert totals[-1] == 4 * 110  # the sub-agent's two requests count in the run


def test_sub_agents_of_one_turn_run_side_by_side_and_each_gets_its_own_answer(
    scripted_server, tmp_path
):
    repo = commit_files(tmp_path / "repo", FILES)
    tasks = [call("task", description=f"Question {n}", prompt=f"QUESTION-{n}: look it up",
                  subagent_type="general-purpose") for n in ("ALPHA", "BETA")]  # fmt: skip
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": tasks},
                {"match": "QUESTION-ALPHA", "text": "alpha report"},
                {"match": "QUESTION-BETA", "text": "beta report"},
                {"text": "Both answered."},
            ]
        }
    )
    events = run(repo, server, "two questions", tmp_path / "cache")
    reports = {e["call_id"]: e["output"] for e in events if e["event"] == "ToolResult"}
    ids = [e["call_id"] for e in events if e["event"] == "ToolCallStarted"]
    assert [reports[i] for i in ids] == ["alpha report", "beta report"]
    last = server.chat_requests[-1].body["messages"]
    assert {m.get("content") for m in last if m["role"] == "tool"} == {
        "alpha report",
        "beta report",
    }


def test_only_consecutive_task_calls_are_grouped():
    names = ["task", "task", "read_file", "task", "edit", "task", "task"]
    calls = [ToolCall(f"c{i}", name, {}) for i, name in enumerate(names)]
    assert [[c.name for c in batch] for batch in tool_batches(calls)] == [
        ["task", "task"], ["read_file"], ["task"], ["edit"], ["task", "task"],
    ]  # fmt: skip


async def test_the_chat_nests_a_sub_agents_steps_under_its_call(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("task", description="Look at add", prompt="What does add do?",
                                     subagent_type="general-purpose")]},
                {"tool_calls": [call("read_file", absolute_path="app.py")]},
                {"text": "add subtracts."},
                {"text": "add is wrong."},
            ]
        }
    )  # fmt: skip
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "check add")
        await finish_turn(pilot)
        [entry] = list(app.query(ToolEntry))
        steps = [str(w.render()) for w in entry.query(".progress")]
        assert steps == ["Look at add: started", "→ read_file(absolute_path=app.py)"]
        assert entry.collapsed and str(entry.title).startswith("✓ task(")
        assert "add subtracts." in str(entry.title)
