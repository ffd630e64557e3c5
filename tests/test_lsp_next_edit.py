"""Next-edit suggestions through a real `assistant lsp`, a pytest-lsp client, the scripted model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client

from assistant.testing import wait_until_async, write_files
from tests.lsp_support import TAX, Editor, capabilities, make_repo, server_command, server_env

NEXT_EDIT = "assistant/nextEdit"
REPORT = "from shop.tax import tax_for\n\n\ndef report(amount):\n    return tax_for(amount)\n"
RENAMED = TAX.replace("def tax_for(amount,", "def tax_for(total,")
USE_RENAMED = """shop/tax.py
<<<<<<< SEARCH
    return round(amount * rate, 2)
=======
    return round(total * rate, 2)
>>>>>>> REPLACE"""
StartEditor = Callable[..., Any]


@pytest.fixture
async def start_editor(tmp_path: Path, scripted_server) -> AsyncIterator[StartEditor]:
    """Return `start(script)`: a server on the example repo (plus shop/report.py), indexed."""
    started: list[LanguageClient] = []

    async def start(script: dict[str, Any]) -> Editor:
        model = scripted_server(script)
        repo = make_repo(tmp_path / "repo")
        write_files(repo, {"shop/report.py": REPORT})
        client = make_test_lsp_client()
        editor = Editor(client, repo, model)
        await client.start_io(*server_command(repo, model.base_url), env=server_env(tmp_path))
        started.append(client)
        options = {"completion": {"debounceMs": 0}, "nextEdit": {"debounceMs": 0}}
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(),
                root_uri=repo.as_uri(),
                initialization_options={"assistant": options},
            )
        )
        await editor.wait_for_index()
        return editor

    yield start
    for client in started:
        await client.shutdown_session()
        await client.stop()


def change(editor: Editor, uri: str, text: str, version: int) -> None:
    """Send the buffer's new text, as an editor does after a keystroke."""
    editor.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def next_edit(editor: Editor, uri: str, line: int = 0) -> Any:
    """Ask the server for the suggestion that follows the edits of `uri`."""
    params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": 0}}
    return await asyncio.wait_for(editor.client.protocol.send_request_async(NEXT_EDIT, params), 20)


def user_message(editor: Editor, index: int = 0) -> str:
    """Return the user message of the model's `index`-th chat request."""
    return editor.model.chat_requests[index].body["messages"][-1]["content"]


async def test_a_renamed_parameter_is_followed_by_its_use_two_lines_below(start_editor):
    editor = await start_editor({"turns": [{"text": USE_RENAMED}]})
    uri = editor.open("shop/tax.py")
    change(editor, uri, RENAMED, 2)
    found = await next_edit(editor, uri)
    assert found.uri == uri
    assert (found.range.start.line, found.range.start.character) == (2, 17)
    assert (found.range.end.line, found.range.end.character) == (2, 23)
    assert (found.oldText, found.newText) == ("amount", "total")
    prompt = user_message(editor)
    assert "-def tax_for(amount, rate=0.2):" in prompt and "+def tax_for(total," in prompt
    assert "3|     return round(amount * rate, 2)" in prompt

    position = types.Position(2, 4)
    inline = await editor.client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
            text_document=types.TextDocumentIdentifier(uri),
            position=position,
        )
    )
    assert inline.items[0].insert_text == "total"
    assert inline.items[0].range == types.Range(types.Position(2, 17), types.Position(2, 23))

    actions = await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(2, 0), types.Position(2, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    apply = actions[0]
    assert apply.title == "Apply suggested edit"
    edits = apply.edit.changes[uri]
    assert [(e.range.start.line, e.new_text) for e in edits] == [(2, "total")]
    hints = editor.client.diagnostics[uri]
    assert [h.severity for h in hints] == [types.DiagnosticSeverity.Hint]
    assert hints[0].message == "suggested edit: total"
    assert len(editor.model.chat_requests) == 1


async def test_a_changed_signature_leads_to_the_call_site_in_another_file(start_editor):
    answer = (
        "shop/report.py\n<<<<<<< SEARCH\n    return tax_for(amount)\n=======\n"
        "    return tax_for(amount, rate=0.2)\n>>>>>>> REPLACE"
    )
    editor = await start_editor({"turns": [{"text": answer}]})
    uri = editor.open("shop/tax.py")
    change(editor, uri, TAX.replace("(amount, rate=0.2)", "(amount, rate)"), 2)
    found = await next_edit(editor, uri)
    assert found.uri == editor.uri("shop/report.py")
    assert found.range.start.line == 4 and found.newText == ", rate=0.2"
    prompt = user_message(editor)
    assert "shop/report.py:5 uses tax_for" in prompt
    assert "5|     return tax_for(amount)" in prompt
    actions = await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(found.uri),
            range=types.Range(types.Position(4, 0), types.Position(4, 10)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions[0].title == "Apply suggested edit"
    (edit,) = actions[0].edit.changes[found.uri]
    assert edit.new_text == ", rate=0.2"


async def test_typing_on_drops_the_suggestion_and_its_hint(start_editor):
    editor = await start_editor({"turns": [{"text": USE_RENAMED}, {"text": "NONE"}]})
    uri = editor.open("shop/tax.py")
    change(editor, uri, RENAMED, 2)
    assert (await next_edit(editor, uri)).newText == "total"
    assert editor.client.diagnostics[uri]
    change(editor, uri, RENAMED + "\n# more\n", 3)
    assert await next_edit(editor, uri) is None

    async def cleared() -> bool:
        return not editor.client.diagnostics.get(uri, [None])

    await wait_until_async(cleared, timeout=10, what="the hint withdrawn")
    assert len(editor.model.chat_requests) == 2


async def test_typing_during_the_request_cancels_it_at_the_model(start_editor):
    slow = {"text": USE_RENAMED, "fault": {"kind": "delay", "seconds": 3}}
    editor = await start_editor({"turns": [slow, {"text": "NONE"}]})
    uri = editor.open("shop/tax.py")
    change(editor, uri, RENAMED, 2)
    await asyncio.to_thread(editor.model.wait_for_requests, 1, 10)
    change(editor, uri, RENAMED.replace("rate=0.2", "rate=0.25"), 3)
    record = await asyncio.to_thread(editor.model.wait_for_finish, 0, 10)
    assert record.disconnected, "the first request's HTTP stream was closed"
    assert await next_edit(editor, uri) is None


async def test_a_suggestion_that_reverts_the_users_edit_is_never_offered(start_editor):
    revert = USE_RENAMED.replace(
        "    return round(amount * rate, 2)", "def tax_for(total, rate=0.2):"
    )
    revert = revert.replace("    return round(total * rate, 2)", "def tax_for(amount, rate=0.2):")
    editor = await start_editor({"turns": [{"text": revert}]})
    uri = editor.open("shop/tax.py")
    change(editor, uri, RENAMED, 2)
    assert await next_edit(editor, uri) is None
    assert len(editor.model.chat_requests) == 1
