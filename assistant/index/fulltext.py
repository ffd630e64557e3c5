"""Full-text search over the chunks (FTS5, BM25), and the term counts that choose its terms.

A term found in many chunks says little about where to look and costs the most to score. The
counts come from FTS5, read only as far as a cut-off needs (`TermCounts`); two cut-offs use
them for two jobs, and differ on purpose. Search keeps every word the user wrote unless it is
nearly everywhere (`COMMON_SHARE`, a fifth of the chunks: its IDF is under log(4), and its
posting list the longest to read).
Completion picks a handful of distinctive tokens from the code before the cursor to find similar
code within a keystroke's time, so it keeps only rare ones (`RARE_SHARE`, a fiftieth); missing
a match there costs nothing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from assistant.index.model import Chunk
from assistant.index.packed import CHUNK_SOURCE, TEXT_JOIN, ChunkTexts
from assistant.index.reads import marks
from assistant.index.tokens import code_tokens

MAX_FTS_TERMS = 64
COMMON_SHARE = 0.2  # search: a query term in more chunks than this carries IDF < log(4)
RARE_SHARE = 0.02  # completion: a token in more chunks than this says little...
RARE_FLOOR = 50  # ...though on a small index a token in this many chunks is still rare
RARE_CANDIDATES = 256  # distinct tokens looked up for rare ones (a minified line holds thousands)
PRUNE_FROM_CHUNKS = 2_000  # below this, every term is cheap to score
MAX_SCORED_ROWS = 5_000  # posting rows one query's terms may bring (a phrase counts as 0)
ONE_TOKEN = re.compile(r"[a-z0-9]+")  # a term FTS5's unicode61 keeps whole, as it is
# A term's matches after a rowid: how many, and the rowid of the one after skipping some (an
# OFFSET reads a posting row in ~0.08 us, against ~0.2 us through a LIMITed subquery).
MATCHES_AFTER = "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid > ?"
NTH_MATCH = (
    "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid > ? "
    "ORDER BY rowid LIMIT 1 OFFSET ?"
)
FIRST_ROWID = -(2**63)
VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')"
)


class TermCounts:
    """The chunk count and per-term document counts of one connection, remembered until the
    store writes (another process's writes only shift them slightly).

    A term's count is read by matching it and skipping to the match past the caller's cut-off
    (`NTH_MATCH`), so that a common term ("self", in 475,600 of 1.2 million chunks) costs a few
    thousand posting rows, not all of them (0.6 against 37 ms from FTS5's vocabulary, which
    reads the whole list): the callers only ever need to know that such a term is over their
    cut-off. A count is taken on from the rowid where the last one stopped when a caller needs
    more.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._chunks: int | None = None
        # term -> (chunks counted, the last one's rowid, whether that is all of them)
        self._docs: dict[str, tuple[int, int, bool]] = {}

    def forget(self) -> None:
        """Drop what is remembered (the store has written)."""
        self._chunks, self._docs = None, {}

    def chunk_count(self) -> int:
        """Return how many chunks the index holds."""
        if self._chunks is None:
            self._chunks = int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        return self._chunks

    def doc_counts(self, terms: Iterable[str], most: int | None = None) -> dict[str, int]:
        """Return how many chunks contain each term (0 for a term in none); with `most`, a
        count over `most` is given as `most + 1`.

        A term not written as FTS5 keeps its tokens ([a-z0-9]) is looked up as it is in FTS5's
        vocabulary instead: one FTS5 splits ("get_or_create", whose match would read every
        part's list) or folds ("über") counts 0 there."""
        wanted = list(dict.fromkeys(terms))
        split = [
            term for term in wanted if term not in self._docs and not ONE_TOKEN.fullmatch(term)
        ]
        if split:
            self.conn.execute(VOCABULARY)
            found = dict(
                self.conn.execute(
                    f"SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({marks(split)})",
                    split,
                )
            )
            self._docs.update((term, (found.get(term, 0), 0, True)) for term in split)
        for term in wanted:
            self._count_on(term, most)
        return {term: self._count(term, most) for term in wanted}

    def _count_on(self, term: str, most: int | None) -> None:
        """Count a term's chunks on from where the last count stopped, past `most` (or all)."""
        count, last, exact = self._docs.get(term, (0, FIRST_ROWID, False))
        if exact or (most is not None and count > most):
            return
        match = f'"{term}"'
        if most is not None:  # the rowid of the match that takes the count past `most`
            past = self.conn.execute(NTH_MATCH, (match, last, most - count)).fetchone()
            if past is not None:
                self._docs[term] = (most + 1, past[0], False)
                return
        (rest,) = self.conn.execute(MATCHES_AFTER, (match, last)).fetchone()
        self._docs[term] = (count + rest, last, True)

    def _count(self, term: str, most: int | None) -> int:
        count = self._docs[term][0]
        return count if most is None or count <= most else most + 1

    def selective(self, terms: list[str]) -> list[str]:
        """Drop terms found in more than COMMON_SHARE of the chunks of a big index.

        Such a term adds almost nothing to BM25 (its IDF is near zero) but its posting list is
        the longest to read and score: `test` in a Django query costs more than the rest.
        """
        if len(terms) < 2 or self.chunk_count() < PRUNE_FROM_CHUNKS:
            return terms
        limit = COMMON_SHARE * self.chunk_count()
        # Counts read up to a cut-off choose as whole counts would once one term is found
        # within it (the terms over it are never chosen), or once the cut-off is the limit:
        # the cut-off doubles from the budget until then, reading a few rows per common term.
        cut = MAX_SCORED_ROWS
        counts = self.doc_counts(terms, cut)
        while cut < int(limit) and not any(0 < count <= cut for count in counts.values()):
            cut = min(2 * cut, int(limit))
            counts = self.doc_counts(terms, cut)
        kept = [term for term in terms if counts[term] <= limit]
        if not any(counts[term] for term in kept):
            return terms
        # On a very big index even a 5% term matches tens of thousands of chunks, each scored
        # (~1.4 us a row): the rarest terms are kept up to a budget of rows, the rest dropped.
        budget, chosen = MAX_SCORED_ROWS, set[str]()
        for term in sorted(kept, key=counts.__getitem__):
            if chosen and counts[term] > budget:
                break
            chosen.add(term)
            budget -= counts[term]
        return [term for term in kept if term in chosen]

    def rare(self, tokens: Iterable[str], limit: int) -> list[str]:
        """Return up to `limit` of the tokens (of 3+ letters) few chunks hold, rarest first.

        An OR query over common tokens ("self", "value") makes FTS5 score most of the index;
        distinctive ones find similar code at a fraction of the cost.
        """
        ceiling = max(RARE_FLOOR, int(self.chunk_count() * RARE_SHARE))
        # each token is counted on its own: the last few hundred, nearest the cursor, will do
        candidates = list(dict.fromkeys(token for token in tokens if len(token) > 2))
        counts = self.doc_counts(candidates[-RARE_CANDIDATES:], ceiling)
        rare = [token for token, count in counts.items() if 0 < count <= ceiling]
        return sorted(rare, key=counts.__getitem__)[:limit]


def search_chunks(
    conn: sqlite3.Connection, counts: TermCounts, query: str, limit: int, with_text: bool = True
) -> list[tuple[Chunk, float]]:
    """Return chunks matching any of the query's code tokens, best BM25 first; without their
    text (empty: each costs unpacking its file) unless `with_text`."""
    terms = list(dict.fromkeys(t for t in code_tokens(query) if len(t) > 1))[:MAX_FTS_TERMS]
    if not terms:
        return []
    match = " OR ".join(f'"{t}"' for t in counts.selective(terms))
    source, join = (CHUNK_SOURCE, TEXT_JOIN) if with_text else ("NULL, NULL, NULL", "")
    # Rank and cut inside FTS5 first, so only the kept rows are joined to their text.
    rows = conn.execute(
        f"SELECT f.path, c.start_line, c.end_line, c.symbol, hit.score, {source} "
        "FROM (SELECT rowid, bm25(chunks_fts, 4.0, 3.0, 1.0) AS score FROM chunks_fts "
        "      WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?) AS hit "
        f"JOIN chunks c ON c.id = hit.rowid JOIN files f ON f.id = c.file_id {join} "
        "ORDER BY hit.score",
        (match, limit),
    )
    texts = ChunkTexts(conn)
    return [
        (Chunk(path, start, end, texts(*text), symbol), -score)
        for path, start, end, symbol, score, *text in rows
    ]
