"""What one agent turn changes, recorded for undo: files written by tools and by commands.

Tools that write call `before_write` and `after_write` around each write; `run_shell_command` takes
a shadow capture of the work tree before and after the command and records every file the
command changed with its earlier bytes. Both land in the turn's undo journal in the cache.
"""

from __future__ import annotations

import logging
from typing import Protocol

from assistant.edits.journal import CommandChange, TurnJournal
from assistant.edits.states import ABSENT_STATE, PathState
from assistant.errors import AssistantError
from assistant.git.shadow import ShadowTree, StoredPath

log = logging.getLogger(__name__)


class ChangeLog(Protocol):
    """Where a tool reports the files it changes."""

    records_commands: bool  # whether commands' changes are captured (and can fail to be)

    def before_write(self, rel: str) -> None:
        """Record a file's state before the agent writes it."""
        ...

    def after_write(self, rel: str) -> None:
        """Record what the agent wrote."""
        ...

    def write_failed(self, rel: str) -> None:
        """Forget `before_write` of a write that did not happen."""
        ...

    def snapshot(self) -> str | None:
        """Capture the work tree before a command; None when nothing is recorded."""
        ...

    def record_since(self, snapshot: str | None) -> list[str]:
        """Record the files a command changed since `snapshot`; return their paths."""
        ...

    def close(self) -> None:
        """End the turn's record."""
        ...


class NoChangeLog:
    """A change log that records nothing (scratch trees, where nothing needs undoing)."""

    records_commands = False

    def before_write(self, rel: str) -> None:
        """Record nothing."""

    def after_write(self, rel: str) -> None:
        """Record nothing."""

    def write_failed(self, rel: str) -> None:
        """Record nothing."""

    def snapshot(self) -> str | None:
        """Capture nothing."""
        return None

    def record_since(self, snapshot: str | None) -> list[str]:
        """Record nothing."""
        return []

    def close(self) -> None:
        """Record nothing."""


class TurnChanges:
    """The change log of one turn: its undo journal, and a shadow for commands' changes."""

    records_commands = True

    def __init__(self, turn: TurnJournal, shadow: ShadowTree) -> None:
        self.turn = turn
        self.shadow = shadow

    def before_write(self, rel: str) -> None:
        """Save the file as it is, the first time this turn writes it."""
        self.turn.before_write(rel)

    def after_write(self, rel: str) -> None:
        """Record what the agent left in the file."""
        self.turn.after_write(rel)

    def write_failed(self, rel: str) -> None:
        """Forget the file if this turn never wrote it after all."""
        self.turn.forget_unwritten(rel)

    def snapshot(self) -> str | None:
        """Capture the work tree (None if it cannot be: the command's changes go unrecorded)."""
        try:
            return self.shadow.capture()
        except (AssistantError, OSError) as error:
            log.warning("cannot snapshot %s around a command: %s", self.shadow.root, error)
            return None

    def record_since(self, snapshot: str | None) -> list[str]:
        """Record each path that changed since `snapshot`, with its state from then."""
        if snapshot is None:
            return []
        after = self.snapshot()
        if after is None:
            return []
        changes = self.shadow.changes(snapshot, after)
        stored = self.shadow.contents_before(changes)
        return self.turn.record_command(
            CommandChange(c.path, _state(stored.get(c.path))) for c in changes
        )

    def close(self) -> None:
        """End the turn: another process may undo it from now on."""
        self.turn.close()


def _state(stored: StoredPath | None) -> PathState | None:
    if stored is None:
        return None
    return PathState(stored.kind, stored.data, stored.mode) if stored.kind else ABSENT_STATE
