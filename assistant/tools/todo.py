"""todo_write: the model's task list, under Qwen Code's name, schema and answer.

Each call replaces the whole list (Qwen Code's semantics); the agent keeps it for the session
and shows it (a `TodoUpdated` event: the chat's checklist, a `--json` line). Nothing is written
to disk and nothing is asked: the list only describes the model's own plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from assistant.tools.base import TodoItem, TodoStatus, ToolContext, ToolError, ToolOutput, ToolSpec

STATUSES = ("pending", "in_progress", "completed")
MAX_TODOS = 100


class TodoWrite:
    """Replace the todo list with the one the model sends."""

    spec = ToolSpec(
        name="todo_write",
        description=(
            "Use this tool to create and manage a structured task list for your current coding "
            "session. Use it for tasks of three steps or more: write the steps, mark one "
            "in_progress before you start it and completed as soon as it is done (one "
            "in_progress at a time), and add steps you discover. Each call sends the whole list."
        ),
        parameters={
            "type": "object",
            "properties": {
                "todos": {
                    "type": "array",
                    "description": "The updated todo list",
                    "items": {
                        "type": "object",
                        "properties": {
                            "content": {"type": "string", "minLength": 1},
                            "status": {"type": "string", "enum": list(STATUSES)},
                            "id": {"type": "string"},
                        },
                        "required": ["content", "status", "id"],
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["todos"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Check the list, keep it, and remind the model of it."""
        todos = parse_todos(args.get("todos"))
        ctx.state.todos[:] = todos
        if not todos:
            return ToolOutput(
                "Todo list has been cleared.\n\n<system-reminder>\nYour todo list is now empty. "
                "DO NOT mention this explicitly to the user. You have no pending tasks in your "
                "todo list.\n</system-reminder>",
                todos=(),
            )
        listed = json.dumps([{"id": t.id, "content": t.content, "status": t.status} for t in todos])
        return ToolOutput(
            "Todos have been modified successfully. Ensure that you continue to use the todo "
            "list to track your progress. Please proceed with the current tasks if applicable"
            "\n\n<system-reminder>\nYour todo list has changed. DO NOT mention this explicitly "
            f"to the user. Here are the latest contents of your todo list: \n\n{listed}. "
            "Continue on with the tasks at hand if applicable.\n</system-reminder>",
            todos=tuple(todos),
        )


def parse_todos(raw: object) -> list[TodoItem]:
    """Return the todo items of a call, or raise Qwen Code's validation message."""
    if not isinstance(raw, list):
        raise ToolError('Parameter "todos" must be an array.')
    if len(raw) > MAX_TODOS:
        raise ToolError(f"A todo list holds at most {MAX_TODOS} items.")
    items = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise ToolError('Each todo must be an object with "id", "content" and "status".')
        todo_id, content, status = entry.get("id"), entry.get("content"), entry.get("status")
        if isinstance(todo_id, int):
            todo_id = str(todo_id)  # small models send numbers
        if not isinstance(todo_id, str) or not todo_id.strip():
            raise ToolError('Each todo must have a non-empty "id" string.')
        if not isinstance(content, str) or not content.strip():
            raise ToolError('Each todo must have a non-empty "content" string.')
        if status not in STATUSES:
            raise ToolError(
                'Each todo must have a valid "status" (pending, in_progress, completed).'
            )
        items.append(TodoItem(todo_id, content.strip()[:500], cast(TodoStatus, status)))
    if len({item.id for item in items}) != len(items):
        raise ToolError("Todo IDs must be unique within the array.")
    return items
