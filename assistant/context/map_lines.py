"""A symbol's line in the repo map: its signature on one bounded line, and that line's length
measured for a million signatures at once (the map's table holds every symbol's)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MAX_SIGNATURE_CHARS = 160
LINE_OVERHEAD = 3  # a map line's indent and newline, at the least
MAX_LINE_CHARS = MAX_SIGNATURE_CHARS + LINE_OVERHEAD
# Whether each code point is whitespace to `str.split` (none is past U+3000; one more entry,
# False, stands for every code point after).
_SPACE = np.array([chr(c).isspace() for c in range(0x3002)], dtype=bool)


@lru_cache(maxsize=65_536)
def one_line(signature: str) -> str:
    """Collapse a (possibly multi-line) signature to one bounded line."""
    text = " ".join(signature.split())
    if len(text) > MAX_SIGNATURE_CHARS:
        text = text[: MAX_SIGNATURE_CHARS - 1] + "…"
    return text


def one_line_lengths(chars: np.ndarray, joined: str) -> np.ndarray:
    """Return `len(one_line(s))` of each of the strings whose lengths in characters are
    `chars`, joined one after another in `joined`: a few numpy passes over the text's code
    points instead of a Python call per string."""
    points = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    space = _SPACE[np.minimum(points, len(_SPACE) - 1)]
    ends = np.cumsum(chars)
    starts = ends - chars
    # a word starts at a non-space after a space, or at its string's start
    after_space = np.empty(len(space), dtype=bool)
    after_space[:1] = True
    after_space[1:] = space[:-1]
    after_space[starts[chars > 0]] = True
    counted = np.zeros(len(space) + 1, dtype=np.int32)  # (a batch is megabytes at most)
    np.cumsum(~space, out=counted[1:])
    letters = counted[ends] - counted[starts]
    np.cumsum(~space & after_space, out=counted[1:])
    words = counted[ends] - counted[starts]
    return np.minimum(letters + np.maximum(words - 1, 0), MAX_SIGNATURE_CHARS)
