"""The run's events printed for a terminal or a script: text as it streams, or JSON lines."""

from __future__ import annotations

import json
import sys

from assistant.agent.events import (
    CheckResult,
    Done,
    ErrorEvent,
    Event,
    EventHandler,
    FileEdited,
    TextDelta,
    TextReset,
    TodoUpdated,
    ToolCallStarted,
    ToolProgress,
    ToolResult,
    event_to_json,
)


class JsonPrinter(EventHandler):
    """Print every event as a JSON line."""

    async def handle(self, event: Event) -> None:
        """Print the event as one JSON line."""
        print(json.dumps(event_to_json(event), default=str), flush=True)


class TextPrinter(EventHandler):
    """Stream the answer to stdout; tool calls, edits, errors and the end go to stderr."""

    async def handle_text_delta(self, event: TextDelta) -> None:
        """Write the piece of the answer to stdout."""
        sys.stdout.write(event.text)
        sys.stdout.flush()

    async def handle_text_reset(self, event: TextReset) -> None:
        """Say that the answer restarts."""
        sys.stdout.write("\n[connection lost; the answer restarts]\n")

    async def handle_tool_call(self, event: ToolCallStarted) -> None:
        """Print the call and its arguments (cut short)."""
        print(f"\n→ {event.name} {json.dumps(event.arguments)[:200]}", file=sys.stderr)

    async def handle_tool_progress(self, event: ToolProgress) -> None:
        """Print a step of a running tool (a sub-agent's), indented, on stderr."""
        print(f"    {event.text}", file=sys.stderr)

    async def handle_check(self, event: CheckResult) -> None:
        """Print a lint or test run on stderr (its output when it failed)."""
        status = "passed" if event.ok else "FAILED"
        print(f"\n{event.kind} {status}: {event.command}", file=sys.stderr)
        if not event.ok:
            print(event.output, file=sys.stderr)

    async def handle_todos(self, event: TodoUpdated) -> None:
        """Print the todo list (stderr), one task a line."""
        marks = {"pending": "[ ]", "in_progress": "[~]", "completed": "[x]"}
        lines = [f"  {marks[item.status]} {item.content}" for item in event.todos]
        print("\ntodo:\n" + "\n".join(lines) if lines else "\ntodo: (empty)", file=sys.stderr)

    async def handle_tool_result(self, event: ToolResult) -> None:
        """Print the first line of a failure."""
        if not event.ok:
            first = event.output.splitlines()[0][:200] if event.output else ""
            print(f"  ✗ {first}", file=sys.stderr)

    async def handle_file_edited(self, event: FileEdited) -> None:
        """Print the file written."""
        print(f"  {'created' if event.created else 'edited'} {event.path}", file=sys.stderr)

    async def handle_error(self, event: ErrorEvent) -> None:
        """Print the error."""
        print(f"error: {event.message}", file=sys.stderr)

    async def handle_done(self, event: Done) -> None:
        """Print how the run ended."""
        print(f"\n[{event.reason}]", file=sys.stderr)
