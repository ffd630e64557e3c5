"""Helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import git

from assistant.config import Settings

MODEL = "qwen3-coder-plus"


def settings_for(base_url: str, **changes: object) -> Settings:
    """Return settings that talk to `base_url` with the scripted model."""
    values: dict[str, object] = {
        "profile": "test",
        "base_url": base_url,
        "api_key": "test-key",
        "model": MODEL,
        "request_timeout": 10.0,
        "connect_timeout": 2.0,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def commit_files(root: Path, files: Mapping[str, str], message: str = "files") -> git.Repo:
    """Create a git repository at `root` holding `files` (path -> text) in one commit."""
    repo = git.Repo.init(root)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if files:
        repo.index.add(list(files))
        repo.index.commit(message, author=git.Actor("T", "t@example.com"))
    return repo
