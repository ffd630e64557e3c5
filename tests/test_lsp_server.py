"""`assistant lsp` end to end: a real server process, the pytest-lsp client, the scripted model."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client

from assistant.testing import call, edit, turns, wait_until_async
from tests.lsp_support import (
    APP,
    CART,
    CURSOR,
    TAX,
    Editor,
    capabilities,
    make_repo,
    server_command,
    server_env,
)

StartEditor = Callable[..., Any]


@pytest.fixture
async def start_editor(tmp_path: Path, scripted_server) -> AsyncIterator[StartEditor]:
    """Return `start(script, options=None)`: a server process on the example repo, initialized."""
    started: list[LanguageClient] = []

    async def start(script: dict[str, Any], options: dict[str, Any] | None = None) -> Editor:
        model = scripted_server(script)
        repo = make_repo(tmp_path / "repo")
        client = make_test_lsp_client()
        editor = Editor(client, repo, model)  # its handlers are in place before the server talks
        await client.start_io(*server_command(repo, model.base_url), env=server_env(tmp_path))
        started.append(client)
        init = {"completion": {"debounceMs": 0}, **(options or {})}
        initialized = await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(),
                root_uri=repo.as_uri(),
                initialization_options={"assistant": init},
            )
        )
        editor.capabilities = initialized.capabilities
        return editor

    yield start
    for client in started:
        await client.shutdown_session()
        await client.stop()


async def test_initialize_announces_completions_actions_and_commands(start_editor):
    editor = await start_editor({})
    result = editor.capabilities
    assert result.inline_completion_provider
    assert result.completion_provider is not None
    assert result.code_action_provider
    assert "assistant.fix" in result.execute_command_provider.commands
    assert "assistant.ask" in result.execute_command_provider.commands


async def test_inline_completion_prompt_carries_the_imported_definition(start_editor):
    editor = await start_editor({"completions": [{"text": "tax_for(subtotal)\n"}]})
    await editor.wait_for_index()
    uri = editor.open("shop/app.py")
    result = await editor.client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=CURSOR,
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
        )
    )
    assert [item.insert_text for item in result.items] == ["tax_for(subtotal)"]
    prompt = editor.model.completion_requests[0].body["prompt"]
    assert prompt.startswith("<|repo_name|>repo\n")
    assert "<|file_sep|>shop/tax.py\ndef tax_for(amount, rate=0.2):" in prompt
    assert prompt.endswith(
        "<|file_sep|>shop/app.py\n<|fim_prefix|>" + APP[:-1] + "<|fim_suffix|>\n<|fim_middle|>"
    )


async def test_completion_item_replaces_the_word_being_typed(start_editor):
    editor = await start_editor({"completions": [{"text": "turn subtotal"}]})
    text = APP.replace("return subtotal + ", "re")
    uri = editor.open("shop/app.py", text)
    result = await editor.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(6, 6))
    )
    (item,) = result.items
    assert item.text_edit.new_text == "return subtotal"
    assert item.text_edit.range.start == types.Position(6, 4)


async def test_repeated_and_typed_through_positions_are_served_from_the_cache(start_editor):
    editor = await start_editor({"completions": [{"text": "tax_for(subtotal)"}]})
    uri = editor.open("shop/app.py")
    document = types.TextDocumentIdentifier(uri)
    first = await editor.client.text_document_completion_async(
        types.CompletionParams(document, CURSOR)
    )
    again = await editor.client.text_document_completion_async(
        types.CompletionParams(document, CURSOR)
    )
    typed = types.TextDocumentContentChangePartial(types.Range(CURSOR, CURSOR), "tax")
    editor.client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(2, uri), [typed])
    )
    after_typing = await editor.client.text_document_completion_async(
        types.CompletionParams(document, types.Position(CURSOR.line, CURSOR.character + 3))
    )
    assert first.items[0].text_edit.new_text == "tax_for(subtotal)"
    assert again.items[0].text_edit.new_text == "tax_for(subtotal)"
    assert after_typing.items[0].text_edit.new_text == "tax_for(subtotal)"  # "tax" + the rest
    assert len(editor.model.completion_requests) == 1


async def test_cancelled_request_gets_no_answer_and_closes_its_http_stream(start_editor):
    script = {"completions": [{"text": "late", "fault": {"kind": "delay", "seconds": 1.5}}]}
    editor = await start_editor(script)
    uri = editor.open("shop/app.py")
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri),
        position=CURSOR,
        context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
    )
    msg_id = str(uuid.uuid4())
    pending = asyncio.ensure_future(
        editor.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
    )
    await asyncio.to_thread(editor.model.wait_for_requests, 1, 10)
    editor.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, 10)
    record = await asyncio.to_thread(editor.model.wait_for_finish, 0, 10)
    assert record.disconnected


async def test_a_newer_keystroke_cancels_the_older_request(start_editor):
    script = {"completions": [
        {"text": "stale", "fault": {"kind": "delay", "seconds": 1.5}},
        {"text": "fresh"},
    ]}  # fmt: skip
    editor = await start_editor(script)
    uri = editor.open("shop/app.py")
    document = types.TextDocumentIdentifier(uri)
    older = asyncio.ensure_future(
        editor.client.text_document_completion_async(types.CompletionParams(document, CURSOR))
    )
    await asyncio.to_thread(editor.model.wait_for_requests, 1, 10)
    newer = await editor.client.text_document_completion_async(
        types.CompletionParams(document, CURSOR)
    )
    assert await older is None
    assert newer.items[0].text_edit.new_text == "fresh"
    record = await asyncio.to_thread(editor.model.wait_for_finish, 0, 10)
    assert record.disconnected


async def test_endpoint_error_is_shown_once_not_per_keystroke(start_editor):
    editor = await start_editor({"api_key": "another-key"})
    uri = editor.open("shop/app.py")
    for _ in range(3):
        result = await editor.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), CURSOR)
        )
        assert result is None
    errors = [m for m in editor.client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1
    assert "API key" in errors[0].message or "401" in errors[0].message
    assert len(editor.model.completion_requests) == 3


def agent_script(path: str, search: str, replace: str, *, create: str = "") -> dict:
    """Return the model's script: read the file, edit it (or create a new one), then finish."""
    if create:
        change = call("write_file", path=create, content=replace)
    else:
        change = edit(path, search, replace)
    return turns(call("read_file", path=path), change, text="Done.")


DOCSTRING = '    """Return the total price of the cart."""\n'
TOTAL = "    def total(self):\n"
TEST_FILE = "from shop.tax import tax_for\n\n\ndef test_tax():\n    assert tax_for(10) == 2.0\n"
ACTIONS = {
    "assistant.fix": (
        "shop/cart.py",
        {"diagnostic": "sum() of an empty cart"},
        agent_script("shop/cart.py", "        return sum(", "        return 0 + sum("),
        {"shop/cart.py": CART.replace("        return sum(", "        return 0 + sum(")},
    ),
    "assistant.addDocstrings": (
        "shop/cart.py",
        {},
        agent_script("shop/cart.py", TOTAL, TOTAL + DOCSTRING),
        {"shop/cart.py": CART.replace(TOTAL, TOTAL + DOCSTRING)},
    ),
    "assistant.refactor": (
        "shop/tax.py",
        {"instruction": "rename amount to value"},
        agent_script("shop/tax.py", TAX, TAX.replace("amount", "value")),
        {"shop/tax.py": TAX.replace("amount", "value")},
    ),
    "assistant.writeTests": (
        "shop/tax.py",
        {},
        agent_script("shop/tax.py", "", TEST_FILE, create="tests/test_tax.py"),
        {"tests/test_tax.py": TEST_FILE},
    ),
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(ACTIONS))
async def test_code_action_produces_a_workspace_edit_that_applies_cleanly(start_editor, command):
    path, extra, script, expected = ACTIONS[command]
    editor = await start_editor(script)
    uri = editor.open(path)
    selection = {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}
    result = await editor.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command, [{"uri": uri, "range": selection, **extra}])
    )
    assert result["applied"] is True
    (applied,) = editor.applied
    assert applied.document_changes
    for name, text in expected.items():
        assert editor.files[name] == text
    assert (editor.repo / path).read_text() == {"shop/cart.py": CART, "shop/tax.py": TAX}[path]
    assert not (editor.repo / "tests" / "test_tax.py").exists()  # the agent wrote no user file
    reports = next(iter(editor.client.progress_reports.values()))
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)


async def test_code_actions_offer_a_fix_for_each_diagnostic(start_editor):
    editor = await start_editor({})
    uri = editor.open("shop/cart.py")
    diagnostic = types.Diagnostic(
        range=types.Range(types.Position(6, 0), types.Position(6, 10)), message="unused name"
    )
    actions = await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(0, 0), types.Position(2, 0)),
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    titles = [action.title for action in actions]
    assert titles[0] == "Fix with assistant: unused name"
    assert "Assistant: Explain this code" in titles
    assert "Assistant: Write unit tests" in titles
    assert "Assistant: Add docstrings" in titles
    # The test client's converter reads a CodeAction carrying a command as a Command, with the
    # nested command as text in its `command` field: check the arguments in that text.
    assert "'diagnostic': 'unused name'" in str(actions[0].command)


async def test_explain_shows_the_answer_as_a_document(start_editor):
    editor = await start_editor({"turns": [{"text": "It sums the prices of the items."}]})
    uri = editor.open("shop/cart.py")
    selection = {"start": {"line": 6, "character": 0}, "end": {"line": 8, "character": 0}}
    result = await editor.client.workspace_execute_command_async(
        types.ExecuteCommandParams("assistant.explain", [{"uri": uri, "range": selection}])
    )
    assert result["text"] == "It sums the prices of the items."
    (shown,) = editor.client.shown_documents
    assert Path(shown.uri.removeprefix("file://")).read_text().startswith("It sums the prices")
    task = editor.model.chat_requests[0].body["messages"][-1]["content"]
    assert "def total(self):" in task


async def test_saved_file_is_reindexed_for_the_next_completion(start_editor):
    editor = await start_editor({"completions": [{"text": "vat_for(subtotal)"}]})
    await editor.wait_for_index()
    (editor.repo / "shop" / "tax.py").write_text(TAX.replace("tax_for", "vat_for"))
    editor.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(editor.uri("shop/tax.py")))
    )
    await editor.wait_for_log("index updated: shop/tax.py")
    text = APP.replace("tax_for", "vat_for")
    uri = editor.open("shop/app.py", text)
    await editor.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), CURSOR)
    )
    prompt = editor.model.completion_requests[0].body["prompt"]
    assert "def vat_for(amount, rate=0.2):" in prompt


async def test_files_changed_on_disk_are_reindexed_through_the_watcher(start_editor):
    editor = await start_editor({"completions": [{"text": "vat_for(subtotal)"}]})
    await editor.wait_for_index()
    (registration,) = editor.registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    (editor.repo / "shop" / "tax.py").write_text(TAX.replace("tax_for", "vat_for"))
    change = types.FileEvent(editor.uri("shop/tax.py"), types.FileChangeType.Changed)
    editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([change]))
    await editor.wait_for_log("index updated: shop/tax.py")
    uri = editor.open("shop/app.py", APP.replace("tax_for", "vat_for"))
    await editor.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), CURSOR)
    )
    assert "def vat_for(amount, rate=0.2):" in editor.model.completion_requests[0].body["prompt"]


async def test_ask_answers_a_free_question(start_editor):
    editor = await start_editor({"turns": [{"text": "Cart.total sums the prices."}]})
    result = await editor.client.workspace_execute_command_async(
        types.ExecuteCommandParams("assistant.ask", [{"instruction": "What does total do?"}])
    )
    assert result["text"] == "Cart.total sums the prices."
    assert len(editor.client.shown_documents) == 1
    assert editor.model.chat_requests[0].body["messages"][-1]["content"] == "What does total do?"


async def test_configuration_change_of_model_reconnects(start_editor):
    editor = await start_editor({"models": ["qwen3-coder-plus", "fim-small"],
                                 "completions": [{"text": "x"}]})  # fmt: skip
    editor.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams({"assistant": {"model": "fim-small"}})
    )
    uri = editor.open("shop/app.py")
    await editor.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), CURSOR)
    )
    assert editor.model.completion_requests[0].body["model"] == "fim-small"


async def test_configuration_change_turns_completion_off(start_editor):
    editor = await start_editor({"completions": [{"text": "x"}]})
    editor.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams({"assistant": {"completion": {"enabled": False}}})
    )
    uri = editor.open("shop/app.py")
    result = await editor.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), CURSOR)
    )
    assert result is None
    assert editor.model.completion_requests == []


async def test_tcp_mode_serves_the_same_protocol(tmp_path: Path, scripted_server):
    model = scripted_server({})
    repo = make_repo(tmp_path / "repo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [*server_command(repo, model.base_url), "--tcp", str(port)]
    process = await asyncio.create_subprocess_exec(*command, env=server_env(tmp_path))
    client = make_test_lsp_client()

    async def connected() -> bool:
        """Connect once the server listens (a probe connection would end its session)."""
        try:
            await client.start_tcp("127.0.0.1", port)
        except OSError:
            return False
        return True

    try:
        await wait_until_async(connected, timeout=10, what="the server listening on TCP")
        result = await client.initialize_session(
            types.InitializeParams(capabilities=capabilities(), root_uri=repo.as_uri())
        )
        assert result.server_info is not None and result.server_info.name == "assistant"
        assert result.capabilities.completion_provider is not None
        await client.shutdown_session()
    finally:
        await client.stop()
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
