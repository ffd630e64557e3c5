"""Commands the model asks for, end to end through `assistant run`: what the old allowlist let
through is refused headless (or asks in a chat), destructive git even in yolo, and the user's
work, `.git` and everything outside the repository stay byte-identical."""

from __future__ import annotations

import pytest
from harness import make_world

from assistant.testing import call, turns

SLIPPED_PAST_THE_ALLOWLIST = [
    "ls\nrm -f notes.txt",
    "ls; rm -f notes.txt",
    "ls && rm -f notes.txt",
    "cat README.md > app.py",
    "cat README.md >> notes.txt",
    "git log --output=app.py",
    "git diff --output=notes.txt",
    "git show HEAD --output app.py",
    "grep x README.md | tee notes.txt",
    "ls $(rm notes.txt)",
    "ls `rm notes.txt`",
    "cat <<EOF > app.py\nreplaced\nEOF",
    "sed -i s/2/3/ app.py",
    "find . -name notes.txt -delete",
    "rg --pre 'rm notes.txt' x",
    "git -c core.pager='rm notes.txt' log",
]
DESTRUCTIVE_EVEN_IN_YOLO = [
    "git -C . reset --hard",
    "git --git-dir=.git --work-tree=. reset --hard HEAD",
    "git reset --ha",
    "git checkout HEAD -- .",
    "git checkout -- app.py",
    "git restore app.py",
    "git restore --source=HEAD --worktree -- .",
    "git clean -fdx",
    "git switch -f master",
    "git checkout -f master",
    "git stash && git stash drop",
    "git branch --delete --force master",
    "git push origin +master",
    "git update-ref -d HEAD",
    "rm -rf ../neighbour",
    "rm -rf ~",
    "bash -c 'git reset --hard'",
    'sh -c "rm -rf $HOME"',
    "rm -rf .git",
]


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


@pytest.mark.parametrize("command", SLIPPED_PAST_THE_ALLOWLIST)
def test_a_command_that_writes_behind_an_allowed_prefix_is_refused_headless(
    world, monkeypatch, scripted_server, command
):
    server = scripted_server(turns(call("run_command", command=command)))
    result = world.run(monkeypatch, server, "--mode", "auto-edit")
    assert result.outcome["refused"] and result.code == 2
    world.check(server)


@pytest.mark.parametrize("command", DESTRUCTIVE_EVEN_IN_YOLO)
def test_destructive_commands_are_refused_headless_even_in_yolo(
    world, monkeypatch, scripted_server, command
):
    server = scripted_server(turns(call("run_command", command=command)))
    result = world.run(monkeypatch, server, "--mode", "yolo")
    assert result.outcome["refused"] and result.code == 2
    world.check(server)


def test_a_listed_command_still_runs_and_a_refusal_reaches_the_model(
    world, monkeypatch, scripted_server
):
    world.user_config.write_text('command_allow = ["python -c *"]\n')
    world.freeze()
    server = scripted_server(
        turns(
            call("run_command", command="python -c 'print(6 * 7)'"),
            call("run_command", command="python -c 'print(1)' > out.txt"),
        )
    )
    result = world.run(monkeypatch, server)
    ran, refused = result.tool_outputs("run_command")
    assert "42" in ran and "refused" in refused
    assert not (world.repo / "out.txt").exists()
    world.check(server)
