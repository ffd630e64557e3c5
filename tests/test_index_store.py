"""The index on real repositories: incremental updates, concurrent readers, bad input, CLI."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import db_path_for, open_index
from assistant.index.schema import SCHEMA_VERSION
from assistant.testing import cli_env, commit_files, init_repo


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")


FILES = {
    "pkg/core.py": "def compute():\n    return 1\n",
    "pkg/use.py": "from pkg.core import compute\n\n\ndef run():\n    return compute()\n",
    "pkg/other.py": "VALUE = 3\n",
}


def test_first_index_then_only_changes_are_reparsed(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    with open_index(root, settings) as store:
        assert store.last_stats.parsed == 3
        assert {s.name for s in store.symbols()} == {"compute", "run", "VALUE"}
    with open_index(root, settings) as store:
        assert (store.last_stats.parsed, store.last_stats.unchanged) == (0, 3)
    (root / "pkg" / "use.py").write_text("def run2():\n    pass\n")  # modify
    (root / "pkg" / "new.py").write_text("def fresh():\n    pass\n")  # add (untracked)
    (root / "pkg" / "other.py").unlink()  # delete
    os.utime(root / "pkg" / "core.py", None)  # touched, same content
    with open_index(root, settings) as store:
        stats = store.last_stats
        assert (stats.parsed, stats.removed) == (2, 1)
        assert {f.path for f in store.files()} == {"pkg/core.py", "pkg/use.py", "pkg/new.py"}
        assert {s.name for s in store.symbols()} == {"compute", "run2", "fresh"}
        assert store.references(name="compute") == []


def test_references_keep_every_line_of_a_name_used_many_times(tmp_path, settings):
    root = tmp_path / "repo"
    source = "from pkg.core import compute\n\nx = compute()\ny = compute() + compute()\n"
    commit_files(root, {**FILES, "pkg/many.py": source})
    with open_index(root, settings) as store:
        found = [(r.path, r.kind, r.line) for r in store.references(name="compute")]
        assert found == [
            ("pkg/many.py", "import", 1), ("pkg/many.py", "call", 3), ("pkg/many.py", "call", 4),
            ("pkg/use.py", "import", 1), ("pkg/use.py", "call", 5),
        ]  # fmt: skip
        # One row per file, name and kind, with the uses still counted one by one.
        rows = store.conn.execute(
            "SELECT count(*), sum(uses) FROM refs WHERE name = 'compute' AND kind = 'call'"
        ).fetchone()
        assert rows == (2, 3)


def test_a_rename_moves_the_symbols(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    open_index(root, settings).close()
    (root / "pkg" / "core.py").rename(root / "pkg" / "engine.py")
    with open_index(root, settings) as store:
        assert [s.path for s in store.symbols(name="compute")] == ["pkg/engine.py"]
        assert store.last_stats.parsed == 1 and store.last_stats.removed == 1


def test_search_finds_split_identifiers_and_symbols(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, {"a.py": "def parseHttpResponse(raw):\n    return raw\n", "b.py": "x = 1\n"})
    with open_index(root, settings) as store:
        (chunk, score), *_ = store.search_chunks("parse the http response")
        assert chunk.path == "a.py" and score > 0
        assert [s.path for s in store.search_symbols("parsehttpresponse")] == ["a.py"]
        assert [s.name for s in store.search_symbols("parseHttpRespons")] == ["parseHttpResponse"]


def test_warming_the_cache_runs_on_the_current_schema_and_changes_no_answer(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, {"a.py": "def parseHttpResponse(raw):\n    return raw\n", **FILES})
    with open_index(root, settings) as store:
        before = [(c.path, c.start_line) for c, _ in store.search_chunks("parse http compute")]
        store.warm_cache()  # INDEXED BY fails loudly if an index it names is gone
        after = [(c.path, c.start_line) for c, _ in store.search_chunks("parse http compute")]
    assert before == after and before


def _reader(db: str, rounds: int, queue: multiprocessing.Queue) -> None:
    errors = []
    conn = sqlite3.connect(db, timeout=30)
    for _ in range(rounds):
        try:
            files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
            symbols = conn.execute("SELECT count(DISTINCT file_id) FROM symbols").fetchone()[0]
            if symbols > files:
                errors.append(f"half state: {symbols} files with symbols, {files} files")
        except sqlite3.Error as error:
            errors.append(str(error))
    queue.put(errors)


def test_a_concurrent_reader_never_sees_errors_or_half_state(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(150)})
    open_index(root, settings, update=False).close()
    queue: multiprocessing.Queue = multiprocessing.Queue()
    reader = multiprocessing.Process(
        target=_reader, args=(str(db_path_for(root, settings)), 3000, queue)
    )
    reader.start()
    for round_ in range(3):
        for n in range(150):
            (root / f"m{n}.py").write_text(f"def g{n}_{round_}():\n    return {n}\n")
        open_index(root, settings).close()
    reader.join(60)
    assert queue.get(timeout=10) == []


def test_bad_inputs_give_a_usable_index_of_everything_else(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, {"good.py": "def good():\n    pass\n"})
    (root / "latin.py").write_bytes(b"def caf\xe9():\n    pass\n")
    (root / "image.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (root / "broken.py").write_text("def ok():\n    pass\ndef broken(:\n")
    with (root / "huge.py").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (root / "loop_a").symlink_to(root / "loop_b")
    (root / "loop_b").symlink_to(root / "loop_a")
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "app.min.js").write_text("var a=1;" * 10)
    with open_index(root, settings) as store:
        names = {s.name for s in store.symbols()}
        skipped = store.last_stats.skipped
    assert {"good", "ok"} <= names
    assert any(name.startswith("caf") for name in names)  # invalid UTF-8 decoded, not fatal
    assert "image.py" in skipped["binary"] and "huge.py" in skipped["too large"]
    assert "app.min.js" in skipped["generated"]
    assert {"loop_a", "loop_b", "dangling.py"} <= set(skipped["unreadable"])


@pytest.mark.parametrize("bulk", [False, True], ids=["incremental", "bulk build"])
def test_a_file_that_turns_binary_or_minified_leaves_the_index(
    tmp_path, settings, monkeypatch, bulk
):
    from assistant.index import indexer

    root = tmp_path / "repo"
    files = {f"m{n}.py": f"def keep_{n}():\n    return {n}\n" for n in range(12)}
    commit_files(root, files)
    with open_index(root, settings) as store:
        assert store.file("m3.py") is not None
    if bulk:  # every file changed, enough of them for the worker shards
        monkeypatch.setattr(indexer, "BULK_THRESHOLD", 5)
        for n in range(12):
            (root / f"m{n}.py").write_text(f"def again_{n}():\n    return {n}\n")
    (root / "m3.py").write_bytes(b"\x7fELF\x00\x00" + bytes(range(256)) * 4)
    (root / "m4.py").write_text("x=1;" * 2_000)  # one 8,000-character line
    with open_index(root, settings) as store:
        stats = store.last_stats
        assert store.file("m3.py") is None and store.file("m4.py") is None
        assert "m3.py" in stats.skipped["binary"] and "m4.py" in stats.skipped["minified"]
        assert stats.files == 10 and store.file("m5.py") is not None


def test_files_skipped_for_their_contents_do_not_look_new_on_the_next_update(
    tmp_path, settings, monkeypatch
):
    from assistant.index import indexer

    root = tmp_path / "repo"
    commit_files(root, {"good.py": "def good():\n    pass\n"})
    for n in range(4):
        (root / f"blob{n}.py").write_bytes(b"\x00\x01" * 100)
    monkeypatch.setattr(indexer, "BULK_THRESHOLD", 2)  # four "new" files would take that path
    with open_index(root, settings) as store:
        assert store.last_stats.parsed == 1
        first = store.state()
    with open_index(root, settings) as store:
        stats = store.last_stats
        assert store.state() == first  # nothing was written: no build over the skipped files
    assert stats.parsed == 0 and stats.files == 1
    assert sorted(stats.skipped["binary"]) == [f"blob{n}.py" for n in range(4)]


def test_a_file_deleted_between_listing_and_parsing_is_skipped(tmp_path, settings, monkeypatch):
    from assistant.index import indexer

    root = tmp_path / "repo"
    commit_files(root, FILES)
    real = indexer.list_files

    def listing_then_delete(*args, **kwargs):
        result = real(*args, **kwargs)
        (root / "pkg" / "other.py").unlink()
        return result

    monkeypatch.setattr(indexer, "list_files", listing_then_delete)
    with open_index(root, settings) as store:
        assert {f.path for f in store.files()} == {"pkg/core.py", "pkg/use.py"}


def test_a_plain_directory_and_an_empty_repository_work(tmp_path, settings):
    plain = tmp_path / "plain"
    (plain / "node_modules" / "x").mkdir(parents=True)
    (plain / "node_modules" / "x" / "index.js").write_text("function vendored() {}\n")
    (plain / "main.py").write_text("def main():\n    pass\n")
    (plain / ".gitignore").write_text("ignored.py\n")
    (plain / "ignored.py").write_text("def hidden():\n    pass\n")
    with open_index(plain, settings) as store:
        assert [f.path for f in store.files()] == [".gitignore", "main.py"]
    empty = tmp_path / "empty"
    init_repo(empty)
    with open_index(empty, settings) as store:
        assert store.files() == [] and store.last_stats.files == 0


def test_a_corrupt_or_old_database_is_rebuilt(tmp_path, settings, caplog):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    db = db_path_for(root, settings)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    with open_index(root, settings) as store:
        assert len(store.files()) == 3
        assert "rebuilding" in store.last_stats.notice
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    with open_index(root, settings) as store:
        assert len(store.files()) == 3 and "another version" in store.notice


def test_an_unwritable_cache_directory_falls_back_with_a_notice(tmp_path):
    if os.geteuid() == 0:
        cache = tmp_path / "file-not-dir"
        cache.write_text("x")  # a file where a directory should be: unwritable even for root
    else:
        cache = tmp_path / "ro"
        cache.mkdir(mode=0o500)
    root = tmp_path / "repo"
    commit_files(root, FILES)
    with open_index(root, Settings(cache_dir=cache)) as store:
        assert len(store.files()) == 3
        assert "not writable" in store.notice


def test_index_command_prints_json(tmp_path):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--json", "--repo", str(root)],
        env=cli_env(tmp_path / "cache"), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    assert (data["files"], data["parsed"], data["symbols"]) == (3, 3, 3)


def _open_new(db: str, queue: multiprocessing.Queue) -> None:
    from assistant.index.store import IndexStore

    try:
        IndexStore(Path(db)).close()
        queue.put("ok")
    except Exception as error:  # reported to the test, which fails on it
        queue.put(repr(error))


def test_two_processes_creating_the_same_new_database_both_succeed(tmp_path):
    db = tmp_path / "new.sqlite"
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_open_new, args=(str(db), queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(queue.get(timeout=5) for _ in workers) == ["ok"] * 4
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_the_index_state_changes_with_content_only(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    with open_index(root, settings) as store:
        first = store.state()
    with open_index(root, settings) as store:
        assert store.state() == first  # nothing changed: caches keyed on it stay valid
    (root / "pkg" / "core.py").write_text("def compute():\n    return 2\n")
    with open_index(root, settings) as store:
        assert store.state() != first


def test_a_query_scores_only_the_rows_of_its_rarest_terms_within_the_budget(
    tmp_path, settings, monkeypatch
):
    from assistant.index import fulltext

    monkeypatch.setattr(fulltext, "PRUNE_FROM_CHUNKS", 1)
    monkeypatch.setattr(fulltext, "MAX_SCORED_ROWS", 5)
    files = {f"m{i}.py": f"def handler_{i}(widget):\n    return widget\n" for i in range(4)}
    files.update({f"n{i}.py": f"def gadget_{i}(sprocket):\n    return 1\n" for i in range(3)})
    files["special.py"] = "def render_invoice(widget, sprocket):\n    return widget\n"
    for i in range(12):  # padding, so no term is common enough for the 20% rule
        files[f"pad{i}.py"] = f"def pad_{i}():\n    return {i}\n"
    commit_files(tmp_path / "repo", files)
    with open_index(tmp_path / "repo", settings) as store:
        # invoice (1 chunk) + sprocket (4) fit 5 rows; widget (5 more) does not.
        assert store.terms.selective(["widget", "sprocket", "invoice"]) == ["sprocket", "invoice"]
        # The rarest term stays even when it alone is over the budget.
        assert store.terms.selective(["widget"]) == ["widget"]
        assert store.search_chunks("widget sprocket invoice")[0][0].path == "special.py"


def test_a_query_term_in_most_chunks_is_left_out_of_a_big_index(tmp_path, settings, monkeypatch):
    from assistant.index import fulltext

    monkeypatch.setattr(fulltext, "PRUNE_FROM_CHUNKS", 1)
    files = {f"m{i}.py": f"def handler_{i}(request):\n    return request\n" for i in range(9)}
    files["special.py"] = "def render_invoice(request):\n    return request\n"
    commit_files(tmp_path / "repo", files)
    with open_index(tmp_path / "repo", settings) as store:
        assert store.terms.selective(["request", "invoice"]) == ["invoice"]
        hits = store.search_chunks("request invoice")
        assert [chunk.path for chunk, _ in hits] == ["special.py"]
        # Every term common: nothing selective would remain, so all are kept.
        assert store.terms.selective(["request", "return"]) == ["request", "return"]


def fts_is_consistent(store) -> bool:
    """FTS5's own check that its index matches the chunk rows it was built from (rank 1: also
    against the content, so a row deleted with other terms than it was indexed with fails)."""
    try:
        store.conn.execute(
            "INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)"
        )
    except sqlite3.DatabaseError:
        return False
    return True


def test_bulk_tasks_cover_every_file_once_and_shrink_towards_the_end():
    from assistant.index.bulk import TAIL_TASK_BYTES, TASK_FILES, plan_tasks

    sizes = {f"f{n}.py": 1_000 + (n * 7919) % 20_000 for n in range(3_000)}
    sizes["huge.py"] = 900_000
    tasks = plan_tasks(sizes, workers=2)
    assert sorted(path for task in tasks for path in task) == sorted(sizes)
    assert tasks[0][0] == "huge.py"
    assert all(len(task) <= TASK_FILES for task in tasks)
    weights = [sum(sizes[path] for path in task) for task in tasks]
    assert weights[0] > 10 * weights[-1]
    # The last tasks are small: no worker is left with a long batch while the other idles.
    assert all(weight < TAIL_TASK_BYTES + 21_000 for weight in weights[-5:])
    assert plan_tasks({}, workers=2) == []


def test_a_bulk_build_through_worker_shards_matches_a_file_by_file_one(
    tmp_path, settings, monkeypatch
):
    from assistant.index import bulk, indexer

    files = {f"pkg/m{n}.py": f"def func_{n}():\n    return helperCall{n}()\n" for n in range(40)}
    files["pkg/shared.py"] = "class SharedThing:\n    def run(self):\n        pass\n"
    root = tmp_path / "repo"
    commit_files(root, files)
    with open_index(root, Settings(cache_dir=tmp_path / "one-by-one")) as store:
        expected = (store.symbols(), store.references(), store.chunks())
    monkeypatch.setattr(indexer, "BULK_THRESHOLD", 10)
    monkeypatch.setattr(bulk, "TASK_FILES", 7)  # several shards, merged while others parse
    with open_index(root, settings) as store:
        assert store.last_stats.parsed == 41
        assert (store.symbols(), store.references(), store.chunks()) == expected
        assert store.search_chunks("helperCall7")[0][0].path == "pkg/m7.py"
        assert fts_is_consistent(store)
        indexes = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master")}
        assert {"symbols_name", "refs_name", "chunks_file"} <= indexes
    # Many files changed and some removed on an existing index: replaced, never doubled.
    for n in range(20):
        (root / f"pkg/m{n}.py").write_text(f"def renamed_{n}():\n    return 0\n")
    for n in range(30, 40):
        (root / f"pkg/m{n}.py").unlink()
    with open_index(root, settings) as store:
        names = [s.name for s in store.symbols()]
        assert store.last_stats.parsed == 20 and store.last_stats.removed == 10
        assert sorted(names) == sorted(
            [f"renamed_{n}" for n in range(20)]
            + [f"func_{n}" for n in range(20, 30)]
            + ["SharedThing", "run"]
        )
        assert "pkg/m35.py" not in {c.path for c, _ in store.search_chunks("helperCall35")}
        assert fts_is_consistent(store)
    assert not list((tmp_path / "cache").rglob("*.shards-*"))


def test_incremental_writes_keep_the_text_index_consistent(tmp_path, settings):
    root = tmp_path / "repo"
    commit_files(root, FILES)
    with open_index(root, settings) as store:
        assert fts_is_consistent(store)
    (root / "pkg" / "use.py").write_text("def run2():\n    return parseHttpResponse()\n")
    (root / "pkg" / "other.py").unlink()
    with open_index(root, settings) as store:
        assert fts_is_consistent(store)
        assert [c.path for c, _ in store.search_chunks("http response")] == ["pkg/use.py"]
        assert store.search_chunks("VALUE") == []


def test_an_edit_rewrites_only_the_chunks_that_changed(tmp_path, settings):
    root = tmp_path / "repo"
    head = "def alpha_part():\n    return 1\n\n\n"
    tail = "\n\ndef gamma_part():\n    return 3\n\n\ndef gamma_part():\n    return 3\n"
    commit_files(root, {"mod.py": head + "def beta_part():\n    return oldValueName\n" + tail})

    def chunk_ids(store) -> dict[str, list[int]]:
        rows = store.conn.execute("SELECT symbol, id FROM chunks ORDER BY start_line")
        found: dict[str, list[int]] = {}
        for symbol, chunk_id in rows:
            found.setdefault(symbol, []).append(chunk_id)
        return found

    with open_index(root, settings) as store:
        before = chunk_ids(store)
    edited = "def beta_part(extra):\n    return newValueName + extra\n\n\n# more\n"
    (root / "mod.py").write_text(head + edited + tail)
    with open_index(root, settings) as store:
        after = chunk_ids(store)
        assert after["alpha_part"] == before["alpha_part"]
        assert after["gamma_part"] == before["gamma_part"]  # both copies kept, lines moved
        assert after["beta_part"] != before["beta_part"]
        assert [s.start_line for s in store.symbols(name="gamma_part")] == [12, 16]
        gamma = [c.start_line for c in store.chunks("mod.py") if c.symbol == "gamma_part"]
        assert gamma == [12, 16]
        assert fts_is_consistent(store)
        assert store.search_chunks("newValueName")[0][0].symbol == "beta_part"
        assert not store.search_chunks("oldvaluename")  # the whole word, no parts
