"""The path field: BM25 over file paths, with posting lists made when a query asks."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.context.fields import K1, PathField
from assistant.index.tokens import code_tokens

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
    got = PathField(paths).score(terms)
    want = plain_bm25(paths, terms)
    assert got.keys() == want.keys()
    assert all(math.isclose(got[p], want[p], rel_tol=1e-9) for p in want)


def test_a_words_postings_are_made_once():
    field = PathField(["pkg/models/user.py", "pkg/views/user_list.py", "other/models.py"])
    first = field.posting("models")
    assert first == {0: 1, 2: 1} and field.posting("models") is first
    assert field.posting("user") == {0: 1, 1: 1} and field.posting("") == {}
