"""Undo: restore what the agent changed in its latest turn, and nothing of anyone else's.

Each path of the turn is restored only while it still holds what the agent left there. What
needs a person's word comes back from `plan()` first:
- conflicts: the path changed since the agent wrote it (or in between two of its writes), or
  its earlier state could not be kept; shown with the three versions, decided one by one;
- command changes: paths that changed while the agent's commands ran: the command did it, or
  the user saved at the same moment, and nothing can tell which; confirmed together.
With no one to ask (`assistant undo`), either refuses and changes nothing. A path the agent
created is removed, and the folders it made for it if they are empty; nothing else is touched.
Paths are restored through `states.inside`, never through a link.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.edits.atomic import ABSENT, write_atomic
from assistant.edits.journal import COMMAND, JournalEntry, TurnJournal, load_turn
from assistant.edits.states import inside, read_state
from assistant.errors import EditError

KEEP_TURNS = 100


class UndoRefused(EditError):
    """Undo needs a decision no one was there to make; nothing was restored."""


@dataclass(frozen=True)
class UndoConflict:
    """A path whose undo needs a decision: why, and its three versions (None: no file)."""

    path: str
    reason: str
    before: bytes | None
    agent: bytes | None
    current: bytes | None

    @property
    def shown(self) -> str:
        """Return an identity of the current version, to check it did not change meanwhile."""
        return hashlib.sha256(self.current or b"\0absent").hexdigest()


@dataclass(frozen=True)
class UndoPlan:
    """What undoing the latest turn would need decided."""

    label: str
    conflicts: tuple[UndoConflict, ...]
    command_paths: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """Return the plan for `--json` (paths and reasons; the versions stay on disk)."""
        return {
            "label": self.label,
            "conflicts": [{"path": c.path, "reason": c.reason} for c in self.conflicts],
            "command_paths": list(self.command_paths),
        }


@dataclass(frozen=True)
class UndoResult:
    """What an undo did."""

    label: str
    restored: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # left as they are now, by decision

    def to_json(self) -> dict[str, object]:
        """Return the result for `--json`."""
        return {"label": self.label, "restored": list(self.restored),
                "removed": list(self.removed), "kept": list(self.kept)}  # fmt: skip

    def to_text(self, *, one_line: bool = False) -> str:
        """Return the result for a person: a line per file, or one line (the chat's log)."""
        if one_line:
            parts = [f"undid: {self.label}"]
            for verb, paths in (("restored", self.restored), ("removed", self.removed),
                                ("kept as you changed them:", self.kept)):  # fmt: skip
                if paths:
                    parts.append(f"{verb} {', '.join(paths)}")
            return "; ".join(parts)
        lines = [f"undid: {self.label}"]
        lines += [f"  restored {path}" for path in self.restored]
        lines += [f"  removed {path}" for path in self.removed]
        lines += [f"  kept as it is now: {path}" for path in self.kept]
        return "\n".join(lines)


class UndoJournal:
    """Every recorded turn of one repository, oldest first."""

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        self.folder = Path(cache_root) / "undo" / f"{self.root.name}-{digest}"

    def begin(self, label: str) -> TurnJournal:
        """Claim the folder of a new turn (two processes never share one)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._prune()
        while True:
            number = max((int(p.name) for p in self._turn_folders()), default=0) + 1
            folder = self.folder / f"{number:06d}"
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return TurnJournal(folder, self.root, label)

    def turns(self) -> list[TurnJournal]:
        """Return the recorded turns that changed something, oldest first."""
        loaded = (load_turn(folder, self.root) for folder in self._turn_folders())
        return [turn for turn in loaded if turn is not None and turn.entries]

    def plan(self) -> UndoPlan:
        """Return what undoing the latest turn needs decided."""
        turn = self._latest()
        conflicts = tuple(c for e in turn.entries.values() if (c := self._conflict(turn, e)))
        named = {c.path for c in conflicts}
        commands = tuple(
            e.path
            for e in turn.entries.values()
            if e.source == COMMAND and e.path not in named and not self._undone(e)
        )
        return UndoPlan(turn.label, conflicts, commands)

    def undo(
        self,
        decide: Callable[[UndoConflict], bool] | None = None,
        commands: bool | None = None,
    ) -> UndoResult:
        """Undo the latest turn; `decide` answers each conflict (True: restore anyway),
        `commands` the command changes (True: restore, False: keep as they are). Refuse,
        changing nothing, when a decision is needed and not given."""
        with self._locked():
            plan = self.plan()
            if plan.conflicts and decide is None:
                raise UndoRefused(
                    "undo refused: changed since the agent's change: "
                    + ", ".join(f"{c.path} ({c.reason})" for c in plan.conflicts),
                    hint="undo in the chat (it shows the three versions) or restore by hand",
                )
            if plan.command_paths and commands is None:
                raise UndoRefused(
                    "undo refused: changed while the agent's commands ran (by them, or by you "
                    "at the same moment): " + ", ".join(plan.command_paths),
                    hint="`assistant undo --commands` restores them too",
                )
            keep = set() if commands else set(plan.command_paths)
            return self._apply(self._latest(), plan, decide, keep)

    def _apply(
        self,
        turn: TurnJournal,
        plan: UndoPlan,
        decide: Callable[[UndoConflict], bool] | None,
        keep: set[str],
    ) -> UndoResult:
        conflicts = {c.path: c for c in plan.conflicts}
        restored: list[str] = []
        removed: list[str] = []
        kept: list[str] = []
        for entry in turn.entries.values():
            if entry.path in keep:
                kept.append(entry.path)
                continue
            conflict = conflicts.get(entry.path)
            if conflict is not None and (
                entry.unrestorable or decide is None or not decide(conflict)
            ):
                kept.append(entry.path)
                continue
            if self._restore(turn, entry):
                (restored if entry.before_kind is not None else removed).append(entry.path)
        for entry in turn.entries.values():
            _prune_folders(self.root, entry.made_folders)
        shutil.rmtree(turn.folder, ignore_errors=True)
        return UndoResult(turn.label, tuple(restored), tuple(removed), tuple(kept))

    def _conflict(self, turn: TurnJournal, entry: JournalEntry) -> UndoConflict | None:
        state = read_state(self.root, entry.path)
        current = state.digest if state is not None else "unreadable"
        if current == entry.before_digest and not entry.unrestorable:
            return None  # already as it was: nothing to do, nothing to ask
        if entry.unrestorable:
            reason = f"cannot be restored: {entry.unrestorable}"
        elif state is None:
            reason = "it is no longer a plain path inside the repository"
        elif entry.disturbed:
            reason = "someone else changed it between the agent's changes"
        elif current != entry.after:
            reason = "changed since the agent's change"
        else:
            return None
        return UndoConflict(
            entry.path,
            reason,
            turn.blob(entry.before_blob),
            turn.blob(entry.after_blob),
            state.data if state is not None and state.kind is not None else None,
        )

    def _undone(self, entry: JournalEntry) -> bool:
        state = read_state(self.root, entry.path)
        return state is not None and state.digest == entry.before_digest

    def _restore(self, turn: TurnJournal, entry: JournalEntry) -> bool:
        """Put the path back as it was; False when it already is (or cannot be, safely)."""
        path = inside(self.root, entry.path)
        state = read_state(self.root, entry.path)
        if path is None or state is None or entry.unrestorable:
            return False
        if state.digest == entry.before_digest:
            return False
        if state.kind == "folder":
            return False  # never remove a folder (with whatever is in it)
        if entry.before_kind is None:
            path.unlink()
            return True
        data = turn.blob(entry.before_blob) or b""
        path.parent.mkdir(parents=True, exist_ok=True)
        if entry.before_kind == "link" or state.kind == "link":
            path.unlink(missing_ok=True)
        if entry.before_kind == "link":
            os.symlink(os.fsdecode(data), path)
            return True
        expect = hashlib.sha256(state.data).hexdigest() if state.kind == "file" else ABSENT
        write_atomic(path, data, expect=expect)
        if entry.before_mode is not None:
            os.chmod(path, entry.before_mode)
        return True

    def _latest(self) -> TurnJournal:
        turns = self.turns()
        if not turns:
            raise EditError("nothing to undo: the agent has changed no file yet")
        turn = turns[-1]
        if turn.open and turn.pid != os.getpid() and _alive(turn.pid):
            raise UndoRefused(
                f"the agent's turn {turn.label!r} is still running (process {turn.pid})",
                hint="wait for it to end, or stop it, then undo",
            )
        return turn

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _prune(self) -> None:
        folders = self._turn_folders()
        for folder in folders[: max(0, len(folders) - KEEP_TURNS)]:
            shutil.rmtree(folder, ignore_errors=True)

    def _turn_folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.name.isdigit() and p.is_dir())


def restore_anyway(shown: Collection[tuple[str, str]]) -> Callable[[UndoConflict], bool]:
    """Return a decision that restores the conflicts a person saw, as they saw them
    (`shown`: (path, UndoConflict.shown) pairs); a file changed again since is kept."""
    chosen = set(shown)
    return lambda conflict: (conflict.path, conflict.shown) in chosen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune_folders(root: Path, folders: list[str]) -> None:
    """Remove the folders the agent made, deepest first, where they are empty."""
    for rel in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        path = inside(root, rel + "/x")
        folder = path.parent if path is not None else None
        if folder is not None and folder.is_dir() and not folder.is_symlink():
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
