"""Plan mode: the agent reads and searches only, until the user approves the plan it presents
with exit_plan_mode; then the same turn goes on in the mode the user had before /plan."""

from __future__ import annotations

from assistant.agent.permissions import Decision, PermissionPolicy
from assistant.testing import call, commit_files, edit, turns
from tests.cli_run import run_json
from tests.test_tui_app import ORIGINAL, SIZE, finish_turn, make_app, make_project, send, wait_until
from tui.widgets.plan_approval import PlanApproval

PLAN = "1. Make `add` add.\n2. Leave `sub` alone."


def test_plan_mode_reads_only_whatever_the_command(tmp_path):
    policy = PermissionPolicy(mode="plan", root=tmp_path)
    assert policy.for_edit() is Decision.DENY
    assert policy.for_mcp("tracker", "create_issue") is Decision.DENY
    assert policy.for_command("git status") is Decision.ALLOW
    assert policy.for_command("ls -la") is Decision.ALLOW
    for line in ("rm -rf build", "python setup.py install", "git commit -am x", "curl x.org"):
        verdict = policy.explain_command(line)
        assert verdict.decision is Decision.DENY and "plan mode" in verdict.reasons, line
    assert policy.for_plan() is Decision.ASK
    assert PermissionPolicy(mode="ask").for_plan() is Decision.DENY  # no plan to leave
    assert PermissionPolicy(mode="plan", headless=True).for_plan() is Decision.DENY


async def test_an_edit_waits_for_the_approved_plan_in_the_same_turn(scripted_server, tmp_path):
    root = make_project(tmp_path)
    fix = edit("app.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")
    server = scripted_server(
        turns(
            call("read_file", absolute_path="app.py"),
            fix,  # refused: nothing is approved yet
            call("exit_plan_mode", plan=PLAN),
            fix,  # approved: the user's mode (auto-edit) again
            text="Fixed add.",
        )
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        app.engine.set_mode("auto-edit")
        await send(pilot, "/plan")
        await pilot.pause()
        assert app.engine.mode == "plan"
        await send(pilot, "fix add")
        await wait_until(pilot, lambda: isinstance(app.screen, PlanApproval))
        assert (root / "app.py").read_text() == ORIGINAL  # the first edit was refused
        assert app.screen.query_one("Markdown").source == PLAN  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: getattr(app.focused, "id", "") == "keep")
        await pilot.press("y")
        await finish_turn(pilot)
        assert app.engine.mode == "auto-edit"
    assert (root / "app.py").read_text().startswith("def add(a, b):\n    return a + b\n")
    refused = server.chat_requests[2].body["messages"][-1]["content"]
    assert "refused" in refused and "present it with exit_plan_mode" in refused
    first_prompt = server.chat_requests[0].body
    assert "# Plan mode" in first_prompt["messages"][0]["content"]
    assert "exit_plan_mode" in [t["function"]["name"] for t in first_prompt["tools"]]
    approved = server.chat_requests[3].body["messages"][-1]["content"]
    assert approved.startswith("User has approved your plan.")


async def test_keeping_on_planning_leaves_everything_as_it_was(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(turns(call("exit_plan_mode", plan=PLAN), text="I will refine it."))
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/plan")
        await send(pilot, "fix add")
        await wait_until(pilot, lambda: isinstance(app.screen, PlanApproval))
        await wait_until(pilot, lambda: getattr(app.focused, "id", "") == "keep")
        await pilot.press("n")
        await finish_turn(pilot)
        assert app.engine.mode == "plan"
    answer = server.chat_requests[1].body["messages"][-1]["content"]
    assert answer.startswith("Plan execution was not approved. Remaining in plan mode")


def test_a_headless_plan_run_changes_nothing_and_answers_the_plan(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": ORIGINAL})
    server = scripted_server(
        turns(
            call("read_file", absolute_path="app.py"),
            edit("app.py", "return a - b", "return a + b"),
            call("run_shell_command", command="touch made.txt"),
            call("exit_plan_mode", plan=PLAN),
            text=PLAN,
        )
    )
    result = run_json(repo, server, "fix add", "--mode", "plan", cache=tmp_path / "cache")
    events = result.events
    results = [e for e in events if e["event"] == "ToolResult"]
    assert [r["refused"] for r in results] == [False, True, True, True]
    [done] = [e for e in events if e["event"] == "Done"]
    assert done["text"] == PLAN  # the answer of a headless plan run is the plan
    assert (repo / "app.py").read_text() == ORIGINAL and not (repo / "made.txt").exists()
    assert result.code == 2  # something was refused: nothing was changed
