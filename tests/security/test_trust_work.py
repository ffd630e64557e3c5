"""Nothing of the user's is lost: approved writes re-check the file, undo restores only the
agent's changes and never over the user's later work, fuzzy edits never hit other code, and
files, temporary files and reads stay bounded and tidy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from harness import APP, USER_WORK, make_world

from assistant.agent.events import ApprovalRequest, ToolResult
from assistant.agent.loop import Agent, AgentConfig
from assistant.agent.runner import policy_for, turn_changes
from assistant.llm import ModelClient, RetryPolicy
from assistant.testing import call, edit, settings_for, turns
from assistant.tools import default_tools


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


async def run_agent(world, server, approve=None, mode="ask", task="task") -> list:
    settings = settings_for(server.base_url, cache_dir=world.cache)
    client = ModelClient(settings, retry=RetryPolicy(max_retries=1, base_delay=0.01))
    agent = Agent(
        AgentConfig(
            root=world.repo, settings=settings, client=client, tools=default_tools(),
            policy=policy_for(settings, mode, headless=approve is None, root=world.repo),
            system_prompt="test", approve=approve, changes=turn_changes(world.repo, settings),
        )
    )  # fmt: skip
    try:
        return [event async for event in agent.run(task)]
    finally:
        await client.aclose()


async def test_an_edit_approved_while_the_user_changed_the_file_is_not_written(
    world, scripted_server
):
    server = scripted_server(
        turns(call("read_file", path="README.md"), edit("README.md", "# demo", "# agent's title"))
    )

    async def approve(request: ApprovalRequest) -> bool:
        (world.repo / "README.md").write_text("# the user typed this while the dialog was open\n")
        return True

    events = await run_agent(world, server, approve)
    result = next(e for e in events if isinstance(e, ToolResult) and e.name == "edit")
    assert not result.ok and "changed on disk" in result.output
    assert (world.repo / "README.md").read_text().startswith("# the user typed this")


async def test_a_file_the_user_creates_while_approval_waits_is_not_overwritten(
    world, scripted_server
):
    server = scripted_server(turns(call("write_file", path="new.py", content="agent = 1\n")))

    async def approve(request: ApprovalRequest) -> bool:
        (world.repo / "new.py").write_text("user = 1\n")
        return True

    events = await run_agent(world, server, approve)
    assert not next(e for e in events if isinstance(e, ToolResult)).ok
    assert (world.repo / "new.py").read_text() == "user = 1\n"


async def test_undo_restores_only_the_agents_changes_and_never_the_users_later_work(
    world, scripted_server, monkeypatch
):
    server = scripted_server(
        {
            "turns": [
                {
                    "tool_calls": [
                        call("read_file", path="README.md"),
                        call("read_file", path="build.log"),
                    ]
                },
                {
                    "tool_calls": [
                        edit("README.md", "# demo", "# agent"),
                        edit("build.log", "gitignored log", "agent log"),
                        call("write_file", path="pkg/created.py", content="x = 1\n"),
                        call("run_command", command="echo generated > gen.txt"),
                    ]
                },
                {"text": "done"},
            ]
        }
    )
    await run_agent(world, server, mode="yolo")
    assert (world.repo / "build.log").read_text() == "agent log\n"
    # The user works on after the turn: a file of theirs, a new file, and a change in the
    # middle of the agent's file.
    (world.repo / "notes.txt").write_text(USER_WORK["notes.txt"] + "more notes\n")
    (world.repo / "mine.py").write_text("mine = 1\n")
    (world.repo / "pkg" / "created.py").write_text("x = 1\ny = 2  # the user's line\n")
    refused = world.cli(monkeypatch, "undo", "--json", "--repo", str(world.repo))
    assert refused.code == 2 and "pkg/created.py" in refused.out
    assert (world.repo / "README.md").read_text() == "# agent\n"  # nothing restored at all
    # The user puts the agent's version back; now undo restores exactly the agent's changes.
    (world.repo / "pkg" / "created.py").write_text("x = 1\n")
    done = world.cli(monkeypatch, "undo", "--commands", "--json", "--repo", str(world.repo))
    assert done.code == 0, done.out + done.err
    assert (world.repo / "README.md").read_text() == "# demo\n"
    assert (world.repo / "build.log").read_text() == "gitignored log\n"  # gitignored, journaled
    assert not (world.repo / "pkg").exists() and not (world.repo / "gen.txt").exists()
    assert (world.repo / "mine.py").read_text() == "mine = 1\n"
    assert (world.repo / "notes.txt").read_text().endswith("more notes\n")
    assert (world.repo / "app.py").read_text() == USER_WORK["app.py"]


async def test_a_fuzzy_match_never_edits_code_with_other_numbers_or_names(world, scripted_server):
    (world.repo / "calc.py").write_text("x = compute(2)\ny = compute(3)\nz = total(4)\n")
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", path="calc.py")]},
                {
                    "tool_calls": [
                        edit("calc.py", "x = compute(9)\ny = compute(3)", "gone"),
                        edit("calc.py", "y = compute(3)\nz = totals(4)", "gone"),
                    ]
                },
                {"text": "done"},
            ]
        }
    )
    events = await run_agent(world, server, mode="yolo")
    assert [e.ok for e in events if isinstance(e, ToolResult) and e.name == "edit"] == [
        False,
        False,
    ]
    assert (world.repo / "calc.py").read_text() == "x = compute(2)\ny = compute(3)\nz = total(4)\n"


async def test_new_files_get_the_umask_mode_not_0600(world, scripted_server):
    server = scripted_server(turns(call("write_file", path="made.py", content="m = 1\n")))
    previous = os.umask(0o022)
    try:
        await run_agent(world, server, mode="yolo")
    finally:
        os.umask(previous)
    assert (world.repo / "made.py").stat().st_mode & 0o777 == 0o644


def test_a_temporary_file_a_killed_write_left_is_ignored_and_then_removed(
    world, monkeypatch, scripted_server
):
    stale = world.repo / ".app.py.assistant-k1ll3d.tmp"
    stale.write_text("half a file " * 10_000)
    os.utime(stale, (1, 1))
    world.freeze()
    search = world.cli(monkeypatch, "search", "half a file", "--files", "--repo", str(world.repo))
    assert ".assistant-" not in search.out
    server = scripted_server(turns(text="ok"))
    world.run(monkeypatch, server)
    assert not stale.exists()


async def test_a_huge_file_is_read_a_page_at_a_time(world, scripted_server):
    big = world.repo / "data.txt"
    big.write_text(("x" * 120 + "\n") * 400_000)  # 48 MB
    server = scripted_server(
        turns(call("read_file", path="data.txt"), call("read_file", path="data.txt", offset=1000))
    )
    events = await run_agent(world, server)
    outputs = [e.output for e in events if isinstance(e, ToolResult)]
    assert all(len(o) < 80_000 for o in outputs)
    assert outputs[0].startswith(
        "Showing lines 1-206 of 400000 total lines. Read on with offset=206."
    )
    assert outputs[1].startswith("Showing lines 1001-1206 of 400000 total lines.")
    sent = max(len(str(r.body)) for r in server.chat_requests)
    assert sent < 200_000


async def test_every_tool_output_is_capped_the_latest_one_too(world, scripted_server):
    command = f"{sys.executable} -c \"print('y' * 5_000_000)\""
    server = scripted_server(turns(call("run_command", command=command)))
    events = await run_agent(world, server, mode="yolo")
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert len(result.output) <= 41_000
    assert max(len(str(r.body)) for r in server.chat_requests) < 100_000


def test_the_harness_itself_catches_a_changed_file(world):
    (world.repo / "app.py").write_text(APP)
    with pytest.raises(AssertionError, match=r"app\.py"):
        world.check()
    (world.repo / "app.py").write_text(USER_WORK["app.py"])
    Path(world.home / ".ssh" / "id_rsa").write_text("tampered")
    with pytest.raises(AssertionError, match="outside"):
        world.check()
