"""The served wiki's code view: a repository file's lines, numbered, with `#L12` anchors.

A code link comes from a page, and pages are written by a model from repository data, so the
path is hostile: it is resolved by the workspace's rules (inside the root, never into git
internals or out through a link), must be a regular file and must not be a secrets file. The
file is opened without following a link (so a swap after the check is refused too) and read up
to MAX_CODE_BYTES.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from html import escape
from pathlib import Path

from assistant.errors import PathOutsideRepository, WorkspaceError
from assistant.workspace import is_secret_file, resolve_repo_path

MAX_CODE_BYTES = 2_000_000
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CodeFile:
    """A repository file read for the code view."""

    path: str  # as the repository names it, POSIX separators
    text: str
    truncated: bool  # the file is longer than MAX_CODE_BYTES; `text` is its start
    binary: bool  # the file holds NUL bytes; `text` is empty


def code_allowed(root: Path, path: str) -> bool:
    """Return whether the code view may show repository file `path` (see the module's rules)."""
    try:
        _checked(root, path)
    except WorkspaceError:
        return False
    return True


def read_code(root: Path, path: str) -> CodeFile:
    """Return repository file `path` for the code view; PathOutsideRepository when it is not a
    file the view may show, WorkspaceError when it cannot be read."""
    resolved = _checked(root, path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(resolved, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PathOutsideRepository(
                f"{path} is a link; the code view does not follow it"
            ) from error
        raise WorkspaceError(f"cannot read {path}: {error.strerror}") from error
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise PathOutsideRepository(f"{path} is not a regular file")
        data = handle.read(MAX_CODE_BYTES + 1)
    if b"\x00" in data[:SNIFF_BYTES]:
        return CodeFile(path, "", truncated=False, binary=True)
    truncated = len(data) > MAX_CODE_BYTES
    text = data[:MAX_CODE_BYTES].decode("utf-8", "replace")
    return CodeFile(path, text, truncated=truncated, binary=False)


def code_body(code: CodeFile) -> str:
    """Return the code view's HTML body: the path, then every line escaped with its anchor."""
    heading = f'<h1 class="code-path">{escape(code.path)}</h1>'
    if code.binary:
        return f'{heading}<p class="note">A binary file; not shown.</p>'
    note = ""
    if code.truncated:
        limit = MAX_CODE_BYTES // 1_000_000
        note = f'<p class="note">Only the first {limit} MB of this file are shown.</p>'
    rows = []
    lines = code.text.split("\n")  # as editors count lines: not str.splitlines' extra breaks
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    for number, line in enumerate(lines, start=1):
        rows.append(
            f'<span class="line" id="L{number}"><a class="ln" href="#L{number}">{number}</a>'
            f"{escape(line.removesuffix(chr(13)), quote=False)}</span>"
        )
    return f'{heading}{note}<pre class="code">' + "\n".join(rows) + "</pre>"


def _checked(root: Path, path: str) -> Path:
    """Return the resolved file `path` names if the code view may show it, else raise."""
    resolved = resolve_repo_path(root, path)
    if not resolved.is_file():
        raise PathOutsideRepository(f"{path} is not a file in the repository")
    if is_secret_file(root, resolved):
        raise PathOutsideRepository(f"{path} is a secrets file; the wiki never shows it")
    return resolved
