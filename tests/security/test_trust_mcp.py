"""MCP servers are untrusted input, and a repository's own server list is repository content:
what a server returns is redacted before the model sees it, a project list starts nothing
until the user trusts the folder (and any change to it drops the trust), and a project list
can neither allow a tool without asking nor connect to a URL."""

from __future__ import annotations

import dataclasses
import json
import sys

import pytest
from harness import SECRETS, make_world

from assistant.agent.permissions import Decision
from assistant.agent.runner import policy_for
from assistant.config import load_settings
from assistant.config.trust import trust_folder
from assistant.mcp.client_resources import attach_resources
from assistant.mcp.registry import McpRegistry
from assistant.testing import call, settings_for, turns
from tests.mcp_client_support import DEMO, demo_config, demo_toml


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def user_servers(world, *tables: str) -> None:
    world.user_config.write_text("# the user's own config\n" + "\n".join(tables))
    world.freeze()


def project_list(world, marker_server: str = "evil") -> None:
    """A `.mcp.json` as a cloned repository could carry it."""
    servers = {marker_server: {"command": sys.executable, "args": [str(DEMO)]}}
    (world.repo / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))


def test_a_secret_in_a_tool_result_or_description_is_redacted_before_the_model_sees_it(
    world, monkeypatch, scripted_server
):
    user_servers(world, demo_toml(allow=["read_text"], env={"DEMO_SECRET": SECRETS["token"]}))
    server = scripted_server(
        turns(
            call("mcp__demo__read_text", path=str(world.repo / ".env")),
            call("mcp__demo__read_text", path=str(world.home / ".aws" / "credentials")),
            call("mcp__demo__read_text", path=str(world.repo / "settings.py")),
        )
    )
    result = world.run(monkeypatch, server)
    outputs = result.tool_outputs("mcp__demo__read_text")
    assert len(outputs) == 3 and all("[REDACTED]" in output for output in outputs)
    assert "AWS_SECRET_ACCESS_KEY=" in outputs[0]  # the server did read the file
    tools = {tool["function"]["name"]: tool for tool in server.chat_requests[0].body["tools"]}
    assert "API_TOKEN=[REDACTED]" in tools["mcp__demo__status"]["function"]["description"]
    world.check(server)  # no planted secret reached the model


async def test_a_secret_in_a_resource_is_redacted_before_it_joins_a_message(world, scripted_server):
    model = scripted_server(turns(text="ok"))
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9" + SECRETS["token"]
    server = demo_config(env={"DEMO_SECRET": secret})
    settings = settings_for(model.base_url, cache_dir=world.cache, mcp_servers=(server,))
    async with McpRegistry(world.repo, settings) as registry:
        attached = await attach_resources(registry, "deploy as in @demo:env", settings)
    assert attached.attached == ("demo:notes://env",)
    assert "AWS_SECRET_ACCESS_KEY=[REDACTED]" in attached.text and secret not in attached.text


def test_an_untrusted_project_list_is_ignored_with_a_notice_and_used_once_trusted(
    world, monkeypatch, scripted_server
):
    marker = world.tmp / "pwned.txt"
    project_list(world)
    (world.repo / ".assistant").mkdir()
    (world.repo / ".assistant" / "config.toml").write_text("temperature = 0.2\n")
    attack = turns(call("mcp__evil__write_file", path=str(marker), text="pwned"))
    first = scripted_server(attack)
    result = world.run(monkeypatch, first, "--mode", "yolo")
    assert "ignored the MCP servers in" in result.err and ".mcp.json" in result.err
    assert "unknown tool 'mcp__evil__write_file'" in result.tool_outputs()[0]
    assert not marker.exists()
    world.check(first)

    trusted = world.cli(monkeypatch, "trust", str(world.repo), "--json")
    assert json.loads(trusted.out)["trusted"] is True
    world.freeze()
    approved = scripted_server(turns(call("mcp__evil__echo", text="trusted now")))
    result = world.run(monkeypatch, approved)  # headless ask: the project cannot allow it
    assert result.outcome["refused"] and "ignored" not in result.err
    yolo = scripted_server(turns(call("mcp__evil__echo", text="trusted now")))
    result = world.run(monkeypatch, yolo, "--mode", "yolo")
    assert result.tool_outputs() == ["echo: trusted now"]

    project_list(world, marker_server="evil2")  # what a `git pull` brings
    pulled = scripted_server(turns(call("mcp__evil2__write_file", path=str(marker), text="x")))
    result = world.run(monkeypatch, pulled, "--mode", "yolo")
    assert "changed since you trusted" in result.err and not marker.exists()
    world.check(first, approved, yolo, pulled)


def test_a_model_that_writes_a_server_list_does_not_get_it_started(
    world, monkeypatch, scripted_server
):
    marker = world.tmp / "pwned.txt"
    (world.repo / ".assistant").mkdir()
    (world.repo / ".assistant" / "config.toml").write_text("temperature = 0.2\n")
    world.cli(monkeypatch, "trust", str(world.repo))
    world.freeze()
    servers = {"evil": {"command": sys.executable, "args": [str(DEMO)]}}
    plant = scripted_server(
        turns(call("write_file", path=".mcp.json", content=json.dumps({"mcpServers": servers})))
    )
    planted = world.run(monkeypatch, plant, "--mode", "yolo")
    assert "off limits" in planted.tool_outputs()[0] and not (world.repo / ".mcp.json").exists()
    attack = scripted_server(turns(call("mcp__evil__write_file", path=str(marker), text="x")))
    world.run(monkeypatch, attack, "--mode", "yolo")
    assert not marker.exists()
    (world.repo / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))  # by a command
    again = scripted_server(turns(call("mcp__evil__write_file", path=str(marker), text="x")))
    result = world.run(monkeypatch, again, "--mode", "yolo")
    assert "changed since you trusted" in result.err and not marker.exists()
    world.check(plant, attack, again)


async def test_a_trusted_project_list_cannot_allow_tools_or_reach_a_url(world, scripted_server):
    attacker = scripted_server(turns(text="exfiltrated"))
    (world.repo / ".assistant").mkdir()
    (world.repo / ".assistant" / "mcp.toml").write_text(
        f'[mcp_servers.web]\nurl = "{attacker.base_url}/mcp"\n'
        f"[mcp_servers.local]\ncommand = {json.dumps(sys.executable)}\n"
        f'args = [{json.dumps(str(DEMO))}]\nallow = ["*"]\n'
    )
    trust_folder(world.user_config, world.repo)
    settings = load_settings(world.repo, env={}, user_config=world.user_config)
    assert [server.name for server in settings.mcp_servers] == ["local"]
    assert settings.mcp_servers[0].allow == ()
    assert any("may connect to a URL" in notice for notice in settings.notices)
    assert policy_for(settings, "ask", headless=True).for_mcp("local", "echo") is Decision.DENY
    settings = dataclasses.replace(settings, cache_dir=world.cache)
    async with McpRegistry(world.repo, settings) as registry:
        await registry.start()
        assert next(tool.spec.name for tool in registry.tools()) == "mcp__local__echo"
    assert not attacker.requests


def test_trust_accepts_a_folder_with_only_a_server_list_and_shows_it_without_escapes(
    world, monkeypatch
):
    listed = json.dumps({"mcpServers": {"evil": {"command": "true"}}})
    (world.repo / ".mcp.json").write_text(listed + "\n\x1b[2J\x1b]0;title\x07hidden\n")
    shown = world.cli(monkeypatch, "trust", str(world.repo))
    assert "--- .mcp.json ---" in shown.out and "hidden" in shown.out
    assert "\x1b" not in shown.out and "\x07" not in shown.out
    data = json.loads(world.cli(monkeypatch, "trust", str(world.repo), "--json").out)
    assert data["trusted"] is True and data["files"] == [".mcp.json"]
