"""Derived data brought forward after edits equals what a fresh build makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.context import cache, graph, repo_map, search
from assistant.context.graph_update import nodes_from, update_graph
from assistant.context.repomap import ranked_symbols, shared_graph
from assistant.index import open_index
from assistant.index.indexer import update_paths
from assistant.testing import commit_files

FILES = {
    "app/core.py": "class Engine:\n    def start(self):\n        return make_config()\n\n\n"
    "def make_config():\n    return {}\n",
    "app/jobs.py": "from app.core import Engine\n\n\ndef run_job():\n    return Engine().start()\n",
    "app/util.py": "def helper_value():\n    return 1\n",
    "app/cli.py": "from app.jobs import run_job\n\n\ndef main():\n"
    "    return run_job() + helper_value()\n",
}
EDITS = [
    # a use added, one dropped
    ("app/cli.py", "def main():\n    return make_config() and Engine()\n"),
    # a second definer of a used name: its edges now split between two files
    ("app/util.py", "def helper_value():\n    return 1\n\n\ndef make_config():\n    return 2\n"),
    # a method becomes a top-level function (member weight changes everywhere it is used)
    (
        "app/core.py",
        "def start():\n    return make_config()\n\n\ndef make_config():\n    return {}\n",
    ),
    # a third definer: too many for MAX_DEFINERS (patched to 2), the name's edges go
    ("app/jobs.py", "def run_job():\n    return start()\n\n\ndef make_config():\n    return 3\n"),
    # back below the limit, and two files at once
    ("app/jobs.py", "def run_job():\n    return start() + make_config()\n"),
    ("app/util.py", "def helper_value():\n    return Engine\n"),
]


def edges(g: graph.FileGraph) -> dict[tuple[str, str, str], float]:
    pairs = zip(*(a.tolist() for a in g.edges), strict=True)
    found: dict[tuple[str, str, str], float] = {}
    for s, d, n, w in pairs:
        key = (g.paths[s], g.paths[d], g.names[n])
        found[key] = found.get(key, 0.0) + w
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", FILES)


def test_the_graph_map_and_search_after_edits_equal_a_fresh_build(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(graph, "MAX_DEFINERS", 2)
    builds = []
    real_build = graph.build_graph
    monkeypatch.setattr(graph, "build_graph", lambda store: builds.append(1) or real_build(store))
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        shared_graph(store, cache.index_state(store))
        for path, text in EDITS:
            (repo / path).write_text(text)
            assert update_paths(store, repo, [path], settings.max_file_bytes).parsed == 1
            carried = shared_graph(store, cache.index_state(store))
            fresh = real_build(store)
            assert edges(carried) == pytest.approx(edges(fresh))
            assert carried.defined_in == fresh.defined_in
            weights = {n: carried.multiplier[i] for n, i in carried.name_ids.items()}
            assert weights == pytest.approx(
                {n: fresh.multiplier[i] for n, i in fresh.name_ids.items() if i < len(fresh.names)}
                | {n: 0.0 for n in set(carried.name_ids) - set(fresh.name_ids)}
            )
            brought = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
            text = repo_map(store, 1024, focus=["app/cli.py"])
            hits = [hit.path for hit in search(store, "make config engine").files]
            cache._memory.clear()
            cache._latest.clear()
            assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)] == brought
            assert repo_map(store, 1024, focus=["app/cli.py"]) == text
            assert [hit.path for hit in search(store, "make config engine").files] == hits
            real_build(store)  # the fresh graph is now this state's; carry on from it
    # once at first: with the memory cleared, the graph saved on disk is brought forward
    assert len(builds) == 1


def test_lookups_carried_through_edits_equal_fresh_ones(repo, tmp_path, monkeypatch):
    """The sorted definition keys and each definition's own use are carried forward through
    an update instead of sorted again; they must equal what the updated graph computes."""
    monkeypatch.setattr(graph, "MAX_DEFINERS", 2)
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        current = graph.build_graph(store)
        for lookup in ("own_use", "def_lookup", "use_by_name"):
            getattr(current, lookup)  # computed, as a ranking does
        for path, text in EDITS * 2:
            (repo / path).write_text(text)
            update_paths(store, repo, [path], settings.max_file_bytes)
            updated = update_graph(current, store, {path})
            assert updated is not None
            assert {"own_use", "def_lookup", "use_by_name"} <= updated.__dict__.keys()  # carried
            assert updated.own_use.tolist() == graph.FileGraph.own_use.func(updated).tolist()
            keys, order = updated.def_lookup
            fresh_keys, fresh_order = graph.FileGraph.def_lookup.func(updated)
            assert keys.tolist() == fresh_keys.tolist() and order.tolist() == fresh_order.tolist()
            fresh_by_name = graph.FileGraph.use_by_name.func(updated)
            assert updated.use_by_name.tolist() == fresh_by_name.tolist()
            current = updated


def test_positions_brought_past_edits_equal_fresh_ones(repo, tmp_path, monkeypatch):
    """Each symbol's definition row is renumbered with the graph after an edit, the edited
    files' looked up again: the same rows as a lookup of all of them."""
    from assistant.context import map_table, repomap

    monkeypatch.setattr(graph, "MAX_DEFINERS", 2)
    looked_up = []
    real_of = map_table.Positions.of.__func__
    monkeypatch.setattr(
        map_table.Positions,
        "of",
        classmethod(lambda c, t, g: looked_up.append(1) or real_of(c, t, g)),
    )
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        ranked_symbols(store)
        for path, text in EDITS * 2:
            (repo / path).write_text(text)
            update_paths(store, repo, [path], settings.max_file_bytes)
            ranked_symbols(store)
            state = cache.index_state(store)
            current = shared_graph(store, state)
            table = repomap._symbol_table(store, current, state)
            carried = cache._memory[(state, "map-positions")]
            assert carried.rows.tolist() == table.positions(current).tolist()
    assert len(looked_up) == 1  # every edit's positions were brought forward


def test_an_added_file_joins_the_graph(repo, tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        before = shared_graph(store, cache.index_state(store))
        (repo / "app/new.py").write_text("def fresh_one():\n    return helper_value()\n")
        update_paths(store, repo, ["app/new.py"], settings.max_file_bytes)
        after = shared_graph(store, cache.index_state(store))
        assert "app/new.py" in after.nodes and "app/new.py" not in before.nodes
        assert ("app/new.py", "app/util.py", "helper_value") in edges(after)
        assert "fresh_one" in repo_map(store, 1024)


# Files added, removed and renamed (paths before and after every existing one, so the files
# are numbered again on both sides): (path, text or None to remove), one step per list.
CAME_AND_WENT = [
    [("aaa/first.py", "def first_helper():\n    return make_config()\n")],
    [("app/util.py", None)],  # helper_value loses its only definer
    [("app/jobs.py", None), ("app/zjobs.py", FILES["app/jobs.py"])],  # a rename
    [("zzz/last.py", "def helper_value():\n    return Engine\n"),  # defined again
     ("app/cli.py", "def main():\n    return first_helper() + run_job()\n")],
    [("aaa/first.py", None), ("app/core.py", None)],
]  # fmt: skip


def test_the_graph_and_map_past_files_added_and_removed_equal_a_fresh_build(
    repo, tmp_path, monkeypatch
):
    """Files that come or go are numbered again in path order, as a build numbers them: the
    graph, the map's table and positions brought forward equal a fresh build's, and the
    graph is built once."""
    from assistant.context import map_table, repomap

    builds = []
    real_build = graph.build_graph
    monkeypatch.setattr(graph, "build_graph", lambda store: builds.append(1) or real_build(store))
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        repo_map(store, 1024, focus=["app/cli.py"])
        for step in CAME_AND_WENT:
            for path, text in step:
                if text is None:
                    (repo / path).unlink()
                else:
                    (repo / path).parent.mkdir(exist_ok=True)
                    (repo / path).write_text(text)
            update_paths(store, repo, [path for path, _ in step], settings.max_file_bytes)
            state = cache.index_state(store)
            carried = shared_graph(store, state)
            assert nodes_from(carried) is not None  # brought forward, its files renumbered
            fresh = real_build(store)
            assert carried.paths == fresh.paths
            assert edges(carried) == pytest.approx(edges(fresh))
            assert carried.defined_in == fresh.defined_in
            assert {"own_use", "def_lookup", "use_by_name"} <= carried.__dict__.keys()  # carried
            for lookup in ("own_use", "use_by_name"):
                fresh_lookup = getattr(graph.FileGraph, lookup).func(carried)
                assert getattr(carried, lookup).tolist() == fresh_lookup.tolist()
            keys, order = carried.def_lookup
            fresh_keys, fresh_order = graph.FileGraph.def_lookup.func(carried)
            assert keys.tolist() == fresh_keys.tolist() and order.tolist() == fresh_order.tolist()
            table = repomap._symbol_table(store, carried, state)
            built = map_table.SymbolTable.build(store, carried)
            for column in map_table.COLUMNS:
                assert getattr(table, column).tolist() == getattr(built, column).tolist()
            brought = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
            text = repo_map(store, 1024, focus=["app/zjobs.py"])
            fresh_cache = tmp_path / f"fresh-{len(builds)}"  # another index, built from nothing
            with open_index(repo, Settings(cache_dir=fresh_cache)) as other:
                assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(other)] == brought
                assert repo_map(other, 1024, focus=["app/zjobs.py"]) == text
            cache._memory.clear()  # as a new process: the copy on disk brought forward
            cache._latest.clear()
            assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)] == brought
            assert repo_map(store, 1024, focus=["app/zjobs.py"]) == text
    # once at first, then once per fresh index: ours was always brought forward
    assert len(builds) == 1 + len(CAME_AND_WENT)


def test_a_new_process_loads_the_graph_and_map_table_from_disk(repo, tmp_path, monkeypatch):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        text = repo_map(store, 1024, focus=["app/cli.py"])
        ranked = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
        saved = sorted(p.name.split(".", 2)[-1] for p in store.db_path.parent.glob("*.npz"))
        store.db_path.with_name(store.db_path.name + ".maps.json").unlink()
    assert saved == ["graph.npz", "map-symbols.npz"]
    cache._memory.clear()
    cache._latest.clear()
    monkeypatch.setattr(graph, "build_graph", lambda store: pytest.fail("built again"))
    with open_index(repo, settings) as store:
        assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)] == ranked
        assert repo_map(store, 1024, focus=["app/cli.py"]) == text


def test_a_cache_folder_named_another_way_still_finds_the_saved_graph(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_index(repo, Settings(cache_dir=Path("cache"))) as store:
        text = repo_map(store, 1024, focus=["app/cli.py"])
        store.db_path.with_name(store.db_path.name + ".maps.json").unlink()
    cache._memory.clear()
    cache._latest.clear()
    monkeypatch.setattr(graph, "build_graph", lambda store: pytest.fail("built again"))
    with open_index(repo, Settings(cache_dir=tmp_path / "." / "cache")) as store:
        assert repo_map(store, 1024, focus=["app/cli.py"]) == text


def test_assistant_index_saves_the_map_s_graph_and_table_only_when_a_map_would_build_them(
    repo, tmp_path, monkeypatch
):
    import json

    from assistant.testing import cli_env
    from tests.cli_run import run_cli

    env = cli_env(tmp_path / "cache")
    first = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    assert json.loads(first.out)["added"] == len(FILES)
    db = Path(json.loads(first.out)["db"])
    saved = [db.with_name(f"{db.name}.{kind}.npz") for kind in ("graph", "map-symbols")]
    made = [path.stat().st_mtime_ns for path in saved]  # a first build saves them
    (repo / "app/util.py").write_text("def helper_value():\n    return 2\n")
    edited = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    assert (json.loads(edited.out)["parsed"], json.loads(edited.out)["added"]) == (1, 0)
    assert [path.stat().st_mtime_ns for path in saved] == made  # one edit: a map carries them
    (repo / "app/extra.py").write_text("def extra_value():\n    return helper_value()\n")
    added = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    assert json.loads(added.out)["added"] == 1
    assert [path.stat().st_mtime_ns for path in saved] == made  # a file came: carried too
    cache._memory.clear()
    cache._latest.clear()
    monkeypatch.setattr(graph, "build_graph", lambda store: pytest.fail("graph built again"))
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        assert "extra_value" in repo_map(store, 1024)
    for path in saved:
        path.unlink()
    monkeypatch.undo()
    cache._memory.clear()  # as a new process
    cache._latest.clear()
    (repo / "app/util.py").write_text("def helper_value():\n    return 3\n")
    assert run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo)).code == 0
    assert all(path.is_file() for path in saved)  # nothing to bring forward: built again


def test_an_index_run_that_cannot_prepare_the_map_still_succeeds(repo, tmp_path, monkeypatch):
    import json

    from assistant.context import repomap
    from assistant.testing import cli_env
    from tests.cli_run import run_cli

    def fail(store):
        raise MemoryError("no room for the graph")

    monkeypatch.setattr(repomap, "prepare_map", fail)
    result = run_cli(
        monkeypatch, cli_env(tmp_path / "cache"), "index", "--json", "--repo", str(repo)
    )
    assert result.code == 0 and json.loads(result.out)["files"] == len(FILES)
    assert "could not prepare search and the repo map ahead: no room for the graph" in result.err


def test_a_damaged_or_missing_saved_graph_cannot_be_brought_forward(repo, tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        assert not cache.can_bring_forward(store, "graph")  # nothing saved yet
        repo_map(store, 1024)
        assert cache.can_bring_forward(store, "graph")
        path = store.db_path.with_name(store.db_path.name + ".graph.npz")
    cache._memory.clear()
    cache._latest.clear()
    with open_index(repo, settings) as store:
        assert cache.can_bring_forward(store, "graph")  # from the file alone
        path.write_bytes(path.read_bytes()[:100])
        assert not cache.can_bring_forward(store, "graph")


def test_a_link_in_the_cache_path_is_kept_in_the_index_s_path(tmp_path):
    from assistant.index import db_path_for

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    db = db_path_for(tmp_path / "repo", Settings(cache_dir=tmp_path / "link"))
    assert db.parent == tmp_path / "link" / "index"  # an index made before keeps its name


def test_a_damaged_or_foreign_cache_file_is_ignored(repo, tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        expected = edges(shared_graph(store, cache.index_state(store)))
        path = store.db_path.with_name(store.db_path.name + ".graph.npz")
    for damage in (b"not a zip", path.read_bytes()[:200]):
        path.write_bytes(damage)
        cache._memory.clear()
        cache._latest.clear()
        with open_index(repo, settings) as store:
            assert edges(shared_graph(store, cache.index_state(store))) == expected
    other = Settings(cache_dir=tmp_path / "cache2")  # another database's file, copied over
    with open_index(repo, other, rebuild=True) as store:
        (repo / "app/util.py").write_text("def other_name():\n    return 1\n")
        update_paths(store, repo, ["app/util.py"], settings.max_file_bytes)
        shared_graph(store, cache.index_state(store))
        foreign = store.db_path.with_name(store.db_path.name + ".graph.npz").read_bytes()
    path.write_bytes(foreign)
    cache._memory.clear()
    cache._latest.clear()
    with open_index(repo, settings) as store:
        fresh = graph.build_graph(store)
        assert edges(shared_graph(store, cache.index_state(store))) == edges(fresh)


def builds(monkeypatch) -> dict[str, int]:
    """Count whole builds of the graph and of the map's symbol table."""
    from assistant.context import map_table

    counts = {"graph": 0, "table": 0}
    real_graph, real_table = graph.build_graph, map_table.SymbolTable.build.__func__

    def count_graph(store):
        counts["graph"] += 1
        return real_graph(store)

    def count_table(cls, store, g, path=None):
        counts["table"] += path is None
        return real_table(cls, store, g, path)

    monkeypatch.setattr(graph, "build_graph", count_graph)
    monkeypatch.setattr(map_table.SymbolTable, "build", classmethod(count_table))
    return counts


def new_process() -> None:
    cache._memory.clear()
    cache._latest.clear()


def test_new_processes_bring_the_copies_on_disk_forward_and_save_what_they_build(
    repo, tmp_path, monkeypatch
):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        repo_map(store, 1024, focus=["app/cli.py"])
    counts = builds(monkeypatch)
    (repo / "app/util.py").write_text(
        "def helper_value():\n    return 2\n\n\ndef more():\n    pass\n"
    )
    for _ in range(2):  # after an edit: brought forward, nothing built, in every new process
        new_process()
        with open_index(repo, settings) as store:
            brought = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
        assert counts == {"graph": 0, "table": 0}
    new_process()
    monkeypatch.undo()
    with open_index(repo, settings) as store:
        cache._memory.clear()
        fresh = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
    assert brought == fresh
    counts = builds(monkeypatch)
    (repo / "app/new.py").write_text("def fresh_one():\n    return helper_value()\n")
    (repo / "app/jobs.py").unlink()
    for _ in range(2):  # files came and went: brought forward too, nothing built
        new_process()
        with open_index(repo, settings) as store:
            brought = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
        assert counts == {"graph": 0, "table": 0}
    assert any(r[0].name == "fresh_one" for r in brought)
    new_process()
    monkeypatch.undo()
    with open_index(repo, settings) as store:
        cache._memory.clear()
        assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)] == brought


TABLE_DAMAGE: dict[str, Any] = {
    "saved against other names": lambda a: {
        "names_seen": cache.strings_array(["1", "not the digest"])
    },
    # the low 32 bits are the right files and names: narrowed unchecked, they would pass
    "node past 32 bits": lambda a: {"node": a["node"].astype("int64") + 2**32},
    "name past 32 bits": lambda a: {"name": a["name"].astype("int64") + 2**32},
    "line_chars past 16 bits": lambda a: {"line_chars": a["line_chars"].astype("int64") + 2**16},
    "line_chars negative": lambda a: {"line_chars": -a["line_chars"]},
    "node not whole": lambda a: {"node": a["node"] + 0.5},
    "node out of file order": lambda a: {"node": a["node"][::-1].copy()},
    "rowid past 63 bits": lambda a: {"rowid": a["rowid"].astype("uint64") + 2**63},
    "kind_weight not a number": lambda a: {"kind_weight": a["kind_weight"] * np.nan},
}


@pytest.mark.parametrize("damage", sorted(TABLE_DAMAGE))
def test_a_table_whose_numbers_do_not_fit_it_is_built_again(repo, tmp_path, monkeypatch, damage):
    """A table saved against other names is built again, and so is one whose numbers do not
    fit it: it keeps files and names in 32 bits and line lengths in 16, and a saved one's
    numbers are checked before they are narrowed (wrapped, they would point at other rows)."""
    settings = Settings(cache_dir=tmp_path / "cache")
    expected, path, arrays = saved_arrays(repo, settings, "map-symbols")
    arrays.update(TABLE_DAMAGE[damage](arrays))
    with path.open("wb") as stream:
        np.savez(stream, **arrays)
    counts = builds(monkeypatch)
    new_process()
    with open_index(repo, settings) as store:
        assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)] == expected
    assert counts["table"] == 1


def test_a_long_lived_process_keeps_one_graph_and_one_map_table_per_database(repo, tmp_path):
    """Each edit's graph and symbol table supersede the last ones in the memory cache: a
    process that edits for hours does not hold a graph per edit (~100 MB each at 100,000
    files), and what it answers is still this state's."""
    settings = Settings(cache_dir=tmp_path / "cache")
    cache._memory.clear()
    with open_index(repo, settings) as store:
        for path, text in EDITS:
            (repo / path).write_text(text)
            update_paths(store, repo, [path], settings.max_file_bytes)
            text_map = repo_map(store, 1024, focus=["app/cli.py"])
            search(store, "make config engine")
            kinds = [kind for _, kind in cache._memory]
            assert len(kinds) == len(set(kinds)), kinds
            assert {state for state, _ in cache._memory} == {cache.index_state(store)}
        cache._memory.clear()
        cache._latest.clear()
        assert repo_map(store, 1024, focus=["app/cli.py"]) == text_map


def saved_arrays(
    repo: Path, settings: Settings, kind: str
) -> tuple[list[Any], Path, dict[str, Any]]:
    """Rank the repository's symbols; return them, and the cache file of `kind` it saved with
    its arrays."""
    with open_index(repo, settings) as store:
        expected = [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)]
        path = store.db_path.with_name(f"{store.db_path.name}.{kind}.npz")
    with np.load(path) as saved:
        return expected, path, {name: saved[name] for name in saved.files}


def fresh_lookups(g: graph.FileGraph) -> list[list[int]]:
    keys, order = graph.FileGraph.def_lookup.func(g)
    own, by_name = graph.FileGraph.own_use.func(g), graph.FileGraph.use_by_name.func(g)
    return [keys.tolist(), order.tolist(), own.tolist(), by_name.tolist()]


def test_a_loaded_graph_comes_with_its_sorted_lookups(repo, tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings) as store:
        repo_map(store, 1024, focus=["app/cli.py"])
    new_process()
    with open_index(repo, settings) as store:
        loaded = shared_graph(store, cache.index_state(store))
        assert {"def_lookup", "own_use", "use_by_name"} <= loaded.__dict__.keys()  # not sorted
        keys, order = loaded.def_lookup
        saved = [keys.tolist(), order.tolist(), loaded.own_use.tolist()]
        assert [*saved, loaded.use_by_name.tolist()] == fresh_lookups(loaded)


def test_rows_are_32_bit_and_their_keys_64(repo, tmp_path):
    """A graph's rows number files and names in 32 bits (half its memory at 100,000 files);
    a (file, name) key packs both in 64, so no two rows share one."""
    with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
        g = graph.build_graph(store)
    for rows in (g.def_node, g.def_name, g.use_node, g.use_name, g.use_count, g.own_use):
        assert rows.dtype == np.int32
    keys, _ = g.def_lookup
    packed = [
        n * 2**32 + name for n, name in zip(g.def_node.tolist(), g.def_name.tolist(), strict=True)
    ]
    assert keys.tolist() == sorted(packed) and len(set(packed)) == len(packed)
    assert graph.row_keys(np.array([1, 0], np.int32), np.array([0, 1], np.int32)).tolist() == [
        2**32,
        1,
    ]
    assert graph.use_counts(np.array([-3, 5, 2**40])).tolist() == [0, 5, 2**31 - 1]


def _swapped(by_name: Any, use_name: Any) -> Any:
    """Return `use_by_name` unsigned with two rows of one name swapped: a difference of unsigned
    numbers wraps around, so only signed ones show the step down."""
    names = use_name[by_name]
    at = next(i for i in range(len(names) - 1) if names[i] == names[i + 1])
    crafted = by_name.astype("uint32")
    crafted[at : at + 2] = [by_name[at + 1], by_name[at]]
    return crafted


DAMAGE: dict[str, Any] = {
    "def_order reversed": lambda a: {"def_order": a["def_order"][::-1].copy()},
    "use_by_name reversed": lambda a: {"use_by_name": a["use_by_name"][::-1].copy()},
    "own_use shifted": lambda a: {
        "own_use": np.where(a["own_use"] >= 0, (a["own_use"] + 1) % 3, -1)
    },
    "def_order short": lambda a: {"def_order": a["def_order"][:-1]},
    "use_by_name unsigned, out of order": lambda a: {
        "use_by_name": _swapped(a["use_by_name"], a["use_name"])
    },
    "use_name unsigned, names interleaved": lambda a: {
        "use_name": a["use_name"].astype("uint64"),
        "use_by_name": np.argsort(a["use_name"] % 2, kind="stable").astype("int32"),
    },
    "def_node 32-bit": lambda a: {"def_node": a["def_node"].astype("int32")},
    "def_node 64-bit (an older version's)": lambda a: {"def_node": a["def_node"].astype("int64")},
    # the low 32 bits are the right rows: narrowed unchecked, they would pass
    "def_node past 32 bits": lambda a: {"def_node": a["def_node"].astype("int64") + 2**32},
    "use_count negative": lambda a: {"use_count": -a["use_count"]},
    "use_count not whole": lambda a: {"use_count": a["use_count"] * 1.5},
    "multiplier in two dimensions": lambda a: {"multiplier": a["multiplier"][:, None]},
    "multiplier not a number": lambda a: {"multiplier": a["multiplier"] * np.nan},
    "def_top in two dimensions": lambda a: {"def_top": a["def_top"][:, None]},
    "lookups missing": lambda a: dict.fromkeys(("def_order", "own_use", "use_by_name")),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_saved_lookups_that_disagree_with_the_rows_are_not_used(repo, tmp_path, damage):
    """A damaged or crafted file's rows or lookups would walk the wrong rows (or a negative
    count's root, NaN scores): the graph is built again instead (rows of any width or sign
    that number files and names are read as the graph's 32-bit rows, checked before they are
    narrowed); a file saved without lookups (an older version's) loads, and they are sorted
    anew."""
    (repo / "app/more.py").write_text("def more():\n    return make_config() + run_job()\n")
    settings = Settings(cache_dir=tmp_path / "cache")
    expected, path, arrays = saved_arrays(repo, settings, "graph")
    for name, value in DAMAGE[damage](arrays).items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    np.savez(path, **arrays)
    new_process()
    with open_index(repo, settings) as store:
        g = shared_graph(store, cache.index_state(store))
        keys, order = g.def_lookup
        assert [keys.tolist(), order.tolist(), g.own_use.tolist(), g.use_by_name.tolist()] == (
            fresh_lookups(g)
        )
        assert [(r.symbol, round(r.score, 12)) for r in ranked_symbols(store)] == expected
