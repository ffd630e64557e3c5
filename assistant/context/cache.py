"""Caches keyed by the index's state: derived data in memory, rendered maps also on disk.

The state is the store's generation (bumped inside every write transaction, with a random id per
database), so any re-index that changes, adds or removes a file gives a new state and nothing
stale is ever served. Long-lived front ends (the TUI, the LSP) keep graphs in memory and, after
an edit, bring them forward from the previous state (`carried`: the store logs which paths each
generation changed) instead of rebuilding them; one-shot commands find a repeated map on disk
next to the index database.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
MEMORY_ENTRIES = 8
DISK_ENTRIES = 32
MAX_CARRIED = 64  # changed files beyond which rebuilding is about as quick as updating

_memory: OrderedDict[tuple[str, str], Any] = OrderedDict()
_latest: dict[tuple[str, str], tuple[int, Any]] = {}  # (database, kind) -> (generation, value)


class StateSource(Protocol):
    """What a state digest needs from the store."""

    @property
    def db_path(self) -> Path:
        """Return where the database is."""
        ...

    def state(self) -> str:
        """Return "database id:generation", which changes with the content."""
        ...

    def changed_since(self, generation: int) -> set[str] | None:
        """Return the paths changed after `generation` (None: cannot say)."""
        ...


def index_state(store: StateSource) -> str:
    """Return a key that changes whenever the indexed files do (the store's generation)."""
    return f"{store.db_path}:{store.state()}"


def memoize(state: str, kind: str, build: Callable[[], T]) -> T:
    """Return the value cached for (state, kind), building it on a miss."""
    key = (state, kind)
    if key in _memory:
        _memory.move_to_end(key)
        return _memory[key]
    value = build()
    _remember(key, value)
    return value


def carried(
    store: StateSource,
    kind: str,
    build: Callable[[], T],
    update: Callable[[T, set[str]], T | None],
) -> T:
    """Return the value for the store's state: cached, brought forward from this database's
    last value by `update(value, changed paths)` (None: cannot), or built."""
    state = index_state(store)
    key = (state, kind)
    if key in _memory:
        _memory.move_to_end(key)
        return _memory[key]
    database, _, text = state.rpartition(":")
    generation = int(text)
    value: T | None = None
    previous = _latest.get((database, kind))
    if previous is not None and previous[0] == generation:
        value = previous[1]
    elif previous is not None and previous[0] < generation:
        changed = store.changed_since(previous[0])
        if changed is not None and len(changed) <= MAX_CARRIED:
            value = update(previous[1], changed) if changed else previous[1]
    if value is None:
        value = build()
    _latest[(database, kind)] = (generation, value)
    _remember(key, value)
    return value


def _remember(key: tuple[str, str], value: object) -> None:
    _memory[key] = value
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)


def disk_get(path: Path, state: str, key: str) -> str | None:
    """Return the text cached on disk under `key` for this index state, if any."""
    entries = _read(path)
    if entries.get("state") != state:
        return None
    value = entries.get("entries", {}).get(key)
    return value if isinstance(value, str) else None


def disk_put(path: Path, state: str, key: str, text: str) -> None:
    """Store `text` under `key` for this state (older states' entries are dropped)."""
    entries = _read(path)
    kept = entries.get("entries", {}) if entries.get("state") == state else {}
    kept = dict(list(kept.items())[-(DISK_ENTRIES - 1) :])
    kept[key] = text
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as error:
        log.warning("could not write the map cache %s: %s", path, error)
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump({"state": state, "entries": kept}, stream)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("could not write the map cache %s: %s", path, error)
        Path(temporary).unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any]:
    """Read a cache file; a missing or damaged one reads as empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.info("ignoring the unreadable map cache %s: %s", path, error)
        return {}
    return data if isinstance(data, dict) else {}
