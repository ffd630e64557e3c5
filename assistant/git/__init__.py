"""Git for the assistant: every call neutralised (no repository hooks, filters or fsmonitor),
the user's repository read without writing in `.git`, shadow snapshots in the cache, and the
scratch worktrees batch runs and editor actions work in."""

from assistant.git.command import git_bytes, run_git
from assistant.git.repository import (
    GitRepository,
    PlainDirectory,
    StatusEntry,
    WorkTree,
    open_work_tree,
)
from assistant.git.shadow import ShadowTree, TreeChange
from assistant.git.worktrees import ScratchWorktree

__all__ = [
    "GitRepository",
    "PlainDirectory",
    "ScratchWorktree",
    "ShadowTree",
    "StatusEntry",
    "TreeChange",
    "WorkTree",
    "git_bytes",
    "open_work_tree",
    "run_git",
]
