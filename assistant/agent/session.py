"""Conversations stored as JSON lines, one file per session, so a chat can resume and be audited."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def sessions_dir(cache_root: Path, repo_root: Path) -> Path:
    """Return the folder holding one repository's sessions."""
    digest = hashlib.sha256(str(repo_root.resolve()).encode()).hexdigest()[:16]
    return cache_root / "sessions" / f"{repo_root.name}-{digest}"


class SessionLog:
    """Append-only JSON-lines record of one conversation's messages.

    Writing is best effort: when the file cannot be written (a read-only or full disk) the log
    warns once and keeps the rest of the conversation in memory, so the run goes on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.unsaved: list[dict[str, Any]] = []  # messages kept in memory only
        self.notice = ""  # why messages are not being saved, once they are not

    @classmethod
    def new(cls, folder: Path) -> SessionLog:
        """Start a new session file in `folder`."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        session = cls(folder / f"{stamp}-{time.time_ns() % 1_000_000:06d}.jsonl")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            session._stop_saving(error)
        return session

    @classmethod
    def latest(cls, folder: Path) -> SessionLog | None:
        """Return the most recent session in `folder`, if any."""
        files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        return cls(files[-1]) if files else None

    def append(self, message: dict[str, Any]) -> None:
        """Write one message as a line, flushed at once (kept in memory once writing failed)."""
        if not self.notice:
            try:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(message, ensure_ascii=False) + "\n")
                return
            except OSError as error:
                self._stop_saving(error)
        self.unsaved.append(message)

    def messages(self) -> list[dict[str, Any]]:
        """Return the messages recorded so far; a torn last line (a crash) is skipped."""
        result: list[dict[str, Any]] = []
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.is_file() else ""
        except OSError as error:
            log.warning("cannot read the session %s (%s)", self.path, error.strerror)
            text = ""
        for line in text.splitlines():
            try:
                result.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        result += self.unsaved
        complete_exchanges(result)
        return result

    def _stop_saving(self, error: OSError) -> None:
        """Say once that the session is not being saved, and why."""
        self.notice = (
            f"cannot save the session to {self.path} ({error.strerror or error}); "
            "this conversation is kept in memory only"
        )
        log.warning("%s", self.notice)


def complete_exchanges(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop, in place, a trailing tool-call exchange whose results never all came (a crash or a
    cancelled turn), so the conversation can be sent to a model again; return the list."""
    while messages and messages[-1].get("role") == "assistant" and messages[-1].get("tool_calls"):
        messages.pop()
    answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
    if messages and messages[-1].get("role") == "tool":
        last_call = next((m for m in reversed(messages) if m.get("tool_calls")), None)
        if last_call is not None and not {c.get("id") for c in last_call["tool_calls"]} <= answered:
            del messages[messages.index(last_call) :]
    return messages
