"""One secrets policy: which files are secrets (by their resolved path), and redaction of text
that looks like a secret before it can reach a model.

Secrets files are never read, indexed, searched, mapped or put in a prompt. Redaction is the
second line: whatever text does reach a prompt (tool and command output, search results, rules
files, files the user adds, editor context) has private keys and key bodies shown without
their BEGIN line, well-known token formats, Authorization headers, credentials in URLs and
secret values given to secret-sounding names (`*_TOKEN`, `*_KEY`, `*_PASS`, `<password>`...)
replaced by `[REDACTED]` (the finders are in `secret_formats` and `secret_names`). Both work on
what is there, not on how a path was spelled: callers resolve paths (links, `..`, `/.`) before
asking.

`Redactor.redact_around` also says where a cursor lands in the redacted text, or that a secret
covers it: the editor's prefix and suffix are redacted as the one text they are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

from assistant.security.secret_formats import (
    auth_header_spans,
    key_body_spans,
    private_key_spans,
    token_spans,
    url_password_spans,
)
from assistant.security.secret_names import (
    REDACTED,
    Span,
    assignment_spans,
    element_spans,
    looks_secret,
    shannon_entropy,
)

__all__ = ["REDACTED", "Redactor", "is_secret_path", "looks_secret", "redact", "shannon_entropy"]

# Folders whose whole content is credentials.
SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg", ".azure", ".kube", ".password-store", ".gcloud"})
SECRET_NAMES = frozenset(
    {".env", ".envrc", ".netrc", "_netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials",
     ".my.cnf", ".htpasswd", ".boto", ".s3cfg", ".dockercfg", ".vault-token", "credentials",
     "credentials.json", "credentials.toml", "credentials.yml", "credentials.yaml",
     "application_default_credentials.json", "secrets.toml", "secrets.yml", "secrets.yaml",
     "secrets.json", "terraform.tfvars", "known_hosts", "authorized_keys"}
)  # fmt: skip
# .tfstate: Terraform state holds the resources' secrets in plain text (and .tfstate.backup).
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".ppk",
                   ".tfvars", ".env", ".secret", ".secrets", ".tfstate",
                   ".tfstate.backup")  # fmt: skip
SECRET_PREFIXES = ("client_secret", "service-account", "service_account")
# Kept in repositories on purpose, with placeholders: `.env.example`, `.env.sample`, ...
TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")
PRIVATE_KEY_FILE = re.compile(r"^id_(rsa|dsa|ecdsa|ed25519|ecdsa_sk|ed25519_sk|xmss)([._-].*)?$")
# Parent/name pairs: a file that is a secret only in its usual place.
SECRET_PLACES = frozenset({(".docker", "config.json"), ("gcloud", "credentials.db"),
                           ("gcloud", "access_tokens.db"), ("gh", "hosts.yml"),
                           ("assistant", "config.toml")})  # fmt: skip


_NO_PART = ("", ".")


def is_secret_path(path: str | os.PathLike[str]) -> bool:
    """Return whether a resolved path (relative or absolute) names a secrets file or folder."""
    # The parts PurePosixPath would give, less its anchor (never a secret's name); a plain
    # split is ten times quicker, and a cold index asks this of every listed file.
    parts = [
        part for part in os.fspath(path).replace(os.sep, "/").split("/") if part not in _NO_PART
    ]
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

Finder = Callable[[str], list[Span]]
# In this order: a later finder sees what the earlier ones left (a key's body is gone before
# its lines could look like tokens or assignments). The last two share one lower-cased copy.
_FINDERS: tuple[Finder, ...] = (
    private_key_spans,
    key_body_spans,
    token_spans,
    url_password_spans,
    element_spans,
    auth_header_spans,
    assignment_spans,
)


@dataclass(frozen=True)
class Redactor:
    """Redact secret-looking text; `known` are exact values to hide too (the user's API keys)."""

    known: tuple[str, ...] = field(default=())

    def redact(self, text: str) -> str:
        """Return `text` with every secret-looking part replaced by [REDACTED]."""
        if not text:
            return text
        return self._run(text, 0)[0]  # no span starts before 0: none covers it

    def redact_around(self, text: str, cursor: int) -> tuple[str, int] | None:
        """Return `text` redacted and where `cursor` lands in it; None when a secret covers it.

        A secret that merely ends or starts at the cursor is hidden like any other: the cursor
        stays outside [REDACTED].
        """
        text, cursor, covered = self._run(text, cursor)
        return None if covered else (text, cursor)

    def _run(self, text: str, cursor: int) -> tuple[str, int, bool]:
        """Apply each finder in turn, moving `cursor` along; stop when a span covers it."""
        for find in self._finders():
            spans = _merged(find(text))
            if not spans:
                continue
            if any(start < cursor < end for start, end in spans):
                return text, cursor, True
            cursor += sum(len(REDACTED) - (end - start) for start, end in spans if end <= cursor)
            text = _replaced(text, spans)
        return text, cursor, False

    def _finders(self) -> Iterator[Finder]:
        for value in self.known:
            if len(value) >= 8:
                yield partial(_exact_spans, value=value)
        yield from _FINDERS


DEFAULT_REDACTOR = Redactor()


def redact(text: str, known: Iterable[str] = ()) -> str:
    """Return `text` with secret-looking parts replaced (see `Redactor`)."""
    redactor = Redactor(tuple(k for k in known if k)) if known else DEFAULT_REDACTOR
    return redactor.redact(text)


def _exact_spans(text: str, value: str) -> list[Span]:
    """Return the spans of `value` in `text`, left to right without overlaps (as str.replace)."""
    spans: list[Span] = []
    at = text.find(value)
    while at >= 0:
        spans.append((at, at + len(value)))
        at = text.find(value, at + len(value))
    return spans


def _merged(spans: list[Span]) -> list[Span]:
    """Return `spans` sorted, with overlapping ones joined."""
    if len(spans) < 2:
        return spans
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _replaced(text: str, spans: list[Span]) -> str:
    """Return `text` with each of the sorted, disjoint `spans` replaced by [REDACTED]."""
    parts: list[str] = []
    done = 0
    for start, end in spans:
        parts += (text[done:start], REDACTED)
        done = end
    parts.append(text[done:])
    return "".join(parts)


def mask_secret(value: str) -> str:
    """Return an API key with all but its first three and last four characters hidden."""
    if not value:
        return ""
    if len(value) <= 8:
        return "…" * 3
    return f"{value[:3]}…{value[-4:]}"
