"""A cache directory that cannot be written never stops a command, and the fallback under the
shared temp dir cannot be hijacked by another user (a planted link, a folder not ours)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.config.paths import cache_notice, cache_root, private_temp_dir
from assistant.testing import cli_env, commit_files

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "main.py": "from calc import add\n\n\ndef main():\n    return add(1, 2)\n",
}


@pytest.fixture
def blocked(tmp_path: Path) -> dict[str, Path]:
    """A repository, a cache dir that can never be made (its parent is a regular file, so not
    even root can), and a private temp dir for the fallback."""
    commit_files(tmp_path / "repo", FILES)
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    (tmp_path / "config.toml").touch()
    return {
        "repo": tmp_path / "repo",
        "cache": tmp_path / "file" / "cache",
        "tmp": tmp_path / "tmp",
        "config": tmp_path / "config.toml",
    }


def assistant(paths: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with the unwritable cache dir and the test's own temp dir."""
    env = cli_env(paths["cache"], paths["config"], TMPDIR=str(paths["tmp"]), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "assistant", *args, "--repo", str(paths["repo"])]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def fallback_of(paths: dict[str, Path]) -> Path:
    return paths["tmp"] / f"assistant-{os.getuid()}"


def assert_private(folder: Path) -> None:
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) == 0o700


def test_index_and_search_work_with_an_unwritable_cache_dir(blocked):
    indexed = assistant(blocked, "index", "--json")
    assert indexed.returncode == 0, indexed.stderr
    assert json.loads(indexed.stdout)["symbols"] == 2
    assert "is not writable" in indexed.stderr and str(fallback_of(blocked)) in indexed.stderr
    assert_private(fallback_of(blocked))
    assert list((fallback_of(blocked) / "index").glob("repo-*.sqlite"))
    found = assistant(blocked, "search", "--files", "--limit", "1", "add numbers")
    assert found.returncode == 0, found.stderr
    assert found.stdout == "calc.py\n"  # stdout holds only paths; the notice is on stderr
    assert "is not writable" in found.stderr and "Traceback" not in found.stderr


def test_an_agent_run_works_with_an_unwritable_cache_dir(blocked, scripted_server):
    server = scripted_server({"turns": [{"text": "Nothing to change."}]})
    endpoint = ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]
    result = assistant(blocked, "run", "x", "--json", *endpoint)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [event["event"] for event in events][-2:] == ["Done", "Outcome"]
    assert "is not writable" in result.stderr and "Traceback" not in result.stderr
    (session,) = (fallback_of(blocked) / "sessions").glob("repo-*/*.jsonl")
    assert "Nothing to change." in session.read_text()
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert "calc.py" in system  # the index worked too: the repo map reached the prompt


def test_the_cache_notice_is_logged_once_and_kept(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "file").write_text("x")
    settings = Settings(cache_dir=tmp_path / "file" / "cache")
    assert cache_root(settings) == cache_root(settings) == tmp_path / f"assistant-{os.getuid()}"
    assert "is not writable" in cache_notice(settings)
    warned = [r for r in caplog.records if r.name == "assistant.config.paths"]
    assert len(warned) == 1 and warned[0].getMessage() == cache_notice(settings)
    writable = Settings(cache_dir=tmp_path / "fine")
    assert (cache_root(writable), cache_notice(writable)) == (tmp_path / "fine", "")


def test_a_link_planted_at_the_fallback_name_is_not_followed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir(mode=0o777)
    (tmp_path / f"assistant-{os.getuid()}").symlink_to(elsewhere)
    folder = private_temp_dir()
    assert folder.parent == tmp_path and not folder.is_symlink()
    assert folder.resolve() != elsewhere.resolve()
    assert_private(folder)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_of_another_user_at_the_fallback_name_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    theirs = tmp_path / f"assistant-{os.getuid()}"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    folder = private_temp_dir()
    assert folder != theirs and folder.parent == tmp_path
    assert_private(folder)


def test_our_fallback_folder_left_open_to_others_is_closed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ours = tmp_path / f"assistant-{os.getuid()}"
    ours.mkdir()
    ours.chmod(0o777)
    assert private_temp_dir() == ours
    assert_private(ours)
