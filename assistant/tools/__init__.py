"""The tools the model may call, one module each, with their JSON schemas.

The built-in tools carry Qwen Code's names and argument schemas (the dialect Qwen3-Coder was
trained on): read_file, write_file, edit, run_shell_command, list_directory, glob,
grep_search, todo_write, save_memory and web_fetch; ours add the index-backed search_code and
find_symbol, git_status/git_diff, and wiki_search over the repository's generated wiki.
Older names are still understood (assistant/tools/legacy.py).
"""

from __future__ import annotations

from assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput, ToolSpec

# What a read-only run may use (editor questions, plan mode, sub-agents).
READ_ONLY_TOOLS = (
    "read_file", "list_directory", "glob", "grep_search", "search_code", "find_symbol",
    "git_status", "git_diff", "wiki_search", "todo_write",
)  # fmt: skip


def default_tools() -> list[Tool]:
    """Return every tool the agent offers the model."""
    from assistant.tools.code_search import FindSymbol, SearchCode
    from assistant.tools.edit import Edit
    from assistant.tools.files import ReadFile, WriteFile
    from assistant.tools.find import Glob, GrepSearch, ListDirectory
    from assistant.tools.git_tools import GitDiff, GitStatus
    from assistant.tools.memory import SaveMemory
    from assistant.tools.run_command import RunShellCommand
    from assistant.tools.todo import TodoWrite
    from assistant.tools.web_fetch import WebFetch
    from assistant.tools.wiki_search import WikiSearch

    return [
        ReadFile(),
        ListDirectory(),
        Glob(),
        GrepSearch(),
        SearchCode(),
        FindSymbol(),
        WikiSearch(),
        Edit(),
        WriteFile(),
        RunShellCommand(),
        GitStatus(),
        GitDiff(),
        TodoWrite(),
        SaveMemory(),
        WebFetch(),
    ]


__all__ = [
    "READ_ONLY_TOOLS",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolOutput",
    "ToolSpec",
    "default_tools",
]
