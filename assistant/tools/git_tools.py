"""git_status and git_diff: what changed in the work tree, for the model to check its work."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from assistant.git import WorkTree
from assistant.tools.base import ToolContext, ToolError, ToolOutput, ToolSpec, cut_middle

DIFF_BUDGET = 20_000


def _work_tree(ctx: ToolContext) -> WorkTree:
    from assistant.config.paths import cache_root
    from assistant.git import open_work_tree

    if ctx.state.work_tree is None:
        ctx.state.work_tree = open_work_tree(ctx.root, cache_root(ctx.settings))
    return ctx.state.work_tree


class GitStatus:
    """Show the work tree's status."""

    spec = ToolSpec(
        name="git_status",
        description="Show which files are modified, added, deleted or untracked.",
        parameters={"type": "object", "properties": {}},
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Return the status text."""
        status = await asyncio.to_thread(_work_tree(ctx).status)
        return ToolOutput(status or "clean: nothing changed")


class GitDiff:
    """Show the diff of the work tree against HEAD, optionally for some paths."""

    spec = ToolSpec(
        name="git_diff",
        description="Show the diff of uncommitted changes (all, or for the given paths).",
        parameters={
            "type": "object",
            "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Return the diff, cut to a budget."""
        paths = args.get("paths") or None
        if paths is not None and not (
            isinstance(paths, list) and all(isinstance(p, str) for p in paths)
        ):
            raise ToolError("argument 'paths' must be a list of strings")
        diff = await asyncio.to_thread(_work_tree(ctx).diff, paths)
        return ToolOutput(cut_middle(diff, DIFF_BUDGET) if diff else "no differences")
