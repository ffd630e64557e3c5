"""A file's neighbourhood in the reference graph, read from the store one file at a time.

Search needs only the few files around its best candidates, so instead of building the whole
graph (seconds on a big repository) it asks the store which names a file uses and who defines
them, and who uses the names the file defines: a handful of indexed queries.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from assistant.context.names import name_weight

if TYPE_CHECKING:
    from assistant.index import IndexStore
    from assistant.index.model import Symbol

MAX_DEFINERS = 40  # as in the whole graph: a name defined this widely points nowhere
MAX_NAMES = 80  # per direction, most used first: bounds the work on huge files


def neighbours(store: IndexStore, path: str) -> dict[str, float]:
    """Return the files linked to `path` either way, with the summed weights of the links."""
    linked: defaultdict[str, float] = defaultdict(float)
    definitions: dict[str, list[Symbol]] = {}

    def defined(name: str) -> list[Symbol]:
        if name not in definitions:
            definitions[name] = store.symbols(name=name)
        return definitions[name]

    own = store.symbols(path=path)
    own_names = {symbol.name for symbol in own}
    used = Counter(ref.name for ref in store.references(path=path) if ref.name not in own_names)
    for name, count in used.most_common(MAX_NAMES):
        symbols = defined(name)
        files = {symbol.path for symbol in symbols}
        if not files or len(files) > MAX_DEFINERS:
            continue
        member = all(symbol.parent is not None for symbol in symbols)
        weight = name_weight(name, len(files), member=member) * math.sqrt(count)
        for other in files:
            linked[other] += weight
    exported = list(dict.fromkeys(s.name for s in own if s.parent is None))[:MAX_NAMES]
    for name in exported:
        files = {symbol.path for symbol in defined(name)}
        if len(files) > MAX_DEFINERS:
            continue
        weight = name_weight(name, len(files))
        users = Counter(ref.path for ref in store.references(name=name) if ref.path != path)
        for other, count in users.items():
            linked[other] += weight * math.sqrt(count)
    linked.pop(path, None)
    return dict(linked)
