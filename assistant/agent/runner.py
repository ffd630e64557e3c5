"""Assemble an agent for a repository (tools, policy, prompt, checkpoints, conversation); run it
headless."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.agent.conversation import Conversation
from assistant.agent.events import DoneReason, EventHandler, RunSummary
from assistant.agent.loop import Agent, AgentConfig, Approver
from assistant.agent.permissions import DEFAULT_ALLOW, PermissionPolicy
from assistant.agent.prompt import PromptContext, read_rules, read_user_memory, system_prompt
from assistant.agent.subagent import TaskTool
from assistant.config import Settings
from assistant.config.paths import cache_root, memory_path
from assistant.errors import AssistantError
from assistant.llm import ModelClient
from assistant.llm.connect import connect_model
from assistant.mcp.registry import McpRegistry
from assistant.tools import default_tools
from assistant.tools.changes import ChangeLog
from assistant.tools.plan import ExitPlanMode

if TYPE_CHECKING:
    from assistant.index import IndexStore

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

    reason: DoneReason
    refused: bool
    edited: tuple[str, ...]
    diff: str
    commit: str = ""
    cost: float | None = 0.0  # in `currency`; None when a price is unknown
    currency: str = ""


def policy_for(
    settings: Settings,
    mode: str,
    headless: bool,
    root: Path | None = None,
    after_plan: str | None = None,
) -> PermissionPolicy:
    """Return the permission policy from settings and the chosen mode (never from the repo);
    `after_plan` is the mode an approved plan switches to (default: the configured mode, or
    ask when that is plan)."""
    configured = settings.permission_mode if settings.permission_mode != "plan" else "ask"
    return PermissionPolicy(
        mode=mode,
        allow=(*DEFAULT_ALLOW, *settings.command_allow),
        deny=settings.command_deny,
        headless=headless,
        root=root,
        # Only servers of the user's own config have an allow list (a project's is dropped).
        mcp_allow={server.name: server.allow for server in settings.mcp_servers if server.allow},
        after_plan=after_plan or configured,
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
        from assistant.agent.ask import gather_context

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
    conversation: Conversation | None = None,
    approve: Approver | None = None,
    max_turns: int = 30,
    with_context: bool = True,
    checkpoint: bool = True,
    tools: Collection[str] | None = None,
    prompt_root: Path | None = None,
    index: IndexStore | None = None,
    mcp: McpRegistry | None = None,
) -> Agent:
    """Return an agent working in `root`: the one place an agent is put together.

    It carries on `conversation` (its history, session log and context files; a fresh unsaved
    one by default). `with_context` adds the repo map and retrieved snippets to the prompt;
    `checkpoint` journals every change for undo (runs in scratch copies need neither);
    `tools` names the default tools to offer (all by default); `prompt_root` is the
    repository the prompt describes when `root` is a scratch copy of it; `index` is lent to
    the search tools instead of opening the index of `root`; `mcp` holds the session's MCP
    servers, whose tools the agent offers once they start (the caller closes it).
    """
    if checkpoint:
        _sweep_once(root)
    if conversation is None:
        conversation = Conversation(root, settings, saved=False)
    described = prompt_root or root
    context = prompt_context(described, settings, task) if with_context else PromptContext()
    context = dataclasses.replace(context, files=conversation.file_contents())
    offered = [t for t in default_tools() if tools is None or t.spec.name in tools]
    if tools is None or "task" in tools:
        offered.append(TaskTool(client, settings, described))
    if policy.planning:
        offered.append(ExitPlanMode())
    return Agent(
        AgentConfig(
            root=root,
            settings=settings,
            client=client,
            tools=offered,
            policy=policy,
            system_prompt=system_prompt(
                described,
                context,
                read_rules(described),
                work_root=root,
                planning=policy.planning,
                memory=read_user_memory(memory_path(settings)),
                wiki_tool=any(tool.spec.name == "wiki_search" for tool in offered),
            ),
            approve=approve,
            changes=turn_changes(root, settings) if checkpoint else None,
            history=conversation.history,
            max_turns=max_turns,
            on_message=conversation.record,
            index=index,
            mcp=mcp,
            todos=conversation.todos,
            spent_before=conversation.cost or 0.0,
        )
    )


async def run_headless(
    root: Path,
    settings: Settings,
    task: str,
    options: RunOptions,
    handler: EventHandler,
    notice: Callable[[str], None] | None = None,
) -> Outcome:
    """Run one task with no one to ask; hand every event to `handler`; return the outcome."""
    conversation = Conversation(root, settings)
    if options.resume:
        conversation.resume(missing_ok=True)
    policy = policy_for(settings, options.mode, headless=True, root=root)
    summary = RunSummary()
    async with (
        connect_model(settings, notice=notice) as client,
        McpRegistry(root, settings, notice=notice) as mcp,
    ):
        agent = build_agent(
            root, settings, client, task, policy=policy, conversation=conversation,
            max_turns=options.max_turns, mcp=mcp,
        )  # fmt: skip
        async for event in conversation.run(agent, task):
            summary.add(event)
            await handler.handle(event)
        edited = tuple(summary.edited)
        diff = _diff(root, settings, edited)
        commit = ""
        if options.commit and edited and summary.reason == "completed":
            commit = await commit_edits(root, client, task, edited, diff)
    money = conversation.currency
    return Outcome(summary.reason, summary.refused, edited, diff, commit, conversation.cost, money)


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
