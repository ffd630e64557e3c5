"""The undo journal on real git repositories and plain folders: exact bytes back, only what the
agent changed, never the user's later work, and nothing written in `.git`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import git
import pytest

from assistant.edits.undo import UndoJournal, UndoRefused
from assistant.errors import EditError
from assistant.git import ShadowTree
from assistant.testing import commit_files, init_repo, stage_files, tree_digest, work_tree_bytes
from assistant.tools.changes import TurnChanges

PROJECT = {"app.py": "def main():\n    return 1\n", "util.py": "X = 1\n", ".gitignore": "*.log\n"}


def make_repo(path: Path) -> git.Repo:
    """Commit the project the undo tests work in, at `path`."""
    return git.Repo(commit_files(path, PROJECT, "initial"))


def agent_writes(turn: TurnChanges, root: Path, rel: str, data: bytes | None) -> None:
    """Do what a tool does: journal, write (or delete), record."""
    turn.before_write(rel)
    target = root / rel
    if data is None:
        target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    turn.after_write(rel)


def begin(root: Path, cache: Path, label: str) -> TurnChanges:
    return TurnChanges(UndoJournal(root, cache).begin(label), ShadowTree(root, cache))


def test_undo_after_two_turns_restores_exact_bytes_and_never_touches_git(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    # The user's own work in progress: a staged change, an unstaged one, an untracked file.
    stage_files(root, {"util.py": "X = 2  # staged\n"})
    (root / "app.py").write_text("def main():\n    return 2  # unstaged\n")
    (root / "notes.txt").write_bytes(b"untracked \x00 bytes\r\n")
    (root / "debug.log").write_text("ignored, and edited by the agent below\n")
    before, git_before = work_tree_bytes(root), tree_digest(root / ".git")

    first = begin(root, cache, "turn 1")
    agent_writes(first, root, "app.py", b"changed by turn 1\n")
    agent_writes(first, root, "new_module.py", b"created by turn 1\n")
    agent_writes(first, root, "debug.log", b"gitignored, still journaled\n")
    after_turn_1 = work_tree_bytes(root)
    second = begin(root, cache, "turn 2")
    agent_writes(second, root, "util.py", b"changed by turn 2\n")
    agent_writes(second, root, "pkg/deep.py", b"created by turn 2\n")

    journal = UndoJournal(root, cache)
    assert journal.undo().label.startswith("turn 2")
    assert work_tree_bytes(root) == after_turn_1
    assert not (root / "pkg").exists()
    result = journal.undo()
    assert result.label.startswith("turn 1") and result.removed == ("new_module.py",)
    assert work_tree_bytes(root) == before
    # The index, HEAD, refs, objects: not a byte written.
    assert tree_digest(root / ".git") == git_before
    with pytest.raises(EditError, match="nothing to undo"):
        journal.undo()


def test_undo_never_reverts_the_users_later_edit_without_asking(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    turn = begin(root, cache, "turn")
    agent_writes(turn, root, "app.py", b"agent version\n")
    agent_writes(turn, root, "made.py", b"agent created\n")
    (root / "app.py").write_text("the user's version after the agent\n")
    (root / "made.py").write_text("the user kept working in it\n")
    (root / "mine.py").write_text("a file the user created\n")
    journal = UndoJournal(root, cache)
    conflicts = journal.plan().conflicts
    assert {c.path for c in conflicts} == {"app.py", "made.py"}
    app = next(c for c in conflicts if c.path == "app.py")
    assert app.before == b"def main():\n    return 1\n" and app.agent == b"agent version\n"
    assert app.current == b"the user's version after the agent\n"
    with pytest.raises(UndoRefused, match=r"app\.py"):  # headless: refused, nothing changed
        journal.undo()
    assert (root / "app.py").read_text() == "the user's version after the agent\n"
    result = journal.undo(lambda conflict: conflict.path == "app.py")  # the person decides
    assert (root / "app.py").read_text() == "def main():\n    return 1\n"
    assert (root / "made.py").read_text() == "the user kept working in it\n"
    assert result.kept == ("made.py",)
    assert (root / "mine.py").read_text() == "a file the user created\n"


def test_a_commands_changes_are_journaled_and_undone(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    (root / "notes.txt").write_text("user notes\n")
    before, git_before = work_tree_bytes(root), tree_digest(root / ".git")
    turn = begin(root, cache, "turn")
    mark = turn.snapshot()
    subprocess.run(
        "sed -i 's/return 1/return 9/' app.py && rm notes.txt && echo gen > gen.py",
        shell=True, cwd=root, check=True,
    )  # fmt: skip
    assert sorted(turn.record_since(mark)) == ["app.py", "gen.py", "notes.txt"]
    with pytest.raises(UndoRefused, match="while the agent's commands ran"):
        UndoJournal(root, cache).undo()  # headless: a command's changes need --commands
    UndoJournal(root, cache).undo(commands=True)
    assert work_tree_bytes(root) == before
    assert tree_digest(root / ".git") == git_before


def test_journal_survives_garbage_collection_and_works_in_an_empty_repository(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    init_repo(root, identity=False)
    (root / "only_here.txt").write_text("precious\n")
    turn = begin(root, cache, "turn")
    agent_writes(turn, root, "only_here.txt", None)
    subprocess.run(["git", "-C", str(root), "gc", "--prune=now", "-q"], check=True)
    UndoJournal(root, cache).undo()
    assert (root / "only_here.txt").read_text() == "precious\n"


def test_a_plain_folder_gets_the_same_undo(tmp_path):
    folder, cache = tmp_path / "plain", tmp_path / "cache"
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    before = work_tree_bytes(folder)
    turn = begin(folder, cache, "turn")
    agent_writes(turn, folder, "a.py", b"a = 2\n")
    mark = turn.snapshot()
    (folder / "b.py").write_text("b = 1\n")  # a command's output
    assert turn.record_since(mark) == ["b.py"]
    UndoJournal(folder, cache).undo(commands=True)
    assert work_tree_bytes(folder) == before
