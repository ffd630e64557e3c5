"""read_file, edit_file and write_file: the model's hands on the repository's files.

Paths resolve inside the repository and never into git internals; secrets files are never
read. A read answers at most READ_BYTE_LIMIT bytes and READ_LINE_LIMIT lines and says where
to read on. A write is approved on its diff, recorded in the turn's undo journal, and made
only if the file still holds what the model read (an edit the user made while the approval
waited is never overwritten).
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
    require_str,
)
from assistant.workspace import is_secret_file, relative_posix, resolve_repo_path

READ_LINE_LIMIT = 800
READ_BYTE_LIMIT = 64_000
LINE_CHAR_LIMIT = 2_000  # a minified line is shown cut, not whole


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
    """Show a file (or a line range) with line numbers."""

    spec = ToolSpec(
        name="read_file",
        description=(
            "Read a text file of the repository, with line numbers. Use start_line/end_line "
            "for a range of a long file."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "path relative to the repo root"},
                "start_line": {"type": "integer", "description": "first line (1-based)"},
                "end_line": {"type": "integer", "description": "last line (inclusive)"},
                "offset": {"type": "integer", "description": "lines to skip (0-based start)"},
                "limit": {"type": "integer", "description": "how many lines to read"},
            },
            "required": ["path"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Read the file, remember its state for later edits, and number a page of its lines."""
        name = require_str(args, "path")
        path = repo_file(ctx, name)
        if not path.is_file():
            raise ToolError(f"no file {name!r} (list_files or search_code can find paths)")
        if path.stat().st_size > ctx.settings.max_file_bytes * 64:
            raise ToolError(f"{name} is too large to read ({path.stat().st_size:,} bytes)")
        content = edits.read_text(path)
        ledger(ctx).remember(path, content)
        lines = content.text.splitlines()
        start, end = _page(args, len(lines))
        numbered, end = _numbered(lines, start, end)
        more = f"\n[{len(lines) - end} more lines; read on with start_line={end + 1}]"
        return ToolOutput(
            f"{name} ({len(lines)} lines)\n{numbered}{more if end < len(lines) else ''}"
        )


class EditFile:
    """Apply search/replace blocks to a file the model has read."""

    spec = ToolSpec(
        name="edit_file",
        description=(
            "Edit a file with search/replace blocks. Each search text must be copied from the "
            "file as you read it (a few lines of context make it unique); all blocks apply or "
            "none. Read the file first."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "blocks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "search": {"type": "string"},
                            "replace": {"type": "string"},
                        },
                        "required": ["search", "replace"],
                    },
                },
            },
            "required": ["path", "blocks"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Apply the blocks, ask for approval with the diff, write atomically."""
        name = require_str(args, "path")
        path = repo_file(ctx, name, write=True)
        blocks = _blocks(args)
        if not path.is_file():
            raise ToolError(f"no file {name!r}; use write_file to create a new file")
        before = ledger(ctx).check(path)
        after = before.text
        for search, replace in blocks:
            after = edits.apply_search_replace(after, search, replace).text
        if after == before.text:
            return ToolOutput(f"{name}: the blocks change nothing", ok=False)
        diff = edits.unified_diff(name, before.text, after)
        if not await ctx.authorize("edit", f"edit {name}", diff):
            return ToolOutput.refusal(f"edit of {name} not made")
        _write(ctx, path, after, before)
        return ToolOutput(f"edited {name}\n{diff}", edit=EditRecord(name, diff))


class WriteFile:
    """Create a new file (or, when asked, replace a small one whole)."""

    spec = ToolSpec(
        name="write_file",
        description="Create a new file with the given content. Fails if the file exists, "
        "unless overwrite is true (then read it first).",
        parameters={
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"},
                "overwrite": {"type": "boolean"},
            },
            "required": ["path", "content"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Write the file atomically after approval."""
        name = require_str(args, "path")
        content = args.get("content")
        if not isinstance(content, str):
            raise ToolError("argument 'content' must be a string")
        path = repo_file(ctx, name, write=True)
        exists = path.exists() or path.is_symlink()
        if exists and not args.get("overwrite"):
            raise ToolError(f"{name} exists; edit it with edit_file (or pass overwrite=true)")
        before = ledger(ctx).check(path) if exists else None
        diff = edits.unified_diff(name, before.text if before else "", content)
        if not await ctx.authorize("edit", f"{'replace' if exists else 'create'} {name}", diff):
            return ToolOutput.refusal(f"{name} not written")
        _write(ctx, path, content, before)
        verb = "replaced" if exists else "created"
        return ToolOutput(f"{verb} {name}", edit=EditRecord(name, diff, created=not exists))


def _write(ctx: ToolContext, path: Path, text: str, before: edits.FileText | None) -> None:
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


def _page(args: Mapping[str, Any], total: int) -> tuple[int, int]:
    """Return the first and last line (1-based, inclusive) a read asks for."""
    offset = optional_int(args, "offset")
    start = offset + 1 if offset is not None else optional_int(args, "start_line", 1) or 1
    start = max(1, start)
    limit = optional_int(args, "limit")
    end = start + limit - 1 if limit else optional_int(args, "end_line")
    end = end or start + READ_LINE_LIMIT - 1
    return start, min(end, total, start + READ_LINE_LIMIT - 1)


def _numbered(lines: list[str], start: int, end: int) -> tuple[str, int]:
    """Return lines start..end numbered, stopping at the byte limit; and the last line shown."""
    out: list[str] = []
    size = 0
    last = start - 1
    for number in range(start, end + 1):
        line = lines[number - 1]
        if len(line) > LINE_CHAR_LIMIT:
            line = f"{line[:LINE_CHAR_LIMIT]} [... {len(line) - LINE_CHAR_LIMIT} characters cut]"
        entry = f"{number:>5}  {line}"
        if out and size + len(entry) > READ_BYTE_LIMIT:
            break
        out.append(entry)
        size += len(entry) + 1
        last = number
    return "\n".join(out), last


def _blocks(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = args.get("blocks")
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ToolError("argument 'blocks' must be a non-empty list of {search, replace}")
    blocks = []
    for i, block in enumerate(raw):
        if not isinstance(block, Mapping) or not isinstance(block.get("search"), str):
            raise ToolError(f"blocks[{i}] needs string 'search' and 'replace'")
        if not isinstance(block.get("replace"), str):
            raise ToolError(f"blocks[{i}] needs a string 'replace'")
        blocks.append((block["search"], block["replace"]))
    return blocks


__all__ = ["EditError", "EditFile", "ReadFile", "WriteFile", "repo_file"]
