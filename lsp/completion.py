"""textDocument/inlineCompletion (LSP 3.18) and textDocument/completion, over one engine."""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace import TextDocument

from assistant.editor import Cursor, Suggestion
from assistant.errors import EndpointError
from lsp import next_edit
from lsp.state import AssistantServer, server

_WORD_BEFORE = re.compile(r"[A-Za-z0-9_]*$")
LABEL_CHARS = 60


# Options are never empty: some clients (Emacs's JSON reader) take `{}` for "no provider".
@server.feature(
    types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions(work_done_progress=False)
)
async def inline_completion(
    params: types.InlineCompletionParams,
) -> types.InlineCompletionList | None:
    """Return the suggestion as ghost text at the cursor (a next edit on its line first)."""
    following = next_edit.inline_item(params.text_document.uri, params.position)
    if following is not None:
        return types.InlineCompletionList(items=[following])
    suggestion = await suggest(server, params.text_document.uri, params.position)
    if suggestion is None:
        return None
    at = types.Range(start=params.position, end=params.position)
    item = types.InlineCompletionItem(insert_text=suggestion.text, range=at)
    return types.InlineCompletionList(items=[item])


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(resolve_provider=False))
async def completion(params: types.CompletionParams) -> types.CompletionList | None:
    """Return the suggestion as one completion item, replacing the word being typed."""
    suggestion = await suggest(server, params.text_document.uri, params.position)
    if suggestion is None:
        return None
    document = server.workspace.get_text_document(params.text_document.uri)
    typed = word_before(document, params.position)
    return types.CompletionList(is_incomplete=True, items=[item_for(params, typed, suggestion)])


async def suggest(ls: AssistantServer, uri: str, position: types.Position) -> Suggestion | None:
    """Return the engine's suggestion at `position`, reporting endpoint failures once."""
    session = await ls.current()
    if session is None:
        return None
    document = ls.workspace.get_text_document(uri)
    path = ls.relative_path(uri) or document.filename or "untitled"
    cursor = Cursor(path, document.source, document.offset_at_position(position))
    try:
        suggestion = await session.engine.complete(cursor, ls.buffers(dirty_only=True))
    except EndpointError as error:
        ls.endpoint_failed(error.one_line())
        return None
    ls.endpoint_recovered()
    return suggestion


def item_for(
    params: types.CompletionParams, typed: str, suggestion: Suggestion
) -> types.CompletionItem:
    """Return a completion item that replaces the word being typed with word + suggestion."""
    start = types.Position(params.position.line, params.position.character - len(typed))
    text = typed + suggestion.text
    first = text.split("\n", 1)[0]
    label = first if len(first) <= LABEL_CHARS else first[: LABEL_CHARS - 1] + "…"
    return types.CompletionItem(
        label=label or text.strip()[:LABEL_CHARS],
        kind=types.CompletionItemKind.Snippet,
        detail="assistant",
        documentation=text,
        filter_text=text,
        sort_text="0",
        preselect=True,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(types.Range(start, params.position), text),
    )


def word_before(document: TextDocument, position: types.Position) -> str:
    """Return the part of a word that is typed before `position`."""
    line = document.lines[position.line] if document.lines else ""
    start = document.offset_at_position(types.Position(position.line, 0))
    word = _WORD_BEFORE.search(line[: document.offset_at_position(position) - start])
    return word.group(0) if word else ""
