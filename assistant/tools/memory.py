"""save_memory: the model keeps a fact for later sessions, under Qwen Code's name and schema
(`fact`, `scope` global or project), in Qwen Code's format (a `- fact` line under
`## Qwen Added Memories`).

`project` appends to the repository's QWEN.md (read as a rules file by every session here, and
by Qwen Code): an edit of the repository like any other, approved on its diff (allowed in
yolo) and undoable. `global` appends to the user's own memory file, which joins every prompt
in every repository: what a hostile repository would most like to plant, so a person approves
every global write on its diff, whatever the mode, and a headless run refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant import edits
from assistant.config.paths import memory_path
from assistant.tools.base import (
    EditRecord,
    ToolContext,
    ToolError,
    ToolOutput,
    ToolSpec,
    require_str,
)
from assistant.tools.files import repo_file, write_checked

MEMORY_HEADER = "## Qwen Added Memories"
PROJECT_MEMORY = "QWEN.md"
MAX_FACT_CHARS = 1_000


class SaveMemory:
    """Append a fact to the user's memory or the project's QWEN.md."""

    spec = ToolSpec(
        name="save_memory",
        description=(
            "Saves a specific piece of information or fact to your long-term memory. Use it "
            "when the user explicitly asks you to remember something, or states a clear, "
            "concise fact about their preferences or project that will help in later "
            "sessions. Do not use it for conversational context that only matters now."
        ),
        parameters={
            "type": "object",
            "properties": {
                "fact": {
                    "type": "string",
                    "description": "The specific fact or piece of information to remember. "
                    "Should be a clear, self-contained statement.",
                },
                "scope": {
                    "type": "string",
                    "enum": ["global", "project"],
                    "description": 'Where to save the memory: "global" saves to the user\'s '
                    'memory (shared across all projects), "project" saves to this project\'s '
                    "QWEN.md (default: global).",
                },
            },
            "required": ["fact"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Show the change for approval, then append the fact."""
        fact = " ".join(require_str(args, "fact").split()).lstrip("- ").strip()
        if not fact:
            raise ToolError('Parameter "fact" must be a non-empty string.')
        fact = fact[:MAX_FACT_CHARS]
        scope = args.get("scope") or "global"
        if scope not in ("global", "project"):
            raise ToolError('Parameter "scope" must be "global" or "project".')
        if scope == "project":
            path = repo_file(ctx, PROJECT_MEMORY, write=True)
            shown, kind = PROJECT_MEMORY, "edit"
        else:
            path, kind = memory_path(ctx.settings), "memory"
            shown = str(path)
        before = edits.read_text(path) if path.is_file() else None
        after = with_fact(before.text if before else "", fact)
        diff = edits.unified_diff(shown, before.text if before else "", after)
        if not await ctx.authorize(kind, f"remember in {scope} memory ({shown})", diff):
            return ToolOutput.refusal(f"{scope} memory not saved")
        said = f'Okay, I\'ve remembered that in {scope} memory: "{fact}"'
        if scope == "project":
            write_checked(ctx, path, after, before)
            return ToolOutput(said, edit=EditRecord(shown, diff, created=before is None))
        _write_user_memory(path, after, before)
        return ToolOutput(said)


def with_fact(text: str, fact: str) -> str:
    """Return a memory file's text with `- fact` appended under the memories header."""
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if MEMORY_HEADER not in lines:
        lines += ([""] if lines else []) + [MEMORY_HEADER, ""]
        return "\n".join([*lines, f"- {fact}"]) + "\n"
    start = lines.index(MEMORY_HEADER) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join([*lines[:end], f"- {fact}", *lines[end:]]) + "\n"


def remember(path: Path, fact: str) -> None:
    """Append `fact` to the memory file at `path` (what the user typed: no approval)."""
    before = edits.read_text(path) if path.is_file() else None
    _write_user_memory(path, with_fact(before.text if before else "", fact), before)


def _write_user_memory(path: Path, text: str, before: edits.FileText | None) -> None:
    """Write the user's memory file atomically (only if it still holds what was shown)."""
    expect = before.fingerprint.sha256 if before is not None else edits.ABSENT
    path.parent.mkdir(parents=True, exist_ok=True)
    edits.write_atomic(path, text, like=before, expect=expect)
