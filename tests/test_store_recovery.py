"""A damaged index database is kept aside and rebuilt wherever the damage shows; the rest is
reported as one clear error. Real repositories, real SQLite files with a page overwritten."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from assistant.agent.session import SessionLog
from assistant.config import Settings
from assistant.errors import IndexStoreError
from assistant.index import IndexCorrupted, IndexStore, db_path_for, open_index, query_index
from assistant.index.faults import store_errors
from assistant.index.indexer import update_index
from assistant.testing import cli_env, commit_files

ROOT = Path(__file__).resolve().parents[1]
DAMAGE = b"\xff" * 64
FILES = {
    "pkg/tokenizer.py": "def split_words(text):\n    return text.split()\n",
    "pkg/ranker.py": (
        "from pkg.tokenizer import split_words\n\n\n"
        "class Ranker:\n    def rank(self, text):\n        return sorted(split_words(text))\n"
    ),
    "pkg/cli.py": (
        "from pkg.ranker import Ranker\n\n\ndef main():\n    return Ranker().rank('b a')\n"
    ),
}


def assistant(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI on tmp_path/repo with an empty user config and a cache in tmp_path."""
    config = tmp_path / "config.toml"
    config.touch()
    env = cli_env(tmp_path / "cache", config, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args, "--repo", str(tmp_path / "repo")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def built_index(tmp_path: Path) -> Path:
    """Commit FILES in tmp_path/repo, index it with the CLI, return the database's path."""
    commit_files(tmp_path / "repo", FILES)
    result = assistant(tmp_path, "index")
    assert result.returncode == 0, result.stderr
    db = db_path_for(tmp_path / "repo", Settings(cache_dir=tmp_path / "cache"))
    assert db.is_file() and not Path(f"{db}-wal").exists()  # all of it in the main file
    return db


def damage(db: Path, table: str) -> int:
    """Overwrite the start of the root b-tree page of `table` (far past the file header);
    return the offset of the overwritten bytes."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        query = "SELECT rootpage FROM sqlite_master WHERE name = ?"
        (page,) = conn.execute(query, (table,)).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    assert page > 1
    with db.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(DAMAGE)
    return (page - 1) * size


def assert_opens_but_fails_later(db: Path, sql: str) -> None:
    """The damage is the kind that hides at open: the store opens; `sql` then fails."""
    with IndexStore(db) as store:
        assert store.notice == ""
        assert store.conn.execute("SELECT count(*) FROM files").fetchone() == (3,)
        with pytest.raises(sqlite3.DatabaseError, match=r"malformed|corrupt|vtable"):
            store.conn.execute(sql).fetchall()


def kept_aside(db: Path) -> list[Path]:
    """Return the damaged databases kept next to `db` (not their -wal and -shm files)."""
    found = db.parent.glob(f"{db.name}.corrupt-*")
    return sorted(path for path in found if not path.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("chunks", "SELECT * FROM chunks"),
        ("chunks_fts_data", "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'split'"),
    ],
)
def test_search_rebuilds_an_index_with_a_damaged_page(tmp_path, table, sql):
    db = built_index(tmp_path)
    offset = damage(db, table)
    assert_opens_but_fails_later(db, sql)
    result = assistant(tmp_path, "search", "--files", "--limit", "2", "split_words tokenizer")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pkg/tokenizer.py", "pkg/ranker.py"]
    assert "note: the index at" in result.stderr and "damaged" in result.stderr
    assert "Traceback" not in result.stderr
    (kept,) = kept_aside(db)
    assert kept.name in result.stderr
    assert kept.read_bytes()[offset : offset + len(DAMAGE)] == DAMAGE  # as found, for a report
    again = assistant(tmp_path, "search", "--files", "--limit", "1", "split_words")
    assert (again.returncode, again.stdout, again.stderr) == (0, "pkg/tokenizer.py\n", "")


def test_map_rebuilds_an_index_with_a_damaged_references_page(tmp_path):
    db = built_index(tmp_path)
    damage(db, "ref_rows")  # the references table (read as the refs view)
    assert_opens_but_fails_later(db, "SELECT * FROM refs")
    # The graph `assistant index` saved spares a map the references: without it, a map reads them.
    for kind in ("graph.npz", "map-symbols.npz"):
        db.with_name(f"{db.name}.{kind}").unlink()
    result = assistant(tmp_path, "map")
    assert result.returncode == 0, result.stderr
    assert "class Ranker" in result.stdout and "def split_words(text)" in result.stdout
    assert "note:" in result.stderr and "damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(kept_aside(db)) == 1


def test_an_update_that_writes_into_a_damaged_page_rebuilds_the_index(tmp_path):
    db = built_index(tmp_path)
    damage(db, "chunks")
    source = tmp_path / "repo" / "pkg" / "tokenizer.py"
    source.write_text(FILES["pkg/tokenizer.py"] + "\n\ndef join_words(words):\n    return words\n")
    # On a copy: the update's reads pass, and its write (replacing the edited file's chunks)
    # is what meets the damage.
    probe = tmp_path / "probe.sqlite"
    shutil.copy(db, probe)
    with IndexStore(probe) as store, pytest.raises(IndexCorrupted) as raised:
        assert len(store.files()) == 3
        with store_errors(probe):
            update_index(store, tmp_path / "repo", 1 << 20)
    frames = [frame.name for frame in traceback.extract_tb(raised.value.__cause__.__traceback__)]
    assert "write" in frames
    result = assistant(tmp_path, "index", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["files"], stats["parsed"], stats["symbols"]) == (3, 3, 5)
    assert "damaged" in stats["notice"] and "note:" in result.stderr
    assert len(kept_aside(db)) == 1
    found = assistant(tmp_path, "search", "--files", "--limit", "1", "join_words")
    assert found.stdout == "pkg/tokenizer.py\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")


def test_a_long_lived_store_recovers_in_place_and_stays_usable(tmp_path, settings):
    db = built_index(tmp_path)
    damage(db, "chunks")
    told: list[str] = []
    root = tmp_path / "repo"
    with open_index(root, settings) as store:  # the update reads nothing damaged
        chunks = query_index(store, root, settings, lambda s: s.chunks(), notice=told.append)
        assert {chunk.path for chunk in chunks} == set(FILES)
        assert [s.name for s in store.symbols(name="rank")] == ["rank"]
    (notice,) = told
    assert "damaged" in notice and kept_aside(db)[0].name in notice


def test_a_second_store_on_the_same_damage_leaves_the_rebuilt_database_alone(tmp_path, settings):
    db = built_index(tmp_path)
    damage(db, "chunks")
    root = tmp_path / "repo"
    told: list[str] = []
    with IndexStore(db) as first, IndexStore(db) as second:
        for store in (first, second):
            chunks = query_index(store, root, settings, lambda s: s.chunks(), notice=told.append)
            assert len(chunks) >= 3
        assert first.state() == second.state()  # both on the one rebuilt database
        (kept,) = kept_aside(db)
        # The second store still had the damaged file open: its journal went along with it.
        assert Path(f"{kept}-wal").is_file() and Path(f"{kept}-shm").is_file()
    assert "replaced it already" in told[1]


def test_a_full_disk_is_reported_and_the_index_kept(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    with open_index(root, settings) as store:
        (pages,) = store.conn.execute("PRAGMA page_count").fetchone()
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk is full"
        for n in range(40):
            body = "".join(f"    value_{n}_{line} = {line}\n" for line in range(200))
            (root / f"big{n}.py").write_text(f"def f{n}():\n{body}")
        with pytest.raises(IndexStoreError, match="no space left") as raised:
            query_index(store, root, settings, lambda s: None, update=True)
    assert not isinstance(raised.value, IndexCorrupted) and "disk space" in raised.value.hint
    assert kept_aside(db_path_for(root, settings)) == []


def test_a_lock_held_too_long_is_reported_and_the_index_kept(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    db = db_path_for(root, settings)
    with open_index(root, settings) as store:
        (root / "pkg" / "new.py").write_text("def fresh():\n    pass\n")
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        store.conn.execute("PRAGMA busy_timeout = 50")
        try:
            with pytest.raises(IndexStoreError, match="locked") as raised:
                query_index(store, root, settings, lambda s: None, update=True)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert not isinstance(raised.value, IndexCorrupted) and "try again" in raised.value.hint
    assert kept_aside(db) == []


def test_damage_found_again_right_after_the_rebuild_is_one_clear_error(tmp_path, settings):
    db = built_index(tmp_path)
    root = tmp_path / "repo"

    def failing_disk(store: IndexStore) -> None:
        """Every time: the file is damaged under the store, as by a failing disk."""
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        damage(store.db_path, "chunks")
        with contextlib.closing(sqlite3.connect(store.db_path)) as fresh:
            fresh.execute("SELECT * FROM chunks").fetchall()

    store = open_index(root, settings)
    with store, pytest.raises(IndexStoreError, match="damaged again") as raised:
        query_index(store, root, settings, failing_disk, notice=lambda text: None)
    assert not isinstance(raised.value, IndexCorrupted) and "disk" in raised.value.hint
    assert len(kept_aside(db)) == 1


def test_a_session_log_that_cannot_write_keeps_the_conversation(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the sessions folder should be")
    log = SessionLog.new(blocker / "sessions")
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    with caplog.at_level(logging.WARNING, logger="assistant.agent.session"):
        for message in messages:
            log.append(message)
    assert log.messages() == messages
    assert "cannot save the session" in log.notice
    assert len([r for r in caplog.records if "cannot save the session" in r.message]) == 1


def test_a_session_log_that_fails_midway_keeps_the_later_messages_in_memory(tmp_path):
    folder = tmp_path / "sessions"
    log = SessionLog.new(folder)
    log.append({"role": "user", "content": "one"})
    log.path.unlink()
    log.path.mkdir()  # the file is now a folder: the next write fails
    log.append({"role": "assistant", "content": "two"})
    assert [m["content"] for m in log.messages()] == ["two"]
    assert log.unsaved == [{"role": "assistant", "content": "two"}]
