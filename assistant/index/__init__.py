"""The code index: tree-sitter parsing, symbol and reference extraction, the SQLite store."""

from __future__ import annotations

from assistant.index.access import Notice, db_path_for, open_index, query_index, use_index
from assistant.index.faults import IndexCorrupted
from assistant.index.indexer import Progress
from assistant.index.model import FileRecord, IndexStats
from assistant.index.store import IndexStore

__all__ = [
    "FileRecord",
    "IndexCorrupted",
    "IndexStats",
    "IndexStore",
    "Notice",
    "Progress",
    "db_path_for",
    "open_index",
    "query_index",
    "use_index",
]
