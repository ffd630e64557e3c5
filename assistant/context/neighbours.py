"""A file's neighbourhood in the reference graph, read from the store one file at a time.

Search needs only the few files around its best candidates, so instead of building the whole
graph (seconds on a big repository) it asks the store which names a file uses and who defines
them, and who uses the names the file defines: four grouped, indexed queries per file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.context.names import name_weight

if TYPE_CHECKING:
    import sqlite3

    from assistant.index import IndexStore

MAX_DEFINERS = 40  # as in the whole graph: a name defined this widely points nowhere
MAX_NAMES = 80  # per direction, most used first: bounds the work on huge files
MAX_USES = 2_000  # a name used more often than this links its definer to nobody in particular


def neighbours(store: IndexStore, path: str) -> dict[str, float]:
    """Return the files linked to `path` either way, with the summed weights of the links."""
    conn = store.conn
    row = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    if row is None:
        return {}
    file_id = row[0]
    own = conn.execute(
        "SELECT name, parent IS NULL FROM symbols WHERE file_id = ? ORDER BY start_line",
        (file_id,),
    ).fetchall()
    own_names = {name for name, _ in own}
    used = [
        (name, count)
        for name, count in conn.execute(
            "SELECT name, sum(uses) AS n FROM refs WHERE file_id = ? GROUP BY name "
            "ORDER BY n DESC, min(rowid)",
            (file_id,),
        )
        if name not in own_names
    ][:MAX_NAMES]
    exported = list(dict.fromkeys(name for name, top in own if top))[:MAX_NAMES]
    definers = _definers(conn, [name for name, _ in used] + exported)
    linked: defaultdict[str, float] = defaultdict(float)
    for name, count in used:
        files, member = definers.get(name, ((), True))
        if files:
            weight = name_weight(name, len(files), member=member) * math.sqrt(count)
            for other in files:
                linked[other] += weight
    exported = [name for name in exported if name in definers]
    for name, other, count in _users(conn, exported, file_id):
        weight = name_weight(name, len(definers[name][0]))
        linked[other] += weight * math.sqrt(count)
    linked.pop(path, None)
    return dict(linked)


def _definers(
    conn: sqlite3.Connection, names: Sequence[str]
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Return, for each name defined in 1..MAX_DEFINERS files, (its files, only as a member)."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    narrow = [
        name
        for name, files in conn.execute(
            f"SELECT name, count(DISTINCT file_id) FROM symbols WHERE name IN ({marks}) "
            "GROUP BY name",
            names,
        )
        if files <= MAX_DEFINERS
    ]
    found: dict[str, tuple[list[str], bool]] = {}
    if not narrow:
        return {}
    marks = ",".join("?" * len(narrow))
    rows = conn.execute(
        f"SELECT s.name, f.path, min(s.parent IS NOT NULL) FROM symbols s "
        f"JOIN files f ON f.id = s.file_id WHERE s.name IN ({marks}) GROUP BY s.name, f.path",
        narrow,
    )
    for name, path, member in rows:
        files, all_members = found.get(name, ([], True))
        files.append(path)
        found[name] = (files, all_members and bool(member))
    return {name: (tuple(files), member) for name, (files, member) in found.items()}


def _users(
    conn: sqlite3.Connection, names: Sequence[str], file_id: int
) -> list[tuple[str, str, int]]:
    """Return (name, using file, uses) for the names, leaving out the file itself and names
    used more than MAX_USES times (a link shared with thousands of files says nothing, and
    reading them all is the slowest part of search on a big repository)."""
    if not names:
        return []
    marks = ",".join("?" * len(names))
    names = [
        name
        for name, uses in conn.execute(
            f"SELECT name, sum(uses) FROM refs WHERE name IN ({marks}) GROUP BY name", names
        )
        if uses <= MAX_USES
    ]
    if not names:
        return []
    marks = ",".join("?" * len(names))
    return conn.execute(
        f"SELECT r.name, f.path, sum(r.uses) FROM refs r JOIN files f ON f.id = r.file_id "
        f"WHERE r.name IN ({marks}) AND r.file_id != ? GROUP BY r.name, r.file_id",
        [*names, file_id],
    ).fetchall()
