"""Next-edit suggestions in the editor: tracked edits, a pause, a checked suggestion, offered
four ways.

Every didChange is recorded (`EditHistory`); after the configured pause the core proposes the
edit that follows. The suggestion is offered as inline completion when it is on the cursor's
line; through the custom request `assistant/nextEdit` (`{textDocument, position}` -> `{uri,
range, newText, oldText}` or null), which editors bind to a key; as a code action "Apply
suggested edit" at its place; and as a hint diagnostic on its line, so editors without special
support still see it. The server also sends `assistant/nextEditReady` with the same object
when one is ready. Typing on drops the suggestion and cancels the request in flight (which
closes its HTTP stream); a suggestion whose file changed since it was checked is never served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from assistant.editor.history import EditHistory
from assistant.editor.next_edit import NextEdit
from assistant.errors import EndpointError
from lsp.state import AssistantServer, server

log = logging.getLogger(__name__)
NEXT_EDIT = "assistant/nextEdit"
READY = "assistant/nextEditReady"
HINT_SOURCE = "assistant next edit"
APPLY_TITLE = "Apply suggested edit"
HINT_CHARS = 80


@dataclass(frozen=True)
class Offered:
    """A suggestion as the editor sees it: where, in the client's position units."""

    edit: NextEdit
    uri: str
    range: types.Range

    def as_json(self) -> dict[str, Any]:
        """Return the `assistant/nextEdit` answer."""
        start, end = self.range.start, self.range.end
        return {
            "uri": self.uri,
            "range": {
                "start": {"line": start.line, "character": start.character},
                "end": {"line": end.line, "character": end.character},
            },
            "newText": self.edit.new_text,
            "oldText": self.edit.old_text,
        }


class NextEditTracker:
    """The edits of the open buffers and the suggestion that follows them (one per buffer)."""

    def __init__(self, ls: AssistantServer) -> None:
        self.ls = ls
        self.history = EditHistory()
        self.tasks: dict[str, asyncio.Task[object]] = {}
        self.offered: dict[str, Offered] = {}  # by the uri of the buffer whose edits led to it
        self.early: dict[str, str] = {}  # buffers opened before the session: uri -> text

    def opened(self, uri: str, text: str) -> None:
        """Start tracking an opened buffer (once the session knows the repository's root)."""
        path = self.ls.relative_path(uri)
        if path is None:
            self.early[uri] = text  # the editor opened it before the session was ready
        else:
            self.history.opened(path, text)

    def closed(self, uri: str) -> None:
        """Stop tracking a buffer and drop what it led to."""
        self.early.pop(uri, None)
        path = self.ls.relative_path(uri)
        if path is not None:
            self.history.closed(path)
        self._cancel(uri)
        self.drop(uri)

    def changed(self, uri: str) -> None:
        """Record the buffer's new text; drop stale suggestions; ask again after a pause."""
        path = self.ls.relative_path(uri)
        document = self.ls.workspace.get_text_document(uri)
        if path is None:
            if uri in self.early:
                self.early[uri] = document.source
            return
        if uri in self.early:
            self.history.opened(path, self.early.pop(uri))
        edit = self.history.changed(path, document.source)
        self._cancel(uri)
        for source, offered in list(self.offered.items()):
            if source == uri or offered.uri == uri:
                self.drop(source)  # the user typed on: the suggestion may no longer fit
        if edit is not None:
            self.tasks[uri] = self.ls.spawn(self._suggest(uri))

    def drop(self, source: str) -> None:
        """Withdraw the suggestion led to by `source`'s edits (and its hint)."""
        offered = self.offered.pop(source, None)
        if offered is not None:
            self._publish_hints(offered.uri)

    async def wait(self, uri: str) -> Offered | None:
        """Return the suggestion for `uri`'s edits, waiting for one being made, and for the
        next one when typing replaces it (the editor cancelling this wait does not cancel the
        work)."""
        while (task := self.tasks.get(uri)) is not None and not task.done():
            await asyncio.wait({task})
        return self.fresh(uri)

    def fresh(self, source: str) -> Offered | None:
        """Return the suggestion if its file still has the text it was checked against."""
        offered = self.offered.get(source)
        if offered is None:
            return None
        if self._current_text(offered.uri, offered.edit) != offered.edit.text:
            self.drop(source)
            return None
        return offered

    def at(self, uri: str, line: int | None = None) -> Offered | None:
        """Return a fresh suggestion that edits `uri` (on `line`, if given)."""
        for source in list(self.offered):
            offered = self.fresh(source)
            if offered is None or offered.uri != uri:
                continue
            if line is None or offered.range.start.line <= line <= offered.range.end.line:
                return offered
        return None

    # -- the work ----------------------------------------------------------------------------

    async def _suggest(self, uri: str) -> None:
        session = await self.ls.current()
        if session is None or not session.next_edit.options.enabled:
            return
        await asyncio.sleep(session.next_edit.options.debounce_ms / 1000)
        path = self.ls.relative_path(uri)
        document = self.ls.workspace.get_text_document(uri)
        edits = self.history.recent(path) if path is not None else []
        if path is None or not edits:
            return
        text, version = document.source, document.version
        last = edits[-1].change
        offset = _line_end_offset(text, max(last.line, last.end_line - 1))
        try:
            edit = await session.next_edit.suggest(
                path, text, offset, edits, self.ls.buffers(dirty_only=True)
            )
        except EndpointError as error:
            self.ls.endpoint_failed(error.one_line())
            return
        self.ls.endpoint_recovered()
        if edit is None or document.version != version:
            return
        offered = self._offer(session.root, edit)
        self.offered[uri] = offered
        self._publish_hints(offered.uri)
        self.ls.protocol.notify(READY, offered.as_json())

    def _offer(self, root: Path, edit: NextEdit) -> Offered:
        uri = from_fs_path(str(root / edit.path)) or (root / edit.path).as_uri()
        units = self.ls.workspace.position_codec.client_num_units
        start = _position(edit.text, edit.start, units)
        end = _position(edit.text, edit.end, units)
        return Offered(edit, uri, types.Range(start, end))

    def _current_text(self, uri: str, edit: NextEdit) -> str | None:
        document = self.ls.workspace.text_documents.get(uri)
        if document is not None:
            return document.source
        session = self.ls.session
        if session is None:
            return None
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return (session.root / edit.path).read_text(encoding="utf-8")
        return None

    def _cancel(self, uri: str) -> None:
        task = self.tasks.pop(uri, None)
        if task is not None:
            task.cancel()

    def _publish_hints(self, uri: str) -> None:
        """Publish the hints of every suggestion in `uri` (none: the hints are cleared)."""
        diagnostics = [_hint(o) for o in self.offered.values() if o.uri == uri]
        params = types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        self.ls.text_document_publish_diagnostics(params)


tracker = NextEditTracker(server)


@server.feature(NEXT_EDIT)
async def next_edit(params: Any) -> dict[str, Any] | None:
    """Return the suggestion that follows the edits of the document named, or null."""
    uri = _uri_of(params)
    if uri is None:
        return None
    offered = await tracker.wait(uri) or tracker.at(uri)
    return offered.as_json() if offered is not None else None


def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    """Return "Apply suggested edit" when a suggestion lies in the requested range."""
    uri = params.text_document.uri
    offered = None
    for line in range(params.range.start.line, params.range.end.line + 1):
        offered = tracker.at(uri, line)
        if offered is not None:
            break
    if offered is None:
        return []
    edit = types.WorkspaceEdit(
        changes={uri: [types.TextEdit(offered.range, offered.edit.new_text)]}
    )
    return [
        types.CodeAction(
            title=APPLY_TITLE,
            kind=types.CodeActionKind.QuickFix,
            edit=edit,
            is_preferred=True,
            diagnostics=[_hint(offered)],
        )
    ]


def inline_item(uri: str, position: types.Position) -> types.InlineCompletionItem | None:
    """Return the suggestion as an inline completion when it is on the cursor's line."""
    offered = tracker.at(uri, position.line)
    if offered is None or offered.range.start.line != position.line:
        return None
    return types.InlineCompletionItem(insert_text=offered.edit.new_text, range=offered.range)


def _hint(offered: Offered) -> types.Diagnostic:
    first = offered.edit.new_text.strip().split("\n", 1)[0]
    shown = first if len(first) <= HINT_CHARS else first[: HINT_CHARS - 1] + "…"
    return types.Diagnostic(
        range=offered.range,
        message=f"suggested edit: {shown or 'delete these lines'}",
        severity=types.DiagnosticSeverity.Hint,
        source=HINT_SOURCE,
    )


def _uri_of(params: Any) -> str | None:
    document = getattr(params, "text_document", None) or getattr(params, "textDocument", None)
    uri = getattr(document, "uri", None)
    return uri if isinstance(uri, str) else None


def _position(text: str, offset: int, units: Any) -> types.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line, units(text[start:offset]))


def _line_end_offset(text: str, line: int) -> int:
    start = 0
    for _ in range(line):
        found = text.find("\n", start)
        if found < 0:
            return len(text)
        start = found + 1
    end = text.find("\n", start)
    return len(text) if end < 0 else end
