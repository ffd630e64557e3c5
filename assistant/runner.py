"""Assemble an agent for a repository (tools, policy, prompt, checkpoints, session) and run it."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.agent import Agent, AgentConfig, Approver
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.events import Done, Event, ToolResult
from assistant.llm import ModelClient
from assistant.llm.connect import connect_model
from assistant.paths import cache_root
from assistant.permissions import DEFAULT_ALLOW, PermissionPolicy
from assistant.prompt import PromptContext, read_rules, system_prompt
from assistant.session import SessionLog, sessions_dir
from assistant.tools import default_tools
from assistant.tools.changes import ChangeLog

log = logging.getLogger(__name__)
REPO_MAP_TOKENS = 2_048


@dataclass(frozen=True)
class RunOptions:
    """How a headless run behaves."""

    mode: str = "ask"
    max_turns: int = 30
    resume: bool = False
    commit: bool = False  # commit the agent's edits with a model-written message


@dataclass(frozen=True)
class Outcome:
    """How a run ended, what it edited, and the resulting diff."""

    reason: str
    refused: bool
    edited: tuple[str, ...]
    diff: str
    commit: str = ""


def policy_for(
    settings: Settings, mode: str, headless: bool, root: Path | None = None
) -> PermissionPolicy:
    """Return the permission policy from settings and the chosen mode (never from the repo)."""
    return PermissionPolicy(
        mode=mode,
        allow=(*DEFAULT_ALLOW, *settings.command_allow),
        deny=settings.command_deny,
        headless=headless,
        root=root,
    )


def turn_changes(root: Path, settings: Settings) -> Callable[[str], ChangeLog]:
    """Return the factory of each turn's change log (the undo journal in the user cache)."""
    from assistant.edits.undo import UndoJournal
    from assistant.git.shadow import ShadowTree
    from assistant.tools.changes import TurnChanges

    cache = cache_root(settings)
    journal = UndoJournal(root, cache)
    return lambda label: TurnChanges(journal.begin(label), ShadowTree(root, cache))


def prompt_context(root: Path, settings: Settings, task: str) -> PromptContext:
    """Pick the repo map and snippets for a task; an index failure degrades to no context."""
    try:
        from assistant.ask import gather_context

        return gather_context(root, settings, task, REPO_MAP_TOKENS)
    except AssistantError as error:
        log.warning("no repository context: %s", error.one_line())
        return PromptContext()


def build_agent(
    root: Path,
    settings: Settings,
    client: ModelClient,
    task: str,
    *,
    policy: PermissionPolicy,
    approve: Approver | None = None,
    history: list[dict] | None = None,
    session: SessionLog | None = None,
    max_turns: int = 30,
    with_context: bool = True,
    checkpoint: bool = True,
    files: Sequence[tuple[str, str]] = (),
    on_message: Callable[[dict], None] | None = None,
) -> Agent:
    """Return an agent wired with the default tools, an undo journal and a session log.

    `with_context` adds the repo map and retrieved snippets to the prompt; `checkpoint`
    journals every change for undo (batch runs in scratch worktrees need neither);
    `files` are (path, content) pairs the user added to the conversation; `on_message`
    receives every message (default: the session log, if any).
    """
    if checkpoint:
        _sweep_once(root)
    context = prompt_context(root, settings, task) if with_context else PromptContext()
    context = dataclasses.replace(context, files=tuple(files))
    prompt = system_prompt(root, context, read_rules(root))
    return Agent(
        AgentConfig(
            root=root,
            settings=settings,
            client=client,
            tools=default_tools(),
            policy=policy,
            system_prompt=prompt,
            approve=approve,
            changes=turn_changes(root, settings) if checkpoint else None,
            history=history if history is not None else [],
            max_turns=max_turns,
            on_message=on_message or (session.append if session is not None else None),
        )
    )


async def run_headless(
    root: Path,
    settings: Settings,
    task: str,
    options: RunOptions,
    emit: Callable[[Event], None],
    notice: Callable[[str], None] | None = None,
) -> Outcome:
    """Run one task with no one to ask; emit every event; return the outcome."""
    folder = sessions_dir(cache_root(settings), root)
    previous = SessionLog.latest(folder) if options.resume else None
    session = previous or SessionLog.new(folder)
    history = previous.messages() if previous is not None else []
    policy = policy_for(settings, options.mode, headless=True, root=root)
    refused = False
    done: Done | None = None
    async with connect_model(settings, notice=notice) as client:
        agent = build_agent(
            root, settings, client, task, policy=policy, history=history, session=session,
            max_turns=options.max_turns,
        )  # fmt: skip
        async for event in agent.run(task):
            emit(event)
            if isinstance(event, ToolResult) and event.refused:
                refused = True
            if isinstance(event, Done):
                done = event
        edited = done.edited if done else ()
        diff = _diff(root, settings, edited)
        commit = ""
        if options.commit and edited and done is not None and done.reason == "completed":
            commit = await commit_edits(root, client, task, edited, diff)
    reason = done.reason if done else "failed"
    return Outcome(reason, refused, edited, diff, commit)


_swept: set[Path] = set()


def _sweep_once(root: Path) -> None:
    """Remove temporary files a killed write left in the repository (once per process)."""
    from assistant.edits import sweep_temp_files
    from assistant.workspace import temp_files

    if root not in _swept:
        _swept.add(root)
        removed = sweep_temp_files(root, temp_files(root))
        if removed:
            log.warning("removed %d temporary file(s) an interrupted write left", len(removed))


COMMIT_PROMPT = (
    "Write a git commit message for this change: a subject line of at most 60 characters in "
    "the imperative mood, a blank line, then one to three short lines on why. Only the message."
)


async def commit_edits(
    root: Path, client: ModelClient, task: str, paths: Sequence[str], diff: str
) -> str:
    """Commit the agent's edited files (only those) with a message the model writes."""
    from assistant.git import GitRepository

    messages = [
        {"role": "system", "content": COMMIT_PROMPT},
        {"role": "user", "content": f"Task: {task}\n\nDiff:\n{diff[:30_000]}"},
    ]
    try:
        message = (await client.chat(messages, max_tokens=200, temperature=0.2)).text.strip()
    except AssistantError as error:
        log.warning("commit message from the model failed: %s", error.one_line())
        message = ""
    message = message.strip("`").strip() or f"assistant: {task.splitlines()[0][:60]}"
    return await asyncio.to_thread(GitRepository(root).commit, list(paths), message)


def _diff(root: Path, settings: Settings, paths: Sequence[str]) -> str:
    if not paths:
        return ""
    from assistant.git import open_work_tree

    return open_work_tree(root, cache_root(settings)).diff(list(paths))
