"""What an imported index's database must be before any of it is used (see transfer.py).

Only the index's plain tables, made by exactly the statements an export uses, with their
columns' types; no path that could not come from this work tree; no file whose packed text is
not the content its hash names (which also catches a text packed with a dictionary that is not
what its id says); no file or chunk with an id no index gives out; no chunk outside its
file's lines or with a symbol longer than a name; no reference lines that are not line numbers;
no kind of definition or reference a parse does not give; no more texts than the file's size
makes plausible; no definition or reference whose name is not on its lines. Path words are made
here from the paths. Still taken on the file's word: which of the possible kinds a definition
or reference has, the signatures and line spans of a file's definitions and the counts of its
references, when their names are where they say.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path, PurePosixPath

from assistant.errors import AssistantError
from assistant.index.bulk import id_spans, in_order, open_read_only
from assistant.index.extract import MAX_SIGNATURE, USE_KINDS
from assistant.index.packed import DICTIONARIES, BadText, Unpacker, dictionary_id, file_lines
from assistant.index.parse import digest
from assistant.index.reads import marks
from assistant.index.rows import path_terms
from assistant.index.schema import TABLES
from assistant.security.secrets import is_secret_path

MAX_RATIO = 50  # an index database compresses about 6 times; a bomb, a thousand times
MAX_DICTIONARIES = 16  # an index trains one; an import and a later build make two
MAX_DICTIONARY_BYTES = 1024 * 1024
MAX_ID = 2**40  # file and chunk ids: given out from the highest up, and SQLite's stop at 2**63
MAX_KIND_CHARS = 32  # a definition's kind is a tags query's capture word (`definition.class`)
MAX_SYMBOL_CHARS = 1_000
DEFINITION_LINES = 4  # lines from a definition's start that must hold its name
TEXT_TASK_FILES = 2_000  # files per task whose texts a worker checks
LINE_DIGITS = 9  # a line number's digits at most
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {  # table -> column -> SQLite types allowed
    "files": {
        "id": ("integer",),
        "path": ("text",),
        "language": ("text",),
        "size": ("integer",),
        "mtime_ns": ("integer",),
        "sha": ("text",),
        "n_lines": ("integer",),
        "terms": ("text",),
    },
    "symbols": {
        "file_id": ("integer",),
        "name": ("text",),
        "kind": ("text",),
        "start_line": ("integer", "null"),
        "end_line": ("integer", "null"),
        "signature": ("text", "null"),
        "parent": ("text", "null"),
    },
    "refs": {
        "file_id": ("integer",),
        "name": ("text",),
        "kind": ("text",),
        "uses": ("integer",),
        "lines": ("text",),
    },
    "chunks": {
        "id": ("integer",),
        "file_id": ("integer",),
        "start_line": ("integer", "null"),
        "end_line": ("integer", "null"),
        "symbol": ("text", "null"),
    },
    "file_texts": {"file_id": ("integer",), "packed": ("blob",)},
    "pack_dictionaries": {"id": ("integer",), "data": ("blob",)},
}


class ImportRefused(AssistantError):
    """An index file that cannot be used here; the index is built from the repository."""


def clean(shard: Path, max_bytes: int, workers: int = 1) -> int:
    """Refuse a database with anything but the index's tables; drop rows of unusable paths or
    types, and files whose text is not their content (checked on `workers` processes); return
    how many files were dropped."""
    conn = sqlite3.connect(shard)
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA cell_size_check = ON")
        _check_objects(conn)
        if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise ImportRefused("the index file's database is damaged")
        with conn:
            for table, columns in COLUMNS.items():
                for column, kinds in columns.items():
                    allowed = ", ".join(f"'{kind}'" for kind in kinds)
                    conn.execute(f"DELETE FROM {table} WHERE typeof({column}) NOT IN ({allowed})")
            _check_dictionaries(conn)
            # An export's tables have no index by file: each file's rows are read once below.
            conn.execute("CREATE INDEX import_symbols ON symbols(file_id)")
            conn.execute("CREATE INDEX import_refs ON refs(file_id)")
        # Committed: the texts are checked on worker processes, which read the shard as it is.
        lines = _texts_lines(shard, max_bytes, shard.stat().st_size * MAX_RATIO, workers)
        with conn:
            bad = {i for i, path in conn.execute("SELECT id, path FROM files") if not _usable(path)}
            bad |= _unlikely_rows(conn)
            bad |= {i for (i,) in conn.execute("SELECT id FROM files") if i not in lines}
            bad |= _misplaced_chunks(conn, lines)
            conn.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in bad])
            # Path words are made here from the path, as a parse would: an import's own could be
            # a megabyte, indexed again with every chunk of its file.
            conn.executemany(
                "UPDATE files SET terms = ? WHERE id = ?",
                [(path_terms(path), i) for i, path in conn.execute("SELECT id, path FROM files")],
            )
            for table in ("symbols", "refs", "chunks", "file_texts"):
                conn.execute(f"DELETE FROM {table} WHERE file_id NOT IN (SELECT id FROM files)")
        return len(bad)
    except (sqlite3.DatabaseError, BrokenProcessPool) as error:  # (a worker died: killed, OOM)
        raise ImportRefused(f"the index file's database cannot be read ({error})") from error
    finally:
        conn.close()


def _check_objects(conn: sqlite3.Connection) -> None:
    """Refuse triggers, views and tables the format does not have, and tables not made by the
    exact statements an export makes them with: a CHECK or a generated column would run on
    every row as the database is checked (`quick_check` evaluates them)."""
    canonical = _canonical_tables()
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master"):
        if kind == "index" and name.startswith("sqlite_autoindex_") and sql is None:
            continue  # SQLite's own index of a UNIQUE column (an index with SQL is someone's)
        if kind != "table" or name not in COLUMNS:
            raise ImportRefused(f"the index file holds a {kind} {name!r} an index never has")
        if sql != canonical.get(name):
            raise ImportRefused(f"the index file's table {name} is not this schema's")
    for table, columns in COLUMNS.items():
        found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        if found != list(columns):
            raise ImportRefused(f"the index file's table {table} is not this schema's")


def _texts_lines(shard: Path, max_bytes: int, budget: int, workers: int) -> dict[int, int]:
    """Return the line count of each file whose packed text unpacks, within the index's file
    size limit, to bytes whose hash is the file's (its chunks then show the file as it is,
    nothing planted), and whose definitions and references name what its lines hold, checked
    a task of file ids at a time on `workers` processes. Refuse the whole import when its texts
    unpack, and its rows make the check read, more than `budget` bytes in all (one count the
    workers share): small blobs that each inflate to a megabyte, or a thousand definitions on
    one megabyte line, are work, not an index."""
    lines: dict[int, int] = {}
    spans = id_spans(shard, "files", TEXT_TASK_FILES)
    tasks = [(str(shard), first, last, max_bytes) for first, last in spans]
    left = multiprocessing.Value("q", budget)
    for found, over in in_order(_check_texts, tasks, workers, _share_budget, (left,)):
        if over:
            raise ImportRefused("the index file's texts unpack to far more than its size")
        lines.update(found)
    return lines


class _OverBudget(Exception):
    """The texts and the rows checked against them cost more than the import's budget."""


_budget: Synchronized[int] | None = None  # the bytes left to the import's checks, shared


def _share_budget(left: Synchronized[int]) -> None:
    """Keep the import's shared budget for `_check_texts` (a worker pool's initializer)."""
    global _budget
    _budget = left


def _spend(amount: int) -> int:
    """Take `amount` from the shared budget; return what is left (raise _OverBudget past it)."""
    assert _budget is not None, "the pool's initializer shares the budget"
    with _budget.get_lock():
        _budget.value -= amount
        if _budget.value < 0:
            raise _OverBudget
        return int(_budget.value)


def _check_texts(shard: str, first: int, last: int, max_bytes: int) -> tuple[dict[int, int], bool]:
    """Return the line counts of the files with ids first..last whose texts check out (see
    `_texts_lines`), and whether the shared budget ran out (in a worker)."""
    lines: dict[int, int] = {}
    with closing(open_read_only(shard)) as conn:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA cell_size_check = ON")
        unpack = Unpacker(conn)  # with the file's own dictionaries
        try:
            for file_id, sha, text in conn.execute(
                "SELECT f.id, f.sha, t.packed FROM files f JOIN file_texts t ON t.file_id = f.id "
                "WHERE f.id BETWEEN ? AND ?",
                (first, last),
            ):
                try:
                    data = unpack(text, max_bytes)
                except BadText:  # damaged, too big, or its dictionary missing
                    continue
                left = _spend(len(data))
                if digest(data) == sha:
                    held = file_lines(data)
                    if _names_found(conn, file_id, held, left):
                        lines[file_id] = len(held)
        except _OverBudget:
            return lines, True
    return lines, False


def _names_found(conn: sqlite3.Connection, file_id: int, lines: list[str], left: int) -> bool:
    """Return whether each definition's name is on its first lines (a C++ function's may follow
    its return type's line) and each reference's on the first line it lists, its others in the
    file: what a parse of these lines gives, so an import cannot add a definition or a use the
    file does not have. The lines searched are charged to the budget (`left` of it at most)."""
    read = 0
    for name, start in conn.execute(
        "SELECT name, start_line FROM symbols WHERE file_id = ?", (file_id,)
    ):
        if type(start) is not int or start < 1:
            return False
        held = lines[start - 1 : start - 1 + DEFINITION_LINES]
        read += sum(map(len, held))
        if read > left:
            raise _OverBudget
        if not any(name in line for line in held):
            return False
    for name, at in conn.execute("SELECT name, lines FROM refs WHERE file_id = ?", (file_id,)):
        numbers = at.split()
        if not (at.isascii() and "".join(numbers).isdigit()):
            return False
        if max(map(len, numbers)) > LINE_DIGITS:  # (int() refuses 4,300 digits with an error)
            return False
        # Every line in range, each once, written as a parse writes them (so a count of uses is
        # at most the file's lines); the name on the first (on all: 0.6 s more on Django).
        values = list(map(int, numbers))
        if not 1 <= min(values) <= max(values) <= len(lines) or len(set(values)) < len(values):
            return False
        if " ".join(map(str, values)) != at:
            return False
        first = lines[int(numbers[0]) - 1]
        read += len(first)
        if read > left:
            raise _OverBudget
        if name not in first:
            return False
    _spend(read)
    return True


def _canonical_tables() -> dict[str, str]:
    """Return each plain table's statement as an export writes it (schema.TABLES)."""
    made = sqlite3.connect(":memory:")
    try:
        made.executescript(TABLES)
        return dict(made.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    finally:
        made.close()


def _unlikely_rows(conn: sqlite3.Connection) -> set[int]:
    """Return the files with rows no parse makes: file or chunk ids past any index's (the next
    ids given out would overflow; the graph numbers files from them), a chunk's symbol longer
    than a name is (indexed again with every chunk), reference lines that are not line numbers
    (every later read of them would fail) or a count of uses other than how many they are (a
    huge one would send nearly all its file's rank along that one name, and two near 2**63
    overflow SQLite's sum of them, which every graph takes), kinds no parse gives (each is
    kept for as long as the index lives, and read with every graph), signatures longer than a
    parse cuts them (the map reads them by the thousand). Lengths are counted in bytes too:
    SQLite counts a text's characters only up to a NUL in it."""
    uses = sorted(USE_KINDS)
    ids, symbol, signature = (MAX_ID, MAX_ID), (MAX_SYMBOL_CHARS,) * 2, (MAX_SIGNATURE,) * 2
    return {
        i
        for (i,) in conn.execute(
            "SELECT id FROM files WHERE id < 1 OR id > ? "
            "UNION SELECT file_id FROM chunks WHERE id < 1 OR id > ? OR length(symbol) > ? "
            "OR length(CAST(symbol AS BLOB)) > 4 * ? "
            "UNION SELECT file_id FROM refs WHERE lines GLOB '*[^0-9 ]*' "
            "OR uses != length(lines) - length(replace(lines, ' ', '')) + 1 "
            f"OR kind NOT IN ({marks(uses)}) "
            "UNION SELECT file_id FROM symbols WHERE kind GLOB '*[^a-z_]*' "
            "OR length(CAST(kind AS BLOB)) NOT BETWEEN 1 AND ? "
            "OR length(signature) > ? OR length(CAST(signature AS BLOB)) > 4 * ?",
            (*ids, *symbol, *uses, MAX_KIND_CHARS, *signature),
        )
    }


def _check_dictionaries(conn: sqlite3.Connection) -> None:
    """Drop dictionaries that are not what their id says (a text packed with one then
    unpacks to other bytes than its hash names, and its file is dropped); refuse more
    dictionaries than an index has reason to hold."""
    rows = conn.execute(f"SELECT id, data FROM {DICTIONARIES}").fetchall()
    if len(rows) > MAX_DICTIONARIES:
        raise ImportRefused(f"the index file holds {len(rows)} packing dictionaries")
    for wanted, data in rows:
        if len(data) > MAX_DICTIONARY_BYTES or dictionary_id(data) != wanted:
            conn.execute(f"DELETE FROM {DICTIONARIES} WHERE id = ?", (wanted,))


def _misplaced_chunks(conn: sqlite3.Connection, lines: dict[int, int]) -> set[int]:
    """Return the files with a chunk outside their lines, or overlapping the one before: the
    chunks of a file parsed here cover each line once, so indexing them costs what the file
    does (a chunk of lines 1..10^6, repeated, would tokenize the file again and again)."""
    bad: set[int] = set()
    last: tuple[int, int] = (-1, 0)  # (file, last line of its previous chunk)
    for file_id, start, end in conn.execute(
        "SELECT file_id, start_line, end_line FROM chunks ORDER BY file_id, start_line"
    ):
        after = last[1] if last[0] == file_id else 0
        whole = type(start) is int and type(end) is int
        if not (whole and after < start <= end <= lines.get(file_id, 0)):
            bad.add(file_id)
        last = (file_id, end if type(end) is int else after)
    return bad


def _usable(path: object) -> bool:
    """Return whether a stored path could be a file of a work tree, and one we index."""
    if not isinstance(path, str) or not path or "\x00" in path or "\\" in path:
        return False
    parts = PurePosixPath(path).parts
    if path.startswith("/") or any(p in ("..", ".", "") for p in parts) or ".git" in parts:
        return False
    return not is_secret_path(path)
