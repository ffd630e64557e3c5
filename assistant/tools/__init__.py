"""The tools the model may call, one module each, with their JSON schemas."""

from __future__ import annotations

from assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput, ToolSpec


def default_tools() -> list[Tool]:
    """Return every tool the agent offers the model."""
    from assistant.tools.code_search import FindSymbol, ListFiles, SearchCode
    from assistant.tools.files import EditFile, ReadFile, WriteFile
    from assistant.tools.git_tools import GitDiff, GitStatus
    from assistant.tools.run_command import RunCommand

    return [
        ReadFile(),
        ListFiles(),
        SearchCode(),
        FindSymbol(),
        EditFile(),
        WriteFile(),
        RunCommand(),
        GitStatus(),
        GitDiff(),
    ]


__all__ = ["Tool", "ToolContext", "ToolError", "ToolOutput", "ToolSpec", "default_tools"]
