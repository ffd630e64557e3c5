"""Secrets never reach a model: not through read_file however the path is spelled or linked,
not through search, the automatic context, rules files, command output, diffs or /add."""

from __future__ import annotations

import os

import pytest
from harness import PRIVATE_KEY, SECRETS, USER_KEY, make_world

from assistant.security.sandbox import available
from assistant.testing import call, turns


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env/.",
        "./.env",
        "sub/../.env",
        "{repo}/.env",
        "config/id_ecdsa",
        "config/id_ecdsa/.",
        ".npmrc",
        ".git-credentials",
        "innocent.txt",  # a link to .env inside the repository
        "docs/key.txt",  # a link to ~/.ssh/id_rsa outside it
        "{home}/.ssh/id_rsa",
        "../home/.aws/credentials",
    ],
)
def test_read_file_never_reads_a_secret_however_it_is_named(
    world, monkeypatch, scripted_server, path
):
    os.symlink(".env", world.repo / "innocent.txt")
    (world.repo / "docs").mkdir()
    os.symlink(world.home / ".ssh" / "id_rsa", world.repo / "docs" / "key.txt")
    world.freeze()
    path = path.format(repo=world.repo, home=world.home)
    server = scripted_server(turns(call("read_file", path=path)))
    result = world.run(monkeypatch, server, "--mode", "yolo")
    (output,) = result.tool_outputs("read_file")
    assert output.startswith("error:"), output
    world.check(server)


def test_search_and_the_automatic_context_never_show_secrets_files(
    world, monkeypatch, scripted_server
):
    server = scripted_server(
        turns(
            call("search_code", query="AWS_SECRET_ACCESS_KEY authToken id_ecdsa"),
            call("list_files", pattern="*"),
            call("find_symbol", name="AWS_SECRET_ACCESS_KEY"),
        )
    )
    result = world.run(monkeypatch, server, task="where is AWS_SECRET_ACCESS_KEY set?")
    listing = result.tool_outputs("list_files")[0]
    assert ".env" not in listing.split() and "config/id_ecdsa" not in listing
    world.check(server)


def test_secret_looking_text_in_ordinary_files_is_redacted_before_the_model(
    world, monkeypatch, scripted_server
):
    server = scripted_server(
        turns(
            call("read_file", path="settings.py"),
            call("run_command", command="cat settings.py"),
            call("search_code", query="API_TOKEN"),
        )
    )
    result = world.run(monkeypatch, server, task="what is API_TOKEN?")
    assert any("[REDACTED]" in o for o in result.tool_outputs("read_file"))
    assert SECRETS["token"] not in result.out
    world.check(server)


@pytest.mark.parametrize(
    "rules", ["AGENTS.md", "QWEN.md", "CLAUDE.md", ".assistant/rules/style.md"]
)
def test_a_rules_file_linked_to_a_secret_is_never_read_into_the_prompt(
    world, monkeypatch, scripted_server, rules
):
    target = world.repo / rules
    target.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(world.home / ".ssh" / "id_rsa", target)
    world.freeze()
    server = scripted_server(turns(text="ok"))
    world.run(monkeypatch, server)
    world.check(server)


def test_a_rules_file_with_a_token_in_it_is_redacted(world, monkeypatch, scripted_server):
    (world.repo / "AGENTS.md").write_text(
        f"Deploy with GITHUB_TOKEN=ghp_{'a1B2c3D4e5' * 4} and key {USER_KEY}.\n"
    )
    world.freeze()
    server = scripted_server(turns(text="ok"))
    world.run(monkeypatch, server)
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert "Deploy with" in system and "ghp_a1B2" not in system and USER_KEY not in system
    world.check(server)


@pytest.mark.parametrize(
    "command",
    [
        "cat .env",
        "grep -r AWS .",
        "cat ~/.ssh/id_rsa",
        "cat ../home/.aws/credentials",
        "env",
        "printenv DASHSCOPE_API_KEY",
        "cat .npmrc .git-credentials",
        "git diff --no-index /dev/null .env",
    ],
)
def test_command_output_never_carries_a_secret_to_the_model_even_in_yolo(
    world, monkeypatch, scripted_server, command
):
    if ("home" in command or "~" in command) and not available():
        pytest.skip("the sandbox hides the home folder; bubblewrap cannot run here")
    server = scripted_server(turns(call("run_command", command=command)))
    world.run(monkeypatch, server, "--mode", "yolo")
    world.check(server)


def test_git_diff_and_status_never_show_a_secrets_files_content(
    world, monkeypatch, scripted_server
):
    (world.repo / ".gitignore").write_text("*.log\nbuild/\n")  # .env is no longer ignored
    world.freeze()
    server = scripted_server(turns(call("git_diff"), call("git_status")))
    result = world.run(monkeypatch, server)
    assert ".env" in result.tool_outputs("git_status")[0]
    world.check(server)


def test_add_refuses_a_secrets_file_in_the_chat(world):
    from assistant.config import load_settings
    from assistant.errors import ConfigError
    from tui.engine import ChatEngine

    engine = ChatEngine(
        world.repo, load_settings(world.repo, env={}, user_config=world.user_config)
    )
    os.symlink(".env", world.repo / "innocent.txt")
    for name in (".env", "config/id_ecdsa", "innocent.txt", ".npmrc"):
        with pytest.raises(ConfigError, match="secrets file"):
            engine.conversation.add_files([name])
    engine.conversation.add_files(["settings.py"])
    ((_, text),) = engine.conversation.file_contents()
    assert SECRETS["token"] not in text and PRIVATE_KEY not in text
