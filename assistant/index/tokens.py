"""Code-aware tokens: identifiers kept whole and split at camelCase, snake_case and digits.

`code_tokens` tokenizes what a query asks. The index stores each chunk's own text (FTS5's
unicode61 tokenizer already splits at `_` and punctuation and lower-cases) plus `hump_parts`,
the words unicode61 cannot split (`parseHTTPResponse` -> parse http response), so
`parseHTTPResponse`, `parse_http_response` and "parse http response" all meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Words with a capital or a digit after their first letter: the only ones with humps to split
# (`Model`, `None` and numbers, two-thirds of the candidates in real code, are left out here).
_HUMPED = re.compile(r"\b[A-Za-z_][a-z_]*[A-Z0-9]\w*", re.ASCII)


@lru_cache(maxsize=200_000)
def split_identifier(word: str) -> tuple[str, ...]:
    """Return the lower-case parts of one identifier (`getHTTPCode` -> get, http, code)."""
    return tuple(part.lower() for part in _PART.findall(word))


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    whole = word.strip("_").lower()
    parts = split_identifier(word)
    head = (whole,) if whole else ()
    return head + parts if len(parts) > 1 else head


def iter_code_tokens(text: str) -> Iterator[str]:
    """Yield lower-case tokens: each identifier whole, then its parts when it has several."""
    for word in _IDENTIFIER.findall(text):
        yield from _word_tokens(word)


def code_tokens(text: str) -> list[str]:
    """Return the code tokens of `text` as a list (see `iter_code_tokens`)."""
    return list(iter_code_tokens(text))


@lru_cache(maxsize=200_000)
def _hump_parts(word: str) -> str:
    parts = split_identifier(word)
    pieces = tuple(piece.lower() for piece in word.split("_") if piece)
    return " ".join(parts) if parts != pieces else ""


@lru_cache(maxsize=4096)  # an edited file's unchanged chunks come back on every re-index
def hump_parts(text: str) -> str:
    """Return the parts of `text`'s camelCase and letter-digit words, once per occurrence.

    unicode61 indexes `parseHTTPResponse` whole and `parse_http_response` as its three words;
    these parts, indexed beside the text, make the first findable by its words too. Words
    starting with a digit (`2to3`, `1st`) are left alone.
    """
    found = [_hump_parts(word) for word in _HUMPED.findall(text)]
    return " ".join(parts for parts in found if parts)
