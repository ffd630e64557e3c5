"""The files the index left out, remembered with the stat they were judged at.

A no-change update of a big repository spent most of its time judging again, one by one, the
files the index leaves out (data, vendored, secrets, binaries): tens of thousands of them.
They are remembered here with their (size, mtime_ns) and reason, under a fingerprint of the
rules they were judged by (`workspace.skip_fingerprint`); an unchanged file keeps its reason,
anything else is judged again. Forgetting is always safe: it only costs time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

FINGERPRINT_KEY = "skip_rules"


def judged_under(conn: sqlite3.Connection) -> str | None:
    """Return the fingerprint of the rules the index was last listed under (None: never)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (FINGERPRINT_KEY,)).fetchone()
    return None if row is None else str(row[0])


def remembered(
    conn: sqlite3.Connection, fingerprint: str
) -> dict[str, tuple[int, int, str]] | None:
    """Return the remembered skips if they were judged under `fingerprint`; None when the
    index was listed under other rules (or never), so every file must be judged again."""
    if judged_under(conn) != fingerprint:
        return None
    rows = conn.execute("SELECT path, size, mtime_ns, reason FROM skipped")
    return {path: (size, mtime, reason) for path, size, mtime, reason in rows}


def remember(
    conn: sqlite3.Connection, fingerprint: str, marks: Mapping[str, tuple[int, int, str]]
) -> None:
    """Replace the remembered skips with `marks`, judged under `fingerprint`."""
    with conn:
        conn.execute("DELETE FROM skipped")
        conn.executemany(
            "INSERT INTO skipped VALUES (?, ?, ?, ?)",
            [(path, size, mtime, reason) for path, (size, mtime, reason) in marks.items()],
        )
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (FINGERPRINT_KEY, fingerprint))
