"""The tools' older names, still understood but never offered: our own first dialect (edit_file
with search/replace blocks, run_command with a time-out in seconds, list_files) and Qwen Code's
earlier names (replace, search_file_content). A session log from before the rename resumes,
and a model that falls back on a name it saw elsewhere is still understood.

An old name works only where its new tool is offered: `edit_file` edits nothing in a
read-only run (LEGACY_NAMES maps each old name to the tool it needs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant import edits
from assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput, ToolSpec, path_arg
from assistant.tools.edit import Edit
from assistant.tools.files import ledger, repo_file, write_reviewed
from assistant.tools.find import Glob, GrepSearch
from assistant.tools.run_command import run_authorized
from assistant.workspace import relative_posix

LEGACY_NAMES = {
    "edit_file": "edit",
    "replace": "edit",
    "run_command": "run_shell_command",
    "list_files": "glob",
    "search_file_content": "grep_search",
}
_UNOFFERED = {"type": "object", "properties": {}}


class EditFileBlocks:
    """`edit_file`: apply search/replace blocks (all or none) to a file the model has read."""

    spec = ToolSpec("edit_file", "(older name of edit)", _UNOFFERED)

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Apply the blocks in turn, then write once, after approval."""
        path = repo_file(ctx, path_arg(args, "path"), write=True)
        if not path.is_file():
            raise ToolError(f"no file {relative_posix(ctx.root, path)!r}; use write_file")
        before = ledger(ctx).check(path)
        after = before.text
        for search, replace in _blocks(args):
            after = edits.apply_search_replace(after, search, replace).text
        if after == before.text:
            rel = relative_posix(ctx.root, path)
            return ToolOutput(f"{rel}: the blocks change nothing", ok=False)
        return await write_reviewed(ctx, path, after, before, "edit_file")


class RunCommandSeconds:
    """`run_command`: run_shell_command with its time-out in seconds."""

    spec = ToolSpec("run_command", "(older name of run_shell_command)", _UNOFFERED)

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Run the command in the repository root."""
        command = args.get("command")
        if not isinstance(command, str) or not command:
            raise ToolError("missing or empty string argument 'command'")
        try:
            seconds = float(args.get("timeout") or 120)
        except (TypeError, ValueError):
            raise ToolError("argument 'timeout' must be a number of seconds") from None
        return await run_authorized(ctx, command, min(max(seconds, 1.0), 600.0))


class ListFilesGlob:
    """`list_files`: glob over the repository (every file without a pattern)."""

    spec = ToolSpec("list_files", "(older name of glob)", _UNOFFERED)

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """List the files matching the pattern."""
        return await Glob().run({"pattern": args.get("pattern") or "*"}, ctx)


def legacy_tool(name: str, offered: Mapping[str, Tool]) -> Tool | None:
    """Return the tool an older name stands for, if the tool it needs is offered."""
    if LEGACY_NAMES.get(name) not in offered:
        return None
    tools: dict[str, Tool] = {
        "edit_file": EditFileBlocks(),
        "replace": Edit(),
        "run_command": RunCommandSeconds(),
        "list_files": ListFilesGlob(),
        "search_file_content": GrepSearch(),
    }
    return tools[name]


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
