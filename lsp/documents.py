"""Open documents and files on disk: overlays for unsaved buffers, index updates on save."""

from __future__ import annotations

from lsprotocol import types

from lsp.next_edit import tracker
from lsp.state import AssistantServer, server


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    """Start tracking an opened document (clean until it changes)."""
    server.dirty.discard(params.text_document.uri)
    tracker.opened(params.text_document.uri, params.text_document.text)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: types.DidChangeTextDocumentParams) -> None:
    """Mark the document modified: its text now overlays the index."""
    server.dirty.add(params.text_document.uri)  # laid over the index until saved
    tracker.changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    """Stop overlaying a closed document."""
    server.dirty.discard(params.text_document.uri)
    tracker.closed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(params: types.DidSaveTextDocumentParams) -> None:
    """Reindex the saved file; it no longer needs an overlay."""
    server.dirty.discard(params.text_document.uri)
    await update_index(server, [params.text_document.uri])


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
    """Reindex files changed, created or deleted on disk."""
    await update_index(server, [change.uri for change in params.changes])


async def update_index(ls: AssistantServer, uris: list[str]) -> None:
    """Reparse the files behind `uris` in the index's write thread."""
    session = await ls.current()
    if session is None:
        return
    paths = [path for uri in uris if (path := ls.relative_path(uri)) is not None]
    paths = [path for path in paths if not path.startswith(".git/")]
    if paths:
        await session.index.update(paths)
        ls.log(f"index updated: {', '.join(paths)}")
