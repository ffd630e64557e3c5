"""The agent uses the user's MCP servers: a real SDK server over stdio, the scripted model, the
real command line. Every call goes through the permission policy; a server that crashes, hangs,
answers garbage or floods is a tool error and the run goes on; no server outlives the run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.agent.events import ApprovalRequest, ToolResult
from assistant.agent.runner import build_agent, policy_for
from assistant.llm.connect import connect_model
from assistant.mcp.registry import McpRegistry
from assistant.testing import call, commit_files, settings_for, turns, wait_until
from tests.mcp_client_support import (
    DEMO,
    assert_no_server_left,
    demo_config,
    demo_toml,
    run_task,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    commit_files(root, {"app.py": "print('hi')\n"}, "initial")
    return root


def user_config(tmp_path: Path, *tables: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("\n".join(tables))
    return path


def pid_env(tmp_path: Path) -> dict[str, str]:
    return {"DEMO_PID_FILE": str(tmp_path / "pids")}


def test_a_tool_the_user_config_allows_runs_headless_and_its_answer_reaches_the_model(
    tmp_path, repo, monkeypatch, scripted_server
):
    config = user_config(tmp_path, demo_toml(env=pid_env(tmp_path), allow=["echo"]))
    model = scripted_server(turns(call("mcp__demo__echo", text="hello"), text="It echoed."))
    run = run_task(monkeypatch, config, repo, model)
    assert run.code == 0, run.err
    [result] = run.results()
    assert result["ok"] and result["output"] == "echo: hello"
    offered = {tool["function"]["name"]: tool for tool in model.chat_requests[0].body["tools"]}
    echo = offered["mcp__demo__echo"]["function"]
    assert echo["parameters"]["type"] == "object" and "text" in echo["parameters"]["properties"]
    assert echo["description"].startswith("[MCP server demo, tool echo]")
    assert model.chat_requests[1].body["messages"][-1]["content"] == "echo: hello"
    assert_no_server_left(tmp_path / "pids", started=1)


def test_a_tool_that_would_ask_is_refused_headless_and_does_not_run(
    tmp_path, repo, monkeypatch, scripted_server
):
    marker = tmp_path / "written.txt"
    config = user_config(tmp_path, demo_toml(env=pid_env(tmp_path), allow=["echo"]))
    model = scripted_server(turns(call("mcp__demo__write_file", path=str(marker), text="x")))
    run = run_task(monkeypatch, config, repo, model)
    [result] = run.results()
    assert result["refused"] and not result["ok"]
    assert run.code == 2 and not marker.exists()
    assert_no_server_left(tmp_path / "pids", started=1)


def test_yolo_runs_any_mcp_tool(tmp_path, repo, monkeypatch, scripted_server):
    marker = tmp_path / "written.txt"
    config = user_config(tmp_path, demo_toml(env=pid_env(tmp_path)))
    model = scripted_server(turns(call("mcp__demo__write_file", path=str(marker), text="yes")))
    run = run_task(monkeypatch, config, repo, model, "--mode", "yolo")
    assert run.code == 0 and marker.read_text() == "yes"
    assert_no_server_left(tmp_path / "pids", started=1)


@pytest.mark.parametrize("approved", [True, False])
async def test_a_person_approves_or_refuses_an_mcp_call(tmp_path, repo, scripted_server, approved):
    marker = tmp_path / "written.txt"
    model = scripted_server(turns(call("mcp__demo__write_file", path=str(marker), text="ok")))
    server = demo_config(env=pid_env(tmp_path))
    settings = settings_for(model.base_url, cache_dir=tmp_path / "cache", mcp_servers=(server,))
    asked: list[ApprovalRequest] = []

    async def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return approved

    policy = policy_for(settings, "auto-edit", headless=False, root=repo)
    async with connect_model(settings) as client, McpRegistry(repo, settings) as mcp:
        agent = build_agent(
            repo, settings, client, "write", policy=policy, approve=approve, mcp=mcp,
            with_context=False, checkpoint=False,
        )  # fmt: skip
        events = [event async for event in agent.run("write the file")]
    [request] = asked
    assert "demo" in request.summary and "write_file" in request.summary
    assert str(marker) in request.detail
    [result] = [event for event in events if isinstance(event, ToolResult)]
    assert result.ok is approved and result.refused is not approved
    assert marker.exists() is approved
    assert_no_server_left(tmp_path / "pids", started=1)


@pytest.mark.parametrize(
    ("tool", "keys", "error", "started"),
    [
        ("crash", {}, "stopped during tool 'crash'", 2),  # restarted for the next call
        ("hang", {"tool_timeout": 1}, "did not answer tool 'hang' within 1 s", 1),
        ("garbage", {}, "invalid answer to tool 'garbage'", 1),
    ],
    ids=["crash", "hang", "garbage"],
)
def test_a_failing_server_is_a_tool_error_and_the_run_goes_on(
    tmp_path, repo, monkeypatch, scripted_server, tool, keys, error, started
):
    config = user_config(tmp_path, demo_toml(env=pid_env(tmp_path), allow=["*"], **keys))
    model = scripted_server(
        turns(call(f"mcp__demo__{tool}"), call("mcp__demo__echo", text="again"), text="done")
    )
    run = run_task(monkeypatch, config, repo, model)
    failed, echoed = run.results()
    assert not failed["ok"] and error in failed["output"]
    assert echoed["ok"] and echoed["output"] == "echo: again"
    assert run.code == 0
    assert_no_server_left(tmp_path / "pids", started=started)


def test_a_megabyte_result_is_capped_and_the_next_request_stays_small(
    tmp_path, repo, monkeypatch, scripted_server
):
    config = user_config(tmp_path, demo_toml(allow=["big"]))
    model = scripted_server(turns(call("mcp__demo__big", size=1_000_000), text="big"))
    run = run_task(monkeypatch, config, repo, model)
    [result] = run.results()
    assert result["ok"] and "characters" in result["output"] and "cut" in result["output"]
    assert len(result["output"]) < 41_000
    assert len(json.dumps(model.chat_requests[1].body)) < 60_000


def test_an_image_is_described_not_inlined(tmp_path, repo, monkeypatch, scripted_server):
    config = user_config(tmp_path, demo_toml(allow=["image"]))
    model = scripted_server(turns(call("mcp__demo__image"), text="seen"))
    [result] = run_task(monkeypatch, config, repo, model).results()
    assert result["output"] == "[image (image/png), 21 bytes: not shown]"


def test_a_server_that_fails_to_start_is_reported_and_the_others_serve(
    tmp_path, repo, monkeypatch, scripted_server
):
    config = user_config(
        tmp_path,
        demo_toml("broken", "fail", env=pid_env(tmp_path)),
        demo_toml(env=pid_env(tmp_path), allow=["echo"]),
    )
    model = scripted_server(turns(call("mcp__demo__echo", text="ok"), text="done"))
    run = run_task(monkeypatch, config, repo, model)
    assert run.code == 0 and run.results()[0]["output"] == "echo: ok"
    # One line on stderr says so; the server's own stderr went to its log, not the terminal.
    [notice] = [line for line in run.err.splitlines() if "'broken'" in line]
    assert notice.startswith("note: MCP server 'broken' did not start")
    assert "going on without it" in notice
    log = tmp_path / "cache" / "mcp" / "broken.log"
    assert "cannot start (as asked)" in log.read_text()
    assert "cannot start" not in run.err
    assert_no_server_left(tmp_path / "pids", started=2)


def test_a_disabled_server_is_not_started(tmp_path, repo, monkeypatch, scripted_server):
    config = user_config(tmp_path, demo_toml(env=pid_env(tmp_path), enabled=False))
    model = scripted_server(turns(call("mcp__demo__echo", text="x"), text="done"))
    [result] = run_task(monkeypatch, config, repo, model).results()
    assert "unknown tool 'mcp__demo__echo'" in result["output"]
    assert_no_server_left(tmp_path / "pids", started=0)


def test_a_url_in_the_user_config_is_served_over_streamable_http(
    tmp_path, repo, monkeypatch, scripted_server
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (tmp_path / "http.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(DEMO), "http", str(port)], stdout=log, stderr=log
        )
    try:
        wait_until(lambda: _listening(port), what="the HTTP MCP server")
        url = f"http://127.0.0.1:{port}/mcp"
        config = user_config(tmp_path, f'[mcp_servers.web]\nurl = "{url}"\nallow = ["echo"]\n')
        model = scripted_server(turns(call("mcp__web__echo", text="over http"), text="done"))
        run = run_task(monkeypatch, config, repo, model)
    finally:
        process.terminate()
        process.wait(10)
    assert run.code == 0 and run.results()[0]["output"] == "echo: over http"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
