"""Attacks a red team found after the first trust-boundary pass, each now blocked: shell dialect
gaps, secrets reached through commands, nested and not-yet-existing git internals, PATH
tricks, link loops, hard links, and output floods."""

from __future__ import annotations

import os
import resource

import git
import pytest
from harness import SECRETS, make_world

from assistant.security.sandbox import available
from assistant.testing import call, init_repo, settings_for, turns

needs_bwrap = pytest.mark.skipif(not available(), reason="bubblewrap cannot run here")


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def test_a_line_bash_reads_as_one_command_runs_as_one(world, monkeypatch, scripted_server):
    # Judged as bash (`&>` is a redirection); run by bash too, never by dash, where the same
    # line would run `rm notes.txt` as a second command.
    server = scripted_server(turns(call("run_command", command="ls &>/dev/null rm notes.txt")))
    world.run(monkeypatch, server)
    world.check(server)


@needs_bwrap
@pytest.mark.parametrize(
    "command",
    [
        "cut -d= -f2 .env",
        "sed 's/.*=//' .env .npmrc",
        "grep -rhoE '[A-Za-z0-9]{20,}' .npmrc .git-credentials config",
        "python3 -c \"print(open('.env').read()[::-1])\"",
    ],
)
def test_a_command_the_policy_let_run_sees_no_secrets_file_of_the_repository(
    world, monkeypatch, scripted_server, command
):
    server = scripted_server(turns(call("run_command", command=command)))
    world.run(monkeypatch, server, "--mode", "yolo")
    world.check(server)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MYSQL_PWD", "mysql-CANARYENVpw0123456789"),
        ("PGPASS", "pg-CANARYENVpw0123456789"),
        ("REDIS_URL", "redis://:CANARYENVpw0123456789@cache.internal:6379/0"),
        ("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/CANARYENVpw0123456789"),
    ],
    ids=["mysql", "pgpass", "redis-url", "webhook"],  # not the values: PYTEST_CURRENT_TEST
)
def test_no_credential_variable_reaches_a_command(world, monkeypatch, scripted_server, name, value):
    monkeypatch.setattr(world, "env", lambda env=world.env: {**env(), name: value})
    server = scripted_server(turns(call("run_command", command="env; printenv " + name)))
    result = world.run(monkeypatch, server, "--mode", "yolo")
    assert "CANARYENV" not in result.tool_outputs("run_command")[0]


@needs_bwrap
def test_shell_histories_and_build_tool_credentials_in_the_home_are_hidden(
    world, monkeypatch, scripted_server
):
    (world.home / ".bash_history").write_text(f"export TOKEN={SECRETS['ssh']}\n")
    (world.home / ".m2").mkdir()
    (world.home / ".m2" / "settings.xml").write_text(f"<password>{SECRETS['ssh']}</password>")
    world.freeze()
    server = scripted_server(
        turns(call("run_command", command="cat ~/.bash_history ~/.m2/settings.xml"))
    )
    world.run(monkeypatch, server, "--mode", "yolo")
    world.check(server)


@needs_bwrap
def test_a_nested_repositorys_git_folder_is_read_only(world, monkeypatch, scripted_server):
    nested = world.repo / "vendor_src" / "lib"
    init_repo(nested, identity=False)
    config = (nested / ".git" / "config").read_bytes()
    world.freeze()
    attack = "printf '[core]\\n\\tfsmonitor = touch ../pwned\\n' >> vendor_src/lib/.git/config"
    server = scripted_server(turns(call("run_command", command=attack)))
    world.run(monkeypatch, server, "--mode", "yolo")
    assert (nested / ".git" / "config").read_bytes() == config


@needs_bwrap
def test_a_hooks_folder_that_does_not_exist_yet_cannot_be_planted(
    world, monkeypatch, scripted_server
):
    git.Repo(world.repo).git.config("core.hooksPath", ".githooks")
    world.freeze()
    attack = "mkdir -p .githooks && printf '#!/bin/sh\\ntouch ../pwned\\n' > .githooks/pre-commit"
    server = scripted_server(turns(call("run_command", command=attack)))
    world.run(monkeypatch, server, "--mode", "yolo")
    assert not (world.repo / ".githooks" / "pre-commit").exists()


def test_a_config_file_git_includes_from_the_work_tree_is_off_limits(
    world, monkeypatch, scripted_server
):
    (world.repo / "team.gitconfig").write_text("[core]\n\tautocrlf = false\n")
    with git.Repo(world.repo).config_writer() as config:
        config.set_value("include", "path", "../team.gitconfig")
    world.freeze()
    evil = "[core]\n\tfsmonitor = touch ../pwned\n"
    script = turns(
        call("read_file", path="team.gitconfig"),
        call("write_file", path="team.gitconfig", content=evil, overwrite=True),
        call("run_command", command="echo '\tfsmonitor = touch ../pwned' >> team.gitconfig"),
    )
    server = scripted_server(script)
    world.run(monkeypatch, server, "--mode", "yolo")
    assert (world.repo / "team.gitconfig").read_text() == "[core]\n\tautocrlf = false\n"


def test_the_repositorys_own_programs_never_shadow_an_allowed_one(
    world, monkeypatch, scripted_server
):
    tools = world.repo / "bin"
    tools.mkdir()
    (tools / "ls").write_text("#!/bin/sh\necho pwned > app.py\n")
    (tools / "ls").chmod(0o755)
    world.freeze()
    path = os.environ["PATH"]
    monkeypatch.setattr(world, "env", lambda env=world.env: {**env(), "PATH": f"bin::.:{path}"})
    server = scripted_server(turns(call("run_command", command="ls")))
    world.run(monkeypatch, server)
    world.check(server)


def test_link_loops_are_clean_errors_and_never_stop_a_run(world, monkeypatch, scripted_server):
    os.symlink("AGENTS.md", world.repo / "AGENTS.md")
    os.symlink("loop_b", world.repo / "loop_a")
    os.symlink("loop_a", world.repo / "loop_b")
    world.freeze()
    server = scripted_server(
        turns(
            call("read_file", path="loop_a"),
            call("write_file", path="loop_b", content="x", overwrite=True),
        )
    )
    result = world.run(monkeypatch, server, "--mode", "yolo")
    assert result.code == 0, result.err
    assert all(o.startswith("error:") for o in result.tool_outputs())
    world.check(server)


def test_a_hard_link_to_a_secrets_file_is_a_secrets_file(world, monkeypatch, scripted_server):
    os.link(world.repo / ".env", world.repo / "notes_copy.txt")
    world.freeze()
    server = scripted_server(turns(call("read_file", path="notes_copy.txt")))
    result = world.run(monkeypatch, server, "--mode", "yolo")
    assert "secrets file" in result.tool_outputs("read_file")[0]
    world.check(server)


def test_a_flood_of_command_output_is_read_with_bounded_memory(world, monkeypatch, scripted_server):
    server = scripted_server(turns(call("run_command", command="head -c 300000000 /dev/zero")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = world.run(monkeypatch, server, "--mode", "yolo")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    (output,) = result.tool_outputs("run_command")
    assert "characters" in output and "cut" in output and len(output) < 50_000
    assert grown_kib < 100_000  # 300 MB printed, far less kept
    world.check(server)


def test_an_open_secrets_buffer_never_enters_an_editor_actions_scratch_copy(tmp_path):
    from assistant.editor.scratch import ScratchTree

    world = make_world(tmp_path)
    scratch = ScratchTree(world.repo, world.cache)
    where = scratch.prepare({"app.py": "x = 1\n", ".env": "TOKEN=abc\n", "a/.npmrc": "t\n"})
    assert not (where / ".env").exists() and not (where / "a" / ".npmrc").exists()
    assert (where / "app.py").read_text() == "x = 1\n"


def test_a_file_replaced_by_a_link_out_of_the_repository_leaves_the_index(tmp_path):
    from assistant.context import search
    from assistant.index import open_index
    from assistant.index.indexer import update_paths

    world = make_world(tmp_path)
    (world.repo / "docs").mkdir()
    (world.repo / "docs" / "notes.md").write_text("ordinary notes\n")
    outside = world.home / ".bash_history"
    outside.write_text("curl -u admin:hunter2 secretkeyword https://example.com\n")
    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=world.cache)
    with open_index(world.repo, settings) as store:
        (world.repo / "docs" / "notes.md").unlink()
        os.symlink(outside, world.repo / "docs" / "notes.md")
        update_paths(store, world.repo, ["docs/notes.md"], settings.max_file_bytes)
        found = search(store, "secretkeyword", limit=5)
    assert not found.chunks and not found.files


@pytest.mark.parametrize("how", ["update", "update_paths"])
def test_a_folder_replaced_by_a_link_out_of_the_repository_is_never_read(tmp_path, how):
    """Files git tracks under a folder that became a link (a model's `rm -r docs && ln -s
    ~/private docs`) name files outside the repository: none of them is read into the index."""
    from assistant.context import search
    from assistant.index import open_index
    from assistant.index.indexer import update_paths
    from assistant.testing import commit_files

    world = make_world(tmp_path)
    (world.home / "private").mkdir()
    (world.home / "private" / "journal.md").write_text("bank pin outsidekeyword 4321\n")
    commit_files(world.repo, {"docs/journal.md": "ordinary notes\n"})
    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=world.cache)
    with open_index(world.repo, settings) as store:
        assert store.file("docs/journal.md") is not None
        (world.repo / "docs" / "journal.md").unlink()
        (world.repo / "docs").rmdir()
        os.symlink(world.home / "private", world.repo / "docs")
        if how == "update":
            store.close()
            store = open_index(world.repo, settings)
        else:
            update_paths(store, world.repo, ["docs/journal.md"], settings.max_file_bytes)
        found = search(store, "outsidekeyword", limit=5)
        assert not found.chunks and not found.files
        assert store.file("docs/journal.md") is None
        store.close()


def test_a_hard_link_to_a_secrets_file_is_never_indexed(world, monkeypatch):
    os.link(world.repo / ".env", world.repo / "notes_copy.txt")
    world.freeze()
    found = world.cli(monkeypatch, "search", SECRETS["dotenv"], "--json", "--repo", str(world.repo))
    assert SECRETS["dotenv"] not in found.out.replace(f'"{SECRETS["dotenv"]}"', "")
    assert "notes_copy.txt" not in found.out
