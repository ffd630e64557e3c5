"""Quote removal for the words of a bash command line: backslashes, double quotes, `$'...'`."""

from __future__ import annotations

import re

_DQ_ESCAPE = re.compile(r"\\([$`\"\\\n])")
_WORD_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def unquote_word(raw: str) -> str:
    """Return an unquoted word as bash passes it: `\\x` is `x`, backslash-newline is nothing."""
    return _WORD_ESCAPE.sub(_unescape, raw)


def unquote_double(body: str) -> str:
    """Return the body of a double-quoted string as bash reads it (backslash before $ ` " \\)."""
    return _DQ_ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match[str]) -> str:
    return "" if match.group(1) == "\n" else match.group(1)


_ANSI_SIMPLE = dict(zip("abeEfnrtv\\'\"?", "\a\b\x1b\x1b\f\n\r\t\v\\'\"?", strict=True))
_ANSI = re.compile(
    r"\\(?:([abeEfnrtv\\'\"?])|([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})"
    r"|U([0-9a-fA-F]{1,8})|c(.))",
    re.DOTALL,
)


def ansi_c(body: str) -> str:
    """Decode the body of a `$'...'` string the way bash does, which ends it at a NUL."""
    return _ANSI.sub(_ansi_escape, body).split("\x00", 1)[0]


def _ansi_escape(match: re.Match[str]) -> str:
    simple, octal, hex2, hex4, hex8, control = match.groups()
    if simple is not None:
        return _ANSI_SIMPLE[simple]
    if control is not None:
        return chr(ord(control) & 0x1F)
    number = int(octal, 8) if octal else int(hex2 or hex4 or hex8, 16)
    return chr(min(number, 0x10FFFF))
