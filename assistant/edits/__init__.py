"""Safe edits: text files read and written as they were, atomic and checked writes, tolerant
search/replace matching, and the journal that makes every agent change undoable."""

from assistant.edits.atomic import ABSENT, sha256_of, sweep_temp_files
from assistant.edits.match import MatchResult, apply_search_replace
from assistant.edits.text import (
    FileText,
    Fingerprint,
    ReadLedger,
    encode,
    read_text,
    unified_diff,
    write_atomic,
)
from assistant.edits.undo import UndoConflict, UndoJournal, UndoPlan, UndoRefused, UndoResult

__all__ = [
    "ABSENT",
    "FileText",
    "Fingerprint",
    "MatchResult",
    "ReadLedger",
    "UndoConflict",
    "UndoJournal",
    "UndoPlan",
    "UndoRefused",
    "UndoResult",
    "apply_search_replace",
    "encode",
    "read_text",
    "sha256_of",
    "sweep_temp_files",
    "unified_diff",
    "write_atomic",
]
