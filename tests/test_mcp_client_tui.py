"""The chat and the user's MCP servers, driven with Pilot: `/mcp`, `@server:resource`, and the
approval asked before an MCP tool runs. No server outlives the app."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Label, Static

from assistant.testing import call, turns
from tests.mcp_client_support import assert_no_server_left, demo_config
from tests.test_tui_app import SIZE, finish_turn, log_text, make_app, make_project, send, wait_until
from tui.widgets.command_approval import CommandApproval


def pid_env(tmp_path: Path) -> dict[str, str]:
    return {"DEMO_PID_FILE": str(tmp_path / "pids")}


async def test_slash_mcp_shows_each_server_its_state_and_tools(scripted_server, tmp_path):
    root = make_project(tmp_path)
    servers = (demo_config(env=pid_env(tmp_path)),
               demo_config("broken", "fail", env=pid_env(tmp_path)))  # fmt: skip
    app = make_app(scripted_server({"turns": []}), root, mcp_servers=servers)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/mcp")
        await wait_until(pilot, lambda: "mcp__demo__echo" in log_text(app))
        text = log_text(app)
        assert "demo  ready  (stdio, from user config)" in text
        assert "broken  failed" in text and "broken.log" in text
        assert "@demo:readme  notes://readme" in text and "review(path)" in text
    assert_no_server_left(tmp_path / "pids", started=2)


async def test_a_resource_mention_attaches_its_text_to_the_message(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(turns(text="On Fridays."))
    app = make_app(server, root, mcp_servers=(demo_config(env=pid_env(tmp_path)),))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "when do we deploy? see @demo:readme and @demo:nothing")
        await finish_turn(pilot)
        text = log_text(app)
        assert "attached: demo:notes://readme" in text
        assert "not attached: @demo:nothing" in text
    sent = server.chat_requests[0].body["messages"][-1]["content"]
    assert sent.startswith("when do we deploy? see @demo:readme")
    assert "--- MCP resource demo:notes://readme ---\nNOTES: deploy on Fridays only" in sent
    assert_no_server_left(tmp_path / "pids", started=1)


async def test_an_mcp_tool_asks_before_it_runs_and_runs_when_approved(scripted_server, tmp_path):
    root = make_project(tmp_path)
    marker = tmp_path / "written.txt"
    server = scripted_server(turns(call("mcp__demo__write_file", path=str(marker), text="hi")))
    app = make_app(server, root, mcp_servers=(demo_config(),))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "write it")
        # The dialog is ready once it has focused its safe answer.
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, CommandApproval)
                and getattr(app.focused, "id", "") == "refuse"
            ),
        )
        dialog = app.screen
        assert str(dialog.query_one("#question", Label).render()) == "Call this MCP tool?"
        shown = str(dialog.query_one("#command").render())
        assert shown.startswith("MCP demo · write_file {") and str(marker) in shown
        arguments = str(dialog.query_one("#arguments Static", Static).render())
        assert json.loads(arguments) == {"path": str(marker), "text": "hi"}
        await pilot.press("y")
        await finish_turn(pilot)
    assert marker.read_text() == "hi"
