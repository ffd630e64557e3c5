"""BM25 over the files' paths, and the per-file facts search scores with, kept as arrays.

The chunk text is searched by the store's FTS5 index; the paths are indexed here, once per index
state. A path's words are its folder's words plus its file name's (no token spans a "/"), and
both recur: 78,000 paths of a big repository sit in 38,000 folders and have 19,000 distinct
names. So each folder and each name is a "unit" tokenized once, a word points at the units
holding it (with counts), and each unit at its files: a query's postings are a few array
gathers. Being arrays, the whole field is saved beside the index (`SEARCH_FIELDS_DISK`) and a
new process loads it in milliseconds instead of tokenizing every path again (the first search
of a process at 100,000 files: ~800 ms).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from assistant.context.cache import DiskForm, array_strings, strings_array
from assistant.index.tokens import code_tokens

if TYPE_CHECKING:
    from assistant.index import IndexStore

K1 = 1.2
PATH_B = 0.3  # BM25 length normalisation for paths
COLUMNS = ("unit_of", "lengths", "term_start", "term_units", "term_counts", "unit_start",
           "unit_docs", "lines")  # fmt: skip


@dataclass(frozen=True, eq=False)
class PathField:
    """BM25 over file paths (directories, stem and extension are all words)."""

    paths: list[str]
    terms: list[str]  # every word of two characters or more, sorted
    unit_of: np.ndarray  # (files, 2): each file's folder unit and name unit
    lengths: np.ndarray  # per file, its number of words
    term_start: np.ndarray  # per word, where its units start in term_units (one more at the end)
    term_units: np.ndarray  # the units holding each word...
    term_counts: np.ndarray  # ...and how many times
    unit_start: np.ndarray  # per unit, where its files start in unit_docs (one more at the end)
    unit_docs: np.ndarray  # the files of each unit
    b: float = PATH_B

    @classmethod
    def build(cls, paths: Iterable[str], b: float = PATH_B) -> PathField:
        """Index `paths` (each folder's and each file name's words tokenized once)."""
        paths = list(paths)
        units: dict[str, int] = {}  # "folder/" or "name" -> unit number
        unit_of = np.empty((len(paths), 2), dtype=np.int64)
        for doc, path in enumerate(paths):
            folder, _, name = path.rpartition("/")
            unit_of[doc, 0] = units.setdefault(folder + "/", len(units))
            unit_of[doc, 1] = units.setdefault(name, len(units))
        counts = [_counts(text.replace("/", " ")) for text in units]
        vocabulary = sorted({term for words in counts for term in words})
        number = {term: i for i, term in enumerate(vocabulary)}
        pairs = np.array(
            [(number[t], unit, n) for unit, words in enumerate(counts) for t, n in words.items()],
            dtype=np.int64,
        ).reshape(-1, 3)
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
        unit_length = np.array([sum(words.values()) for words in counts], dtype=np.int64)
        docs = np.argsort(unit_of.ravel(), kind="stable") // 2  # each unit's files, in order
        return cls(
            paths, vocabulary, unit_of,
            unit_length[unit_of].sum(axis=1) if len(paths) else np.zeros(0, np.int64),
            _starts(pairs[:, 0], len(vocabulary)), pairs[:, 1].copy(), pairs[:, 2].copy(),
            _starts(np.sort(unit_of.ravel()), len(units)), docs, b,
        )  # fmt: skip

    @cached_property
    def term_number(self) -> dict[str, int]:
        """Return each word's number."""
        return {term: i for i, term in enumerate(self.terms)}

    @cached_property
    def name_unit(self) -> np.ndarray:
        """Return, per unit, whether it is a file name (not a folder)."""
        found = np.zeros(len(self.unit_start) - 1, dtype=bool)
        found[self.unit_of[:, 1]] = True
        return found

    @cached_property
    def average_length(self) -> float:
        """Return the mean number of words per path (1 for none)."""
        return float(self.lengths.mean()) if len(self.lengths) and self.lengths.any() else 1.0

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the files (by number, ascending) holding `term`, and how many times each does."""
        number = self.term_number.get(term)
        if number is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        low, high = self.term_start[number], self.term_start[number + 1]
        units, counts = self.term_units[low:high], self.term_counts[low:high]
        starts, sizes = self.unit_start[units], np.diff(self.unit_start)[units]
        docs = self.unit_docs[_ranges(starts, sizes)]
        # a file may hold the word in its folder and in its name
        docs, where = np.unique(docs, return_inverse=True)
        return docs, np.bincount(where, np.repeat(counts, sizes)).astype(np.int64)

    def score(self, terms: Mapping[str, float]) -> dict[str, float]:
        """Return BM25 scores of the paths that match any weighted term."""
        total = len(self.paths)
        scores = np.zeros(total)
        for term, weight in terms.items():
            docs, counts = self.posting(term)
            if not len(docs):
                continue
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            norm = 1 - self.b + self.b * self.lengths[docs] / self.average_length
            scores[docs] += weight * idf * counts * (K1 + 1) / (counts + K1 * norm)
        found = np.flatnonzero(scores)
        return dict(
            zip([self.paths[i] for i in found.tolist()], scores[found].tolist(), strict=True)
        )


@dataclass(frozen=True, eq=False)
class SearchFields:
    """Per-index-state data for scoring files: the path field and each file's line count, the
    files numbered in path order."""

    paths: PathField
    lines: np.ndarray  # per file (the path field's numbering), its number of lines

    def number(self, path: str) -> int | None:
        """Return a path's number, if it is one of the indexed files (kept sorted by path)."""
        paths = self.paths.paths
        at = bisect.bisect_left(paths, path)
        return at if at < len(paths) and paths[at] == path else None

    @cached_property
    def most_lines(self) -> int:
        """Return the largest file's number of lines (0 with no files)."""
        return int(self.lines.max()) if len(self.lines) else 0

    def line_count(self, path: str) -> int:
        """Return a file's number of lines (0 for an unknown path)."""
        number = self.number(path)
        return 0 if number is None else int(self.lines[number])

    def stem_matches(self, word: str) -> list[str]:
        """Return the paths whose file name, without extension and lower-cased, is `word`
        (a word of three characters or more, not starting with "_"), in path order."""
        field = self.paths
        number = field.term_number.get(word)
        if number is None or len(word) < 3 or word.startswith("_"):
            return []
        # a file name that is the word holds it as a token: look only where it occurs
        units = field.term_units[field.term_start[number] : field.term_start[number + 1]]
        units = units[field.name_unit[units]]
        sizes = np.diff(field.unit_start)[units]
        docs = np.sort(field.unit_docs[_ranges(field.unit_start[units], sizes)])
        found = (field.paths[doc] for doc in docs.tolist())
        return [path for path in found if path.rsplit("/", 1)[-1].split(".", 1)[0].lower() == word]

    def updated(self, store: IndexStore, changed: set[str]) -> SearchFields | None:
        """Return the fields after edits of known files (None if files came or went)."""
        lines = self.lines.copy()
        for path in changed:
            record, number = store.file(path), self.number(path)
            if record is None or number is None:
                return None
            lines[number] = record.n_lines
        return replace(self, lines=lines)


def build_fields(store: IndexStore) -> SearchFields:
    """Index every indexed file's path, with its line count."""
    counts = sorted(store.line_counts().items())  # Python's order, which bisection follows
    lines = np.array([n for _, n in counts], dtype=np.int64)
    return SearchFields(PathField.build(path for path, _ in counts), lines)


def _fields_arrays(fields: SearchFields) -> dict[str, np.ndarray]:
    field = fields.paths
    return {
        "paths": strings_array(field.paths),
        "terms": strings_array(field.terms),
        "sizes": np.array([len(field.paths), len(field.terms)], np.int64),
        "b": np.array([field.b]),
        **{column: getattr(field, column) for column in COLUMNS[:-1]},
        "lines": fields.lines,
    }


def _fields_from_arrays(arrays: Mapping[str, np.ndarray]) -> SearchFields:
    files, words = (int(n) for n in arrays["sizes"])
    paths, terms = array_strings(arrays["paths"], files), array_strings(arrays["terms"], words)
    columns = [np.asarray(arrays[column]) for column in COLUMNS]
    if any(c.dtype.kind not in "iu" for c in columns) or any(c.ndim != 1 for c in columns[1:]):
        raise ValueError("the saved search fields disagree")
    columns = [c.astype(np.int64, copy=False) for c in columns]
    unit_of, lengths, term_start, term_units, term_counts, unit_start, unit_docs, lines = columns
    units = len(unit_start) - 1
    b = float(np.asarray(arrays["b"]).reshape(-1)[0])
    if (
        unit_of.shape != (files, 2)
        or not 0 <= b <= 1
        or (files and min(int(lines.min()), int(lengths.min())) < 0)
        or (len(term_counts) and int(term_counts.min()) < 1)
        or len(lengths) != files
        or len(lines) != files
        or len(term_start) != words + 1
        or len(term_units) != len(term_counts)
        or len(unit_docs) != 2 * files
        or (files and not 0 <= unit_of.min() <= unit_of.max() < units)
        or (len(term_units) and not 0 <= term_units.min() <= term_units.max() < units)
        or (len(unit_docs) and not 0 <= unit_docs.min() <= unit_docs.max() < files)
        or not _bounds(term_start, len(term_units))
        or not _bounds(unit_start, len(unit_docs))
        or any(one >= next_ for one, next_ in itertools.pairwise(paths))  # for bisection
    ):
        raise ValueError("the saved search fields disagree")
    field = PathField(
        paths, terms, unit_of, lengths, term_start, term_units, term_counts, unit_start,
        unit_docs, b,
    )  # fmt: skip
    return SearchFields(field, lines)


SEARCH_FIELDS_DISK = DiskForm(_fields_arrays, _fields_from_arrays)


def _bounds(starts: np.ndarray, size: int) -> bool:
    """Say whether `starts` are offsets into `size` items: from 0, never falling, to `size`."""
    return bool(
        len(starts) and starts[0] == 0 and starts[-1] == size and (np.diff(starts) >= 0).all()
    )


def _starts(sorted_ids: np.ndarray, count: int) -> np.ndarray:
    """Return where each id's run starts in a sorted array of ids below `count`, plus the end."""
    return np.searchsorted(sorted_ids, np.arange(count + 1)).astype(np.int64)


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Return the concatenated index ranges [start, start + size)."""
    ends = np.cumsum(sizes)
    return np.repeat(starts - ends + sizes, sizes) + np.arange(int(ends[-1]) if len(ends) else 0)


def _counts(text: str) -> dict[str, int]:
    """Return how many times each code token of two characters or more occurs in `text`."""
    return dict(Counter(token for token in code_tokens(text) if len(token) > 1))
