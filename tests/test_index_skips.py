"""Files the index leaves out are remembered with the stat they were judged at: unchanged,
they are not judged again; changed, or judged under other rules, they are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from assistant import workspace
from assistant.config import Settings
from assistant.index import open_index
from assistant.index.indexer import update_paths
from assistant.testing import commit_files


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")


def repo(tmp_path: Path) -> Path:
    root = commit_files(
        tmp_path / "repo",
        {
            "app.py": "def run():\n    return 1\n",
            "data/table.csv": "a,b\n1,2\n",
            "vendor/lib.py": "def lib():\n    return 2\n",
            ".env": "API_TOKEN=abcdef123456\n",
            "notes.py": "def notes():\n    return 3\n",
        },
    )
    (root / "blob.py").write_bytes(b"\x00\x01" * 200)
    return root


def judged(monkeypatch) -> list[str]:
    """Record every path the skip rules look at."""
    seen: list[str] = []
    rule = workspace._skip_reason

    def spy(root, rel, max_bytes, ignore):
        seen.append(rel)
        return rule(root, rel, max_bytes, ignore)

    monkeypatch.setattr(workspace, "_skip_reason", spy)
    return seen


def test_a_first_build_remembers_the_files_its_workers_found_not_worth_indexing(
    tmp_path, settings, monkeypatch
):
    """A first build does not sniff while listing (its parse workers read every file anyway):
    the files they find binary are remembered too, so the next update opens none of them."""
    root = repo(tmp_path)
    with open_index(root, settings):
        pass
    seen = judged(monkeypatch)
    with open_index(root, settings) as store:
        assert store.last_stats.skipped["binary"] == ["blob.py"]
    assert seen == []
    (root / "blob.py").write_text("def blob():\n    return 4\n")
    with open_index(root, settings) as store:
        assert store.file("blob.py") is not None
    assert seen == ["blob.py"]


def test_a_file_rewritten_while_the_build_reads_it_is_judged_again(tmp_path, settings, monkeypatch):
    """A binary rewritten as source right after its worker read it is not remembered as binary
    under its new stat: the next update reads it again and indexes it."""
    from assistant.index import indexer

    root = repo(tmp_path)
    read = indexer.parse_one

    def rewritten_after_reading(root_: str, path: str, *args: Any) -> Any:
        outcome = read(root_, path, *args)
        if path == "blob.py":
            (root / "blob.py").write_text("def now_text():\n    return 'searchable'\n")
            os.utime(root / "blob.py", ns=(1, 10**18))  # a stat the read cannot have had
        return outcome

    monkeypatch.setattr(indexer, "parse_one", rewritten_after_reading)
    with open_index(root, settings) as store:
        assert store.last_stats.skipped["binary"] == ["blob.py"]
    monkeypatch.setattr(indexer, "parse_one", read)
    with open_index(root, settings) as store:
        assert "binary" not in store.last_stats.skipped
        assert store.file("blob.py") is not None


def test_unchanged_skipped_files_are_not_judged_again(tmp_path, settings, monkeypatch):
    root = repo(tmp_path)
    with open_index(root, settings) as store:
        assert store.file("app.py") is not None
    with open_index(root, settings):  # the update that sniffs blob.py and remembers it
        pass
    seen = judged(monkeypatch)
    with open_index(root, settings) as store:
        skipped = store.last_stats.skipped
    assert seen == []
    assert skipped["data"] == ["data/table.csv"] and skipped["vendored"] == ["vendor/lib.py"]
    assert skipped["secret"] == [".env"] and skipped["binary"] == ["blob.py"]


def test_a_changed_skipped_file_is_judged_again(tmp_path, settings, monkeypatch):
    root = repo(tmp_path)
    for _ in range(2):
        with open_index(root, settings):
            pass
    (root / "blob.py").write_text("def blob():\n    return 4\n")  # no longer binary
    seen = judged(monkeypatch)
    with open_index(root, settings) as store:
        assert store.file("blob.py") is not None
        assert store.symbols(name="blob")
    assert seen == ["blob.py"]


def test_other_rules_judge_every_skipped_file_again(tmp_path, settings, monkeypatch):
    root = repo(tmp_path)
    (root / ".assistantignore").write_text("notes.py\n")
    for _ in range(2):
        with open_index(root, settings) as store:
            assert store.file("notes.py") is None
    (root / ".assistantignore").write_text("")  # the user stops ignoring it
    with open_index(root, settings) as store:
        assert store.file("notes.py") is not None
    seen = judged(monkeypatch)
    with open_index(root, settings, update=True) as store:
        assert store.file(".env") is None  # a secret stays out, whatever is remembered
    assert seen == []
    with open_index(root, settings) as store:  # another size limit is another set of rules
        pass
    bigger = Settings(cache_dir=settings.cache_dir, max_file_bytes=settings.max_file_bytes * 2)
    with open_index(root, bigger):
        pass
    assert ".env" in seen and "data/table.csv" in seen


def test_a_skipped_file_replaced_by_a_link_is_judged_again(tmp_path, settings):
    root = repo(tmp_path)
    for _ in range(2):
        with open_index(root, settings):
            pass
    (root / "data" / "table.csv").unlink()
    (root / "data" / "table.csv").symlink_to(root / "app.py")
    with open_index(root, settings) as store:
        assert store.last_stats.skipped["data"] == ["data/table.csv"]  # still data, by name
    (root / "blob.py").unlink()
    (root / "blob.py").symlink_to(root / ".env")
    with open_index(root, settings) as store:
        assert store.file("blob.py") is None
        assert "blob.py" in store.last_stats.skipped["secret"]


def test_a_link_left_out_for_its_target_is_judged_again_when_the_target_changes(tmp_path, settings):
    root = repo(tmp_path)
    small = Settings(cache_dir=settings.cache_dir, max_file_bytes=200)
    (root / "big.py").write_text("def big():\n    return 1\n" + "# padding\n" * 40)
    (root / "alias.py").symlink_to(root / "big.py")
    for _ in range(2):
        with open_index(root, small) as store:
            assert store.file("alias.py") is None and store.file("big.py") is None
    (root / "big.py").write_text("def big():\n    return 1\n")  # the link itself is the same
    with open_index(root, small) as store:
        assert store.file("big.py") is not None and store.file("alias.py") is not None


def test_an_indexed_file_the_user_starts_ignoring_leaves_the_index(tmp_path, settings):
    root = repo(tmp_path)
    (root / ".assistantignore").write_text("# nothing yet\n")
    with open_index(root, settings) as store:
        assert store.symbols(name="run")
    (root / ".assistantignore").write_text("app.py\n")  # app.py itself stays as it was
    with open_index(root, settings) as store:
        assert store.file("app.py") is None
        assert not store.symbols(name="run")
        assert store.last_stats.skipped["ignored"] == ["app.py"]
        assert store.last_stats.parsed == 1  # .assistantignore: the rest judged, not re-parsed
    (root / ".assistantignore").write_text("")
    with open_index(root, settings) as store:
        assert store.symbols(name="run")


def test_new_rules_do_not_read_the_indexed_files_again(tmp_path, settings, monkeypatch):
    """Under an edited .assistantignore the indexed files go through the rules again, but their
    contents are not sniffed again (at 100,000 files that read took 40 s)."""
    root = repo(tmp_path)
    for _ in range(2):
        with open_index(root, settings):
            pass
    sniffed: list[str] = []
    sniff = workspace._sniffed_reason
    monkeypatch.setattr(workspace, "_sniffed_reason", lambda p: sniffed.append(p) or sniff(p))
    seen = judged(monkeypatch)
    (root / ".assistantignore").write_text("notes.py\n")
    with open_index(root, settings) as store:
        assert store.file("notes.py") is None and store.file("app.py") is not None
    assert "app.py" in seen  # judged again
    # the one new file, and the one left out for its content: none of the indexed files
    assert sorted(Path(p).name for p in sniffed) == [".assistantignore", "blob.py"]


def test_an_edit_under_new_rules_lists_everything_again(tmp_path, settings):
    root = repo(tmp_path)
    with open_index(root, settings) as store:
        (root / ".assistantignore").write_text("app.py\n")
        (root / "app.py").write_text("def run():\n    return 2\n")  # saved in the editor
        stats = update_paths(store, root, ["app.py"], settings.max_file_bytes)
        assert stats.skipped["ignored"] == ["app.py"]
        assert store.file("app.py") is None and not store.symbols(name="run")
