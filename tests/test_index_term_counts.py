"""Term counts read only as far as a cut-off needs choose what whole counts would choose.

`TermCounts` counts a term's chunks by matching it up to a cut-off and takes the count on from
where it stopped; the oracle here is FTS5's own vocabulary (every posting row read) and the
choice written out plainly from whole counts.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import fulltext, open_index
from assistant.index.fulltext import COMMON_SHARE, VOCABULARY, TermCounts
from assistant.testing import commit_files

WORDS = [f"word{n}" for n in range(40)] + ["über", "café"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("terms")
    pick = random.Random(7)
    files = {}
    for i in range(120):
        # word0 in nearly every file, word39 in few: counts from ~1 to ~all the chunks
        body = " ".join(WORDS[min(int(pick.expovariate(0.12)), len(WORDS) - 1)] for _ in range(8))
        files[f"pkg/m{i}.py"] = f'"""{body}"""\n\n\ndef handler_{i}():\n    return "word0"\n'
    commit_files(base / "repo", files)
    with open_index(base / "repo", Settings(cache_dir=base / "cache")) as opened:
        yield opened


def whole_counts(store) -> dict[str, int]:
    store.conn.execute(VOCABULARY)
    return dict(store.conn.execute("SELECT term, doc FROM temp.chunks_vocab"))


def chosen_from_whole_counts(counts: dict[str, int], terms: list[str], chunks: int, budget: int):
    limit = COMMON_SHARE * chunks
    kept = [term for term in terms if counts.get(term, 0) <= limit]
    if not any(counts.get(term, 0) for term in kept):
        return terms
    chosen: set[str] = set()
    for term in sorted(kept, key=lambda term: counts.get(term, 0)):
        if chosen and counts.get(term, 0) > budget:
            break
        chosen.add(term)
        budget -= counts.get(term, 0)
    return [term for term in kept if term in chosen]


def test_counts_taken_on_from_where_they_stopped_equal_whole_counts(store):
    whole = whole_counts(store)
    assert min(whole[w] for w in WORDS[:30]) < 10 < 100 < max(whole[w] for w in WORDS[:30])
    pick = random.Random(1)
    counts = TermCounts(store.conn)
    for _ in range(300):
        terms = pick.sample([*WORDS, "absent", "handler_3"], 5)
        most = pick.choice([None, 0, 1, 5, 20, 60, 100, 1000])
        expected = {t: whole.get(t, 0) for t in terms}
        if most is not None:
            expected = {t: min(n, most + 1) for t, n in expected.items()}
        assert counts.doc_counts(terms, most) == expected, (terms, most)


@pytest.mark.parametrize("budget", [1, 3, 10, 40])
def test_terms_chosen_from_counts_read_to_a_cut_off_are_those_whole_counts_choose(
    store, monkeypatch, budget
):
    monkeypatch.setattr(fulltext, "PRUNE_FROM_CHUNKS", 1)
    monkeypatch.setattr(fulltext, "MAX_SCORED_ROWS", budget)
    whole = whole_counts(store)
    chunks = store.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    pick = random.Random(budget)
    pool = [*WORDS, "absent", "handler_3", "return_word0"]  # absent, and split by FTS5
    for _ in range(400):
        terms = pick.sample(pool, pick.randint(2, 6))
        counts = TermCounts(store.conn) if pick.random() < 0.5 else store.terms
        expected = chosen_from_whole_counts(whole, terms, chunks, budget)
        assert counts.selective(terms) == expected, terms


def test_rare_tokens_are_those_whole_counts_find_rare(store):
    whole = whole_counts(store)
    ceiling = max(fulltext.RARE_FLOOR, int(store.terms.chunk_count() * fulltext.RARE_SHARE))
    expected = sorted(
        (w for w in WORDS if 0 < whole.get(w, 0) <= ceiling), key=lambda w: whole.get(w, 0)
    )[:5]
    assert TermCounts(store.conn).rare(WORDS, 5) == expected


def test_a_count_forgotten_after_a_write_is_read_again(tmp_path: Path):
    commit_files(tmp_path / "repo", {"a.py": "def alpha():\n    return 1\n"})
    with open_index(tmp_path / "repo", Settings(cache_dir=tmp_path / "cache")) as opened:
        assert opened.terms.doc_counts(["alpha"], 0) == {"alpha": 1}
        opened.terms.forget()
        assert opened.terms.doc_counts(["alpha", "beta"]) == {"alpha": 1, "beta": 0}


def test_rare_tokens_are_looked_for_among_the_last_few_hundred(store):
    from assistant.index.fulltext import RARE_CANDIDATES

    absent = [f"nosuchword{n}" for n in range(RARE_CANDIDATES)]
    rarest = min(WORDS, key=lambda w: whole_counts(store).get(w, 10**9) or 10**9)
    assert TermCounts(store.conn).rare([*absent, rarest], 3) == [rarest]
    assert TermCounts(store.conn).rare([rarest, *absent], 3) == []  # beyond the cap: not asked


def test_a_term_written_as_fts5_syntax_is_never_matched(store):
    """Query words are hostile input: anything but [a-z0-9] goes to the vocabulary as it is,
    so quotes, operators and NEAR groups count 0 and raise nothing."""
    crafted = ['word0" OR "word1', "near(word0 word1)", "word0*", "-word0", "WORD0"]
    assert TermCounts(store.conn).doc_counts(crafted, 5) == dict.fromkeys(crafted, 0)
