"""Code actions and commands: explain, fix, write tests, add docstrings, refactor, ask.

`textDocument/codeAction` only lists commands (the work takes a model and seconds); running
one (`workspace/executeCommand`) drives the agent with `$/progress` reports and applies its
changes through `workspace/applyEdit`, so the editor's undo takes them back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from assistant.config.paths import cache_root
from assistant.editor.actions import TITLES, ActionRequest, ActionResult
from assistant.errors import AssistantError
from lsp import next_edit
from lsp.edits import workspace_edit
from lsp.state import AssistantServer, Session, server

COMMANDS = {  # action kind -> the command that runs it
    "explain": "assistant.explain",
    "fix": "assistant.fix",
    "tests": "assistant.writeTests",
    "docstrings": "assistant.addDocstrings",
    "refactor": "assistant.refactor",
    "ask": "assistant.ask",
}
MESSAGE_CHARS = 2_000


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]
    ),
)
def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
    """List the assistant's actions for the selection and its diagnostics."""
    return [*next_edit.code_actions(params), *code_actions(server, params)]


# One command per action; each takes one argument, an object with `uri` and `range`.
@server.command(COMMANDS["explain"])
async def explain(*args: Any) -> dict[str, Any]:
    """Explain the selected code."""
    return await run_command(server, "explain", args)


@server.command(COMMANDS["fix"])
async def fix(*args: Any) -> dict[str, Any]:
    """Fix the diagnostic named in the arguments."""
    return await run_command(server, "fix", args)


@server.command(COMMANDS["tests"])
async def write_tests(*args: Any) -> dict[str, Any]:
    """Write unit tests for the selected code."""
    return await run_command(server, "tests", args)


@server.command(COMMANDS["docstrings"])
async def add_docstrings(*args: Any) -> dict[str, Any]:
    """Add docstrings to the selected code."""
    return await run_command(server, "docstrings", args)


@server.command(COMMANDS["refactor"])
async def refactor(*args: Any) -> dict[str, Any]:
    """Refactor the selected code by the instruction in the arguments."""
    return await run_command(server, "refactor", args)


@server.command(COMMANDS["ask"])
async def ask(*args: Any) -> dict[str, Any]:
    """Answer the question in the arguments."""
    return await run_command(server, "ask", args)


def code_actions(ls: AssistantServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Return the actions offered for a selection and the diagnostics on it."""
    target = {"uri": params.text_document.uri, "range": _range_json(params.range)}
    actions = []
    for diagnostic in params.context.diagnostics:
        if diagnostic.source == next_edit.HINT_SOURCE:
            continue  # the suggestion's own hint: applying it is the fix
        args = {**target, "range": _range_json(diagnostic.range), "diagnostic": diagnostic.message}
        title = f"Fix with assistant: {diagnostic.message}"
        actions.append(_action(title, "fix", args, types.CodeActionKind.QuickFix, [diagnostic]))
    rewrite = types.CodeActionKind.RefactorRewrite
    for kind in ("explain", "tests", "docstrings"):
        actions.append(_action(f"Assistant: {TITLES[kind]}", kind, target, rewrite))
    for instruction in ls.options.refactor_instructions:
        args = {**target, "instruction": instruction}
        actions.append(_action(f"Assistant: {instruction}", "refactor", args, rewrite))
    return actions


def _action(
    title: str,
    kind: str,
    args: dict[str, Any],
    code_kind: types.CodeActionKind,
    diagnostics: list[types.Diagnostic] | None = None,
) -> types.CodeAction:
    command = types.Command(title=title, command=COMMANDS[kind], arguments=[args])
    return types.CodeAction(title=title, kind=code_kind, diagnostics=diagnostics, command=command)


async def run_command(ls: AssistantServer, kind: str, args: Sequence[Any]) -> dict[str, Any]:
    """Run one action with progress; apply its changes; show its answer; return a summary."""
    raw = args[0] if args and isinstance(args[0], Mapping) else {}
    session = await ls.current()
    if session is None:
        raise AssistantError("the assistant is not connected to a model (see the first message)")
    request = _request(ls, kind, raw)
    documents = ls.workspace.text_documents.items()
    versions = {uri: doc.version for uri, doc in documents if doc.version is not None}
    buffers = ls.buffers(dirty_only=False)
    result = await _with_progress(
        ls, TITLES[kind], lambda report: session.actions.run(request, buffers, report)
    )
    if result.endpoint_failed:
        ls.endpoint_failed(result.error)
    elif result.error:
        ls.show(f"assistant: {result.error}", types.MessageType.Error)
    else:
        ls.endpoint_recovered()
    applied = await _apply(ls, session, result, versions, TITLES[kind]) if result.changes else False
    if result.text and (kind in ("explain", "ask") or not result.changes):
        await show_answer(ls, session, kind, result.text)
    return {
        "text": result.text,
        "files": [change.path for change in result.changes],
        "applied": applied,
        "reason": result.reason,
    }


def _request(ls: AssistantServer, kind: str, raw: Mapping[str, Any]) -> ActionRequest:
    uri = str(raw.get("uri") or "")
    path = ls.relative_path(uri) if uri else ""
    if uri and path is None:
        raise AssistantError(f"{uri} is outside the repository the assistant works on")
    selection = raw.get("range") or {}
    start = int(selection.get("start", {}).get("line", 0)) + 1
    end_position = selection.get("end", {})
    end = int(end_position.get("line", start - 1)) + 1
    if end > start and int(end_position.get("character", 1)) == 0:
        end -= 1  # a selection ending at column 0 does not include that line
    instruction = str(raw.get("instruction") or raw.get("question") or "")
    if kind in ("refactor", "ask") and not instruction:
        raise AssistantError(f"assistant.{kind} needs an 'instruction' argument")
    return ActionRequest(
        kind, path or "", start, end, str(raw.get("diagnostic") or ""), instruction
    )


async def _with_progress(
    ls: AssistantServer,
    title: str,
    work: Callable[[Callable[[str], None]], Any],
) -> ActionResult:
    """Run `work(report)` inside a cancellable `$/progress` (when the editor supports it)."""
    window = ls.client_capabilities.window
    if not (window and window.work_done_progress):
        return await work(lambda message: None)
    token = f"assistant-{uuid.uuid4()}"
    progress = ls.work_done_progress
    await progress.create_async(token)
    task = asyncio.ensure_future(work(lambda message: progress.report(
        token, types.WorkDoneProgressReport(message=message))))  # fmt: skip
    progress.tokens[token].add_done_callback(lambda _future: task.cancel())
    progress.begin(
        token, types.WorkDoneProgressBegin(title=f"Assistant: {title}", cancellable=True)
    )
    try:
        result = await task
    except asyncio.CancelledError:
        progress.end(token, types.WorkDoneProgressEnd(message="cancelled"))
        raise
    progress.end(token, types.WorkDoneProgressEnd(message=result.reason))
    return result


async def _apply(
    ls: AssistantServer,
    session: Session,
    result: ActionResult,
    versions: Mapping[str, int],
    title: str,
) -> bool:
    edit_caps = ls.client_capabilities.workspace
    document_changes = bool(
        edit_caps and edit_caps.workspace_edit and edit_caps.workspace_edit.document_changes
    )
    units = ls.workspace.position_codec.client_num_units
    edit = workspace_edit(
        result.changes, session.root, versions, units, document_changes=document_changes
    )
    params = types.ApplyWorkspaceEditParams(edit=edit, label=f"Assistant: {title}")
    response = await ls.workspace_apply_edit_async(params)
    if not response.applied:
        reason = response.failure_reason or "the editor refused it (was the file changed?)"
        ls.show(f"assistant: the edit was not applied: {reason}", types.MessageType.Warning)
    return bool(response.applied)


async def show_answer(ls: AssistantServer, session: Session, kind: str, text: str) -> None:
    """Show an answer as a Markdown document (window/showDocument), or else as a message."""
    window = ls.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        folder = cache_root(session.settings) / "answers"
        path = folder / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.md"
        await asyncio.to_thread(_write, path, text)
        uri = from_fs_path(str(path)) or path.as_uri()
        shown = await ls.window_show_document_async(
            types.ShowDocumentParams(uri=uri, take_focus=True)
        )
        if shown.success:
            return
    ls.show(text[:MESSAGE_CHARS], types.MessageType.Info)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def _range_json(selection: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": selection.start.line, "character": selection.start.character},
        "end": {"line": selection.end.line, "character": selection.end.character},
    }
