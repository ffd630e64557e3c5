"""Editor actions on a selection or a diagnostic, run by the agent loop, returned as changes.

Explain and ask only read: their agent works on the repository itself with read-only tools.
The others (fix a diagnostic, write tests, add docstrings, refactor by instruction) work in a
scratch copy (see `scratch.py`) with edits allowed there; what changed comes back as
`FileChange`s, which the front end turns into an edit the user applies and can undo. The
user's files are never written by the agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.agent.conversation import Conversation
from assistant.agent.events import DoneReason, Event, FileEdited, RunSummary, ToolCallStarted
from assistant.config import Settings
from assistant.config.paths import cache_root
from assistant.editor.live import LiveIndex
from assistant.editor.scratch import ScratchTree
from assistant.llm import ModelClient
from assistant.tools import READ_ONLY_TOOLS
from assistant.workspace import resolve_repo_path

EDITING = ("fix", "tests", "docstrings", "refactor")
READING = ("explain", "ask")
KINDS = (*READING, *EDITING)
TITLES = {
    "explain": "Explain this code",
    "fix": "Fix this problem",
    "tests": "Write unit tests",
    "docstrings": "Add docstrings",
    "refactor": "Refactor",
    "ask": "Ask about the code",
}
MAX_TURNS = 16
READ_TOOLS = READ_ONLY_TOOLS
EDIT_TOOLS = (*READ_TOOLS, "edit", "write_file", "run_shell_command")
_TASKS = {
    "explain": "Explain what the selected code does, how it fits in the repository, and "
    "anything surprising about it. Do not change any file.",
    "fix": "Fix this problem reported at line {line}: {diagnostic}\nMake the smallest change "
    "that fixes it, in this file or where the cause is.",
    "tests": "Write unit tests for the selected code. Put them where this project keeps its "
    "tests, following its conventions and test framework; create a new test file if there is "
    "no fitting one. Do not change the code under test.",
    "docstrings": "Add docstrings (or the language's doc comments) to the functions, classes "
    "and methods in the selection that lack them, in the style the project uses. Change "
    "nothing else.",
    "refactor": "Refactor the selected code: {instruction}\nKeep its behaviour; update its "
    "callers if the change needs it.",
    "ask": "{instruction}",
}


@dataclass(frozen=True)
class ActionRequest:
    """What the user asked for, and where (lines are 1-based, inclusive)."""

    kind: str
    path: str
    start_line: int
    end_line: int
    diagnostic: str = ""
    instruction: str = ""


@dataclass(frozen=True)
class FileChange:
    """A file the action changed: its text before (None if new) and after."""

    path: str
    before: str | None
    after: str


@dataclass(frozen=True)
class ActionResult:
    """The agent's answer, the changes it made, and how the run ended."""

    text: str
    changes: tuple[FileChange, ...]
    reason: DoneReason
    error: str = ""
    endpoint_failed: bool = False


Progress = Callable[[str], None]


def task_for(request: ActionRequest, text: str) -> str:
    """Return the agent's task for a request on a file whose current text is `text`."""
    if not request.path:
        return request.instruction
    lines = text.split("\n")
    start = max(1, request.start_line)
    end = min(len(lines), max(start, request.end_line))
    selection = "\n".join(lines[start - 1 : end])
    what = _TASKS[request.kind].format(
        line=request.start_line, diagnostic=request.diagnostic, instruction=request.instruction
    )
    return (
        f"{what}\n\nFile: {request.path}, lines {start}-{end}:\n```\n{selection}\n```\n"
        "The file is in the repository as shown; read more of it or other files if needed."
    )


class ActionRunner:
    """Run editor actions for one repository, one at a time (they share a scratch copy)."""

    def __init__(
        self, root: Path, settings: Settings, client: ModelClient, index: LiveIndex | None = None
    ) -> None:
        self.root = Path(root).resolve()
        self.index = index
        self.settings = settings
        self.client = client
        self.scratch = ScratchTree(self.root, cache_root(settings))
        self._lock = asyncio.Lock()

    async def run(
        self, request: ActionRequest, buffers: Mapping[str, str], progress: Progress
    ) -> ActionResult:
        """Run one action; `buffers` are the editor's open documents (path -> text)."""
        text = buffers.get(request.path)
        if text is None and request.path:
            path = resolve_repo_path(self.root, request.path)
            text = await asyncio.to_thread(path.read_text, encoding="utf-8", errors="replace")
        task = task_for(request, text or "")
        async with self._lock:
            if request.kind in READING:
                run = await self._run_agent(self.root, task, progress, editing=False)
                return _result(run, ())
            progress("preparing a scratch copy")
            where = await asyncio.to_thread(self.scratch.prepare, buffers)
            try:
                run = await self._run_agent(where, task, progress, editing=True)
                changes = await asyncio.to_thread(self._changes, run.edited, buffers)
            finally:
                await asyncio.to_thread(self.scratch.release)
        return _result(run, changes)

    async def _run_agent(
        self, where: Path, task: str, progress: Progress, *, editing: bool
    ) -> RunSummary:
        from assistant.agent.runner import build_agent, policy_for
        from assistant.index import open_index

        if self.index is not None:
            await self.index.opened.wait()  # two connections must not create the database at once
        store = await asyncio.to_thread(open_index, self.root, self.settings, update=False)
        conversation = Conversation(self.root, self.settings, saved=False)
        try:
            agent = build_agent(
                where, self.settings, self.client, task,
                # auto-edit: edits land in the scratch copy only
                policy=policy_for(self.settings, "auto-edit", headless=True, root=where),
                conversation=conversation, max_turns=MAX_TURNS, with_context=False,
                checkpoint=False, tools=EDIT_TOOLS if editing else READ_TOOLS,
                prompt_root=self.root, index=store,  # search the user's index, not the copy's
            )  # fmt: skip
            return await _drive(conversation.run(agent, task), progress)
        finally:
            store.close()

    def _changes(self, edited: Sequence[str], buffers: Mapping[str, str]) -> tuple[FileChange, ...]:
        result = []
        for path in edited:
            after = self.scratch.read(path)
            if after is None:
                continue
            before = buffers.get(path)
            if before is None and (self.root / path).is_file():
                before = (self.root / path).read_text(encoding="utf-8", errors="replace")
            if before != after:
                result.append(FileChange(path, before, after))
        return tuple(result)


async def _drive(events: AsyncIterable[Event], progress: Progress) -> RunSummary:
    """Follow a run, reporting its tool calls and edits as progress; return its summary."""
    summary = RunSummary()
    async for event in events:
        summary.add(event)
        match event:
            case ToolCallStarted():
                progress(event.brief())
            case FileEdited(path=path):
                progress(f"edited {path}")
    return summary


def _result(run: RunSummary, changes: tuple[FileChange, ...]) -> ActionResult:
    return ActionResult(run.text.strip(), changes, run.reason, run.error, run.endpoint_failed)
