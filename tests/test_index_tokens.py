"""Code-aware tokens: what queries are split into and what the index adds for camelCase."""

from __future__ import annotations

import pytest

from assistant.index.tokens import code_tokens, hump_parts


def test_code_tokens_keep_identifiers_whole_and_split_them():
    assert code_tokens("parseHTTPResponse(raw_bytes)") == [
        "parsehttpresponse", "parse", "http", "response", "raw_bytes", "raw", "bytes",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("parseHttpResponse", "parse http response"),
        ("HTTPResponse", "http response"),
        ("QuerySet QuerySet", "query set query set"),  # once per occurrence: BM25 counts them
        ("utf8 base64Encode", "utf 8 base 64 encode"),
        ("_privateName", "private name"),
        ("get_HTTP_code", ""),  # unicode61 already splits at underscores
        ("Model None MAX_SIZE 200 x.y snake_case", ""),  # nothing to split
        ("2to3 1stPlace", ""),  # words starting with a digit are left whole
        ("naïveCase = fooBar2", "ve case foo bar 2"),  # only ASCII letters and digits make words
    ],
)
def test_hump_parts_are_the_words_unicode61_cannot_split(text, parts):
    assert hump_parts(text) == parts
