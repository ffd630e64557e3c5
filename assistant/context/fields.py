"""BM25 over short per-file fields (such as the path) from an in-memory inverted index.

The chunk text is searched by the store's FTS5 index; these fields are small enough to index in
memory once per index state, and scoring a query is a walk over a few posting lists.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistant.index.tokens import code_tokens

K1 = 1.2


@dataclass(frozen=True, eq=False)
class FieldIndex:
    """An inverted index of one field: token -> [(document, count)], with document lengths."""

    documents: tuple[str, ...]
    postings: Mapping[str, tuple[tuple[int, int], ...]]
    lengths: tuple[int, ...]
    average_length: float
    b: float  # BM25 length normalisation for this field

    def score(self, terms: Mapping[str, float]) -> dict[str, float]:
        """Return BM25 scores of the documents that match any weighted term."""
        total = len(self.documents)
        scores: dict[int, float] = {}
        for term, weight in terms.items():
            posting = self.postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
            for doc, count in posting:
                norm = 1 - self.b + self.b * self.lengths[doc] / self.average_length
                gain = weight * idf * count * (K1 + 1) / (count + K1 * norm)
                scores[doc] = scores.get(doc, 0.0) + gain
        return {self.documents[doc]: value for doc, value in scores.items()}


def build_field(documents: Iterable[tuple[str, Iterable[str]]], b: float) -> FieldIndex:
    """Index (document id, texts) pairs: each text is split into code tokens."""
    names: list[str] = []
    lengths: list[int] = []
    postings: dict[str, list[tuple[int, int]]] = {}
    for doc, texts in documents:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(token for token in code_tokens(text) if len(token) > 1)
        index = len(names)
        names.append(doc)
        lengths.append(sum(counts.values()))
        for token, count in counts.items():
            postings.setdefault(token, []).append((index, count))
    average = (sum(lengths) / len(lengths)) if lengths else 1.0
    return FieldIndex(
        tuple(names),
        {token: tuple(rows) for token, rows in postings.items()},
        tuple(lengths),
        average or 1.0,
        b,
    )


def path_field(paths: Iterable[str]) -> FieldIndex:
    """Index file paths (directories, stem and extension are all words)."""
    return build_field(((path, (path.replace("/", " "),)) for path in paths), b=0.3)
