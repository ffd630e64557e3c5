"""Where the assistant keeps its own files (index, sessions, snapshots, batch state)."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings


def cache_root(settings: Settings) -> Path:
    """Return the assistant's cache directory (settings, or the platform's user cache)."""
    if settings.cache_dir is not None:
        return Path(settings.cache_dir)
    import platformdirs

    return Path(platformdirs.user_cache_dir("assistant"))
