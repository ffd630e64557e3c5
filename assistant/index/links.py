"""The reference graph's rows as the context engine reads them: which files define and use
which names, grouped by SQLite per (file, name).

The whole graph is read as plain tuples (a big repository has millions of definitions and no
Python object is made per row); after an edit only the changed files' rows are read again; and
search reads one file's names and those names' definers and users alone (`file_names`,
`definers`, `users`), in a few grouped, indexed queries.
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
class FileNames:
    """The names one file links to others by, as `file_names` bounds them."""

    used: tuple[tuple[str, int], ...]  # names it uses and does not define, with their uses
    exported: tuple[str, ...]  # names it defines at its top level, first defined first


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


def file_names(conn: sqlite3.Connection, path: str, *, most: int) -> FileNames | None:
    """Return the names a file links by (None when it is not indexed): those it uses and does
    not define, most used first, and those defined at its top level, at most `most` each."""
    row = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    if row is None:
        return None
    own = conn.execute(
        f"SELECT n.name, s.parent IS NULL FROM {DEFINED} WHERE s.file_id = ? ORDER BY s.start_line",
        (row[0],),
    ).fetchall()
    own_names = {name for name, _ in own}
    used = [
        (name, count)
        for name, count in conn.execute(
            f"SELECT n.name, sum(r.uses) AS c FROM {USED} WHERE r.file_id = ? GROUP BY n.name "
            "ORDER BY c DESC, min(CAST(r.lines AS INTEGER)), n.name",  # ties: first used first
            (row[0],),
        )
        if name not in own_names
    ][:most]
    exported = list(dict.fromkeys(name for name, top in own if top))[:most]
    return FileNames(tuple(used), tuple(exported))


def definers(
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


def users(
    conn: sqlite3.Connection, names: Sequence[str], most: int
) -> dict[str, tuple[tuple[str, int], ...]]:
    """Return, for each of these names used at most `most` times in all, (using file, uses
    there) per file using it; names used more often, or nowhere, are left out."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    names = [
        name
        for name, uses in conn.execute(
            f"SELECT n.name, sum(r.uses) FROM {USED} WHERE n.name IN ({marks(names)}) "
            "GROUP BY n.name",
            names,
        )
        if uses <= most
    ]
    found: dict[str, list[tuple[str, int]]] = {}
    rows = conn.execute(
        f"SELECT n.name, f.path, sum(r.uses) FROM {USED} JOIN files f ON f.id = r.file_id "
        f"WHERE n.name IN ({marks(names)}) GROUP BY n.name, r.file_id",
        names,
    )
    for name, path, uses in rows:
        found.setdefault(name, []).append((path, uses))
    return {name: tuple(files) for name, files in found.items()}
