"""Re-indexing named paths (an editor's save, an agent's new or removed file) applies the
listing's rules to those paths alone: what a whole listing would hold, without making one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import walk
from assistant.config import Settings
from assistant.context import search
from assistant.index import indexer, open_index
from assistant.index.indexer import update_paths
from assistant.testing import commit_files
from assistant.walk import candidate_files, walk_files

TREE = {
    "src/app.py": "def app_main():\n    return 1\n",
    "src/sub/deep.py": "def deep_value():\n    return 2\n",
    "src/[x]*.py": "def odd_name():\n    return 3\n",  # glob characters in a name
    "node_modules/pkg/index.js": "function vendored() {}\n",
    "ignored/kept_out.py": "def ignored_one():\n    return 4\n",
    "notes.log": "a log line\n",
    ".gitignore": "ignored/\n*.log\n",
    "README.md": "# readme\n",
}


def make_tree(root: Path) -> Path:
    for rel, text in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    os.symlink(root / "src", root / "linked_folder")
    os.symlink(root / "src" / "app.py", root / "linked_file.py")
    os.symlink(root / "nowhere", root / "dangling.py")
    return root


def every_path(root: Path) -> list[str]:
    """Every path under root, folders and links included, and some that do not exist."""
    found = ["missing.py", "src/missing/deep.py", "linked_folder/app.py", "src"]
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.append(str((Path(folder) / name).relative_to(root)))
    return found


def test_one_path_is_listed_exactly_when_the_walk_lists_it(tmp_path):
    root = make_tree(tmp_path)
    listed = walk_files(root)
    assert "src/[x]*.py" in listed and "linked_file.py" in listed and "dangling.py" in listed
    assert not {"notes.log", "ignored/kept_out.py", "node_modules/pkg/index.js"} & set(listed)
    for path in every_path(root):
        assert candidate_files(root, [path]) == ([path] if path in listed else []), path
    assert candidate_files(root, every_path(root)) == listed


def test_in_a_git_repository_the_named_paths_are_taken_literally(tmp_path):
    root = commit_files(tmp_path / "repo", {"src/app.py": "x = 1\n", "src/b.py": "y = 2\n"})
    (root / "src" / "*.py").write_text("z = 3\n")  # untracked, a glob for a name
    (root / ".gitignore").write_text("*.log\n")
    (root / "debug.log").write_text("log\n")
    assert candidate_files(root, ["src/*.py"]) == ["src/*.py"]
    assert candidate_files(root, ["debug.log", "src/app.py", "gone.py"]) == ["src/app.py"]
    assert candidate_files(root, []) == []


@pytest.fixture(params=["git", "plain"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    files = {"src/app.py": TREE["src/app.py"], ".gitignore": TREE[".gitignore"]}
    if request.param == "git":
        return commit_files(tmp_path / "repo", files)
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def no_whole_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        pytest.fail("the whole repository was listed")

    monkeypatch.setattr(walk, "walk_files", fail)
    monkeypatch.setattr(indexer, "update_index", fail)


def test_a_new_file_is_indexed_and_a_removed_one_dropped_without_a_whole_listing(
    repo, tmp_path, monkeypatch
):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        no_whole_listing(monkeypatch)
        (repo / "src" / "made.py").write_text("def made_by_agent():\n    return 5\n")
        stats = update_paths(store, repo, ["src/made.py"], settings.max_file_bytes)
        assert (stats.parsed, stats.added) == (1, 1)
        assert store.symbols(name="made_by_agent")
        (repo / "src" / "app.py").unlink()
        stats = update_paths(store, repo, ["src/app.py"], settings.max_file_bytes)
        assert stats.removed == 1 and store.file("src/app.py") is None


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("node_modules/lib/made.py", "vendored"),  # (a walk does not even list it)
        ("ignored/made.py", None),  # the .gitignore's
        ("made.log", None),
        (".env", "secret"),
        ("data/made.csv", "data"),
        (".git/hooks/made.py", None),  # git's own folder: never listed
    ],
)
def test_a_new_file_the_rules_leave_out_stays_out(repo, tmp_path, monkeypatch, path, reason):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        no_whole_listing(monkeypatch)
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("API_TOKEN = 'made_secret_value_123'\n")
        stats = update_paths(store, repo, [path], settings.max_file_bytes)
        assert store.file(path) is None and stats.parsed == 0
        said = {reason: [path]} if reason else {}
        assert stats.skipped == said or (reason == "vendored" and stats.skipped == {})


def test_an_indexed_file_replaced_by_a_hard_link_to_a_secret_leaves_the_index(repo, tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    (repo / ".env").write_text("API_TOKEN=hard_linked_secret_42\n")
    with open_index(repo, settings) as store:
        assert store.file("src/app.py") is not None
        (repo / "src" / "app.py").unlink()
        os.link(repo / ".env", repo / "src" / "app.py")
        stats = update_paths(store, repo, ["src/app.py"], settings.max_file_bytes)
        assert stats.skipped == {"secret": ["src/app.py"]}
        assert store.file("src/app.py") is None
        found = search(store, "hard_linked_secret_42", limit=5)
        assert not found.chunks and not found.files


@pytest.mark.parametrize(
    "path", ["../outside.py", "/etc/passwd", "src/../src/app.py", "./x.py", ""]
)
def test_a_path_that_is_not_a_clean_relative_one_lists_the_whole_repository(
    repo, tmp_path, monkeypatch, path
):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        whole = []
        real = indexer.update_index
        monkeypatch.setattr(indexer, "update_index", lambda *a: whole.append(1) or real(*a))
        update_paths(store, repo, [path], settings.max_file_bytes)
        assert whole == [1]
        assert all(not p.startswith(("..", "/")) for p in (r.path for r in store.files()))


def test_a_new_link_out_of_the_repository_is_not_read(repo, tmp_path, monkeypatch):
    outside = tmp_path / "outside.py"
    outside.write_text("def outside_secret_helper():\n    return 'private'\n")
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        no_whole_listing(monkeypatch)
        os.symlink(outside, repo / "src" / "linked.py")
        stats = update_paths(store, repo, ["src/linked.py"], settings.max_file_bytes)
        assert stats.skipped == {"link outside the repository": ["src/linked.py"]}
        assert store.file("src/linked.py") is None
        assert not store.symbols(name="outside_secret_helper")
