"""Writes that are whole or not at all, and that never overwrite what someone else just wrote.

A write goes to a temporary file beside the target, is flushed to disk, then renamed over the
target. With `expect`, the target is compared with the state the caller saw right before the
rename, under a lock: an edit approved while the user was changing the same file is refused
instead of silently overwriting their change. Temporary files are named `.NAME.assistant-
XXXX.tmp`, which the index skips; those a killed process left behind are removed by
`sweep_temp_files` on the next start. New files get the mode the user's umask gives.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import EditConflict

TEMP_INFIX = ".assistant-"
TEMP_SUFFIX = ".tmp"
TEMP_NAME = re.compile(r"^\..+\.assistant-[A-Za-z0-9_]+\.tmp$")
STALE_TEMP_SECONDS = 120.0  # older than any write in flight
ABSENT = "absent"  # `expect` value: the file must not exist yet
_write_lock = threading.Lock()
_umask: int | None = None


def is_temp_name(name: str) -> bool:
    """Return whether a file name is one of our temporary files."""
    return TEMP_NAME.match(name) is not None


def write_atomic(path: Path, data: bytes, *, expect: str | None = None) -> None:
    """Write `data` to `path` whole or not at all, keeping an existing file's mode.

    `expect` is the SHA-256 the file must still have right before it is replaced (ABSENT: it
    must not exist); otherwise EditConflict is raised and nothing changes.
    """
    path = Path(path)
    mode = _mode_of(path)
    handle, temp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}{TEMP_INFIX}", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode if mode is not None else 0o666 & ~user_umask())
        with _write_lock:
            _check_expected(path, expect)
            if expect == ABSENT:
                os.link(temp, path)  # fails if someone created it meanwhile
                os.unlink(temp)
            else:
                os.replace(temp, path)
    except FileExistsError:
        raise EditConflict(
            f"{path.name} was created by someone else meanwhile", hint="read it and try again"
        ) from None
    finally:
        Path(temp).unlink(missing_ok=True)
    _fsync_dir(path.parent)


def sha256_of(path: Path) -> str | None:
    """Return the SHA-256 of a file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def sweep_temp_files(root: Path, candidates: Iterable[str]) -> list[str]:
    """Remove our temporary files among `candidates` (repository-relative) that a killed
    process left behind; return the ones removed."""
    removed = []
    cutoff = time.time() - STALE_TEMP_SECONDS
    for rel in candidates:
        if not is_temp_name(rel.rsplit("/", 1)[-1]):
            continue
        path = Path(root) / rel
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(rel)
        except OSError:
            continue
    return removed


def user_umask() -> int:
    """Return the process umask (read once: setting it back is not thread-safe to repeat)."""
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)
        os.umask(_umask)
    return _umask


def _check_expected(path: Path, expect: str | None) -> None:
    if expect is None:
        return
    current = sha256_of(path)
    if expect == ABSENT and current is not None:
        raise EditConflict(
            f"{path.name} was created by someone else meanwhile", hint="read it and try again"
        )
    if expect != ABSENT and current != expect:
        raise EditConflict(
            f"{path.name} changed on disk while the edit waited for approval; nothing was written",
            hint="read_file it again and redo the edit",
        )


def _mode_of(path: Path) -> int | None:
    """Return the permission bits a replacement keeps: a regular file's, without set-id or
    sticky bits; None (the umask's) for a link, which is replaced, not written through, so
    it must not lend its target's mode (a link to /dev/null would make the file world-writable)."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return None
    return stat.S_IMODE(status.st_mode) & 0o777 if stat.S_ISREG(status.st_mode) else None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(fd)
