"""Caches keyed by the index's state: derived data in memory, rendered maps also on disk.

The state is the store's generation (bumped inside every write transaction, with a random id per
database), so any re-index that changes, adds or removes a file gives a new state and nothing
stale is ever served. Long-lived front ends (the TUI, the LSP) keep graphs in memory and, after
an edit, bring them forward from the previous state (`carried`: the store logs which paths each
generation changed) instead of rebuilding them; one-shot commands find a repeated map on disk
next to the index database, and the costliest derived data (the reference graph, the map's
symbol table: tens of seconds at 100,000 files) is kept on disk too, as arrays (`DiskForm`), so
a new process loads it, or brings the last one saved forward, instead of building it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")
MEMORY_ENTRIES = 8
DISK_ENTRIES = 32
MAX_CARRIED = 64  # changed files beyond which rebuilding is about as quick as updating
RESAVE_AFTER = 16  # changed files since the copy on disk beyond which it is written again

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


@dataclass(frozen=True)
class DiskForm(Generic[T]):
    """How a carried value is kept on disk: as named arrays, and back."""

    save: Callable[[T], dict[str, np.ndarray]]
    load: Callable[[Mapping[str, np.ndarray]], T]


def carried(
    store: StateSource,
    kind: str,
    build: Callable[[], T],
    update: Callable[[T, set[str]], T | None],
    disk: DiskForm[T] | None = None,
) -> T:
    """Return the value for the store's state: cached, brought forward from this database's
    last value (in this process, or on disk when `disk` says how) by `update(value, changed
    paths)` (None: cannot), or built (and then saved, with `disk`)."""
    state = index_state(store)
    key = (state, kind)
    if key in _memory:
        _memory.move_to_end(key)
        return _memory[key]
    database, _, text = state.rpartition(":")
    generation = int(text)
    value: T | None = None
    previous = _latest.get((database, kind))
    from_disk = previous is None and disk is not None
    if from_disk and disk is not None:
        previous = _load(_disk_path(store, kind), database, disk)
    save = disk is not None
    if previous is not None and previous[0] == generation:
        value, save = previous[1], False
    elif previous is not None and previous[0] < generation:
        changed = store.changed_since(previous[0])
        if changed is not None and len(changed) <= MAX_CARRIED:
            value = update(previous[1], changed) if changed else previous[1]
            # saved again once enough has changed, so new processes keep bringing it forward
            save = save and from_disk and len(changed) > RESAVE_AFTER
    if value is None:
        value, save = build(), disk is not None
    if save and disk is not None:
        _save(_disk_path(store, kind), database, generation, disk.save(value))
    _latest[(database, kind)] = (generation, value)
    _remember(key, value)
    return value


def can_bring_forward(store: StateSource, kind: str) -> bool:
    """Return whether `carried` would find `kind`'s value for the store's state without a whole
    build: held in memory, or saved (in this process or on disk) at a generation whose changes
    since are few enough to bring it forward (an update that then cannot still builds)."""
    state = index_state(store)
    if (state, kind) in _memory:
        return True
    database, _, text = state.rpartition(":")
    previous = _latest.get((database, kind))
    saved = previous[0] if previous else _saved_generation(_disk_path(store, kind), database)
    if saved is None or saved > int(text):
        return False
    changed = store.changed_since(saved) if saved < int(text) else set()
    return changed is not None and len(changed) <= MAX_CARRIED


def _saved_generation(path: Path, database: str) -> int | None:
    """Return the generation a cache file was saved at for this database (None: no such file,
    another database's, or unreadable), reading only that."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if array_strings(saved["database"], 1) != [database]:
                return None
            return int(saved["generation"][0])
    except Exception:  # missing, damaged or crafted: as `_load`, never worth an error
        return None


def strings_array(strings: Sequence[str]) -> np.ndarray:
    """Return strings (none holding NUL: paths, names) as one byte array, for `DiskForm`."""
    return np.frombuffer("\0".join(strings).encode("utf-8", "surrogateescape"), dtype=np.uint8)


def array_strings(array: np.ndarray, count: int) -> list[str]:
    """Return the `count` strings `strings_array` packed."""
    if count == 0:
        return []
    found = array.tobytes().decode("utf-8", "surrogateescape").split("\0")
    if len(found) != count:
        raise ValueError(f"expected {count} strings, found {len(found)}")
    return found


def _disk_path(store: StateSource, kind: str) -> Path:
    return store.db_path.with_name(f"{store.db_path.name}.{kind}.npz")


def _load(path: Path, database: str, disk: DiskForm[T]) -> tuple[int, T] | None:
    """Return (generation, value) saved for this database, or None (missing, another
    database's, damaged: a cache is never worth an error)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        if array_strings(arrays.pop("database"), 1) != [database]:
            return None
        generation = int(arrays.pop("generation")[0])
        return generation, disk.load(arrays)
    except FileNotFoundError:
        return None
    except Exception as error:  # damaged or crafted: zlib, zipfile and numpy raise their own
        log.info("ignoring the unreadable cache %s: %s", path, error)
        return None


def _save(path: Path, database: str, generation: int, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays for this database's generation, whole or not at all."""
    arrays = {
        **arrays,
        "database": strings_array([database]),
        "generation": np.array([generation], np.int64),
    }
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as error:
        log.warning("could not write the cache %s: %s", path, error)
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]  # (stubs: keys could be allow_pickle)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("could not write the cache %s: %s", path, error)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone already when it was renamed


def _remember(key: tuple[str, str], value: object) -> None:
    # A value of a newer state of the same database supersedes the kind's older ones: a
    # long-lived process keeps one graph and one symbol table, not one per edit (at 100,000
    # files each is ~100 MB), and a reader still at an old state only rebuilds its value.
    state, kind = key
    database = state.rpartition(":")[0]
    for old in [k for k in _memory if k[1] == kind and k[0].rpartition(":")[0] == database]:
        del _memory[old]
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
