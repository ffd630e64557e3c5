"""read_file and write_file, under Qwen Code's names and argument schemas, and what every tool
that writes a file shares.

The model names a file by its absolute path (Qwen Code's `absolute_path` / `file_path`) or by
a path relative to the repository; both resolve inside the repository and never into git
internals, and secrets files are never read. A read answers at most READ_LINE_LIMIT lines and
READ_CHAR_LIMIT characters, plain (no line numbers, as Qwen Code reads), with a header saying
which lines it shows when it does not show them all. A write is approved on its diff,
recorded in the turn's undo journal, and made only if the file still holds what the model read
(an edit the user made while the approval waited is never overwritten); an existing file is
replaced only after the model has read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant import edits
from assistant.errors import EditConflict, EditError
from assistant.tools.base import (
    EditRecord,
    ToolContext,
    ToolError,
    ToolOutput,
    ToolSpec,
    optional_int,
    path_arg,
)
from assistant.workspace import is_secret_file, relative_posix, resolve_repo_path

READ_LINE_LIMIT = 1_000
READ_CHAR_LIMIT = 25_000
LINE_CHAR_LIMIT = 2_000  # a minified line is shown cut, not whole
PATH_HELP = "absolute path of the file (a path relative to the repository root works too)"


def ledger(ctx: ToolContext) -> edits.ReadLedger:
    """Return the run's record of what the model has read (for conflict detection)."""
    return ctx.state.ledger


def repo_file(ctx: ToolContext, name: str, *, write: bool = False) -> Path:
    """Resolve a path the model named; refuse secrets files (judged on the resolved path)."""
    path = resolve_repo_path(ctx.root, name, for_write=write)
    if is_secret_file(ctx.root, path):
        raise ToolError(f"{name} is a secrets file; it is never read into a prompt")
    return path


class ReadFile:
    """Show a text file, or a page of its lines."""

    spec = ToolSpec(
        name="read_file",
        description=(
            "Reads and returns the content of a specified file. If the file is large, the "
            "content will be truncated; the response then says which lines it shows and how "
            "to read more with the 'offset' and 'limit' parameters."
        ),
        parameters={
            "type": "object",
            "properties": {
                "absolute_path": {"type": "string", "description": PATH_HELP},
                "offset": {
                    "type": "number",
                    "description": "Optional: the 0-based line number to start reading from.",
                },
                "limit": {
                    "type": "number",
                    "description": "Optional: maximum number of lines to read.",
                },
            },
            "required": ["absolute_path"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Read the file, remember its state for later edits, and return a page of it."""
        name = path_arg(args, "absolute_path")
        path = repo_file(ctx, name)
        rel = relative_posix(ctx.root, path)
        if path.is_dir():
            raise ToolError(f"Path is a directory, not a file: {rel}")
        if not path.is_file():
            raise ToolError(f"File not found: {rel} (glob or search_code can find paths)")
        if path.stat().st_size > ctx.settings.max_file_bytes * 64:
            raise ToolError(f"{rel} is too large to read ({path.stat().st_size:,} bytes)")
        try:
            content = edits.read_text(path)
        except EditError:
            return ToolOutput(f"Cannot display content of binary file: {rel}", ok=False)
        ledger(ctx).remember(path, content)
        lines = content.text.splitlines()
        offset, limit = _window(args)
        shown, cut = _page(lines, offset, limit)
        end = offset + len(shown)
        text = "\n".join(shown)
        if offset == 0 and end >= len(lines) and not cut:
            return ToolOutput(text)
        header = f"Showing lines {offset + 1}-{end} of {len(lines)} total lines."
        if end < len(lines):
            header += f" Read on with offset={end}."
        return ToolOutput(f"{header}\n\n---\n\n{text}")


class WriteFile:
    """Write a whole file: create it, or replace one the model has read."""

    spec = ToolSpec(
        name="write_file",
        description=(
            "Writes content to a specified file in the repository, creating it (and its "
            "folders) or replacing it whole. Read an existing file before replacing it; for "
            "a change to part of a file use edit."
        ),
        parameters={
            "type": "object",
            "properties": {
                "file_path": {"type": "string", "description": PATH_HELP},
                "content": {"type": "string", "description": "The content to write to the file."},
            },
            "required": ["file_path", "content"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Write the file atomically after approval."""
        name = path_arg(args, "file_path")
        content = args.get("content")
        if not isinstance(content, str):
            raise ToolError("argument 'content' must be a string")
        path = repo_file(ctx, name, write=True)
        rel = relative_posix(ctx.root, path)
        if path.is_dir():
            raise ToolError(f"Path is a directory, not a file: {rel}")
        exists = path.exists() or path.is_symlink()
        before = ledger(ctx).check(path) if exists else None
        if before is not None and before.text == content:
            return ToolOutput(f"No changes to apply: {rel} already holds this content.", ok=False)
        return await write_reviewed(ctx, path, content, before, "write_file")


async def write_reviewed(
    ctx: ToolContext, path: Path, text: str, before: edits.FileText | None, tool: str
) -> ToolOutput:
    """Ask for approval with the diff, then write `text` to `path` (a file the model read as
    `before`, or a new file); return what the model is told."""
    rel = relative_posix(ctx.root, path)
    diff = edits.unified_diff(rel, before.text if before else "", text)
    verb = "update" if before is not None else "create"
    if not await ctx.authorize("edit", f"{verb} {rel}", diff):
        return ToolOutput.refusal(f"{tool} of {rel} not made")
    write_checked(ctx, path, text, before)
    record = EditRecord(rel, diff, created=before is None)
    if before is None:
        return ToolOutput(f"Successfully created and wrote to new file: {rel}.", edit=record)
    return ToolOutput(f"Successfully overwrote file: {rel}.", edit=record)


def write_checked(ctx: ToolContext, path: Path, text: str, before: edits.FileText | None) -> None:
    """Journal the file, then write it only if it still holds what the model read."""
    rel = relative_posix(ctx.root, path)
    expect = before.fingerprint.sha256 if before is not None else edits.ABSENT
    if edits.sha256_of(path) != (expect if before is not None else None):
        raise EditConflict(
            f"{rel} changed on disk while the edit waited for approval; nothing was written",
            hint="read_file it again and redo the edit",
        )
    ctx.changes.before_write(rel)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        edits.write_atomic(path, text, like=before, expect=expect)
    except BaseException:
        ctx.changes.write_failed(rel)
        raise
    ctx.changes.after_write(rel)
    ledger(ctx).remember(path, edits.read_text(path))


def _window(args: Mapping[str, Any]) -> tuple[int, int]:
    """Return the 0-based first line and the number of lines a read asks for (Qwen Code's
    offset/limit; our earlier start_line/end_line, 1-based and inclusive, still understood)."""
    offset = optional_int(args, "offset")
    start_line = optional_int(args, "start_line")
    if offset is None:
        offset = start_line - 1 if start_line else 0
    limit = optional_int(args, "limit")
    end_line = optional_int(args, "end_line")
    if limit is None and end_line is not None:
        limit = end_line - offset
    return max(0, offset), max(1, min(limit or READ_LINE_LIMIT, READ_LINE_LIMIT))


def _page(lines: list[str], offset: int, limit: int) -> tuple[list[str], bool]:
    """Return lines offset.. (at most `limit`, within READ_CHAR_LIMIT characters, long lines
    cut) and whether a line was cut or the character limit stopped the page."""
    shown: list[str] = []
    size = 0
    cut = False
    for line in lines[offset : offset + limit]:
        if len(line) > LINE_CHAR_LIMIT:
            line = f"{line[:LINE_CHAR_LIMIT]} [... {len(line) - LINE_CHAR_LIMIT} characters cut]"
            cut = True
        if shown and size + len(line) + 1 > READ_CHAR_LIMIT:
            return shown, True
        shown.append(line)
        size += len(line) + 1
    return shown, cut


__all__ = ["EditError", "ReadFile", "WriteFile", "repo_file", "write_checked", "write_reviewed"]
