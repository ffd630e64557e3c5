"""One secrets policy: which files are secrets (by their resolved path), and redaction of text
that looks like a secret before it can reach a model.

Secrets files are never read, indexed, searched, mapped or put in a prompt. Redaction is the
second line: whatever text does reach a prompt (tool and command output, search results, rules
files, files the user adds, editor context) has private keys, well-known token formats,
credentials in URLs and high-entropy values assigned to secret-sounding names replaced by
`[REDACTED]`. Both work on what is there, not on how a path was spelled: callers resolve paths
(links, `..`, `/.`) before asking.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

REDACTED = "[REDACTED]"

# Folders whose whole content is credentials.
SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg", ".azure", ".kube", ".password-store", ".gcloud"})
SECRET_NAMES = frozenset(
    {".env", ".envrc", ".netrc", "_netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials",
     ".my.cnf", ".htpasswd", ".boto", ".s3cfg", ".dockercfg", ".vault-token", "credentials",
     "credentials.json", "credentials.toml", "credentials.yml", "credentials.yaml",
     "application_default_credentials.json", "secrets.toml", "secrets.yml", "secrets.yaml",
     "secrets.json", "terraform.tfvars", "known_hosts", "authorized_keys"}
)  # fmt: skip
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".ppk",
                   ".tfvars", ".env", ".secret", ".secrets")  # fmt: skip
SECRET_PREFIXES = ("client_secret", "service-account", "service_account")
# Kept in repositories on purpose, with placeholders: `.env.example`, `.env.sample`, ...
TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")
PRIVATE_KEY_FILE = re.compile(r"^id_(rsa|dsa|ecdsa|ed25519|ecdsa_sk|ed25519_sk|xmss)([._-].*)?$")
# Parent/name pairs: a file that is a secret only in its usual place.
SECRET_PLACES = frozenset({(".docker", "config.json"), ("gcloud", "credentials.db"),
                           ("gcloud", "access_tokens.db"), ("gh", "hosts.yml"),
                           ("assistant", "config.toml")})  # fmt: skip


def is_secret_path(path: str | os.PathLike[str]) -> bool:
    """Return whether a resolved path (relative or absolute) names a secrets file or folder."""
    parts = PurePosixPath(os.fspath(path).replace(os.sep, "/")).parts
    if any(part in SECRET_DIRS for part in parts):
        return True
    if not parts:
        return False
    name = parts[-1]
    lowered = name.lower()
    if len(parts) > 1 and (parts[-2], name) in SECRET_PLACES:
        return True
    if lowered.endswith(TEMPLATE_SUFFIXES) or lowered.endswith(".pub"):
        return False
    return (
        lowered in SECRET_NAMES
        or lowered.startswith(".env.")
        or lowered.endswith(SECRET_SUFFIXES)
        or (lowered.startswith(SECRET_PREFIXES) and lowered.endswith(".json"))
        or PRIVATE_KEY_FILE.match(lowered) is not None
    )


# -- redaction -------------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----.*?"
    r"(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)
# Each token format, with literals it cannot match without: a pattern runs only on a text
# holding one of its anchors, which spares most texts the whole alternation.
_TOKEN_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",  # AWS key ids
     ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA")),
    (r"\bgh[pousr]_[A-Za-z0-9]{30,}\b", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),  # GitHub
    (r"\bgithub_pat_[A-Za-z0-9_]{22,}\b", ("github_pat_",)),
    (r"\bglpat-[A-Za-z0-9_\-]{20,}\b", ("glpat-",)),  # GitLab
    (r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_\-]{20,}", ("sk-",)),  # OpenAI, DashScope, Anthropic
    (r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{20,}\b", ("_live_", "_test_")),  # Stripe
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),  # Slack
    (r"\bAIza[0-9A-Za-z_\-]{35}\b", ("AIza",)),  # Google API keys
    (r"\bya29\.[0-9A-Za-z_\-]{20,}", ("ya29.",)),  # Google OAuth access tokens
    (r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    (r"\bpypi-AgE[A-Za-z0-9_\-]{50,}", ("pypi-AgE",)),
    (r"\bhf_[A-Za-z0-9]{30,}\b", ("hf_",)),  # Hugging Face
    (r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", ("eyJ",)),  # JWTs
)  # fmt: skip
_TOKENS = re.compile("|".join(pattern for pattern, _ in _TOKEN_PATTERNS))
_URL_PASSWORD = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@\"']+:)([^@\s/\"']+)(@)")
_SECRET_NAME = (
    r"[A-Za-z0-9_.\-]*(?:token|secret|passw(?:or)?d|passphrase|pwd|api_?key|apikey|access_?key"
    r"|private_?key|secret_?key|client_?secret|credentials?|auth_?key|signing_?key)[A-Za-z0-9_]*"
)
# NAME = "value", NAME: 'value', "NAME": "value", and env-file lines NAME=value.
_ASSIGNED = re.compile(
    rf"""(?ix)
    (?P<name>["']?{_SECRET_NAME}["']?)
    (?P<sep>\s*(?::=|=>|[:=])\s*)
    (?:(?P<quote>["'`])(?P<quoted>[^"'`\n]{{6,}})(?P=quote)
      |(?P<bare>[^\s"'`,;)\]}}{{(\[]{{6,}}))
    """
)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:x+|\*+|\.+|changeme|change_me|redacted|none|null|true|false|secret|password|"
    r"example\S*|your[-_].*|<.*>|\$\{.*\}|\$\w+|%\(.*\)s|\{\{.*\}\}|\[redacted\])$"
)
# Code that reads a secret is not a secret: os.environ["X"], getenv(...), settings.api_key.
_CODE_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:[.(\[][^\s]*)?$")
# The literal each _SECRET_NAME holds (lower case): _ASSIGNED is tried only where one occurs.
_KEYWORDS = ("token", "secret", "passw", "passphrase", "pwd", "apikey", "api_key", "accesskey",
             "access_key", "privatekey", "private_key", "clientsecret", "client_secret",
             "credential", "authkey", "auth_key", "signingkey", "signing_key")  # fmt: skip
_NAME_RUN = re.compile(r"[A-Za-z0-9_.\-]*")  # what _SECRET_NAME may start with
_SEPARATOR = re.compile(r"[\"']?(?:\s|[:=])")  # what must follow a name in _ASSIGNED
# With IGNORECASE, [a-z] also matches these; a text holding one takes the plain regex.
_FOLDING = ("\u0130", "\u0131", "\u017f", "\u212a")
_TOKEN_SUBSETS: dict[tuple[int, ...], re.Pattern[str]] = {}


@dataclass(frozen=True)
class Redactor:
    """Redact secret-looking text; `known` are exact values to hide too (the user's API keys)."""

    known: tuple[str, ...] = field(default=())

    def redact(self, text: str) -> str:
        """Return `text` with every secret-looking part replaced by [REDACTED]."""
        if not text:
            return text
        for value in self.known:
            if len(value) >= 8 and value in text:
                text = text.replace(value, REDACTED)
        # Each pattern runs only where its literal anchor occurs: same result, linear time.
        if "PRIVATE KEY" in text:
            text = _PRIVATE_KEY.sub(REDACTED, text)
        tokens = _tokens_in(text)
        if tokens is not None:
            text = tokens.sub(REDACTED, text)
        if "://" in text and "@" in text:
            text = _URL_PASSWORD.sub(rf"\1{REDACTED}\3", text)
        return _redact_assignments(text)


DEFAULT_REDACTOR = Redactor()


def redact(text: str, known: Iterable[str] = ()) -> str:
    """Return `text` with secret-looking parts replaced (see `Redactor`)."""
    redactor = Redactor(tuple(k for k in known if k)) if known else DEFAULT_REDACTOR
    return redactor.redact(text)


def _tokens_in(text: str) -> re.Pattern[str] | None:
    """Return _TOKENS cut down to the formats whose anchors occur in `text` (None: none do)."""
    present = tuple(
        i for i, (_, anchors) in enumerate(_TOKEN_PATTERNS) if any(a in text for a in anchors)
    )
    if not present:
        return None
    if present not in _TOKEN_SUBSETS:
        joined = "|".join(_TOKEN_PATTERNS[i][0] for i in present)
        _TOKEN_SUBSETS[present] = re.compile(joined)
    return _TOKEN_SUBSETS[present]


def _redact_assignments(text: str) -> str:
    """Do `_ASSIGNED.sub`, trying the pattern only at the start of runs holding a keyword.

    `_ASSIGNED` tried at every character is quadratic in the length of a run of name
    characters (a 20 KB base64 blob took a minute). A match needs a keyword, and its leftmost
    start is the start of the keyword's run (or the quote before it), so only those are tried.
    """
    lower = text.lower()
    if len(lower) != len(text) or any(c in text for c in _FOLDING):
        return _ASSIGNED.sub(_redact_assignment, text)
    hits = sorted({i for keyword in _KEYWORDS for i in _find_all(lower, keyword)})
    if not hits:
        return text
    reverse = text[::-1]  # where a run starts, found with a forward scan of the reversed text
    out: list[str] = []
    done = skip = 0
    for hit in hits:
        if hit < done or hit < skip:
            continue
        end = _NAME_RUN.match(text, hit).end()
        if not _SEPARATOR.match(text, end):  # a name ends its run, right before `=` or `:`
            skip = end
            continue
        back = len(text) - hit
        start = max(done, hit - (_NAME_RUN.match(reverse, back).end() - back))
        if start > done and text[start - 1] in "\"'":
            start -= 1
        match = _ASSIGNED.match(text, start)
        if match is None:  # every keyword of this run was tried from its start
            skip = end
            continue
        out += (text[done : match.start()], _redact_assignment(match))
        done = match.end()
    out.append(text[done:])
    return "".join(out)


def _find_all(haystack: str, needle: str) -> list[int]:
    found, at = [], haystack.find(needle)
    while at >= 0:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _redact_assignment(match: re.Match[str]) -> str:
    quoted = match.group("quoted")
    value = quoted if quoted is not None else match.group("bare")
    if REDACTED in value or not looks_secret(match.group("name"), value, quoted is not None):
        return match.group(0)
    if quoted is not None:
        quote = match.group("quote")
        return f"{match.group('name')}{match.group('sep')}{quote}{REDACTED}{quote}"
    return f"{match.group('name')}{match.group('sep')}{REDACTED}"


def looks_secret(name: str, value: str, quoted: bool) -> bool:
    """Return whether `value`, assigned to a secret-sounding `name`, looks like a real secret."""
    value = value.strip()
    if _PLACEHOLDER.match(value) or (not quoted and _CODE_LIKE.match(value) and "_" in value):
        return False
    if not quoted and _CODE_LIKE.match(value) and not any(c.isdigit() for c in value):
        return False  # NAME=some_identifier in code: a reference, not a value
    if re.search(r"(?i)passw|passphrase|pwd", name):
        return len(value) >= 6
    return len(value) >= 8 and shannon_entropy(value) >= 3.0


def shannon_entropy(value: str) -> float:
    """Return the Shannon entropy of `value`, in bits per character."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())
