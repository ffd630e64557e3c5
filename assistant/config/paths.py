"""Where the assistant keeps its own files (index, sessions, snapshots, batch state, undo).

The configured cache directory (or the platform's user cache) when it can be written; else a
private folder of this user's under the system temp dir, said once in a warning. The temp dir
is shared with every user, so that folder is only used when it is a real directory (not a
link) owned by us and closed to others; otherwise a new one with a random name is made.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ConfigError

log = logging.getLogger(__name__)
_chosen: dict[Path, CacheDir] = {}  # wanted folder -> what this process uses, checked once
_lock = threading.Lock()


@dataclass(frozen=True)
class CacheDir:
    """The cache folder in use, and why it is not the wanted one (empty when it is)."""

    path: Path
    notice: str = ""


def memory_path(settings: Settings) -> Path:
    """Return the user's memory file (the `memory_file` setting, or memory.md in the
    assistant's config folder)."""
    if settings.memory_file is not None:
        return Path(settings.memory_file)
    import platformdirs

    return Path(platformdirs.user_config_dir("assistant")) / "memory.md"


def commands_path(settings: Settings) -> Path:
    """Return the user's custom commands folder (the `commands_dir` setting, or commands/ in
    the assistant's config folder)."""
    if settings.commands_dir is not None:
        return Path(settings.commands_dir)
    import platformdirs

    return Path(platformdirs.user_config_dir("assistant")) / "commands"


def cache_root(settings: Settings) -> Path:
    """Return the assistant's cache directory: the settings', the platform's, or the fallback."""
    return cache_dir(settings).path


def cache_notice(settings: Settings) -> str:
    """Return the one line saying that the wanted cache directory is not used, or ""."""
    return cache_dir(settings).notice


def cache_dir(settings: Settings) -> CacheDir:
    """Return the cache folder to use (made when missing), checked once per process."""
    wanted = _wanted(settings)
    with _lock:
        chosen = _chosen.get(wanted)
        if chosen is None:
            chosen = _choose(wanted)
            _chosen[wanted] = chosen
            if chosen.notice:
                log.warning("%s", chosen.notice)
    return chosen


def private_temp_dir() -> Path:
    """Return this user's private folder under the system temp dir (mode 0700, ours, no link)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / f"assistant-{uid if uid is not None else 'user'}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if _is_private(folder, uid):
            return folder
        log.warning("%s is not a private folder of this user's; using a new one", folder)
    except OSError as error:
        log.warning("cannot use %s (%s); using a new folder", folder, error.strerror)
    try:
        return Path(tempfile.mkdtemp(prefix=f"{folder.name}-"))
    except OSError as error:
        raise ConfigError(
            f"no writable folder for the assistant's cache ({error.strerror})",
            hint="set cache_dir in the user config, or ASSISTANT_CACHE_DIR, to a writable folder",
        ) from error


def _wanted(settings: Settings) -> Path:
    if settings.cache_dir is not None:
        return Path(settings.cache_dir).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("assistant"))


def _choose(wanted: Path) -> CacheDir:
    """Use `wanted` when a file can be made in it; else the private temp folder."""
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=wanted):
            pass
    except OSError as error:
        fallback = private_temp_dir()
        reason = error.strerror or str(error)
        return CacheDir(
            fallback, f"the cache directory {wanted} is not writable ({reason}); using {fallback}"
        )
    return CacheDir(wanted)


def _is_private(folder: Path, uid: int | None) -> bool:
    """Say whether `folder` is a real directory owned by us; close it to others if it is."""
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid):
        return False
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)  # ours and not a link (lstat), so this cannot reach elsewhere
    return True
