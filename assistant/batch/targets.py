"""Choose a batch's targets: globs, a list file, or every file that touches a symbol."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.workspace import list_files, resolve_repo_path


def select_targets(
    root: Path,
    settings: Settings,
    globs: Sequence[str],
    files_from: Path | None,
    symbol: str | None,
) -> list[str]:
    """Return the targets, in a stable order; refuse an empty selection."""
    if not (root / ".git").exists():
        raise ConfigError(f"{root} is not a git repository: a batch needs one for its branch")
    files = list_files(root, settings.max_file_bytes).files
    chosen: list[str] = []
    for pattern in globs:
        chosen += [f for f in files if fnmatch.fnmatch(f, pattern)]
    if files_from is not None:
        for line in files_from.read_text().splitlines():
            name = line.strip()
            if name and not name.startswith("#"):
                resolve_repo_path(root, name)
                chosen.append(name)
    if symbol:
        chosen += _symbol_files(root, settings, symbol)
    unique = list(dict.fromkeys(c for c in chosen if (root / c).is_file()))
    if not unique:
        raise ConfigError("no targets: give --files GLOB, --files-from FILE or --symbol NAME")
    return unique


def _symbol_files(root: Path, settings: Settings, symbol: str) -> list[str]:
    from assistant.index import IndexStore, use_index

    def users(store: IndexStore) -> list[str]:
        paths = [s.path for s in store.symbols(name=symbol)]
        return paths + [r.path for r in store.references(name=symbol)]

    return sorted(set(use_index(root, settings, users)))
