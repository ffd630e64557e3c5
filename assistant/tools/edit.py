"""edit: replace text in a file, under Qwen Code's name and arguments (file_path, old_string,
new_string, replace_all; the older expected_replacements is understood too).

What ours adds behind the name: `old_string` that differs from the file only in indentation or
spacing still finds its one place (assistant/edits/match.py), and a miss shows the closest
region of the file; the file must have been read, and unchanged since, before it is edited;
the write is atomic, approved on its diff and undoable. An empty `old_string` on a missing file
creates it, as in Qwen Code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant import edits
from assistant.errors import NoMatch
from assistant.tools.base import ToolContext, ToolError, ToolOutput, ToolSpec, path_arg
from assistant.tools.files import PATH_HELP, ledger, repo_file, write_reviewed
from assistant.workspace import relative_posix

SNIPPET_CONTEXT = 4  # lines shown around the change, as Qwen Code shows them
SNIPPET_MAX_LINES = 1_000


class Edit:
    """Replace one occurrence of a text in a file (or every one, with replace_all)."""

    spec = ToolSpec(
        name="edit",
        description=(
            "Replaces text within a file. By default, replaces a single occurrence; set "
            "`replace_all` to true to replace every instance of `old_string`. Read the file "
            "first. `old_string` must identify one place: copy it from the file with a few "
            "lines of context before and after, matching whitespace and indentation. An empty "
            "`old_string` creates a new file holding `new_string`."
        ),
        parameters={
            "type": "object",
            "properties": {
                "file_path": {"type": "string", "description": PATH_HELP},
                "old_string": {
                    "type": "string",
                    "description": "The exact literal text to replace, unescaped, with "
                    "context lines around the target.",
                },
                "new_string": {
                    "type": "string",
                    "description": "The exact literal text to replace `old_string` with.",
                },
                "replace_all": {
                    "type": "boolean",
                    "description": "Replace all occurrences of old_string (default false).",
                },
            },
            "required": ["file_path", "old_string", "new_string"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Find the text, ask for approval with the diff, write atomically."""
        name = path_arg(args, "file_path")
        old, new = _string(args, "old_string"), _string(args, "new_string")
        path = repo_file(ctx, name, write=True)
        rel = relative_posix(ctx.root, path)
        exists = path.exists() or path.is_symlink()
        if not old:
            if exists and path.stat().st_size:
                raise ToolError(f"File already exists, cannot create: {rel}")
            before = ledger(ctx).check(path) if exists else None
            output = await write_reviewed(ctx, path, new, before, "edit")
            if output.ok and before is None:
                return ToolOutput(
                    f"Created new file: {rel} with provided content.", edit=output.edit
                )
            return output
        if not exists:
            raise ToolError(f"File not found: {rel} (an empty old_string creates a new file)")
        if old == new:
            raise ToolError(
                f"No changes to apply. The old_string and new_string are identical in file: {rel}"
            )
        before = ledger(ctx).check(path)
        after, first, last = _replace(before.text, old, new, rel, _wanted_count(args))
        if after == before.text:
            raise ToolError(
                "No changes to apply. The new content is identical to the current content "
                f"in file: {rel}"
            )
        output = await write_reviewed(ctx, path, after, before, "edit")
        if not output.ok:
            return output
        return ToolOutput(
            f"The file: {rel} has been updated. {_snippet(after, first, last)}", edit=output.edit
        )


def _string(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise ToolError(f"argument {key!r} must be a string")
    return value


def _wanted_count(args: Mapping[str, Any]) -> int | None:
    """Return how many occurrences the call expects: None for "exactly one" (the default),
    0 for "all of them" (replace_all), n for Qwen Code's older expected_replacements=n."""
    replace_all = args.get("replace_all")
    if replace_all is True or replace_all == "true":
        return 0
    expected = args.get("expected_replacements")
    if expected is None:
        return None
    try:
        count = int(expected)
    except (TypeError, ValueError):
        raise ToolError(
            f"argument 'expected_replacements' must be a number, got {expected!r}"
        ) from None
    return None if count == 1 else max(count, 1)


def _replace(text: str, old: str, new: str, rel: str, wanted: int | None) -> tuple[str, int, int]:
    """Return the new text and the first and last line of the changed region."""
    found = text.count(old)
    if wanted is None:
        if found > 1:
            raise ToolError(
                f"Failed to edit. Found {found} occurrences for old_string in {rel} but "
                "replace_all was not enabled. Add lines around it so it matches one place."
            )
        try:
            match = edits.apply_search_replace(text, old, new)
        except NoMatch as miss:
            raise ToolError(
                f"Failed to edit, 0 occurrences found for old_string in {rel}. No edits made. "
                f"{miss}"
            ) from None
        return match.text, match.start_line, match.start_line + new.count("\n")
    if found == 0:
        raise ToolError(
            f"Failed to edit, 0 occurrences found for old_string in {rel}. No edits made. "
            "Every occurrence is replaced only where the text matches exactly: read_file it again."
        )
    if wanted and found != wanted:
        raise ToolError(
            f"Failed to edit, Expected {wanted} occurrence(s) but found {found} for old_string "
            f"in file: {rel}"
        )
    first = text[: text.index(old)].count("\n") + 1
    after = text.replace(old, new)
    last_start = after.rindex(new) if new else len(after)
    return after, first, after[:last_start].count("\n") + 1 + new.count("\n")


def _snippet(text: str, first: int, last: int) -> str:
    """Return the changed lines with a little context, as Qwen Code shows an edit's result."""
    lines = text.splitlines()
    if last - first > SNIPPET_MAX_LINES:
        return ""
    start = max(1, first - SNIPPET_CONTEXT)
    end = min(len(lines), last + SNIPPET_CONTEXT)
    body = "\n".join(lines[start - 1 : end])
    return f"Showing lines {start}-{end} of {len(lines)} from the edited file:\n\n---\n\n{body}"
