"""Secrets found by their shape: private keys (whole, cut short, or a body read without its
BEGIN line), well-known token formats, Authorization headers and passwords in URLs.

Each finder returns the spans of `text` to hide, in time linear in the text: a pattern
is tried only where one of its literal anchors occurs, never at every character.
"""

from __future__ import annotations

import bisect
import re

from assistant.security.secret_names import REDACTED, Span, find_all, looks_like_key, lowered

_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_MAX_CHARS = 32_768  # a 16384-bit RSA key in PEM is about 13 KB
# How tools number the lines they show: `   12  text` (read_file), `12:text` (grep -n).
_NUMBERED = r"[ \t]*(?:\d+(?:[ \t]+|[:|][ \t]*))?"
# A key cut short (no END line): the rest of the BEGIN line and the lines after it that hold
# one word each (the body, numbered as read_file shows it) or PEM headers.
_KEY_TAIL = re.compile(
    rf"[^\n]*(?:\n{_NUMBERED}(?:(?:Proc-Type|DEK-Info|Comment):[^\n]*|\S+)"
    r"[ \t\r]*(?=\n|\Z))*"
)
# Lines of a key body: base64 alone on its line (maybe numbered), 48 characters or more with
# upper case, lower case and digits mixed.
_BODY_RUN = re.compile(
    rf"(?:{_NUMBERED}"
    r"(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[0-9])"
    r"[A-Za-z0-9+/]{48,}={0,2}[ \t\r]*(?:\n|\Z))+"
)
_BODY = re.compile(r"[A-Za-z0-9+/]{48,}={0,2}")
# The shorter line that may end a body (its last line).
_LAST_LINE = re.compile(rf"{_NUMBERED}(?P<body>[A-Za-z0-9+/]+={{0,2}})[ \t\r]*")
_BODY_ALONE_MIN = 60  # a body of one line
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# base64 characters -> "a", newlines kept, everything else -> " ": a run of 48 "a" is found by
# bytes.find instead of a regex tried at every character.
_MASK = bytes(97 if b in _B64 else 10 if b == 10 else 32 for b in range(256))
_MASK_RUN = b"a" * 48

# Each token format, where to look for it (a literal it starts with, or a pattern with a
# literal first character: both are found without trying a regex at every character), and how
# far before that the token starts (Stripe's `sk_live_` is found by `_live_`).
_TOKEN_FORMATS: tuple[tuple[str, str | re.Pattern[str], int], ...] = (
    (r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",  # AWS key ids
     re.compile("A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)"), 0),
    (r"\bgh[pousr]_[A-Za-z0-9]{30,}\b", re.compile("gh[pousr]_"), 0),  # GitHub
    (r"\bgithub_pat_[A-Za-z0-9_]{22,}\b", "github_pat_", 0),
    (r"\bglpat-[A-Za-z0-9_\-]{20,}\b", "glpat-", 0),  # GitLab
    (r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_\-]{20,}", "sk-", 0),  # OpenAI, DashScope...
    (r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{20,}\b", re.compile("_(?:live|test)_"), 2),
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "xox", 0),  # Slack
    (r"\bAIza[0-9A-Za-z_\-]{35}\b", "AIza", 0),  # Google API keys
    (r"\bya29\.[0-9A-Za-z_\-]{20,}", "ya29.", 0),  # Google OAuth access tokens
    (r"\bnpm_[A-Za-z0-9]{36}\b", "npm_", 0),
    (r"\bpypi-AgE[A-Za-z0-9_\-]{50,}", "pypi-AgE", 0),
    (r"\bhf_[A-Za-z0-9]{30,}\b", "hf_", 0),  # Hugging Face
    (r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", "eyJ", 0),  # JWT
)  # fmt: skip
_TOKENS = tuple((re.compile(pattern), anchor, back) for pattern, anchor, back in _TOKEN_FORMATS)
# A failed JWT match scanned its whole first segment: no later start inside it can do better.
_JWT_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")

_CREDENTIAL = r"(?P<value>[A-Za-z0-9._~+/\-]+=*)"
_HEADER = re.compile(
    rf"authorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:(?:bearer|basic|token|bot)[ \t]+)?{_CREDENTIAL}",
    re.IGNORECASE,
)
_SCHEME = re.compile(rf"(?:bearer|basic)[ \t]+{_CREDENTIAL}", re.IGNORECASE)
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_URL_CREDENTIALS = re.compile(r"[^/\s:@\"']*:(?P<password>[^@\s/\"']+)@")


def private_key_spans(text: str) -> list[Span]:
    """Return the spans of PEM and OpenSSH private keys, from BEGIN to END (or the body's end)."""
    if "PRIVATE KEY" not in text:
        return []
    ends = [m.end() for m in _KEY_END.finditer(text)] if "-----END" in text else []
    spans: list[Span] = []
    pos = 0
    while (begin := _KEY_BEGIN.search(text, pos)) is not None:
        i = bisect.bisect_left(ends, begin.end())
        if i < len(ends) and ends[i] - begin.start() <= _KEY_MAX_CHARS:
            end = ends[i]
        else:
            end = _KEY_TAIL.match(text, begin.end()).end()  # type: ignore[union-attr]  # a `*` pattern always matches
        spans.append((begin.start(), end))
        pos = end
    return spans


def key_body_spans(text: str) -> list[Span]:
    """Return the spans of key bodies shown without their BEGIN line.

    A body is two or more lines in a row that each hold only 48 or more base64 characters with
    upper case, lower case and digits mixed (pure hex, such as git ids, never is), or one such
    line of 60 or more; a shorter base64 line right after a run is its last line.
    """
    if len(text) < len(_MASK_RUN):
        return []
    mask = text.encode("ascii", "replace").translate(_MASK)  # one byte per character
    spans: list[Span] = []
    pos = 0
    while (hit := mask.find(_MASK_RUN, pos)) >= 0:
        run = _BODY_RUN.match(text, text.rfind("\n", 0, hit) + 1)
        if run is None:
            pos = _next_line(text, hit)
            continue
        bodies = [body.span() for body in _BODY.finditer(text, run.start(), run.end())]
        pos = run.end()
        if len(bodies) >= 2 or bodies[0][1] - bodies[0][0] >= _BODY_ALONE_MIN:
            spans += bodies
            if pos < len(text) and (last := _last_line(text, pos)) is not None:
                spans.append(last)
                pos = _next_line(text, pos)
    return spans


def token_spans(text: str) -> list[Span]:
    """Return the spans of well-known token formats (cloud keys, access tokens, JWTs)."""
    spans: list[Span] = []
    for pattern, anchor, back in _TOKENS:
        starts = [
            p - back
            for p in (
                find_all(text, anchor)
                if isinstance(anchor, str)
                else [m.start() for m in anchor.finditer(text)]
            )
            if p >= back
        ]
        skip = 0
        for start in starts:
            if start < skip:
                continue
            match = pattern.match(text, start)
            if match is not None:
                spans.append(match.span())
                skip = match.end()
            elif anchor == "eyJ":
                skip = _JWT_SEGMENT.match(text, start).end()  # type: ignore[union-attr]  # a `*` pattern always matches
    return spans


def auth_header_spans(text: str) -> list[Span]:
    """Return the spans of credentials in Authorization headers and `Bearer`/`Basic` values."""
    lower = lowered(text)
    spans: list[Span] = []
    for at in find_all(lower, "authorization"):
        match = _HEADER.match(text, at)
        if match is not None and _is_credential(match.group("value"), 8):
            spans.append(match.span("value"))
    for at in sorted(find_all(lower, "bearer") + find_all(lower, "basic")):
        if at and (text[at - 1].isalnum() or text[at - 1] == "_"):
            continue
        match = _SCHEME.match(text, at)
        if match is not None and _is_credential(match.group("value"), 16):
            spans.append(match.span("value"))
    return spans


def url_password_spans(text: str) -> list[Span]:
    """Return the spans of passwords in URLs (`user:password@host` after `://`), user or not."""
    if "@" not in text:
        return []
    spans: list[Span] = []
    for at in find_all(text, "://"):
        if at == 0 or text[at - 1] not in _SCHEME_CHARS:
            continue
        match = _URL_CREDENTIALS.match(text, at + 3)
        if match is not None:
            spans.append(match.span("password"))
    return spans


def _is_credential(value: str, min_length: int) -> bool:
    """Return whether a header value is an opaque credential (not a word, variable or example)."""
    return REDACTED not in value and looks_like_key(value.rstrip("="), min_length)


def _last_line(text: str, start: int) -> Span | None:
    """Return the span of the base64 on the line at `start`, when that is all the line holds."""
    end = text.find("\n", start)
    match = _LAST_LINE.fullmatch(text, start, len(text) if end < 0 else end)
    return None if match is None else match.span("body")


def _next_line(text: str, at: int) -> int:
    """Return where the line after the one holding `at` starts (the end of text if none)."""
    end = text.find("\n", at)
    return len(text) if end < 0 else end + 1
