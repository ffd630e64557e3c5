"""Secrets found by their names: values given to secret-sounding names in code, config files,
env files, HTTP headers and XML elements, and the test of whether such a value is a real secret.

Each finder returns the spans of `text` to hide, in time linear in the text: a pattern is
tried only where one of its literal anchors occurs.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter

REDACTED = "[REDACTED]"
Span = tuple[int, int]

# Words that make any name holding them secret-sounding (`github_token`, `db_password_file`).
_KEYWORD_NAME = (
    r"token|secret|passw(?:or)?d|passphrase|pwd|api_?key|apikey|access_?key|private_?key"
    r"|secret_?key|client_?secret|credentials?|auth_?key|signing_?key"
)
# Words secret-sounding only at the end of a name, after a separator or a lower-case letter:
# ENCRYPTION_KEY, X-Api-Key, masterKey, AccountKey, DB_PASS (but not `key`, `monkey`, `bypass`).
_SUFFIX_NAME = r"[_\-](?:key|pass)|(?-i:[a-z0-9]Key)"
_SECRET_NAME = (
    rf"[A-Za-z0-9_.\-]*(?:(?:{_KEYWORD_NAME})[A-Za-z0-9_]*|(?:{_SUFFIX_NAME})(?![A-Za-z0-9_]))"
)
_IS_SECRET_NAME = re.compile(rf"(?i){_SECRET_NAME}")
_HAS_KEYWORD = re.compile(rf"(?i){_KEYWORD_NAME}")
_PASSWORD_NAME = re.compile(r"(?i)passw|passphrase|pwd")
# NAME = "value", NAME: 'value', "NAME": "value", and env-file lines NAME=value.
_ASSIGNED = re.compile(
    rf"""(?ix)
    (?P<name>["']?{_SECRET_NAME}["']?)
    (?P<sep>\s*(?::=|=>|[:=])\s*)
    (?:(?P<quote>["'`])(?P<quoted>[^"'`\n]{{6,}})(?P=quote)
      |(?P<bare>[^\s"'`,;)\]}}{{(\[]{{6,}}))
    """
)
# <password>value</password>, <db.secret>value</db.secret>, <apiKey>value</apiKey>.
_ELEMENT = re.compile(r"<(?P<tag>[A-Za-z_][\w.\-:]{0,63})>(?P<value>[^<>\n]{6,4096})</(?P=tag)>")
_PLACEHOLDER = re.compile(
    r"(?i)^(?:x+|\*+|\.+|changeme|change_me|redacted|none|null|true|false|secret|password|"
    r"example\S*|your[-_].*|<.*>|\$\{.*\}|\$\w+|%\(.*\)s|\{\{.*\}\}|\{[^{}]*\}|\[redacted\])$"
)
# Code that reads a secret is not a secret: os.environ["X"], getenv(...), settings.api_key.
_CODE_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:[.(\[][^\s]*)?$")
# What a key looks like (hex, base64, base64url), and what names and words look like instead.
_KEY_VALUE = re.compile(r"[A-Za-z0-9+/=_\-.~]+")
_DIGIT = re.compile("[0-9]")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_WORDS = re.compile(
    r"[a-z][a-z0-9]*(?:[_\-./:](?:[a-z][a-z0-9]*|[0-9]{1,4}))+"
    r"|[A-Z][A-Z0-9]*(?:[_\-./:](?:[A-Z][A-Z0-9]*|[0-9]{1,4}))+"
)
_IDENTIFIER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
# Literals every secret-sounding name holds (lower case): _ASSIGNED is tried only where one
# occurs. `key` and `pass` hits are kept only where a name holds them as a keyword or ending.
_KEYWORDS = ("token", "secret", "pwd", "credential")
_KEY_STEMS = ("api", "api_", "access", "access_", "private", "private_", "auth", "auth_",
              "signing", "signing_")  # fmt: skip
_PASS_WORDS = ("passw", "passphrase")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_CAMEL_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NAME_RUN = re.compile(r"[A-Za-z0-9_.\-]*")  # what _SECRET_NAME may start with
_SEPARATOR = re.compile(r"[\"']?\s*[:=]")  # what must follow a name in _ASSIGNED
# With IGNORECASE, [a-z] also matches these; a text holding one takes the plain regex.
_FOLDING = ("\u0130", "\u0131", "\u017f", "\u212a")


def assignment_spans(text: str) -> list[Span]:
    """Return the spans of secret values assigned to secret-sounding names.

    `_ASSIGNED` tried at every character is quadratic in the length of a run of name
    characters (a 20 KB base64 blob took a minute). A match needs a keyword or a suffix name,
    and its leftmost start is the start of that word's run (or the quote before it), so only
    those are tried.
    """
    if any(c in text for c in _FOLDING):
        return [span for m in _ASSIGNED.finditer(text) if (span := _value_span(m))]
    lower = lowered(text)
    hits = sorted(
        {i for keyword in _KEYWORDS for i in find_all(lower, keyword)}
        | set(_key_hits(text, lower))
        | set(_pass_hits(text, lower))
    )
    reverse = text[::-1] if hits else ""  # where a run starts: a forward scan of the reverse
    spans: list[Span] = []
    done = skip = 0
    for hit in hits:
        if hit < done or hit < skip:
            continue
        end = _NAME_RUN.match(text, hit).end()  # type: ignore[union-attr]  # a `*` pattern always matches
        if not _SEPARATOR.match(text, end):  # a name ends its run, right before `=` or `:`
            skip = end
            continue
        back = len(text) - hit
        start = max(done, hit - (_NAME_RUN.match(reverse, back).end() - back))  # type: ignore[union-attr]  # a `*` pattern always matches
        if start > done and text[start - 1] in "\"'":
            start -= 1
        match = _ASSIGNED.match(text, start)
        if match is None:  # every keyword of this run was tried from its start
            skip = end
            continue
        if span := _value_span(match):
            spans.append(span)
        done = match.end()
    return spans


def element_spans(text: str) -> list[Span]:
    """Return the spans of secret values in XML elements named like secrets."""
    if "</" not in text:
        return []
    return [
        match.span("value")
        for match in _ELEMENT.finditer(text)
        if _IS_SECRET_NAME.fullmatch(match.group("tag"))
        and REDACTED not in match.group("value")
        and looks_secret(match.group("tag"), match.group("value"), True)
    ]


def looks_secret(name: str, value: str, quoted: bool) -> bool:
    """Return whether `value`, assigned to a secret-sounding `name`, looks like a real secret."""
    value = value.strip()
    if _PLACEHOLDER.match(value) or (not quoted and _CODE_LIKE.match(value) and "_" in value):
        return False
    if not quoted and _CODE_LIKE.match(value) and not any(c.isdigit() for c in value):
        return False  # NAME=some_identifier in code: a reference, not a value
    name = name.strip("\"'")
    if not _HAS_KEYWORD.search(name):
        return _suffix_value_is_secret(name, value)
    if _PASSWORD_NAME.search(name):
        return len(value) >= 6
    if _IDENTIFIER.fullmatch(value):
        return False  # `api_key_env = "OPENAI_API_KEY"`: the name of a secret, not one
    return len(value) >= 8 and shannon_entropy(value) >= 3.0


def looks_like_key(value: str, min_length: int = 16) -> bool:
    """Return whether `value` looks like a generated key or token, not a word or a name."""
    if len(value) < min_length or not _KEY_VALUE.fullmatch(value) or _WORDS.fullmatch(value):
        return False
    upper, lower = value.lower() != value, value.upper() != value
    digit = _DIGIT.search(value) is not None
    if not digit and (value.istitle() or not (upper and lower)):
        return False  # a word: `Authorization`, `createdAt`, `NEGOTIATE`
    if _HEX.fullmatch(value):  # 16 symbols at most: random hex has less entropy than base64
        return digit and shannon_entropy(value) >= 2.5
    # A short value cannot reach the entropy of a long one: the bar rises with the length.
    return shannon_entropy(value) >= 3.0 + min(len(value), 32) / 64


def shannon_entropy(value: str) -> float:
    """Return the Shannon entropy of `value`, in bits per character."""
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


@functools.lru_cache(maxsize=1)
def lowered(text: str) -> str:
    """Return `text` in lower case with every character at its index (the finders share it)."""
    # U+0130 is the one character whose lower case is two characters long.
    return text.replace("\u0130", "I").lower() if "\u0130" in text else text.lower()


def find_all(haystack: str, needle: str) -> list[int]:
    """Return every index where `needle` starts in `haystack` (overlaps included)."""
    found, at = [], haystack.find(needle)
    while at >= 0:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _key_hits(text: str, lower: str) -> list[int]:
    """Return where `key` ends a name (`_key`, `-key`, `Key`) or follows a stem (`api_key`)."""
    size = len(text)
    return [
        i
        for i in find_all(lower, "key")
        if lower.endswith(_KEY_STEMS, 0, i)
        or (
            i > 0
            and (lower[i - 1] in "_-" or (text[i] == "K" and text[i - 1] in _CAMEL_BEFORE))
            and (i + 3 == size or text[i + 3] not in _NAME_CHARS)
        )
    ]


def _pass_hits(text: str, lower: str) -> list[int]:
    """Return where a name holds `passw` or `passphrase`, or ends in `_pass` or `-pass`."""
    size = len(text)
    return [
        i
        for i in find_all(lower, "pass")
        if lower.startswith(_PASS_WORDS, i)
        or (i > 0 and lower[i - 1] in "_-" and (i + 4 == size or text[i + 4] not in _NAME_CHARS))
    ]


def _suffix_value_is_secret(name: str, value: str) -> bool:
    """Judge a value given to a name that is secret only by its ending (`*_KEY`, `*_PASS`)."""
    lower_name = name.lower()
    if "public" in lower_name:  # NEXT_PUBLIC_*, publicKey, publishable keys: public by design
        return False
    if lower_name.endswith("pass"):
        # A word in an env-style name (DB_PASS) is a password; in a name in code (render_pass)
        # it is just a word.
        return len(value) >= 6 and (name.isupper() or not value.isalpha()) and " " not in value
    return looks_like_key(value)


def _value_span(match: re.Match[str]) -> Span | None:
    """Return the span of the value `match` assigns, when it is a secret to hide."""
    group = "quoted" if match.group("quoted") is not None else "bare"
    value = match.group(group)
    if REDACTED in value or not looks_secret(match.group("name"), value, group == "quoted"):
        return None
    return match.span(group)
