"""Commands in the bubblewrap sandbox: what a hostile command can and cannot do, for real."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import sys
from pathlib import Path

import git
import pytest

from assistant.testing import commit_files, tree_digest
from assistant.tools.run_command import sandbox_for
from tests.security.sandbox_support import (
    CANARY,
    REPO_FILES,
    make_home,
    needs_bwrap,
    settings,
    sh,
)

pytestmark = needs_bwrap


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_home(tmp_path, monkeypatch)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", REPO_FILES, "first")


@pytest.fixture
def listener():
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


async def test_writing_in_the_repository_works(root, home):
    code, output = await sh("echo made > new.txt && mkdir -p d/e && echo deep > d/e/f", root, home)
    assert code == 0, output
    assert (root / "new.txt").read_text() == "made\n"
    assert (root / "d" / "e" / "f").read_text() == "deep\n"


async def test_a_command_cannot_write_outside_the_repository(root, home, tmp_path):
    code, output = await sh(f"echo x > {home}/outside.txt", root, home)
    assert code != 0
    assert "Read-only file system" in output
    # The rest of /tmp is a private tmpfs: a write there may succeed but never lands here.
    await sh(f"echo x > {tmp_path}/outside.txt", root, home)
    code, _ = await sh(f"touch {Path(sys.executable).parent}/planted", root, home)
    assert code != 0
    assert not (home / "outside.txt").exists()
    assert not (tmp_path / "outside.txt").exists()
    assert not (Path(sys.executable).parent / "planted").exists()


async def test_with_the_sandbox_off_the_same_write_succeeds(root, home):
    code, output = await sh(f"echo x > {home}/outside.txt", root, home, "off")
    assert code == 0, output
    assert (home / "outside.txt").read_text() == "x\n"


async def test_a_command_cannot_read_the_users_secrets(root, home):
    command = (
        "cat ~/.gitconfig; cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc; ls -la ~/.ssh; "
        "cat ~/.cache/assistant/index.txt; ln -s ~/.ssh/id_rsa key-link && cat key-link; "
        "umount ~/.ssh; cat ~/.ssh/id_rsa; mount -o remount,rw / && echo remounted"
    )
    _, output = await sh(command, root, home)
    assert "visible-home-marker" in output  # the home folder itself is there, read-only
    assert CANARY not in output
    assert "remounted" not in output


async def test_secrets_folders_in_the_repository_stay_hidden(tmp_path, monkeypatch):
    # A home inside the repository: the hidden folders are then in a writable tree.
    root = commit_files(tmp_path / "repo", REPO_FILES, "first")
    home = make_home(root, monkeypatch)
    _, output = await sh("cat home/.ssh/id_rsa; rm -rf home/.ssh; cat ~/.aws/*", root, home)
    assert CANARY not in output
    assert (home / ".ssh" / "id_rsa").read_text().count(CANARY) == 1


async def test_a_command_has_no_network(root, home, listener):
    script = f"import socket; socket.create_connection(('127.0.0.1', {listener}), 5)"
    connect = f'{sys.executable} -c "{script}"'
    code, output = await sh(connect, root, home)
    assert code != 0
    assert "OSError" in output or "Error" in output
    code, output = await sh(connect, root, home, "off")
    assert code == 0, output
    code, output = await sh(connect, root, home, sandbox_network=True)
    assert code == 0, output


async def test_a_command_cannot_write_into_git(root, home):
    before = tree_digest(root / ".git")
    for command in (
        "echo '[core]' >> .git/config",
        "touch .git/hooks/pre-commit",
        "echo evil > .git/hooks/post-checkout",
        "rm -rf .git",
        "mv .git moved",
        "git add a.txt && git commit -qm sneaky --allow-empty",
        "git config core.fsmonitor 'touch /tmp/pwned'",
    ):
        code, output = await sh(command, root, home)
        assert code != 0, (command, output)
    assert tree_digest(root / ".git") == before
    assert [c.message.strip() for c in git.Repo(root).iter_commits()] == ["first"]


async def test_git_writable_lets_a_commit_through(root, home):
    command = "echo b > b.txt && git add b.txt && git commit -qm 'from the sandbox'"
    code, output = await sh(command, root, home, git_writable=True)
    assert code == 0, output
    assert git.Repo(root).head.commit.message.strip() == "from the sandbox"


async def test_a_hooks_path_in_the_repository_is_read_only_even_when_git_is_writable(root, home):
    (root / ".githooks").mkdir()
    git.Repo(root).git.config("core.hooksPath", ".githooks")
    for writable in (False, True):
        code, _ = await sh("echo evil > .githooks/pre-commit", root, home, git_writable=writable)
        assert code != 0
    assert not (root / ".githooks" / "pre-commit").exists()


async def test_the_repository_assistant_folder_is_read_only(root, home):
    (root / ".assistant").mkdir()
    (root / ".assistant" / "config.toml").write_text("temperature = 0.2\n")
    code, _ = await sh("echo 'permission_mode = \"yolo\"' >> .assistant/config.toml", root, home)
    assert code != 0
    assert (root / ".assistant" / "config.toml").read_text() == "temperature = 0.2\n"


async def test_a_worktree_keeps_its_git_files_read_only(root, home, tmp_path):
    worktree = tmp_path / "wt"
    git.Repo(root).git.worktree("add", "--detach", str(worktree))
    before = tree_digest(root / ".git")
    dot_git = (worktree / ".git").read_text()
    for command in (
        "echo 'gitdir: /tmp/evil' > .git",
        'touch "$(git rev-parse --git-dir)/planted"',
        'touch "$(git rev-parse --git-common-dir)/planted"',
    ):
        code, output = await sh(command, worktree, home)
        assert code != 0, (command, output)
    assert (worktree / ".git").read_text() == dot_git
    assert tree_digest(root / ".git") == before
    commit = "echo w > w.txt && git add w.txt && git commit -qm 'in the worktree'"
    code, output = await sh(commit, worktree, home, git_writable=True)
    assert code == 0, output
    assert git.Repo(worktree).head.commit.message.strip() == "in the worktree"


async def test_a_batch_worktree_inside_the_hidden_cache_still_works(root, home):
    worktree = home / ".cache" / "assistant" / "worktrees" / "slot-1"
    git.Repo(root).git.worktree("add", "--detach", str(worktree))
    command = "echo hi > made.txt && cat made.txt && git status --short && cat ../../index.txt"
    code, output = await sh(command, worktree, home)
    assert output.startswith("hi\n?? made.txt\n")
    assert CANARY not in output
    assert code != 0  # the rest of the cache is not there


async def test_a_forged_git_file_opens_nothing_outside_the_repository(root, home):
    shutil.rmtree(root / ".git")
    (home / "HEAD").write_text("ref: refs/heads/main\n")  # enough to pass for a git folder
    (root / ".git").write_text(f"gitdir: {home}\n")
    code, _ = await sh("touch ~/planted", root, home, git_writable=True)
    assert code != 0
    assert not (home / "planted").exists()


async def test_a_link_in_the_repository_shows_nothing_of_the_hosts_tmp(root, home, tmp_path):
    (tmp_path / "host-tmp-file").write_text(CANARY)
    (root / ".assistant").symlink_to(tmp_path)
    (root / ".githooks").symlink_to(tmp_path)
    git.Repo(root).git.config("core.hooksPath", ".githooks")
    _, output = await sh("cat .assistant/host-tmp-file .githooks/host-tmp-file", root, home)
    assert CANARY not in output


async def test_a_submodule_git_file_is_read_only(root, home, tmp_path):
    repo = git.Repo(root)
    sha = repo.head.commit.hexsha
    repo.git.update_index("--add", "--cacheinfo", f"160000,{sha},sub")
    (root / "sub").mkdir()
    (root / "sub" / ".git").write_text(f"gitdir: {tmp_path}/modules/sub\n")
    code, _ = await sh("echo 'gitdir: evil' > sub/.git", root, home)
    assert code != 0
    assert (root / "sub" / ".git").read_text() == f"gitdir: {tmp_path}/modules/sub\n"


async def test_read_only_mode_refuses_writes_in_the_repository(root, home):
    code, output = await sh("echo x > new.txt", root, home, "read-only")
    assert code != 0
    assert "Read-only file system" in output
    assert not (root / "new.txt").exists()
    code, output = await sh("cat a.txt", root, home, "read-only")
    assert (code, output) == (0, "a\n")


async def test_a_private_tmp_is_writable(root, home):
    code, output = await sh('echo t > "$TMPDIR/t" && cat /tmp/t && echo s > /dev/shm/s', root, home)
    assert (code, output) == (0, "t\n")


async def test_a_symlinked_repository_root_is_followed(root, home, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(root)
    code, _ = await sh("echo via > via.txt; touch .git/planted", link, home)
    assert code != 0
    assert (root / "via.txt").read_text() == "via\n"
    assert not (root / ".git" / "planted").exists()


async def test_home_unset_falls_back_to_the_password_database(root, home, monkeypatch):
    monkeypatch.delenv("HOME")
    policy = sandbox_for(settings(home), root)
    real_home = Path(os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir))
    assert policy.homes == (real_home,)
    code, output = await sh('echo "$HOME"', root, home)
    assert (code, output.strip()) == (0, str(real_home))


async def test_the_sandbox_runs_the_projects_tests_with_the_venv_python(root, home):
    (root / "test_it.py").write_text("def test_ok():\n    assert True\n")
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider test_it.py"
    code, output = await sh(command, root, home)
    assert code == 0, output
    assert "1 passed" in output
