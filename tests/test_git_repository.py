"""The user's repository through assistant.git: status and diffs without writing in `.git`,
commits that leave the user's staging alone, scratch worktrees, plain folders."""

from __future__ import annotations

import git
import pytest

from assistant.errors import GitError
from assistant.git import GitRepository, PlainDirectory, ScratchWorktree, open_work_tree
from assistant.testing import stage_files, tree_digest
from tests.test_undo_journal import make_repo


def test_diff_includes_new_untracked_files_and_status_lists_them(tmp_path):
    root = tmp_path / "repo"
    make_repo(root)
    (root / "fresh.py").write_text("print('hi')\n")
    (root / "app.py").write_text("def main():\n    return 3\n")
    (root / ".env").write_text("API_TOKEN=abcdef0123456789\n")
    before = tree_digest(root / ".git")
    work_tree = open_work_tree(root, tmp_path / "cache")
    diff = work_tree.diff(["fresh.py", "app.py"])
    assert "+print('hi')" in diff and "+    return 3" in diff
    assert "?? fresh.py" in work_tree.status()
    assert "abcdef0123456789" not in work_tree.diff()  # a secrets file's section is left out
    assert tree_digest(root / ".git") == before


def test_commit_takes_only_the_named_paths_and_leaves_the_users_staging(tmp_path):
    repo = make_repo(tmp_path)
    stage_files(tmp_path, {"util.py": "X = 5  # the user's staged change\n"})
    (tmp_path / "app.py").write_text("def main():\n    return 42\n")
    commit = GitRepository(tmp_path).commit(["app.py"], "Make main return 42")
    assert repo.head.commit.hexsha == commit
    assert [d.a_path for d in repo.head.commit.diff("HEAD~1")] == ["app.py"]
    assert "X = 5" in repo.git.diff("--cached")  # still staged, not committed
    assert "app.py" not in repo.git.diff("--cached", "--name-only")


def test_branch_and_scratch_worktree_for_batch_work(tmp_path):
    repo = make_repo(tmp_path / "repo")
    repository = GitRepository(tmp_path / "repo")
    repository.create_branch("assistant/batch")
    scratch = ScratchWorktree(repository, tmp_path / "wt")
    path = scratch.reset(repository.rev_parse("assistant/batch"))
    assert (path / "app.py").read_text().startswith("def main")
    (path / "app.py").write_text("changed in scratch\n")
    assert "+changed in scratch" in scratch.diff(repository.rev_parse("HEAD"))
    assert repo.active_branch.name != "assistant/batch"
    scratch.remove()
    assert not path.exists()


def test_a_scratch_tree_whose_git_file_was_rewritten_never_touches_the_users_repo(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "repo" / "app.py").write_text("the user's uncommitted work\n")
    repository = GitRepository(tmp_path / "repo")
    head = repository.rev_parse("HEAD")
    scratch = ScratchWorktree(repository, tmp_path / "wt")
    scratch.reset(head)
    # A hostile agent points the scratch tree's .git at the user's repository.
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {tmp_path / 'repo' / '.git'}\n")
    state = tree_digest(tmp_path / "repo" / ".git")
    scratch.reset(head)  # checkout -f and clean -x, in the scratch tree only
    assert (tmp_path / "repo" / "app.py").read_text() == "the user's uncommitted work\n"
    assert tree_digest(tmp_path / "repo" / ".git") == state
    assert repo.active_branch.name == "master" or not repo.head.is_detached


def test_a_plain_folder_has_status_and_diff_but_no_commit(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    work_tree = open_work_tree(folder, tmp_path / "cache")
    assert isinstance(work_tree, PlainDirectory)
    assert work_tree.status() == ""
    (folder / "a.py").write_text("a = 2\n")
    (folder / "b.py").write_text("b = 1\n")
    assert "M a.py" in work_tree.status() and "A b.py" in work_tree.status()
    assert "+a = 2" in work_tree.diff()
    with pytest.raises(GitError, match="not a git repository"):
        work_tree.commit(["a.py"], "x")


def test_a_repository_hook_or_fsmonitor_never_runs_on_our_git_calls(tmp_path):
    root = tmp_path / "repo"
    repo = make_repo(root)
    proof = tmp_path / "ran"
    hook = root / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {proof}\n")
    hook.chmod(0o755)
    with repo.config_writer() as config:
        config.set_value("core", "fsmonitor", f"touch {proof}-fsmonitor; false")
        config.set_value('filter "evil"', "clean", f"sh -c 'touch {proof}-filter; cat'")
    (root / ".gitattributes").write_text("*.py filter=evil\n")
    (root / "app.py").write_text("changed\n")
    (root / "notes.md").write_text("notes\n")
    repository = GitRepository(root, tmp_path / "cache")
    repository.status()
    repository.diff()
    with pytest.raises(GitError, match="does not run"):  # it would store what evil would change
        repository.commit(["app.py"], "commit through the assistant")
    repository.commit(["notes.md"], "commit through the assistant")
    ScratchWorktree(repository, tmp_path / "wt").reset(repository.rev_parse("HEAD"))
    assert not list(tmp_path.glob("ran*"))
    assert git.Repo(root).head.commit.message.startswith("commit through")


@pytest.mark.parametrize("name", ["x=y", "a.b", "plain"])
def test_filters_with_odd_names_or_from_an_included_tracked_file_never_run(tmp_path, name):
    root = tmp_path / "repo"
    make_repo(root)
    proof = tmp_path / "ran"
    # The repository's config includes a file the model can edit (a common set-up).
    with git.Repo(root).config_writer() as config:
        config.set_value("include", "path", "../team.gitconfig")
    (root / "team.gitconfig").write_text(
        f'[filter "{name}"]\n\tclean = "touch {proof}-clean; cat"\n'
        f'\tsmudge = "touch {proof}-smudge; cat"\n'
    )
    (root / ".gitattributes").write_text(f"*.txt filter={name}\n")
    (root / "data.txt").write_text("x\n")
    repository = GitRepository(root, tmp_path / "cache")
    repository.diff()
    ScratchWorktree(repository, tmp_path / "wt").reset(repository.rev_parse("HEAD"))
    assert not list(tmp_path.glob("ran*"))


def test_the_users_own_global_filter_still_runs_on_an_assistant_commit(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text('[filter "upper"]\n\tclean = tr a-z A-Z\n\trequired = true\n')
    monkeypatch.setenv("HOME", str(home))
    (root / ".gitattributes").write_text("*.txt filter=upper\n")
    (root / "shout.txt").write_text("hello\n")
    commit = GitRepository(root).commit(["shout.txt", ".gitattributes"], "add")
    assert git.Repo(root).git.show(f"{commit}:shout.txt") == "HELLO"
