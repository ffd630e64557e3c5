"""Big (cold) builds: worker processes parse straight into shard databases, SQL merges them.

Sending every parsed file back to the main process costs as much as parsing it (pickling tens
of megabytes, then a Python call per row); here each task writes its own small SQLite file and
returns only each file's outcome, and the main process copies finished shards into the index
with a few INSERT ... SELECT statements while the workers parse the next ones.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from assistant.index.model import Unindexed
from assistant.index.parse import parse_one
from assistant.index.rows import FtsRow, fts_values, insert_file
from assistant.index.schema import PAGE_SIZE, SHARD_TABLES, TABLES
from assistant.index.store import IndexStore

TASK_FILES = 512  # most files per task and shard: few enough merges, fine enough progress
TAIL_TASK_BYTES = 64 * 1024  # the smallest task: the last ones end at about the same time
# Make the indexes once the shards still to merge hold this share of the bytes: late enough
# that few rows come after them, early enough that the workers still have work meanwhile.
INDEX_AT_SHARE = 0.1
SHARE = 2  # each task takes at most 1/(SHARE * workers) of the bytes still to plan
FTS_TASK_CHUNKS = 5_000  # an import's chunks per task whose FTS5 values a worker makes
Outcome = tuple[str, Unindexed | None]  # path, and why it was left out (None: indexed)
T = TypeVar("T")


def bulk_index(
    store: IndexStore,
    root: Path,
    sizes: Mapping[str, int],
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    dictionary: bytes | None = None,
) -> Iterator[Outcome]:
    """Parse the files of `sizes` (path -> bytes) on `workers` processes, a shard per task
    (texts packed with `dictionary`), merging each finished shard into `store` while the
    workers go on; yield every file's outcome. The store's secondary indexes are made while the
    workers parse the last files (the merges after that keep them up to date), not on one core
    after they are done."""
    folder = store.db_path.with_name(f"{store.db_path.name}.shards-{os.getpid()}")
    _remove_stale_shards(store.db_path)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = 0
        with ProcessPoolExecutor(workers) as pool:
            tasks = plan_tasks(sizes, workers)
            futures = {
                pool.submit(
                    _parse_into_shard, str(root), task, str(folder / f"{n}.sqlite"), dictionary
                ): task
                for n, task in enumerate(tasks)
            }
            total = bytes_left = sum(sizes.values())
            indexed = False
            for merged, future in enumerate(as_completed(futures), start=1):
                shard, outcomes = future.result()
                store.merge(Path(shard))
                Path(shard).unlink()
                yield from outcomes
                done += len(outcomes)
                bytes_left -= sum(sizes[path] for path in futures[future])
                if progress is not None:
                    progress(done, len(sizes))
                near_end = len(tasks) - merged < workers or bytes_left <= INDEX_AT_SHARE * total
                if near_end and not indexed:
                    store.make_indexes()
                    indexed = True
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def chunk_fts_values(shard: Path, workers: int) -> Iterator[list[FtsRow]]:
    """Yield the FTS5 values of every chunk of a shard (an import's: made from its texts, which
    import_rows.clean has checked), in chunk id order, a task of ids at a time made on
    `workers` processes (a few tasks ahead of the caller, who indexes them)."""
    tasks = [(str(shard), *span) for span in id_spans(shard, "chunks", FTS_TASK_CHUNKS)]
    return in_order(_chunk_fts_range, tasks, workers)


def id_spans(shard: Path, table: str, rows: int) -> list[tuple[int, int]]:
    """Return (first id, last id) spans of a shard table's rows, `rows` rows each (its ids may
    be sparse: an import's are anyone's)."""
    with closing(sqlite3.connect(shard)) as conn:
        starts = [start for (start,) in conn.execute(
            f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table}) "
            "WHERE (n - 1) % ? = 0 ORDER BY id",
            (rows,),
        )]  # fmt: skip
        last = conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
    if not starts:
        return []
    return list(zip(starts, [start - 1 for start in starts[1:]] + [last], strict=True))


def in_order(
    work: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[T]:
    """Yield `work(*task)` for each task, in order, run on `workers` processes (each set up by
    `initializer(*initargs)`) a few tasks ahead of the caller; here, one by one, when fewer
    than 2. Tasks not started when the caller stops are dropped."""
    if workers < 2:
        if initializer is not None:
            initializer(*initargs)
        yield from (work(*task) for task in tasks)
        return
    with ProcessPoolExecutor(
        min(workers, max(len(tasks), 1)), initializer=initializer, initargs=initargs
    ) as pool:
        pending: deque[Future[T]] = deque()
        try:
            for task in tasks:
                pending.append(pool.submit(work, *task))
                if len(pending) > 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(cancel_futures=True)


def open_read_only(shard: str) -> sqlite3.Connection:
    """Open a shard read-only (in a worker: another process holds it), by a URI of its path."""
    return sqlite3.connect(f"{Path(shard).resolve().as_uri()}?mode=ro", uri=True)


def _chunk_fts_range(shard: str, first: int, last: int) -> list[FtsRow]:
    """Return the FTS5 values of a shard's chunks with ids first..last (in a worker)."""
    with closing(open_read_only(shard)) as conn:
        batches = fts_values(conn, "c.id BETWEEN ? AND ?", (first, last))
        return [row for batch in batches for row in batch]


def plan_tasks(sizes: Mapping[str, int], workers: int) -> list[list[str]]:
    """Split files into tasks, biggest files first, that shrink as the bytes left do (guided
    self-scheduling): the first tasks are big, so there are few merges, and the last ones small,
    so no worker is still parsing a big batch long after the others have run out of work."""
    left = sum(sizes.values())
    tasks: list[list[str]] = []
    task: list[str] = []
    task_bytes = 0
    for path, size in sorted(sizes.items(), key=lambda item: -item[1]):
        task.append(path)
        task_bytes += size
        if len(task) >= TASK_FILES or task_bytes >= max(TAIL_TASK_BYTES, left / (SHARE * workers)):
            tasks.append(task)
            left -= task_bytes
            task, task_bytes = [], 0
    if task:
        tasks.append(task)
    return tasks


def _parse_into_shard(
    root: str, paths: list[str], shard: str, dictionary: bytes | None
) -> tuple[str, list[Outcome]]:
    """Parse files into a new shard database (a throwaway file, no journal), their texts
    packed with `dictionary`; return its path and each file's outcome."""
    outcomes: list[Outcome] = []
    conn = sqlite3.connect(shard)
    # Parsing allocates millions of short-lived objects without cycles (reference counting
    # frees them): the cyclic collector's passes over them find nothing and cost ~3% of a task.
    gc.disable()
    try:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.executescript(TABLES + SHARD_TABLES)
        next_chunk = 1
        with conn:
            for path in paths:
                outcome = parse_one(root, path, None, dictionary)
                if isinstance(outcome, Unindexed):
                    outcomes.append((path, outcome))
                    continue
                record, parsed, terms = outcome
                indexed = insert_file(conn, record, parsed, terms, next_chunk, plain=True)
                next_chunk += len(indexed)
                conn.executemany(
                    "INSERT INTO fts_bodies VALUES (?, ?, ?)",
                    [(i, names, body) for i, _, names, body in indexed],
                )
                outcomes.append((path, None))
    finally:
        conn.close()
        gc.enable()
    return shard, outcomes


def _remove_stale_shards(db_path: Path) -> None:
    """Remove shard folders left by builds whose process died (their pid is gone)."""
    for folder in db_path.parent.glob(f"{db_path.name}.shards-*"):
        try:
            os.kill(int(folder.name.rsplit("-", 1)[1]), 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's
