"""A file's neighbourhood in the reference graph, read from the store one file at a time.

Search needs only the few files around its best candidates, so instead of building the whole
graph (seconds on a big repository) it asks the store which names a file uses and who defines
them, and who uses the names the file defines (`IndexStore.file_links`), and weighs the links.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from assistant.context.names import name_weight

if TYPE_CHECKING:
    from assistant.index import IndexStore

MAX_DEFINERS = 40  # as in the whole graph: a name defined this widely points nowhere
MAX_NAMES = 80  # per direction, most used first: bounds the work on huge files
MAX_USES = 2_000  # a name used more often than this links its definer to nobody in particular


def neighbours(store: IndexStore, path: str) -> dict[str, float]:
    """Return the files linked to `path` either way, with the summed weights of the links."""
    links = store.file_links(
        path, max_names=MAX_NAMES, max_definers=MAX_DEFINERS, max_uses=MAX_USES
    )
    if links is None:
        return {}
    linked: defaultdict[str, float] = defaultdict(float)
    for name, count in links.used:
        files, member = links.definers.get(name, ((), True))
        if files:
            weight = name_weight(name, len(files), member=member) * math.sqrt(count)
            for other in files:
                linked[other] += weight
    for name, other, count in links.users:
        weight = name_weight(name, len(links.definers[name][0]))
        linked[other] += weight * math.sqrt(count)
    linked.pop(path, None)
    return dict(linked)
