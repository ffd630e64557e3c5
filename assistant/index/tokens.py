"""Code-aware tokens: identifiers kept whole and split at camelCase, snake_case and digits.

The same function tokenizes what the index stores (FTS5 sees pre-split text) and what a query
asks, so `parseHTTPResponse`, `parse_http_response` and "parse http response" all meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


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
