"""BM25 over the files' paths, from an in-memory index.

The chunk text is searched by the store's FTS5 index; the paths are indexed in memory once per
index state, and scoring a query is a walk over a few posting lists. A path's words are its
folder's words plus its file name's (no token spans a "/"), and both recur: 78,000 paths of a
big repository sit in 38,000 folders and have 19,000 distinct names. So the index keeps the
words of each folder and each name once, and makes a word's posting list (the paths holding
it, with counts) only when a query asks for that word: the first search of a process no longer
tokenizes and posts every path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from assistant.index.tokens import code_tokens

K1 = 1.2
PATH_B = 0.3  # BM25 length normalisation for paths
MAX_KEPT_POSTING = 5_000  # postings kept for the next query: only the selective words


class PathField:
    """BM25 over file paths (directories, stem and extension are all words)."""

    def __init__(self, paths: Iterable[str], b: float = PATH_B) -> None:
        self.b = b
        self.documents: list[str] = []
        self.lengths: list[int] = []
        self._folders: dict[str, int] = {}  # folder -> its number
        self._names: dict[str, int] = {}  # file name -> its number
        self._folder_words: list[dict[str, int]] = []
        self._name_words: list[dict[str, int]] = []
        self._folder_docs: list[list[int]] = []  # per folder, its files' numbers
        self._name_docs: list[list[int]] = []
        # word -> the folders (and names) holding it: a posting visits only those
        self._folders_with: dict[str, list[int]] = {}
        self._names_with: dict[str, list[int]] = {}
        for doc, path in enumerate(paths):
            folder, _, name = path.rpartition("/")
            f = self._number(
                self._folders, folder, self._folder_words, self._folder_docs, self._folders_with
            )
            n = self._number(self._names, name, self._name_words, self._name_docs, self._names_with)
            self._folder_docs[f].append(doc)
            self._name_docs[n].append(doc)
            self.documents.append(path)
            self.lengths.append(self._folder_words[f][""] + self._name_words[n][""])
        average = sum(self.lengths) / len(self.lengths) if self.lengths else 1.0
        self.average_length = average or 1.0
        self._postings: dict[str, dict[int, int]] = {}

    def _number(
        self,
        known: dict[str, int],
        text: str,
        words: list[dict[str, int]],
        docs: list[list[int]],
        holding: dict[str, list[int]],
    ) -> int:
        number = known.get(text)
        if number is None:
            number = known[text] = len(words)
            counts = _counts(text.replace("/", " "))
            for token in counts:
                holding.setdefault(token, []).append(number)
            counts[""] = sum(counts.values())  # the length, under a key no token has
            words.append(counts)
            docs.append([])
        return number

    def posting(self, term: str) -> dict[int, int]:
        """Return the paths (by number) holding `term`, with how many times each does."""
        found = self._postings.get(term)
        if found is None:
            found = {}
            for words, docs, holding in (
                (self._folder_words, self._folder_docs, self._folders_with),
                (self._name_words, self._name_docs, self._names_with),
            ):
                for number in holding.get(term, ()) if term else ():
                    count = words[number][term]
                    for doc in docs[number]:
                        found[doc] = found.get(doc, 0) + count
            if len(found) <= MAX_KEPT_POSTING:  # a word in every path is cheap to make again
                self._postings[term] = found
        return found

    def score(self, terms: Mapping[str, float]) -> dict[str, float]:
        """Return BM25 scores of the paths that match any weighted term."""
        total = len(self.documents)
        scores: dict[int, float] = {}
        for term, weight in terms.items():
            posting = self.posting(term)
            if not posting:
                continue
            idf = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
            for doc, count in posting.items():
                norm = 1 - self.b + self.b * self.lengths[doc] / self.average_length
                gain = weight * idf * count * (K1 + 1) / (count + K1 * norm)
                scores[doc] = scores.get(doc, 0.0) + gain
        return {self.documents[doc]: value for doc, value in scores.items()}


def path_field(paths: Iterable[str]) -> PathField:
    """Index file paths for BM25 (see PathField)."""
    return PathField(paths)


def _counts(text: str) -> dict[str, int]:
    """Return how many times each code token of two characters or more occurs in `text`."""
    return dict(Counter(token for token in code_tokens(text) if len(token) > 1))
