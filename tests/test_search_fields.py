"""The path field: BM25 over file paths from arrays, which survive a save and a load."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.context.fields import K1, SEARCH_FIELDS_DISK, PathField, SearchFields
from assistant.index.tokens import code_tokens
from assistant.testing import cli_env, commit_files
from tests.cli_run import run_cli

SEGMENT = st.text(alphabet="abcXYZ_09.-", min_size=1, max_size=8)
PATHS = st.lists(
    st.lists(SEGMENT, min_size=1, max_size=4).map("/".join), min_size=1, max_size=30, unique=True
)


def plain_bm25(paths: list[str], terms: dict[str, float], b: float = 0.3) -> dict[str, float]:
    """BM25 over each whole path, "/" read as a space: what the path field must equal."""
    counts = [_tally(p.replace("/", " ")) for p in paths]  # per path, token -> count
    lengths = [sum(c.values()) for c in counts]
    average = (sum(lengths) / len(lengths)) or 1.0
    scores: dict[str, float] = {}
    for term, weight in terms.items():
        holding = [i for i, c in enumerate(counts) if c.get(term)]
        if not holding:
            continue
        idf = math.log(1 + (len(paths) - len(holding) + 0.5) / (len(holding) + 0.5))
        for i in holding:
            count = counts[i][term]
            norm = 1 - b + b * lengths[i] / average
            gain = weight * idf * count * (K1 + 1) / (count + K1 * norm)
            scores[paths[i]] = scores.get(paths[i], 0.0) + gain
    return scores


def plain_stems(paths: list[str], word: str) -> list[str]:
    """The paths whose lower-cased file name without extension is `word` (3+ characters, not
    starting with "_"): what stem matching must equal."""
    if len(word) < 3 or word.startswith("_"):
        return []
    return [p for p in paths if p.rsplit("/", 1)[-1].split(".", 1)[0].lower() == word]


def _tally(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for token in code_tokens(text):
        if len(token) > 1:
            found[token] = found.get(token, 0) + 1
    return found


@settings(max_examples=200, deadline=None)
@given(PATHS, st.lists(st.sampled_from(["ab", "xyz", "abc", "09", "c_x", "ca", "zz"]), min_size=1))
def test_the_path_field_scores_as_bm25_over_whole_paths(paths, words):
    terms = {w: 1.0 + i for i, w in enumerate(dict.fromkeys(words))}
    got = PathField.build(paths).score(terms)
    want = plain_bm25(paths, terms)
    assert got.keys() == want.keys()
    assert all(math.isclose(got[p], want[p], rel_tol=1e-9) for p in want)


def test_a_words_postings_count_its_folder_and_its_name():
    field = PathField.build(
        ["pkg/models/user.py", "pkg/views/user_list.py", "other/models.py", "user/user.py"]
    )
    docs, counts = field.posting("models")
    assert docs.tolist() == [0, 2] and counts.tolist() == [1, 1]
    docs, counts = field.posting("user")
    assert docs.tolist() == [0, 1, 3] and counts.tolist() == [1, 1, 2]
    assert len(field.posting("")[0]) == 0 and len(field.posting("absent")[0]) == 0


@settings(max_examples=50, deadline=None)
@given(PATHS, st.lists(st.sampled_from(["ab", "xyz", "abc", "09", "c_x", "ca", "zz"]), min_size=1))
def test_saved_fields_load_with_the_same_scores_and_line_counts(paths, words):
    terms = {w: 1.0 + i for i, w in enumerate(dict.fromkeys(words))}
    lines = np.arange(len(paths), dtype=np.int64) * 7
    paths = sorted(paths)
    fields = SearchFields(PathField.build(paths), lines)
    loaded = SEARCH_FIELDS_DISK.load(SEARCH_FIELDS_DISK.save(fields))
    assert loaded.paths.score(terms) == fields.paths.score(terms)
    assert [loaded.line_count(p) for p in paths] == lines.tolist()
    assert loaded.line_count("not/there.py") == 0
    for word in ("abc", "xyz", "ab", "_ab", "09x"):
        assert loaded.stem_matches(word) == fields.stem_matches(word) == plain_stems(paths, word)


def test_damaged_saved_fields_are_refused():
    fields = SearchFields(PathField.build(["a/b.py", "a/c.py"]), np.array([3, 4]))
    arrays = SEARCH_FIELDS_DISK.save(fields)
    for column, bad in (
        ("unit_docs", np.array([0, 1, 5, 0])),  # a file that is not there
        ("term_start", np.array([0, 9])),  # offsets past the end
        ("lines", np.array([3])),  # one line count for two files
        ("unit_of", np.array([[0.5, 1.0], [0.0, 2.0]])),  # not integers
        ("lines", np.array([-3, 4])),  # a negative line count (the prior takes its log)
        ("lines", np.array([[3, 4], [3, 4]])),  # not one count per file
        ("lengths", np.array([[1, 1], [1, 1]])),
        ("term_counts", np.zeros((1, 1), dtype=np.int64)),
        ("b", np.array([float("nan")])),  # every score would be NaN
        ("b", np.array([7.0])),
    ):
        with pytest.raises(ValueError, match="disagree"):
            SEARCH_FIELDS_DISK.load({**arrays, column: bad})


def test_saved_narrow_integers_are_widened():
    fields = SearchFields(PathField.build(["a/b.py", "a/c.py"]), np.array([3, 4]))
    arrays = {**SEARCH_FIELDS_DISK.save(fields), "lines": np.array([3, 4], dtype=np.int8)}
    loaded = SEARCH_FIELDS_DISK.load(arrays)
    assert loaded.lines.dtype == np.int64 and loaded.line_count("a/c.py") == 4


def test_hostile_file_names_survive_the_saved_fields():
    """A repository names its files: newlines, control characters, non-UTF-8 bytes (read
    with surrogateescape), spaces and look-alike separators must round-trip through the cache
    file beside the index and score as they did, never spill into another path."""
    names = sorted(
        [
            "src/evil\nname.py",
            "src/tab\there.py",
            "src/caf\u00e9_models.py",
            "src/bad\udcff\udcfebytes_models.py",
            "src/with space/models.py",
            "src/fullwidth\uff0fslash_models.py",
            "models.py",
        ]
    )
    fields = SearchFields(PathField.build(names), np.arange(len(names), dtype=np.int64) + 1)
    loaded = SEARCH_FIELDS_DISK.load(SEARCH_FIELDS_DISK.save(fields))
    assert loaded.paths.paths == names
    assert loaded.paths.score({"models": 1.0}) == fields.paths.score({"models": 1.0})
    assert [loaded.line_count(name) for name in names] == list(range(1, len(names) + 1))
    assert loaded.stem_matches("models") == ["models.py", "src/with space/models.py"]


def test_assistant_index_saves_the_search_fields_for_the_next_process(tmp_path, monkeypatch):
    """`assistant index` leaves the fields beside the index when files changed, so the next
    process's first search loads them; a no-change run does not even read them."""
    repo = commit_files(tmp_path / "repo", {"billing/invoice.py": "def total():\n    pass\n"})
    env = cli_env(tmp_path / "cache")
    first = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    saved = Path(json.loads(first.out)["db"] + ".search-fields.npz")
    assert saved.is_file()
    made = saved.stat().st_mtime_ns
    assert run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo)).code == 0
    assert saved.stat().st_mtime_ns == made
    (repo / "shipping").mkdir()
    (repo / "shipping" / "parcel_rates.py").write_text("def rate():\n    pass\n")
    assert run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo)).code == 0
    found = run_cli(monkeypatch, env, "search", "--json", "--repo", str(repo), "parcel rates")
    assert json.loads(found.out)["files"][0]["path"] == "shipping/parcel_rates.py"
