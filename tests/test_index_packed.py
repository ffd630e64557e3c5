"""A file's text kept once, packed, and chunks read back as ranges of its lines (packed.py)."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import Settings
from assistant.index import open_index
from assistant.index.indexer import update_paths
from assistant.index.model import Unindexed
from assistant.index.packed import (
    BadText,
    TooBig,
    current_dictionary,
    dictionary_id,
    keep_dictionary,
    pack,
    train,
    unpack,
)
from assistant.index.parse import parse_one
from assistant.testing import commit_files
from tests.test_index_store import fts_is_consistent

LINES = st.lists(
    st.sampled_from(["def f():", "    return 1", "", "  ", "class A:", "x = 'é'", "\r", "\t# ü"]),
    max_size=40,
)


def test_unpack_gives_back_what_was_packed_and_refuses_more_than_its_limit():
    data = b"def f():\n    return 1\n" * 1000
    assert unpack(pack(data)) == data
    assert unpack(pack(data), len(data)) == data
    assert unpack(pack(b"")) == b""
    with pytest.raises(TooBig):
        unpack(pack(data), len(data) - 1)
    with pytest.raises(TooBig):  # refused from the size its frame declares, before inflating
        unpack(pack(b"\0" * 50_000_000), 1_000_000)
    with pytest.raises(BadText):
        unpack(pack(data)[:-8], len(data))
    with pytest.raises(BadText):
        unpack(b"not a packed text", 100)
    with pytest.raises(BadText):  # a second frame after the first: not what we pack
        unpack(pack(data) + pack(b"planted"), 2 * len(data))
    unsized = zstandard.ZstdCompressor(write_content_size=False).compress(data)
    with pytest.raises(BadText):  # every text packed here says its size; this one could be
        unpack(unsized, len(data))  # anything up to the limit


def training_files(count: int) -> dict[str, str]:
    """Return `count` small, similar Python modules: what a dictionary learns from."""
    return {
        f"pkg/mod{n}.py": f'"""Module {n}."""\n\nimport os\n\n\nclass Thing{n}:\n'
        f"    def value_{n}(self, scale: int = {n}) -> int:\n"
        f"        return os.getpid() * scale + {n * 7}\n"
        for n in range(count)
    }


def dictionary_database(data: bytes | None) -> sqlite3.Connection:
    """Return a connection to a database holding dictionary `data` as packed.py stores it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE pack_dictionaries (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    if data is not None:
        conn.execute("INSERT INTO pack_dictionaries VALUES (?, ?)", (dictionary_id(data), data))
    return conn


def test_texts_packed_with_a_dictionary_need_that_dictionary():
    samples = [text.encode() for text in training_files(300).values()]
    trained = train(samples)
    assert trained is not None and dictionary_id(trained) > 0
    assert train(samples[:10]) is None  # too few files to learn from
    data = samples[5]
    packed = pack(data, trained)
    assert len(packed) < len(pack(data))
    assert unpack(packed, conn=dictionary_database(trained)) == data
    with pytest.raises(BadText):
        unpack(packed)  # no database to read the dictionary from
    with pytest.raises(BadText):
        unpack(packed, conn=dictionary_database(None))
    other = train([s.replace(b"Thing", b"Other") + b"# more\n" for s in samples])
    assert other is not None and dictionary_id(other) != dictionary_id(trained)
    with pytest.raises(BadText):
        unpack(packed, conn=dictionary_database(other))  # not the one the frame names
    conn = dictionary_database(None)
    assert keep_dictionary_in(conn, trained)
    assert current_dictionary(conn) == trained
    forged = bytearray(other)
    forged[4:8] = trained[4:8]  # another dictionary claiming the same id
    assert dictionary_id(bytes(forged)) == dictionary_id(trained)
    assert not keep_dictionary(conn, bytes(forged))  # texts may use the one under that id
    assert current_dictionary(conn) == trained


def keep_dictionary_in(conn: sqlite3.Connection, data: bytes) -> bool:
    """Keep `data` as the dictionary of a bare database (which also needs its meta table)."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return keep_dictionary(conn, data)


def test_a_big_build_packs_with_a_dictionary_trained_on_the_repository(tmp_path: Path):
    """A first build of more than TRAIN_FROM files trains a dictionary, packs every text with
    it, and later edits use it too; reading and searching are as without one."""
    files = training_files(300)
    repo = commit_files(tmp_path / "repo", files)
    settings_ = Settings(cache_dir=tmp_path / "cache")
    with open_index(repo, settings_) as store:
        trained = store.pack_dictionary()
        assert trained is not None
        frames = [row[0] for row in store.conn.execute("SELECT packed FROM file_texts")]
        assert len(frames) == 300
        assert {zstandard.get_frame_parameters(f).dict_id for f in frames} == {
            dictionary_id(trained)
        }
        added = "\n\ndef zebra_crossing():\n    pass\n"
        (repo / "pkg/mod7.py").write_text(files["pkg/mod7.py"] + added)
        update_paths(store, repo, ["pkg/mod7.py"], settings_.max_file_bytes)
        [(chunk, _)] = store.search_chunks("zebra_crossing")[:1]
        assert chunk.path == "pkg/mod7.py" and "def zebra_crossing" in chunk.text
        (edited,) = store.conn.execute(
            "SELECT packed FROM file_texts t JOIN files f ON f.id = t.file_id "
            "WHERE f.path = 'pkg/mod7.py'"
        ).fetchone()
        assert zstandard.get_frame_parameters(edited).dict_id == dictionary_id(trained)
        assert [c.text for c in store.chunks("pkg/mod3.py")] == [
            c.text
            for c in parse_one(str(repo), "pkg/mod3.py")[1].chunks  # type: ignore[index]
        ]
        assert fts_is_consistent(store)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=LINES, ending=st.sampled_from(["", "\n", "\r\n"]), junk=st.binary(max_size=3))
def test_every_chunk_reads_back_as_it_was_parsed(tmp_path: Path, lines, ending, junk):
    """Chunks come back from the packed file with the text the parser cut, whatever the line
    endings and however broken the UTF-8 (a grammar's file and a plain text file)."""
    source = ("\n".join(lines) + ending).encode() + junk
    repo = tmp_path / f"r{zlib.crc32(source)}-{len(source)}"
    if repo.exists():
        return  # the same example again
    commit_files(repo, {"m.py": "x = 1\n", "notes.txt": "plain\n"})
    (repo / "m.py").write_bytes(source)
    (repo / "notes.txt").write_bytes(source)
    with open_index(repo, Settings(cache_dir=repo.with_suffix(".cache"))) as store:
        for path in ("m.py", "notes.txt"):
            outcome = parse_one(str(repo), path)
            expected = [] if isinstance(outcome, Unindexed) else list(outcome[1].chunks)
            assert store.chunks(path) == sorted(expected, key=lambda chunk: chunk.start_line)


def test_edits_keep_the_full_text_index_equal_to_the_texts(tmp_path: Path):
    """Chunks that change, move or go leave FTS5 with the terms they were indexed with, read
    from the old text before the new one replaces it: FTS5's check against its content holds
    and a word that is gone finds nothing."""
    body = "def alpha():\n    return 'zebra'\n\n\ndef beta():\n    return 2\n"
    repo = commit_files(tmp_path / "repo", {"a.py": body, "b.py": "def gamma():\n    pass\n"})
    with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
        assert store.search_chunks("zebra")
    edits = [
        "\n\n" + body,  # every chunk moves
        body.replace("zebra", "yak"),  # one chunk changes
        "def beta():\n    return 2\n",  # one chunk goes
    ]
    for text in edits:
        (repo / "a.py").write_text(text)
        with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
            assert store.last_stats.parsed == 1
            assert fts_is_consistent(store)
            assert [c.text for c in store.chunks("a.py")] == [c.text for c in parsed(repo)]
    with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
        assert not store.search_chunks("zebra") and not store.search_chunks("yak")
    (repo / "a.py").unlink()
    with open_index(repo, Settings(cache_dir=tmp_path / "cache")) as store:
        assert fts_is_consistent(store)
        assert [chunk.path for chunk, _ in store.search_chunks("beta gamma")] == ["b.py"]


def parsed(repo: Path) -> list:
    """Return a.py's chunks as the parser cuts them now."""
    outcome = parse_one(str(repo), "a.py")
    assert not isinstance(outcome, Unindexed)
    return list(outcome[1].chunks)


THREADS = """
import sys, threading
from pathlib import Path
from assistant.config import Settings
from assistant.context import search
from assistant.index import open_index
store = open_index(Path(sys.argv[1]), Settings(cache_dir=Path(sys.argv[2])))
done = []
def worker(k):
    for n in range(30):
        found = search(store, ["price item amount", "round rate", f"price_item_{k}_3"][n % 3])
        assert found.chunks and all(hit.chunk.text for hit in found.chunks)
    done.append(k)
threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(2)]
[t.start() for t in threads]
[t.join(60) for t in threads]
print(len(done))
"""


def test_two_threads_searching_one_store_finish(tmp_path: Path):
    """Parallel sub-agents share one store: no query runs Python inside SQLite, where a
    callback waiting for the GIL while another thread waits for the connection would freeze
    the process (run in a child, so a hang fails the test instead of the run)."""
    import subprocess
    import sys

    files = {
        f"pkg/m{i}.py": "".join(
            f"def price_item_{i}_{j}(amount, rate):\n    return round(amount * rate + {j}, 2)\n\n"
            for j in range(60)
        )
        for i in range(20)
    }
    repo = commit_files(tmp_path / "repo", files)
    done = subprocess.run(
        [sys.executable, "-c", THREADS, str(repo), str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "2", done.stderr[-2000:]


def test_no_index_read_or_write_calls_python_inside_sqlite(tmp_path: Path):
    """The SQL functions of the chunk_terms view are for FTS5's own content reads only:
    searching, reading chunks, embedding sources, edits and deletes all work with them
    refusing to run."""

    def refuse(*_: object) -> str:
        raise AssertionError("a Python SQL function called from a query")

    body = "def alpha():\n    return 'zebra'\n\n\ndef beta():\n    return 2\n"
    repo = commit_files(tmp_path / "repo", {"a.py": body, "b.py": "def gamma():\n    pass\n"})
    settings = Settings(cache_dir=tmp_path / "cache")
    from assistant.index.indexer import update_index, update_paths

    with open_index(repo, settings, update=False) as store:
        store.conn.create_function("chunk_body", 3, refuse)
        store.conn.create_function("chunk_names", 1, refuse)
        update_index(store, repo, settings.max_file_bytes)
        (repo / "a.py").write_text(body.replace("zebra", "yak") + "\n\ndef delta():\n    pass\n")
        update_paths(store, repo, ["a.py"], settings.max_file_bytes)
        (repo / "b.py").unlink()
        update_paths(store, repo, ["b.py"], settings.max_file_bytes)
        assert [c.path for c, _ in store.search_chunks("yak")] == ["a.py"]
        assert any("yak" in chunk.text for chunk in store.chunks("a.py"))
        assert store.with_texts([c for c, _ in store.search_chunks("yak", with_text=False)])
        assert all(text for _, _, _, text in store.unhashed_chunks(10))
    with open_index(repo, settings, update=False) as store:
        assert fts_is_consistent(store)  # FTS5's own read of its content: the function runs
