"""The reference graph's rows as the context engine reads them: which files define and use
which names, grouped by SQLite per (file, name).

The whole graph is read as plain tuples (a big repository has millions of definitions and no
Python object is made per row); after an edit only the changed files' rows are read again; and
search reads one file's neighbourhood alone (`file_links`), in a few grouped, indexed queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.index.columns import integer_rows
from assistant.index.reads import marks, rows_in

PathRow = tuple[str, str, int]  # as above, with the file's path in place of its id
# Definitions and uses with their names: the id tables joined to `names` alone (the symbols and
# refs views also join every row to its kind, which nothing here reads). Grouped by name, not
# id: the IN list gives names in name order, so SQLite groups as it goes (by id, it sorted).
DEFINED = "symbol_rows s JOIN names n ON n.id = s.name_id"
USED = "ref_rows r JOIN names n ON n.id = r.name_id"


@dataclass(frozen=True)
class FileLinks:
    """One file's links in the reference graph, both ways, as `file_links` bounds them."""

    used: tuple[tuple[str, int], ...]  # names it uses and does not define, with their uses
    definers: dict[str, tuple[tuple[str, ...], bool]]  # name -> (its files, only as a member)
    users: tuple[PathRow, ...]  # (name it defines, a file using it, uses there)


def file_ids(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Return (id, path) of every file, by path."""
    return conn.execute("SELECT id, path FROM files ORDER BY path").fetchall()


def name_ids(conn: sqlite3.Connection, ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
    """Return (id, name) of every name the rows below refer to (and of some no longer used), or
    of those with these ids."""
    if ids is None:
        return conn.execute("SELECT id, name FROM names").fetchall()
    return list(rows_in(conn, "SELECT id, name FROM names WHERE id IN ({})", ids))


def definitions_by_file(conn: sqlite3.Connection) -> np.ndarray:
    """Return a row (file id, name id, 1 when defined outside a class there) per (file, name)
    defined there, by file and name, unnamed definitions left out: a read of the table, not of
    an index and the table, grouped by numpy (a million rows at 100,000 files: SQLite's sort
    for a GROUP BY took 1.7 s, this 1 s)."""
    rows = integer_rows(
        conn,
        "SELECT file_id, name_id, parent IS NULL FROM symbol_rows NOT INDEXED "
        "WHERE name_id NOT IN (SELECT id FROM names WHERE name = '')",
        (),
        3,
    )
    # by (file, name), a definition outside a class first: the first row of each pair says
    file_name = rows[:, :2]
    order = np.lexsort((-rows[:, 2], file_name[:, 1], file_name[:, 0]))
    rows = rows[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = np.any(rows[1:, :2] != rows[:-1, :2], axis=1)
    return rows[first]


def uses_by_file(conn: sqlite3.Connection) -> np.ndarray:
    """Return a row (file id, name id, uses) per (file, name) used there (in the table's own
    order: no sort)."""
    return integer_rows(
        conn,
        "SELECT file_id, name_id, sum(uses) FROM ref_rows NOT INDEXED GROUP BY file_id, name_id",
        (),
        3,
    )


def definitions_in(conn: sqlite3.Connection, paths: Sequence[str]) -> list[PathRow] | None:
    """Return a row per (file, name) defined in these files, or None when one of them is not
    in the index (any more)."""
    args = list(paths)
    present = conn.execute(f"SELECT count(*) FROM files WHERE path IN ({marks(args)})", args)
    if present.fetchone()[0] != len(args):
        return None
    return conn.execute(
        f"SELECT f.path, n.name, max(s.parent IS NULL) FROM {DEFINED} JOIN files f "
        f"ON f.id = s.file_id WHERE f.path IN ({marks(args)}) AND n.name != '' "
        "GROUP BY f.path, n.name",
        args,
    ).fetchall()


def uses_in(conn: sqlite3.Connection, paths: Sequence[str], names: Sequence[str]) -> list[PathRow]:
    """Return a row per (file, name) used: every use in these files, and every use of these
    names in the other files."""
    rows = conn.execute(
        f"SELECT f.path, n.name, sum(r.uses) FROM {USED} JOIN files f ON f.id = r.file_id "
        f"WHERE f.path IN ({marks(paths)}) GROUP BY r.file_id, n.name",
        list(paths),
    ).fetchall()
    if names:
        rows += conn.execute(
            f"SELECT f.path, n.name, sum(r.uses) FROM {USED} JOIN files f ON f.id = r.file_id "
            f"WHERE n.name IN ({marks(names)}) AND f.path NOT IN ({marks(paths)}) "
            "GROUP BY r.file_id, n.name",
            [*names, *paths],
        ).fetchall()
    return rows


def user_counts(conn: sqlite3.Connection, names: Sequence[str]) -> dict[str, int]:
    """Return, for each of these names used anywhere, how many files use it."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    rows = conn.execute(
        f"SELECT n.name, count(DISTINCT r.file_id) FROM {USED} "
        f"WHERE n.name IN ({marks(names)}) GROUP BY n.name",
        names,
    )
    return dict(rows.fetchall())


def file_links(
    conn: sqlite3.Connection, path: str, *, max_names: int, max_definers: int, max_uses: int
) -> FileLinks | None:
    """Return a file's links (None when it is not indexed): the names it uses, most used
    first, and those defined at its top level, at most `max_names` each way; who defines them
    (names defined in more than `max_definers` files point nowhere and are left out); and who
    uses the top-level ones (left out when used more than `max_uses` times in all: such a link
    is shared with thousands of files, says nothing, and is the slowest part to read)."""
    row = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    if row is None:
        return None
    file_id = row[0]
    own = conn.execute(
        f"SELECT n.name, s.parent IS NULL FROM {DEFINED} WHERE s.file_id = ? ORDER BY s.start_line",
        (file_id,),
    ).fetchall()
    own_names = {name for name, _ in own}
    used = [
        (name, count)
        for name, count in conn.execute(
            f"SELECT n.name, sum(r.uses) AS c FROM {USED} WHERE r.file_id = ? GROUP BY n.name "
            "ORDER BY c DESC, min(CAST(r.lines AS INTEGER)), n.name",  # ties: first used first
            (file_id,),
        )
        if name not in own_names
    ][:max_names]
    exported = list(dict.fromkeys(name for name, top in own if top))[:max_names]
    definers = _definers(conn, [name for name, _ in used] + exported, max_definers)
    exported = [name for name in exported if name in definers]
    users = _users(conn, exported, file_id, max_uses)
    return FileLinks(tuple(used), definers, tuple(users))


def _definers(
    conn: sqlite3.Connection, names: Sequence[str], most: int
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Return, for each name defined in 1..`most` files, (its files, only as a member)."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    narrow = [
        name
        for name, files in conn.execute(
            f"SELECT n.name, count(DISTINCT s.file_id) FROM {DEFINED} "
            f"WHERE n.name IN ({marks(names)}) GROUP BY n.name",
            names,
        )
        if files <= most
    ]
    if not narrow:
        return {}
    found: dict[str, tuple[list[str], bool]] = {}
    rows = conn.execute(
        f"SELECT n.name, f.path, min(s.parent IS NOT NULL) FROM {DEFINED} "
        f"JOIN files f ON f.id = s.file_id WHERE n.name IN ({marks(narrow)}) "
        "GROUP BY n.name, f.path",
        narrow,
    )
    for name, path, member in rows:
        files, all_members = found.get(name, ([], True))
        files.append(path)
        found[name] = (files, all_members and bool(member))
    return {name: (tuple(files), member) for name, (files, member) in found.items()}


def _users(
    conn: sqlite3.Connection, names: Sequence[str], file_id: int, most: int
) -> list[PathRow]:
    """Return (name, using file, uses) for the names used at most `most` times in all,
    leaving out the file itself."""
    if not names:
        return []
    names = [
        name
        for name, uses in conn.execute(
            f"SELECT n.name, sum(r.uses) FROM {USED} WHERE n.name IN ({marks(names)}) "
            "GROUP BY n.name",
            list(names),
        )
        if uses <= most
    ]
    if not names:
        return []
    return conn.execute(
        f"SELECT n.name, f.path, sum(r.uses) FROM {USED} JOIN files f ON f.id = r.file_id "
        f"WHERE n.name IN ({marks(names)}) AND r.file_id != ? GROUP BY n.name, r.file_id",
        [*names, file_id],
    ).fetchall()
