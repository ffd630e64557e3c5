"""The undo journal: for each agent turn, every file the agent changed, as it was before and as
the agent left it, kept in the user cache (never in the repository or its `.git`).

Undo restores only what the agent changed in the latest turn, and each file only while it
still holds what the agent wrote; a file the user changed since is a conflict, decided by the
caller (shown with its three versions) or, with no one to ask, refused with nothing changed.
A file the agent created is removed; a file the agent did not touch is never touched.
Gitignored files are journaled like any other: the copy is taken before the first write.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.edits.atomic import ABSENT, sha256_of, write_atomic
from assistant.errors import EditError

MANIFEST = "manifest.json"


class UndoRefused(EditError):
    """Undo would overwrite changes made after the agent's; nothing was restored."""


@dataclass
class JournalEntry:
    """One file of a turn: its bytes before (a blob name, None if absent), after the agent."""

    path: str
    before: str | None
    after: str | None
    mode: int | None = None


@dataclass(frozen=True)
class UndoConflict:
    """A file changed since the agent wrote it: the three versions (None: no file)."""

    path: str
    before: bytes | None
    agent: bytes | None
    current: bytes | None


@dataclass(frozen=True)
class UndoResult:
    """What an undo did."""

    label: str
    restored: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # conflicts the caller chose to keep as they are now


# Decide a conflict: True restores the agent's "before" anyway, False keeps the file as it is.
Decide = Callable[[UndoConflict], bool]


@dataclass
class TurnJournal:
    """The record of one turn, written to disk as it grows (a crash loses nothing)."""

    folder: Path
    root: Path
    label: str
    entries: dict[str, JournalEntry] = field(default_factory=dict)

    def before_write(self, rel: str) -> None:
        """Save the file as it is now, unless this turn already holds its earlier state."""
        if rel not in self.entries:
            self.record_original(rel, _read(self.root / rel))

    def record_original(self, rel: str, data: bytes | None, mode: int | None = None) -> None:
        """Record what a file held before this turn first changed it (None: it did not exist)."""
        if rel in self.entries:
            return
        if mode is None:
            mode = _mode(self.root / rel)
        self.entries[rel] = JournalEntry(rel, self._store(data), None, mode)
        self._save()

    def after_write(self, rel: str) -> None:
        """Record what the agent left in the file (its bytes kept for a later conflict view)."""
        entry = self.entries.get(rel)
        if entry is None:
            raise EditError(f"{rel}: written without a journal record of its earlier state")
        entry.after = self._store(_read(self.root / rel))
        self._save()

    def forget_unwritten(self, rel: str) -> None:
        """Drop a file recorded by `before_write` whose write then failed."""
        entry = self.entries.get(rel)
        if entry is not None and entry.after is None:
            del self.entries[rel]
            self._save()

    @property
    def paths(self) -> tuple[str, ...]:
        """Return the files this turn changed."""
        return tuple(self.entries)

    def _store(self, data: bytes | None) -> str | None:
        if data is None:
            return None
        name = hashlib.sha256(data).hexdigest()
        blob = self.folder / "blobs" / name
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            temp = blob.with_suffix(".part")
            temp.write_bytes(data)
            temp.replace(blob)
        return name

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"label": self.label, "entries": [asdict(e) for e in self.entries.values()]}
        temp = self.folder / f"{MANIFEST}.part"
        temp.write_text(json.dumps(data), encoding="utf-8")
        temp.replace(self.folder / MANIFEST)


class UndoJournal:
    """Every recorded turn of one repository, oldest first."""

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        self.folder = Path(cache_root) / "undo" / f"{self.root.name}-{digest}"

    def begin(self, label: str) -> TurnJournal:
        """Start the record of a new turn (written to disk at its first change)."""
        numbers = [int(p.name) for p in self._turn_folders()]
        number = max(numbers, default=0) + 1
        stamp = time.strftime("%Y-%m-%d %H:%M")
        return TurnJournal(self.folder / f"{number:06d}", self.root, f"{label} ({stamp})")

    def turns(self) -> list[TurnJournal]:
        """Return the recorded turns that changed something, oldest first."""
        result = []
        for folder in self._turn_folders():
            turn = _load(folder, self.root)
            if turn is not None and turn.entries:
                result.append(turn)
        return result

    def conflicts(self) -> list[UndoConflict]:
        """Return the files of the latest turn that changed since the agent wrote them."""
        turns = self.turns()
        if not turns:
            return []
        found = (self._conflict(turns[-1], e) for e in turns[-1].entries.values())
        return [c for c in found if c is not None]

    def undo(self, decide: Decide | None = None) -> UndoResult:
        """Undo the latest turn (see the module docstring); drop its record when done.

        With conflicts and no `decide`, raise UndoRefused and change nothing.
        """
        turns = self.turns()
        if not turns:
            raise EditError("nothing to undo: the agent has changed no file yet")
        turn = turns[-1]
        found = (self._conflict(turn, e) for e in turn.entries.values())
        conflicts = {c.path: c for c in found if c is not None}
        if conflicts and decide is None:
            raise UndoRefused(
                "undo refused: changed since the agent wrote them: " + ", ".join(conflicts),
                hint="undo in the chat (it shows the three versions) or restore by hand",
            )
        restored, removed, kept = [], [], []
        for entry in turn.entries.values():
            conflict = conflicts.get(entry.path)
            if conflict is not None and not (decide and decide(conflict)):
                kept.append(entry.path)
                continue
            if self._restore(turn, entry):
                (restored if entry.before is not None else removed).append(entry.path)
        _remove_tree(turn.folder)
        return UndoResult(turn.label, tuple(restored), tuple(removed), tuple(kept))

    def _conflict(self, turn: TurnJournal, entry: JournalEntry) -> UndoConflict | None:
        current = sha256_of(self.root / entry.path)
        if current in (entry.after, entry.before):
            return None
        return UndoConflict(
            entry.path,
            _blob(turn.folder, entry.before),
            _blob(turn.folder, entry.after),
            _read(self.root / entry.path),
        )

    def _restore(self, turn: TurnJournal, entry: JournalEntry) -> bool:
        path = self.root / entry.path
        current = sha256_of(path)
        if current == entry.before:
            return False  # already as it was
        if entry.before is None:
            path.unlink(missing_ok=True)
            _prune_empty_dirs(self.root, path.parent)
            return True
        data = _blob(turn.folder, entry.before) or b""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, expect=current if current is not None else ABSENT)
        if entry.mode is not None:
            os.chmod(path, entry.mode)
        return True

    def _turn_folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.name.isdigit() and p.is_dir())


def _load(folder: Path, root: Path) -> TurnJournal | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entries = {e["path"]: JournalEntry(**e) for e in data.get("entries", [])}
    return TurnJournal(folder, root, str(data.get("label", "")), entries)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if not path.is_symlink() else None
    except (FileNotFoundError, IsADirectoryError):
        return None


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None


def _blob(folder: Path, name: str | None) -> bytes | None:
    return (folder / "blobs" / name).read_bytes() if name is not None else None


def _prune_empty_dirs(root: Path, folder: Path) -> None:
    while (
        folder != root and root in folder.parents and folder.is_dir() and not any(folder.iterdir())
    ):
        folder.rmdir()
        folder = folder.parent


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
