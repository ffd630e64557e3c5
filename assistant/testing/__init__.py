"""The scripted OpenAI-compatible server that tests and replays run against, and the helpers
tests build their scripts, settings, repositories and waits with."""

from assistant.testing.builders import ToolCallSpec, call, cli_env, edit, settings_for, turns
from assistant.testing.repos import (
    IDENTITY,
    commit_files,
    git_env,
    init_repo,
    run_git,
    stage_files,
    tree_digest,
    work_tree_bytes,
    write_files,
)
from assistant.testing.script import (
    DEFAULT_MODEL,
    Fault,
    Script,
    ScriptedToolCall,
    Turn,
    load_script,
)
from assistant.testing.server import RecordedRequest, ScriptedServer
from assistant.testing.waiting import wait_until, wait_until_async

__all__ = [
    "DEFAULT_MODEL",
    "IDENTITY",
    "Fault",
    "RecordedRequest",
    "Script",
    "ScriptedServer",
    "ScriptedToolCall",
    "ToolCallSpec",
    "Turn",
    "call",
    "cli_env",
    "commit_files",
    "edit",
    "git_env",
    "init_repo",
    "load_script",
    "run_git",
    "settings_for",
    "stage_files",
    "tree_digest",
    "turns",
    "wait_until",
    "wait_until_async",
    "work_tree_bytes",
    "write_files",
]
