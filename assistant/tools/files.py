"""read_file, edit_file and write_file: the model's hands on the repository's files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant import edits
from assistant.errors import EditError
from assistant.tools.base import (
    EditRecord,
    ToolContext,
    ToolError,
    ToolOutput,
    ToolSpec,
    optional_int,
    require_str,
)
from assistant.workspace import resolve_repo_path

READ_LINE_LIMIT = 800
SECRET_NAMES = (".env", ".netrc", "id_rsa", "id_ed25519", ".pgpass", "credentials")
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx")


def ledger(ctx: ToolContext) -> edits.ReadLedger:
    """Return the run's record of what the model has read (for conflict detection)."""
    return ctx.state.setdefault("ledger", edits.ReadLedger())


def is_secret(path: str) -> bool:
    """Return whether a path looks like a secrets file that never goes into a prompt."""
    name = path.rsplit("/", 1)[-1]
    return name in SECRET_NAMES or name.startswith(".env.") or name.endswith(SECRET_SUFFIXES)


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
            },
            "required": ["path"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Read the file, remember its state for later edits, and number its lines."""
        name = require_str(args, "path")
        if is_secret(name):
            raise ToolError(f"{name} looks like a secrets file; it is never read into a prompt")
        path = resolve_repo_path(ctx.root, name)
        if not path.is_file():
            raise ToolError(f"no file {name!r} (list_files or search_code can find paths)")
        content = edits.read_text(path)
        ledger(ctx).remember(path, content)
        lines = content.text.splitlines()
        start = max(1, optional_int(args, "start_line", 1) or 1)
        end = optional_int(args, "end_line") or min(len(lines), start + READ_LINE_LIMIT - 1)
        end = min(end, len(lines), start + READ_LINE_LIMIT - 1)
        numbered = "\n".join(f"{n:>5}  {lines[n - 1]}" for n in range(start, end + 1))
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
        path = resolve_repo_path(ctx.root, name)
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
            return ToolOutput(
                f"edit of {name} refused by the permission policy or the user", ok=False
            )
        await ctx.before_edit()
        edits.write_atomic(path, after, like=before)
        ledger(ctx).remember(path, edits.read_text(path))
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
        path = resolve_repo_path(ctx.root, name)
        exists = path.exists()
        if exists and not args.get("overwrite"):
            raise ToolError(f"{name} exists; edit it with edit_file (or pass overwrite=true)")
        before = ledger(ctx).check(path) if exists else None
        diff = edits.unified_diff(name, before.text if before else "", content)
        if not await ctx.authorize("edit", f"{'replace' if exists else 'create'} {name}", diff):
            return ToolOutput(
                f"writing {name} refused by the permission policy or the user", ok=False
            )
        await ctx.before_edit()
        path.parent.mkdir(parents=True, exist_ok=True)
        edits.write_atomic(path, content, like=before)
        ledger(ctx).remember(path, edits.read_text(path))
        verb = "replaced" if exists else "created"
        return ToolOutput(f"{verb} {name}", edit=EditRecord(name, diff, created=not exists))


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


__all__ = ["EditError", "EditFile", "ReadFile", "WriteFile"]
