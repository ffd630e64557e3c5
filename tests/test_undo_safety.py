"""Undo under attack and under load: never through a link out of the repository, never over
what someone else changed during the turn, and coherent across two processes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from assistant.edits.undo import UndoJournal, UndoRefused
from assistant.testing import commit_files
from tests.test_undo_journal import agent_writes, begin, make_repo


def run(turn, root: Path, command: str) -> list[str]:
    """Do what run_command does around a command."""
    mark = turn.snapshot()
    subprocess.run(command, shell=True, cwd=root, check=True)
    return turn.record_since(mark)


def test_undo_never_writes_through_a_folder_a_command_turned_into_a_link(tmp_path):
    root, cache, home = tmp_path / "repo", tmp_path / "cache", tmp_path / "home"
    make_repo(root)
    home.mkdir()
    (home / ".bashrc").write_text("# the user's real bashrc\n")
    turn = begin(root, cache, "turn")
    agent_writes(turn, root, ".gitignore", b"conf\n!conf/\n")
    agent_writes(turn, root, "conf/.bashrc", b"the agent's\n")
    run(turn, root, f"rm -rf conf && ln -s {home} conf")
    journal = UndoJournal(root, cache)
    with pytest.raises(UndoRefused, match="no longer a plain path"):
        journal.undo(commands=True)
    journal.undo(lambda conflict: True, commands=True)  # even "restore anyway" stays inside
    assert (home / ".bashrc").read_text() == "# the user's real bashrc\n"


def test_an_edit_the_user_made_between_two_agent_writes_is_never_dropped_silently(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    turn = begin(root, cache, "turn")
    agent_writes(turn, root, "app.py", b"agent 1\n")
    (root / "app.py").write_text("agent 1\nthe user's line\n")
    agent_writes(turn, root, "app.py", b"agent 1\nthe user's line\nagent 2\n")
    plan = UndoJournal(root, cache).plan()
    assert [c.reason for c in plan.conflicts] == [
        "someone else changed it between the agent's changes"
    ]


def test_a_file_saved_while_a_command_ran_needs_a_confirmation(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    turn = begin(root, cache, "turn")
    mark = turn.snapshot()
    (root / "mine.md").write_text("the user saved this while the tests ran\n")
    turn.record_since(mark)
    journal = UndoJournal(root, cache)
    assert journal.plan().command_paths == ("mine.md",)
    with pytest.raises(UndoRefused, match="commands ran"):
        journal.undo()
    result = journal.undo(commands=False)  # the person keeps it
    assert result.kept == ("mine.md",) and (root / "mine.md").exists()


def test_two_processes_get_their_own_turns_and_a_running_turn_is_left_alone(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    chat = begin(root, cache, "chat turn")
    agent_writes(chat, root, "app.py", b"chat\n")
    chat.close()
    other = UndoJournal(root, cache).begin("run turn")  # claims its own folder
    assert other.folder != chat.turn.folder
    other.pid = _a_live_process()
    other.before_write("util.py")
    (root / "util.py").write_text("run\n")
    other.after_write("util.py")
    with pytest.raises(UndoRefused, match="still running"):
        UndoJournal(root, cache).undo()
    other.close()
    assert UndoJournal(root, cache).undo().label == "run turn"
    assert UndoJournal(root, cache).undo().label == "chat turn"


def test_links_modes_nested_repositories_and_folders_come_back_or_are_reported(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    (root / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o755)
    os.symlink("app.py", root / "current.py")
    (root / "pkg").mkdir()
    (root / "pkg" / "util.py").write_text("u = 1\n")
    turn = begin(root, cache, "turn")
    changed = run(
        turn, root,
        "rm run.sh && sed -i s/1/2/ current.py && rm pkg/util.py && mkdir pkg/util.py "
        "&& touch pkg/util.py/__init__.py && git init -q nested && cd nested && "
        "git -c user.name=x -c user.email=x@y commit -q --allow-empty -m x",
    )  # fmt: skip
    assert "run.sh" in changed and "current.py" in changed
    UndoJournal(root, cache).undo(lambda conflict: True, commands=True)
    assert (root / "run.sh").stat().st_mode & 0o777 == 0o755
    assert (root / "current.py").is_symlink() and os.readlink(root / "current.py") == "app.py"
    assert (root / "app.py").read_text() == "def main():\n    return 1\n"


def test_a_tracked_file_a_gitignore_matches_is_still_recorded(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    commit_files(root, {"golden.log": "expected output\n"}, "golden")  # tracked, though ignored
    turn = begin(root, cache, "turn")
    assert run(turn, root, "echo regenerated > golden.log") == ["golden.log"]
    UndoJournal(root, cache).undo(commands=True)
    assert (root / "golden.log").read_text() == "expected output\n"


def test_undo_keeps_the_users_own_empty_folders(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    (root / "logs").mkdir()
    turn = begin(root, cache, "turn")
    agent_writes(turn, root, "logs/agent.txt", b"x\n")
    agent_writes(turn, root, "made/deep/new.txt", b"y\n")
    UndoJournal(root, cache).undo()
    assert (root / "logs").is_dir() and not (root / "made").exists()


def _a_live_process() -> int:
    return os.getppid()  # alive for the whole test, and not this process
