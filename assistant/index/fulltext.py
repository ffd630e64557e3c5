"""Full-text search over the chunks (FTS5, BM25), and the term counts that choose its terms.

A term found in many chunks says little about where to look and costs the most to score. The
counts come from FTS5's own vocabulary; two cut-offs use them for two jobs, and differ on
purpose. Search keeps every word the user wrote unless it is nearly everywhere (`COMMON_SHARE`,
a fifth of the chunks: its IDF is under log(4), and its posting list the longest to read).
Completion picks a handful of distinctive tokens from the code before the cursor to find similar
code within a keystroke's time, so it keeps only rare ones (`RARE_SHARE`, a fiftieth); missing
a match there costs nothing.
"""

from __future__ import annotations

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
PRUNE_FROM_CHUNKS = 2_000  # below this, every term is cheap to score
MAX_SCORED_ROWS = 5_000  # posting rows one query's terms may bring (a phrase counts as 0)
VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')"
)


class TermCounts:
    """The chunk count and per-term document counts of one connection, remembered until the
    store writes (another process's writes only shift them slightly)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._chunks: int | None = None
        self._docs: dict[str, int] = {}

    def forget(self) -> None:
        """Drop what is remembered (the store has written)."""
        self._chunks, self._docs = None, {}

    def chunk_count(self) -> int:
        """Return how many chunks the index holds."""
        if self._chunks is None:
            self.conn.execute(VOCABULARY)
            self._chunks = int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        return self._chunks

    def doc_counts(self, terms: Iterable[str]) -> dict[str, int]:
        """Return how many chunks contain each term (0 for a term in none)."""
        wanted = list(dict.fromkeys(terms))
        missing = [term for term in wanted if term not in self._docs]
        if missing:
            self.chunk_count()  # makes the vocabulary table
            found = dict(
                self.conn.execute(
                    f"SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({marks(missing)})",
                    missing,
                )
            )
            self._docs.update((term, found.get(term, 0)) for term in missing)
        return {term: self._docs[term] for term in wanted}

    def selective(self, terms: list[str]) -> list[str]:
        """Drop terms found in more than COMMON_SHARE of the chunks of a big index.

        Such a term adds almost nothing to BM25 (its IDF is near zero) but its posting list is
        the longest to read and score: `test` in a Django query costs more than the rest.
        """
        if len(terms) < 2 or self.chunk_count() < PRUNE_FROM_CHUNKS:
            return terms
        counts = self.doc_counts(terms)
        limit = COMMON_SHARE * self.chunk_count()
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
        counts = self.doc_counts(token for token in tokens if len(token) > 2)
        ceiling = max(RARE_FLOOR, int(self.chunk_count() * RARE_SHARE))
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
