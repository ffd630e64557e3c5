"""Imports whose ids, kinds or chunks are unlike an index's own: the index keeps names and
kinds once (schema 15), the graph numbers files from their ids, and an import's texts are
checked and its FTS5 values made on worker processes (import_rows._texts_lines,
bulk.chunk_fts_values)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from assistant.index import IndexStore, bulk, import_rows
from assistant.index.packed import pack
from assistant.index.parse import digest
from assistant.testing import cli_env
from tests.cli_run import run_cli
from tests.test_index_transfer import (
    INFLATING_FILES,
    MODULES,
    ROWS_NOT_HELD,
    cold_contents,
    contents,
    exported,
    hostile,
    imported_with,
    index,
    make_team,
    refused,
)

BIG = 2**36  # 13 files' ids times this stay under the 2**40 an import may use


@pytest.fixture
def team(tmp_path: Path) -> dict[str, Path]:
    """Return the CI's checkout (`ci`) and a developer's clone (`dev`) of one repository."""
    return make_team(tmp_path)


def map_of(monkeypatch: Any, repo: Path, cache: Path) -> str:
    """Return `assistant map` of `repo` with its own cache (a cold build when it is empty)."""
    done = run_cli(monkeypatch, cli_env(cache), "map", "--repo", str(repo))
    assert done.code == 0, done.err
    return done.out


def moved_file(path: str, new_id: int) -> list[str]:
    """Return SQL giving the export's file at `path` the id `new_id`, its rows with it."""
    old = f"(SELECT id FROM files WHERE path = '{path}')"
    tables = ("symbols", "refs", "chunks", "file_texts")
    moves = [f"UPDATE {table} SET file_id = {new_id} WHERE file_id = {old}" for table in tables]
    return [*moves, f"UPDATE files SET id = {new_id} WHERE path = '{path}'"]


def test_file_ids_far_apart_give_the_map_of_a_cold_build(monkeypatch, team):
    """The graph numbers files from their ids without an array as long as the largest id
    (8 TiB for these)."""
    tables = ("symbols", "refs", "chunks", "file_texts")
    spread = [f"UPDATE {table} SET file_id = file_id * {BIG}" for table in tables]
    report = imported_with(monkeypatch, team, [*spread, f"UPDATE files SET id = id * {BIG}"])
    assert report["import"]["imported"] and report["import"]["dropped"] == 0
    assert report["parsed"] == 0
    cold = map_of(monkeypatch, team["dev"], team["tmp"] / "cold")
    assert map_of(monkeypatch, team["dev"], team["tmp"] / "dev-cache") == cold


def test_file_ids_no_index_gives_out_drop_their_file(monkeypatch, team):
    """A negative id wrapped around into another file's node; one past 2**40 would make the
    next ids overflow."""
    sql = moved_file("shop/part1.py", -7) + moved_file("shop/part2.py", 2**41)
    report = imported_with(monkeypatch, team, sql)
    assert report["import"]["imported"] and report["import"]["dropped"] == 2
    assert contents(Path(report["db"])) == cold_contents(monkeypatch, team)
    cold = map_of(monkeypatch, team["dev"], team["tmp"] / "cold")
    assert map_of(monkeypatch, team["dev"], team["tmp"] / "dev-cache") == cold


def test_kinds_no_parse_gives_drop_their_file(monkeypatch, team):
    """A kind is kept once for as long as the index lives and read with every graph: one that
    is not UTF-8 (every later map failed), 100,000 characters long or not a kind at all is not
    taken."""
    of = "WHERE file_id = (SELECT id FROM files WHERE path = 'shop/part{}.py')".format
    report = imported_with(monkeypatch, team, [
        f"UPDATE symbols SET kind = CAST(X'C3' AS TEXT) {of(1)}",
        f"UPDATE symbols SET kind = printf('%.*c', 100000, 'k') {of(2)}",
        f"UPDATE refs SET kind = 'teleport' {of(3)}",
    ])  # fmt: skip
    assert report["import"]["imported"] and report["import"]["dropped"] == 3
    assert contents(Path(report["db"])) == cold_contents(monkeypatch, team)
    cold = map_of(monkeypatch, team["dev"], team["tmp"] / "cold")
    assert map_of(monkeypatch, team["dev"], team["tmp"] / "dev-cache") == cold


def test_an_import_without_chunks_is_imported(monkeypatch, team):
    report = imported_with(monkeypatch, team, ["DELETE FROM chunks"])
    assert report["import"]["imported"], report["import"]


def _dies(*_: object) -> None:
    os._exit(3)  # as a worker killed for its memory would


@pytest.mark.parametrize("work", [(bulk, "_chunk_fts_range"), (import_rows, "_check_texts")])
def test_a_worker_that_dies_refuses_the_import_and_the_index_is_built(monkeypatch, team, work):
    artifact = exported(monkeypatch, team)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # workers, whatever this machine has
    monkeypatch.setattr(*work, _dies)
    report = index(monkeypatch, team["dev"], team["tmp"] / "dev-cache", "--import", str(artifact))
    error = report["import"]["error"]
    assert report["import"]["imported"] is False and "terminated abruptly" in error, error
    assert report["files"] == 13 and report["parsed"] == 13


def test_fts_values_of_a_shard_in_a_folder_named_like_a_uri(monkeypatch, team):
    """The workers open the shard read-only by a URI: `#`, `?` and `%` in the path are the
    path's own."""
    built = index(monkeypatch, team["ci"], team["tmp"] / "ci-cache")
    shard = team["tmp"] / "a#b?c%20d" / "shard.sqlite"
    shard.parent.mkdir()
    with IndexStore(Path(built["db"])) as store:
        store.export_shard(shard)
        chunks = store.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    for workers in (1, 2):
        rows = [row for batch in bulk.chunk_fts_values(shard, workers) for row in batch]
        assert len({row[0] for row in rows}) == len(rows) == chunks
    with sqlite3.connect(shard) as conn:
        assert conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == chunks


def on_workers(monkeypatch: Any, files_per_task: int) -> None:
    """Check an import's texts on 2 worker processes, `files_per_task` files a task."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # workers, whatever this machine has
    monkeypatch.setattr(import_rows, "TEXT_TASK_FILES", files_per_task)


def test_texts_checked_on_workers_drop_what_the_file_does_not_hold(monkeypatch, team):
    """Tasks of one file each: a planted text, a definition and a use the file does not have
    are each found by the worker that checks their file."""
    on_workers(monkeypatch, 1)
    real = MODULES["shop/part0.py"].encode()
    fake = real.replace(b"round(amount * (1 + rate), 2)", b"post(EVIL, amount)           ")
    report = imported_with(monkeypatch, team, [
        f"UPDATE files SET sha = '{digest(fake)}' WHERE path = 'shop/part0.py'",
        f"UPDATE file_texts SET packed = X'{pack(fake).hex()}' "
        "WHERE file_id = (SELECT id FROM files WHERE path = 'shop/part0.py')",
        *ROWS_NOT_HELD,
    ])  # fmt: skip
    assert report["import"]["imported"] and report["import"]["dropped"] == 3
    held = contents(Path(report["db"]))
    assert not any("post(EVIL" in chunk.text for chunk in held["chunks"])
    assert held == cold_contents(monkeypatch, team)


def test_texts_that_inflate_are_refused_whichever_worker_unpacks_them(monkeypatch, team):
    """The limit on what texts unpack to holds over all the tasks, each under it."""
    on_workers(monkeypatch, 50)
    artifact = exported(monkeypatch, team)
    hostile(artifact, team["tmp"], INFLATING_FILES)
    assert "far more than its size" in refused(monkeypatch, team, str(artifact))


def test_workers_share_one_budget_so_inflating_texts_stop_near_it(monkeypatch, team, tmp_path):
    """Each task once had the whole budget, so 2 workers unpacked 5 times it before the
    refusal; now they charge one count, and stop within a text each of it."""
    artifact = exported(monkeypatch, team)
    hostile(artifact, team["tmp"], INFLATING_FILES)
    shard = team["tmp"] / "hostile.sqlite"
    budget = shard.stat().st_size * import_rows.MAX_RATIO
    log = tmp_path / "hashed"
    log.touch()

    def hashed(data: bytes) -> str:  # (in the forked workers too)
        with log.open("a") as out:
            out.write(f"{len(data)}\n")
        return digest(data)

    monkeypatch.setattr(import_rows, "digest", hashed)
    monkeypatch.setattr(import_rows, "TEXT_TASK_FILES", 20)
    with pytest.raises(import_rows.ImportRefused, match="far more than its size"):
        import_rows._texts_lines(shard, 1024**2, budget, 2)
    unpacked = sum(map(int, log.read_text().split()))
    assert unpacked <= budget + 2 * 1024**2, (unpacked, budget)


def test_rows_that_make_the_check_read_a_long_line_again_and_again_are_refused(monkeypatch, team):
    """A thousand definitions of a name at the end of a 1 MiB line cost a gigabyte of searching
    (3.7 s here; a full-size file, hours): the lines searched are charged to the budget."""
    line = b"a" * (1024**2 - 3) + b"zq\n"
    of = "(SELECT id FROM files WHERE path = 'shop/part1.py')"
    report = imported_with(monkeypatch, team, [
        f"UPDATE files SET sha = '{digest(line)}' WHERE id = {of}",
        f"UPDATE file_texts SET packed = X'{pack(line).hex()}' WHERE file_id = {of}",
        "DELETE FROM refs", f"DELETE FROM symbols WHERE file_id = {of}",
        *[f"INSERT INTO symbols SELECT {of}, 'azq', 'function', 1, 1, 'azq', NULL"] * 1000,
    ])  # fmt: skip
    assert report["import"]["imported"] is False
    assert "far more than its size" in report["import"]["error"]


def test_a_line_number_of_thousands_of_digits_drops_its_file(monkeypatch, team):
    """int() refuses 4,300 digits with an error: such a number is no line of a file."""
    report = imported_with(monkeypatch, team, [
        "UPDATE refs SET lines = '1' || printf('%.*c', 5000, '0') WHERE file_id = "
        "(SELECT id FROM files WHERE path = 'shop/part1.py')",
    ])  # fmt: skip
    assert report["import"]["imported"] and report["import"]["dropped"] == 1


@pytest.mark.parametrize("uses", ["-5", "0", "2", str(2**63 - 1)])
def test_a_use_count_that_is_not_its_lines_count_drops_its_file(monkeypatch, team, uses):
    """A reference row's uses are how many lines it lists, in every index a parse makes: any
    other count is a crafted row (a huge one would send nearly all its file's rank along one
    name; two near 2**63 overflow the sum a graph takes of a file's uses of a name)."""
    of = "(SELECT id FROM files WHERE path = 'shop/part1.py')"
    report = imported_with(
        monkeypatch, team, [f"UPDATE refs SET uses = {uses} WHERE file_id = {of}"]
    )
    assert report["import"]["imported"] and report["import"]["dropped"] == 1
    assert contents(Path(report["db"])) == cold_contents(monkeypatch, team)
    cold = map_of(monkeypatch, team["dev"], team["tmp"] / "cold")
    assert map_of(monkeypatch, team["dev"], team["tmp"] / "dev-cache") == cold


FIRST_LINE = "substr(lines, 1, instr(lines || ' ', ' ') - 1)"  # a reference row's first line


@pytest.mark.parametrize(
    "lines, uses",
    [
        (f"{FIRST_LINE} || ' ' || {FIRST_LINE} || ' ' || {FIRST_LINE}", "3"),  # one line, again
        (f"{FIRST_LINE} || '   '", "4"),  # spaces after it, counted as uses
        (f"'0' || {FIRST_LINE}", "1"),  # a leading zero: the same line, written otherwise
    ],
    ids=["repeated", "padded", "leading zero"],
)
def test_reference_lines_not_written_as_a_parse_writes_them_drop_their_file(
    monkeypatch, team, lines, uses
):
    """A parse lists each line once, as its number: a row listing one line many times (with
    as many uses) would let a few bytes claim any count of uses (the review found 200,000
    imported, and a map ranked otherwise than a cold build's)."""
    of = "(SELECT id FROM files WHERE path = 'shop/part1.py')"
    sql = f"UPDATE refs SET lines = {lines}, uses = {uses} WHERE file_id = {of}"
    report = imported_with(monkeypatch, team, [sql])
    assert report["import"]["imported"] and report["import"]["dropped"] == 1
    assert contents(Path(report["db"])) == cold_contents(monkeypatch, team)


@pytest.mark.parametrize(
    "column, value",
    [
        ("signature", "hex(zeroblob(500000))"),  # a parse cuts a signature to 200 characters
        ("signature", "'def f(' || char(0) || hex(zeroblob(500000))"),  # length() stops at NUL
        ("kind", "'function' || char(0) || hex(zeroblob(500000))"),  # kept for the index's life
    ],
    ids=["long signature", "long past a NUL", "kind past a NUL"],
)
def test_a_definition_no_parse_makes_drops_its_file(monkeypatch, team, column, value):
    """The map reads signatures by the thousand (the review: three of 8 MB were imported and
    took half a gigabyte to map); SQLite counts characters only up to a NUL."""
    of = "(SELECT id FROM files WHERE path = 'shop/part1.py')"
    sql = f"UPDATE symbols SET {column} = {value} WHERE file_id = {of}"
    report = imported_with(monkeypatch, team, [sql])
    assert report["import"]["imported"] and report["import"]["dropped"] == 1
    assert contents(Path(report["db"])) == cold_contents(monkeypatch, team)
