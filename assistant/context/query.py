"""What a search query asks for: weighted words, the identifiers it names, the paths it mentions.

Queries are often commit-message-like: a subject line, then bullet points, trailers and links.
The subject says most, so its words weigh more; trailers (`Co-authored-by`), PR numbers and URLs
say nothing about the code and are dropped. Identifiers are found the way people write them:
in backticks, CamelCase, snake_case or dotted (`Link.filename`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from assistant.context.words import STOPWORDS
from assistant.index.tokens import code_tokens

SUBJECT_WEIGHT = 2.0
MAX_TERMS = 64

_NOISE_LINE = re.compile(
    r"^\s*(\*\s*)?(co-authored-by|signed-off-by|reviewed-by|acked-by|tested-by|reported-by|"
    r"see also|for more information|\[pre-commit\.ci\]|-{3,}|={3,}|#+ *$|"
    # Trailers "Name: value" that say who and where, not what (Subversion-era and Gerrit ones).
    r"(authors?|reviewers?|git-svn-id|change-id|approved-by|helped-by|suggested-by|cc)\s*:).*$",
    re.IGNORECASE | re.MULTILINE,
)
_URL = re.compile(r"https?://\S+|www\.\S+")
_ISSUE = re.compile(r"\(?#\d+\)?|\bgh-\d+\b", re.IGNORECASE)
_BACKTICKED = re.compile(r"`([^`\n]{1,120})`")
_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.[A-Za-z]{1,5})(?![\w/])")
_CODE_LIKE = re.compile(r"[a-z0-9]_[a-zA-Z0-9]|[a-z][A-Z]|^[A-Z]{2,}[a-z]|^_")


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    text: str  # the cleaned text
    subject: str  # its first line
    terms: tuple[tuple[str, float], ...]  # code tokens with weights, heaviest first
    identifiers: tuple[str, ...]  # code-looking names, in order of appearance
    words: tuple[str, ...]  # other words (possible symbol or file names)
    paths: tuple[str, ...]  # file names or paths it mentions (`responses.py`, `a/b.go`)

    @property
    def term_weights(self) -> dict[str, float]:
        """Return the terms as a dict."""
        return dict(self.terms)


def parse_query(text: str) -> Query:
    """Parse a free-text query (a request, a bug report, a commit message)."""
    cleaned = clean_text(text)
    lines = cleaned.splitlines()
    subject, body = (lines[0], "\n".join(lines[1:])) if lines else ("", "")
    weights: defaultdict[str, float] = defaultdict(float)
    for part, weight in ((subject, SUBJECT_WEIGHT), (body, 1.0)):
        for token in code_tokens(part):
            if len(token) > 1 and token not in STOPWORDS:
                weights[token] += weight
    terms = tuple(sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:MAX_TERMS])
    identifiers, words = split_names(cleaned)
    mentioned = (match.group(1) for match in _PATH.finditer(cleaned))
    paths = tuple(dict.fromkeys(path for path in mentioned if _is_file(path)))
    return Query(cleaned, subject, terms, identifiers, words, paths)


def clean_text(text: str) -> str:
    """Drop trailers, separator lines, URLs and issue numbers; keep the rest as written."""
    text = _NOISE_LINE.sub("", text)
    text = _URL.sub(" ", text)
    text = _ISSUE.sub(" ", text)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line.strip())


def split_names(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (identifiers, words): code-looking names, and other words of 3+ letters."""
    text = _PATH.sub(lambda m: " " if _is_file(m.group(1)) else m.group(0), text)
    strong: dict[str, None] = {}
    weak: dict[str, None] = {}
    for match in _BACKTICKED.finditer(text):
        for name in _NAME.findall(match.group(1)):
            strong.update((part, None) for part in name.split(".") if len(part) > 1)
    for name in _NAME.findall(text):
        parts = name.split(".")
        for part in parts:
            if (len(parts) > 1 and len(part) > 1) or _CODE_LIKE.search(part):
                strong[part] = None
            elif len(part) > 2 and part.lower() not in STOPWORDS:
                weak[part] = None
    return tuple(strong), tuple(word for word in weak if word not in strong)


def _is_file(candidate: str) -> bool:
    """Return True for a path-looking token with a code-like extension, not a dotted name."""
    stem, _, ext = candidate.rpartition(".")
    return bool(stem) and ext.lower() in _EXTENSIONS


_EXTENSION_TEXT = """
py pyi go rs js jsx mjs cjs ts tsx java kt c h cc cpp hpp cs rb php swift scala lua sh toml
yaml yml json md rst cfg ini txt html css scss vue svelte sql proto
"""
_EXTENSIONS = frozenset(_EXTENSION_TEXT.split())
