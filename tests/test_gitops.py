"""Checkpoints and undo on real git repositories: exact bytes back, the user's state untouched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import git
import pytest

from assistant.errors import GitError
from assistant.gitops import GitCheckpoints, open_checkpoints
from assistant.snapshots import FileCheckpoints
from tests.support import settings_for


def make_repo(path: Path) -> git.Repo:
    repo = git.Repo.init(path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    (path / "app.py").write_text("def main():\n    return 1\n")
    (path / "util.py").write_text("X = 1\n")
    (path / ".gitignore").write_text("*.log\n")
    repo.index.add(["app.py", "util.py", ".gitignore"])
    repo.index.commit("initial")
    return repo


def snapshot(path: Path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }


def git_state(repo: git.Repo) -> tuple:
    root = Path(repo.working_tree_dir)
    index = (root / ".git" / "index").read_bytes()
    cached = repo.git.diff("--cached")
    stash = repo.git.stash("list")
    return index, cached, repo.head.commit.hexsha, repo.active_branch.name, stash


def test_undo_after_two_turns_restores_exact_bytes_and_keeps_staged_changes(tmp_path):
    repo = make_repo(tmp_path)
    # The user's own work in progress: a staged change, an unstaged one, an untracked file.
    (tmp_path / "util.py").write_text("X = 2  # staged\n")
    repo.index.add(["util.py"])
    (tmp_path / "app.py").write_text("def main():\n    return 2  # unstaged\n")
    (tmp_path / "notes.txt").write_bytes(b"untracked \x00 bytes\r\n")
    (tmp_path / "debug.log").write_text("ignored\n")
    before = snapshot(tmp_path)
    state = git_state(repo)

    checkpoints = GitCheckpoints(tmp_path)
    checkpoints.create("turn 1")
    (tmp_path / "app.py").write_text("changed by turn 1\n")
    (tmp_path / "new_module.py").write_text("created by turn 1\n")
    (tmp_path / "notes.txt").unlink()
    after_turn_1 = snapshot(tmp_path)

    checkpoints.create("turn 2")
    (tmp_path / "util.py").write_text("changed by turn 2\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "deep.py").write_text("created by turn 2\n")
    assert git_state(repo) == state  # checkpoints never touch index, HEAD, branch or stash

    assert checkpoints.undo().label == "turn 2"
    assert snapshot(tmp_path) == after_turn_1
    assert not (tmp_path / "pkg").exists()
    assert checkpoints.undo().label == "turn 1"
    assert snapshot(tmp_path) == before
    assert git_state(repo) == state
    with pytest.raises(GitError, match="nothing to undo"):
        checkpoints.undo()


def test_checkpoints_work_in_an_empty_repository(tmp_path):
    git.Repo.init(tmp_path)
    (tmp_path / "a.txt").write_text("first\n")
    checkpoints = GitCheckpoints(tmp_path)
    checkpoints.create("start")
    (tmp_path / "a.txt").write_text("second\n")
    (tmp_path / "b.txt").write_text("new\n")
    assert "b.txt" in checkpoints.diff()
    checkpoints.undo()
    assert snapshot(tmp_path) == {"a.txt": b"first\n"}


def test_diff_includes_new_untracked_files_and_status_lists_them(tmp_path):
    make_repo(tmp_path)
    (tmp_path / "fresh.py").write_text("print('hi')\n")
    (tmp_path / "app.py").write_text("def main():\n    return 3\n")
    checkpoints = GitCheckpoints(tmp_path)
    diff = checkpoints.diff(["fresh.py", "app.py"])
    assert "+print('hi')" in diff and "+    return 3" in diff
    assert "?? fresh.py" in checkpoints.status()


def test_commit_takes_only_the_named_paths_and_leaves_the_users_staging(tmp_path):
    repo = make_repo(tmp_path)
    (tmp_path / "util.py").write_text("X = 5  # the user's staged change\n")
    repo.index.add(["util.py"])
    (tmp_path / "app.py").write_text("def main():\n    return 42\n")
    commit = GitCheckpoints(tmp_path).commit(["app.py"], "Make main return 42")
    assert repo.head.commit.hexsha == commit
    assert [d.a_path for d in repo.head.commit.diff("HEAD~1")] == ["app.py"]
    assert "X = 5" in repo.git.diff("--cached")  # still staged, not committed
    assert "app.py" not in repo.git.diff("--cached", "--name-only")


def test_branch_and_worktree_for_batch_work(tmp_path):
    repo = make_repo(tmp_path / "repo")
    checkpoints = GitCheckpoints(tmp_path / "repo")
    checkpoints.create_branch("assistant/batch")
    worktree = checkpoints.add_worktree(tmp_path / "wt", "assistant/batch")
    assert (worktree / "app.py").read_text().startswith("def main")
    assert repo.active_branch.name != "assistant/batch"


def test_a_plain_directory_gets_file_snapshots(tmp_path):
    folder, cache = tmp_path / "plain", tmp_path / "cache"
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    checkpoints = open_checkpoints(folder, settings_for("http://127.0.0.1:1/v1", cache_dir=cache))
    assert isinstance(checkpoints, FileCheckpoints)
    before = snapshot(folder)
    checkpoints.create("turn")
    (folder / "a.py").write_text("a = 2\n")
    (folder / "b.py").write_text("b = 1\n")
    assert "M a.py" in checkpoints.status() and "A b.py" in checkpoints.status()
    assert "+a = 2" in checkpoints.diff()
    checkpoints.undo()
    assert snapshot(folder) == before
    with pytest.raises(GitError, match="not a git repository"):
        checkpoints.commit(["a.py"], "x")


def test_checkpoints_survive_garbage_collection(tmp_path):
    make_repo(tmp_path)
    checkpoints = GitCheckpoints(tmp_path)
    (tmp_path / "only_here.txt").write_text("precious\n")
    checkpoints.create("keep")
    (tmp_path / "only_here.txt").unlink()
    subprocess.run(["git", "-C", str(tmp_path), "gc", "--prune=now", "-q"], check=True)
    checkpoints.undo()
    assert (tmp_path / "only_here.txt").read_text() == "precious\n"
