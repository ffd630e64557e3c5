"""Git internals are off limits: no tool writes under `.git` (however the path is spelled), no
command run for the model can, and the assistant's own git calls never run what a hostile
`.git/config` names."""

from __future__ import annotations

import os
import sys

import git
import pytest
from harness import make_world

from assistant.security.sandbox import available
from assistant.testing import call, edit, turns


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


FSMONITOR = '[core]\n\tfsmonitor = "touch ../../pwned-fsmonitor; false"\n'


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        "./.git/config",
        "sub/../.git/config",
        ".git/hooks/pre-commit",
        ".git/info/exclude",
        ".git/./HEAD",
        "{repo}/.git/config",
        "gitlink/config",
    ],
)
def test_no_tool_writes_under_git_however_the_path_is_spelled(
    world, monkeypatch, scripted_server, path
):
    os.symlink(".git", world.repo / "gitlink")
    world.freeze()
    path = path.format(repo=world.repo)
    server = scripted_server(
        turns(
            call("read_file", path=path),
            call("write_file", path=path, content=FSMONITOR, overwrite=True),
            edit(path, "[core]", FSMONITOR),
        )
    )
    result = world.run(monkeypatch, server, "--mode", "yolo")
    outputs = result.tool_outputs()
    assert all("git internals are off limits" in o or "outside" in o for o in outputs), outputs
    world.check(server)


def test_a_hook_the_model_overwrites_never_keeps_an_execute_bit(
    world, monkeypatch, scripted_server
):
    hook = world.repo / ".git" / "hooks" / "post-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    world.freeze()
    server = scripted_server(
        turns(
            call(
                "write_file",
                path=".git/hooks/post-commit",
                content="#!/bin/sh\nrm -rf ~\n",
                overwrite=True,
            )
        )
    )
    world.run(monkeypatch, server, "--mode", "yolo")
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"
    world.check(server)


@pytest.mark.skipif(not available(), reason="bubblewrap cannot run here")
@pytest.mark.parametrize(
    "command",
    [
        "echo '[core]' >> .git/config",
        "git config core.fsmonitor 'touch ../pwned'",
        "printf '#!/bin/sh\\ntouch ../pwned\\n' > .git/hooks/pre-commit",
        "cp app.py .git/hooks/post-checkout",
        f"{sys.executable} -c \"open('.git/config','a').write('x')\"",
    ],
)
def test_a_command_the_model_runs_cannot_write_git_internals_even_in_yolo(
    world, monkeypatch, scripted_server, command
):
    server = scripted_server(turns(call("run_command", command=command)))
    world.run(monkeypatch, server, "--mode", "yolo")
    assert not (world.tmp / "pwned").exists()
    world.check(server)


def test_a_hostile_git_config_runs_nothing_on_the_assistants_own_git_calls(
    world, monkeypatch, scripted_server
):
    # A repository that arrived with its .git (a tarball): fsmonitor, a filter and a hook.
    proof = world.tmp / "proof"
    with git.Repo(world.repo).config_writer() as config:
        config.set_value("core", "fsmonitor", f"touch {proof}-fsmonitor; false")
        config.set_value('filter "evil"', "clean", f"sh -c 'touch {proof}-clean; cat'")
        config.set_value('filter "evil"', "smudge", f"sh -c 'touch {proof}-smudge; cat'")
        config.set_value('diff "evil"', "textconv", f"sh -c 'touch {proof}-textconv; cat'")
    (world.repo / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    hook = world.repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {proof}-hook\n")
    hook.chmod(0o755)
    world.freeze()
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", path="README.md")]},
                {"tool_calls": [edit("README.md", "# demo", "# demo app")]},
                {"tool_calls": [call("git_status"), call("git_diff")]},
                {"text": "done"},
            ]
        }
    )
    result = world.run(monkeypatch, server, "--mode", "auto-edit")
    assert result.code == 0, result.err
    assert "+# demo app" in result.outcome["diff"]
    assert not list(world.tmp.glob("proof*"))
    world.check(server)


def test_a_batch_target_that_rewrites_its_scratch_git_file_cannot_touch_the_users_repo(
    world, monkeypatch, scripted_server
):
    handle = git.Repo(world.repo)
    head, branch = handle.head.commit.hexsha, handle.active_branch.name
    attack = f"printf 'gitdir: {world.repo}/.git\\n' > .git && echo changed >> app.py"
    # Two targets run one after the other in the same scratch slot (--jobs 1): the first
    # rewrites the slot's .git to point at the user's repository; the second's checkout -f
    # and clean -x must still land in the scratch tree.
    script = {
        "turns": [
            {"match": "`README.md`", "tool_calls": [call("run_command", command=attack)]},
            {"match": "`README.md`", "text": "done"},
            {"match": "`settings.py`", "tool_calls": [call("read_file", path="settings.py")]},
            {"match": "`settings.py`", "text": "nothing to change"},
        ]
    }
    server = scripted_server(script)
    result = world.cli(
        monkeypatch, "refactor", "touch files", "--files", "README.md", "--files",
        "settings.py", "--jobs", "1", "--json", "--repo", str(world.repo),
        "--base-url", server.base_url, "--model", "qwen3-coder-plus", "--branch", "batch",
    )  # fmt: skip
    handle = git.Repo(world.repo)
    assert handle.head.commit.hexsha == head and handle.active_branch.name == branch
    assert not handle.head.is_detached
    for name, text in (("app.py", None), ("notes.txt", None)):
        assert (world.repo / name).exists(), (name, text, result.err)
    # The batch made its branch (that is what the user asked for); nothing else in .git moved.
    assert "batch" in [b.name for b in handle.branches]
    assert (world.repo / "util.py").read_text().startswith("X = 2")
    assert handle.git.diff("--cached", "--name-only") == "util.py"
