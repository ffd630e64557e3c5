"""A file's neighbourhood in the reference graph, read from the store one file at a time.

Search needs only the few files around its best candidates, so instead of building the whole
graph (seconds on a big repository) it asks the store which names a file uses and defines
(`IndexStore.file_names`), who defines those names and who uses the defined ones, and weighs
the links. Neighbouring files share most of their names (50 searches at 100,000 files asked
13,485 times about 1,584 names), so what the store said about a name is kept for the index
state, with each file's neighbourhood (`Neighbourhoods`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.context.names import name_weight

if TYPE_CHECKING:
    from assistant.index import IndexStore

MAX_DEFINERS = 40  # as in the whole graph: a name defined this widely points nowhere
MAX_NAMES = 80  # per direction, most used first: bounds the work on huge files
MAX_USES = 2_000  # a name used more often than this links its definer to nobody in particular

Definers = tuple[tuple[str, ...], bool]  # (the files defining a name, only as a class member)


class Neighbourhoods:
    """Files' neighbourhoods and names' definers and users, as read for one index state."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, float]] = {}
        self.definers: dict[str, Definers | None] = {}  # None: defined nowhere, or too widely
        self.users: dict[str, tuple[tuple[str, int], ...]] = {}  # (): used nowhere, or widely

    def of(self, store: IndexStore, path: str) -> dict[str, float]:
        """Return the files linked to `path` either way, with the summed weights of the
        links."""
        if path not in self.files:
            self.files[path] = self._linked(store, path)
        return self.files[path]

    def _linked(self, store: IndexStore, path: str) -> dict[str, float]:
        names = store.file_names(path, MAX_NAMES)
        if names is None:
            return {}
        self._read_definers(store, [name for name, _ in names.used] + list(names.exported))
        linked: defaultdict[str, float] = defaultdict(float)
        for name, count in names.used:
            defined = self.definers[name]
            if defined is not None:
                files, member = defined
                weight = name_weight(name, len(files), member=member) * math.sqrt(count)
                for other in files:
                    linked[other] += weight
        # by name, as the store groups them (the sums come out the same to the last bit)
        exported = sorted(
            (name, len(defined[0]))
            for name in names.exported
            if (defined := self.definers[name]) is not None
        )
        self._read_users(store, [name for name, _ in exported])
        for name, defining in exported:
            weight = name_weight(name, defining)
            for other, count in self.users[name]:
                linked[other] += weight * math.sqrt(count)
        linked.pop(path, None)
        return dict(linked)

    def _read_definers(self, store: IndexStore, names: Sequence[str]) -> None:
        unknown = [name for name in dict.fromkeys(names) if name not in self.definers]
        found = store.definers(unknown, MAX_DEFINERS) if unknown else {}
        for name in unknown:
            self.definers[name] = found.get(name)

    def _read_users(self, store: IndexStore, names: Sequence[str]) -> None:
        unknown = [name for name in names if name not in self.users]
        found = store.users(unknown, MAX_USES) if unknown else {}
        for name in unknown:
            self.users[name] = found.get(name, ())


def neighbours(store: IndexStore, path: str) -> dict[str, float]:
    """Return the files linked to `path` either way, with the summed weights of the links."""
    return Neighbourhoods().of(store, path)
