"""Where MCP servers come from (the user's config, a trusted project's lists), how their tools
are named and described to the model, who decides before a call, and `assistant mcp list`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.agent.permissions import Decision
from assistant.agent.runner import policy_for
from assistant.config import Settings, load_settings
from assistant.config.trust import trust_digest, trust_folder
from assistant.errors import ConfigError
from assistant.mcp.client_schema import NAME_LIMIT, exposed_name, normalize_schema
from assistant.mcp.listing import format_status
from assistant.mcp.registry import McpRegistry, ServerStatus
from tests.mcp_client_support import assert_no_server_left, demo_config, demo_toml, run_cli


def settings_in(tmp_path: Path, user: str, repo: Path | None = None):
    config = tmp_path / "config.toml"
    config.write_text(user)
    return load_settings(repo, env={}, user_config=config)


def test_user_servers_are_read_as_codex_spells_them(tmp_path):
    settings = settings_in(
        tmp_path,
        '[mcp_servers.tracker]\ncommand = "uvx"\nargs = ["tracker-mcp"]\nenv = { TOKEN = "t" }\n'
        'allow = ["list_issues"]\nstartup_timeout_sec = 5\ntool_timeout = 9\n'
        '[mcp_servers.docs]\nurl = "http://127.0.0.1:9000/mcp"\nenabled = false\n',
    )
    tracker, docs = settings.mcp_servers
    assert (tracker.name, tracker.command, tracker.args, dict(tracker.env)) == (
        "tracker", "uvx", ("tracker-mcp",), {"TOKEN": "t"},
    )  # fmt: skip
    assert tracker.allow == ("list_issues",) and tracker.transport == "stdio"
    assert (tracker.startup_timeout, tracker.tool_timeout) == (5.0, 9.0)
    assert docs.transport == "http" and not docs.enabled and docs.tool_timeout == 60.0


@pytest.mark.parametrize(
    "table",
    [
        'command = "a"\nurl = "http://x"\n',
        'args = ["x"]\n',
        'command = "a"\nargs = "not a list"\n',
        'command = "a"\ntool_timeout = 0\n',
        'command = "a"\nbogus = 1\n',
    ],
)
def test_a_mistake_in_the_users_own_server_table_is_an_error_they_can_fix(tmp_path, table):
    with pytest.raises(ConfigError, match=r"mcp_servers\.x"):
        settings_in(tmp_path, f"[mcp_servers.x]\n{table}")


def test_the_policy_asks_for_mcp_tools_unless_allowed_or_yolo(tmp_path):
    settings = settings_in(
        tmp_path,
        '[mcp_servers.a]\ncommand = "a"\nallow = ["read"]\n'
        '[mcp_servers.b]\ncommand = "b"\nallow = ["*"]\n[mcp_servers.c]\ncommand = "c"\n',
    )
    ask = policy_for(settings, "auto-edit", headless=False)
    assert ask.for_mcp("a", "read") is Decision.ALLOW
    assert ask.for_mcp("a", "write") is Decision.ASK
    assert ask.for_mcp("b", "anything") is Decision.ALLOW
    assert ask.for_mcp("c", "read") is Decision.ASK
    assert policy_for(settings, "ask", headless=True).for_mcp("c", "read") is Decision.DENY
    assert policy_for(settings, "yolo", headless=True).for_mcp("c", "read") is Decision.ALLOW


def test_tool_names_are_api_safe_unique_and_short():
    taken: set[str] = set()
    assert exposed_name("tracker", "list_issues", taken) == "mcp__tracker__list_issues"
    odd = exposed_name("my server", "get.issue/ü", taken)
    assert odd == "mcp__my_server__get_issue__"
    clash = exposed_name("my.server", "get issue/ü", taken)
    assert clash != odd and clash.startswith("mcp__my_server__get_issue_")
    long = exposed_name("s" * 50, "t" * 50, taken)
    assert len(long) == NAME_LIMIT
    assert all(set(name) <= set("abcdefghijklmnopqrstuvwxyz_-0123456789") for name in taken)


def test_a_hostile_schema_becomes_a_small_object_schema():
    nested: dict = {"type": "object"}
    for _ in range(50):
        nested = {"type": "object", "properties": {"deeper": nested}}
    cleaned, replaced = normalize_schema(
        {
            "type": "array",
            "properties": {
                "q": {"type": "string", "description": "x\x1b[31m" * 3, "$ref": "http://evil/x"},
                "n": {"type": ["integer", "evil"], "enum": [1, {"a": 1}, "b"]},
                "deep": nested,
            },
            "required": ["q", "missing"],
            "x-exec": "rm -rf /",
        }
    )
    assert not replaced and cleaned["type"] == "object"
    assert cleaned["properties"]["q"] == {"type": "string", "description": "x[31mx[31mx[31m"}
    assert cleaned["properties"]["n"] == {"type": ["integer"], "enum": [1, "b"]}
    assert cleaned["required"] == ["q"] and "x-exec" not in cleaned
    assert len(json.dumps(cleaned)) < 2_000
    huge = {
        "type": "object",
        "properties": {f"p{i}": {"description": "d" * 900} for i in range(100)},
    }
    assert normalize_schema(huge) == ({"type": "object", "properties": {}}, True)
    assert normalize_schema(["not", "a", "schema"]) == ({"type": "object", "properties": {}}, True)


def test_trust_digest_is_the_config_digest_until_a_project_lists_servers(tmp_path):
    (tmp_path / ".assistant").mkdir()
    (tmp_path / ".assistant" / "config.toml").write_text("temperature = 0.2\n")
    before = trust_digest(tmp_path)
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {}}')
    with_list = trust_digest(tmp_path)
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {"x": {"command": "y"}}}')
    assert len({before, with_list, trust_digest(tmp_path)}) == 3


def test_a_trusted_project_list_adds_stdio_servers_but_no_url_and_no_allow(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".assistant").mkdir(parents=True)
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {
        "local": {"command": "python", "args": ["srv.py"], "env": {"A": "1"}},
        "web": {"type": "http", "url": "http://127.0.0.1:1/mcp"},
        "mine": {"command": "from-the-project"},
    }}))  # fmt: skip
    (repo / ".assistant" / "mcp.toml").write_text(
        '[mcp_servers.tool]\ncommand = "t"\nallow = ["*"]\n'
    )
    config = tmp_path / "config.toml"
    config.write_text('[mcp_servers.mine]\ncommand = "from-the-user"\n')
    trust_folder(config, repo)
    settings = load_settings(repo, env={}, user_config=config)
    by_name = {server.name: server for server in settings.mcp_servers}
    assert set(by_name) == {"mine", "local", "tool"}
    assert by_name["mine"].command == "from-the-user"
    assert by_name["local"].args == ("srv.py",) and by_name["local"].source.endswith(".mcp.json")
    assert by_name["tool"].allow == ()
    notices = "\n".join(settings.notices)
    assert "only servers in your own config may connect to a URL" in notices
    assert "ignored 'allow' of MCP server 'tool'" in notices
    assert "your own config defines one with that name" in notices


def test_a_broken_project_list_is_a_notice_not_an_error(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".mcp.json").write_text("{not json")
    config = tmp_path / "config.toml"
    trust_folder(config, repo)
    settings = load_settings(repo, env={}, user_config=config)
    assert settings.mcp_servers == () and any("ignored" in n for n in settings.notices)


def test_mcp_list_json_starts_each_server_lists_everything_and_stops_them(tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    config = tmp_path / "config.toml"
    config.write_text(
        demo_toml(env={"DEMO_PID_FILE": str(pids)})
        + demo_toml("broken", "fail", env={"DEMO_PID_FILE": str(pids)})
        + demo_toml("off", enabled=False)
    )
    run = run_cli(monkeypatch, config, tmp_path / "cache", "mcp", "list", "--json",
                  "--repo", str(tmp_path))  # fmt: skip
    assert run.code == 1  # a server failed to start
    demo, broken, off = json.loads(run.out)["servers"]
    assert demo["state"] == "ready" and demo["transport"] == "stdio"
    tools = {tool["name"]: tool for tool in demo["tools"]}
    assert tools["echo"]["exposed"] == "mcp__demo__echo"
    assert tools["echo"]["description"] == "Return the text, prefixed."
    assert {r["name"]: r["uri"] for r in demo["resources"]}["readme"] == "notes://readme"
    assert demo["prompts"] == [
        {"name": "review", "description": "Ask for a review of a file.", "arguments": ["path"]}
    ]
    assert broken["state"] == "failed" and "did not start" in broken["error"]
    assert broken["log"].endswith("broken.log") and off["state"] == "disabled"
    assert_no_server_left(pids, started=2)


def test_mcp_list_says_how_to_configure_a_server_when_there_is_none(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("")
    run = run_cli(monkeypatch, config, tmp_path / "cache", "mcp", "list", "--repo", str(tmp_path))
    assert run.code == 0 and "no MCP servers configured" in run.out


def test_the_text_listing_shows_state_tools_and_where_the_log_is():
    status = ServerStatus("web", "http", "user config", "failed", "did not start", "/c/web.log")
    text = format_status([status])
    assert text.splitlines()[0] == "web  failed  (http, from user config)"
    assert "log: /c/web.log" in text


def test_a_project_list_that_links_outside_the_repository_is_ignored(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    outside = tmp_path / "elsewhere.json"
    outside.write_text('{"mcpServers": {"x": {"command": "y"}}}')
    (repo / ".mcp.json").symlink_to(outside)
    config = tmp_path / "config.toml"
    trust_folder(config, repo)
    settings = load_settings(repo, env={}, user_config=config)
    assert settings.mcp_servers == ()
    assert any("links outside the repository" in notice for notice in settings.notices)


async def test_a_server_that_never_finishes_starting_fails_in_time_and_is_ended(tmp_path):
    pids = tmp_path / "pids"
    mute = demo_config("mute", "mute", startup_timeout=1, env={"DEMO_PID_FILE": str(pids)})
    settings = Settings(cache_dir=tmp_path / "cache", mcp_servers=(mute,))
    said: list[str] = []
    async with McpRegistry(tmp_path, settings, notice=said.append) as registry:
        await registry.start()
        [status] = registry.status()
        assert status.state == "failed" and registry.tools() == []
    assert said == [f"{status.error}; going on without it"]
    assert "did not start within 1 s" in status.error
    assert_no_server_left(pids, started=1)
