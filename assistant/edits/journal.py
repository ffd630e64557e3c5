"""The undo journal's record of one agent turn: every path the agent changed, as it was before
and as the agent left it, kept in the user cache (never in the repository or its `.git`).

Tool writes are recorded around each write (`before_write`, `after_write`); a command's
changes come as one batch (`record_command`) with their earlier bytes from a shadow capture.
A file the user changed in the middle of the turn (between two writes of the agent's) is
marked `disturbed`, so undo asks instead of silently dropping their edit. Each turn claims its
own folder, records its process id and stays `open` until the turn ends: another process's
undo leaves a running turn alone. Blobs are content-addressed and fsynced before the manifest
names them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.edits.states import ABSENT_STATE, PathState, missing_folders, read_state
from assistant.errors import EditError

MANIFEST = "manifest.json"
TOOL, COMMAND = "tool", "command"


@dataclass
class JournalEntry:
    """One path of a turn: its state before the turn (kind, blob, mode), what the agent left
    (a digest, and for tool writes its blob), and how the change came about."""

    path: str
    source: str = TOOL  # TOOL or COMMAND
    before_kind: str | None = None  # None: the path did not exist
    before_blob: str | None = None
    before_mode: int | None = None
    after: str | None = None  # PathState.digest of what the agent left
    after_blob: str | None = None
    disturbed: bool = False  # someone else changed it between two of the agent's writes
    unrestorable: str = ""  # why its earlier state could not be kept (then undo asks)
    made_folders: list[str] = field(default_factory=list)

    @property
    def before_digest(self) -> str | None:
        """Return the digest of the state before the turn."""
        if self.before_kind is None:
            return None
        return f"{self.before_kind}:{self.before_blob}"


@dataclass(frozen=True)
class CommandChange:
    """A path a command changed: its state before the command (None: unknown)."""

    path: str
    before: PathState | None


@dataclass
class TurnJournal:
    """The record of one turn, written to disk as it grows (a crash loses nothing)."""

    folder: Path
    root: Path
    label: str
    entries: dict[str, JournalEntry] = field(default_factory=dict)
    open: bool = True
    pid: int = field(default_factory=os.getpid)

    def before_write(self, rel: str) -> None:
        """Save the path as it is now, unless this turn holds its earlier state already."""
        state = read_state(self.root, rel)
        if state is None:
            raise EditError(f"{rel}: not a plain path inside the repository; nothing written")
        entry = self.entries.get(rel)
        if entry is not None:
            entry.disturbed = entry.disturbed or state.digest != entry.after
        else:
            entry = self._entry(rel, TOOL, state)
            entry.made_folders = missing_folders(self.root, rel)
            self.entries[rel] = entry
        self.save()

    def after_write(self, rel: str) -> None:
        """Record what the agent left at the path (kept whole for a later conflict view)."""
        entry = self.entries.get(rel)
        if entry is None:
            raise EditError(f"{rel}: written without a journal record of its earlier state")
        state = read_state(self.root, rel) or ABSENT_STATE
        entry.after = state.digest
        entry.after_blob = self._store(state.data) if state.kind in ("file", "link") else None
        self.save()

    def forget_unwritten(self, rel: str) -> None:
        """Drop a path recorded by `before_write` whose write then failed."""
        entry = self.entries.get(rel)
        if entry is not None and entry.after is None and entry.source == TOOL:
            del self.entries[rel]
            self.save()

    def record_command(self, changes: Iterable[CommandChange]) -> list[str]:
        """Record the paths a command changed (one save for all); return them."""
        recorded = []
        for change in changes:
            now = read_state(self.root, change.path)
            entry = self.entries.get(change.path)
            if entry is None:
                entry = self._entry(change.path, COMMAND, change.before)
                self.entries[change.path] = entry
            else:
                earlier = change.before.digest if change.before is not None else "?"
                entry.disturbed = entry.disturbed or earlier != entry.after
                entry.source = COMMAND
            entry.after = now.digest if now is not None else "unreadable"
            entry.after_blob = None  # the agent's version of a command's change is not kept
            recorded.append(change.path)
        if recorded:
            self.save()
        return recorded

    def close(self) -> None:
        """Mark the turn as over: from now on another process may undo it."""
        self.open = False
        if self.entries:
            self.save()

    def blob(self, name: str | None) -> bytes | None:
        """Return a stored blob's bytes (checked against its name), or None."""
        if name is None:
            return None
        try:
            data = (self.folder / "blobs" / name).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != name:
            raise EditError(f"the undo journal's copy {name[:12]} is damaged")
        return data

    def save(self) -> None:
        """Write the manifest (after the blobs it names are safely on disk)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "label": self.label,
            "open": self.open,
            "pid": self.pid,
            "entries": [asdict(e) for e in self.entries.values()],
        }
        _write_synced(self.folder / MANIFEST, json.dumps(data).encode())

    def _entry(self, rel: str, source: str, state: PathState | None) -> JournalEntry:
        if state is None:
            return JournalEntry(rel, source, unrestorable="its earlier state could not be read")
        if state.kind == "folder":
            return JournalEntry(rel, source, unrestorable="it was a folder")
        blob = self._store(state.data) if state.kind is not None else None
        return JournalEntry(rel, source, state.kind, blob, state.mode)

    def _store(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest()
        blob = self.folder / "blobs" / name
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            _write_synced(blob, data)
        return name


def load_turn(folder: Path, root: Path) -> TurnJournal | None:
    """Return the turn recorded in `folder`, or None when it has no readable manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        entries = {e["path"]: JournalEntry(**e) for e in data.get("entries", [])}
    except (OSError, ValueError, TypeError, KeyError):
        return None
    for entry in entries.values():
        if entry.before_blob and not (folder / "blobs" / entry.before_blob).is_file():
            entry.unrestorable = "the journal's copy of it is missing"
    return TurnJournal(
        folder, root, str(data.get("label", "")), entries, bool(data.get("open")),
        int(data.get("pid", 0)),
    )  # fmt: skip


def _write_synced(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    temp.replace(path)
