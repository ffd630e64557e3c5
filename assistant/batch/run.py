"""Batch refactors: one instruction over many targets, in parallel, verified, on a new branch.

Each target runs its own agent in a private worktree made from the base commit; its change
must parse cleanly and pass `--verify` there before it is applied to the batch branch and
committed. A failing target lands nothing. The state file after every target makes
`--resume` redo nothing that succeeded. The user's branch and work tree are never touched.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.agent.events import RunSummary
from assistant.batch.state import BatchState, TargetState, state_path
from assistant.config import Settings
from assistant.context.tokens import tokens_for
from assistant.errors import AssistantError, GitError
from assistant.git import GitRepository, ScratchWorktree
from assistant.llm import ModelClient
from assistant.tools.run_command import run_shell, sandbox_for

log = logging.getLogger(__name__)

PROMPT_OVERHEAD_TOKENS = 2_500  # system prompt and tool schemas, per target request
TURNS_ESTIMATE = 3


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs."""

    instruction: str
    jobs: int = 4
    branch: str | None = None
    verify: str | None = None
    verify_timeout: float = 300.0
    max_turns: int = 12
    squash: bool = False


@dataclass(frozen=True)
class Plan:
    """The targets a batch will work on, with an estimate of its token cost."""

    targets: tuple[str, ...]
    estimated_tokens: int


def make_plan(root: Path, targets: Sequence[str]) -> Plan:
    """Return the plan for these targets: their order and an estimated token cost."""
    tokens = 0
    for target in targets:
        size = (root / target).stat().st_size if (root / target).is_file() else 0
        tokens += TURNS_ESTIMATE * (PROMPT_OVERHEAD_TOKENS + tokens_for(size))
    return Plan(tuple(dict.fromkeys(targets)), tokens)


Progress = Callable[[BatchState], None]


class BatchRun:
    """Run (or resume) one batch over a repository."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        options: BatchOptions,
        client: ModelClient,
        cache_root: Path,
        progress: Progress | None = None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.options = options
        self.client = client
        self.cache_root = cache_root
        self.progress = progress or (lambda state: None)
        self.git = GitRepository(root)
        self._commit_lock = asyncio.Lock()
        self._save_lock = asyncio.Lock()
        self._endpoint_down = asyncio.Event()  # stop starting targets; the rest stay pending
        # git keeps worktree metadata in shared files: add/remove must not run concurrently.
        self._worktree_lock = threading.Lock()

    def start(self, plan: Plan) -> BatchState:
        """Create the batch branch at HEAD and a fresh state file."""
        head = self.git.head()
        if head is None:
            raise GitError("the repository has no commit yet; commit once before a batch")
        branch = self.options.branch or f"assistant/refactor-{time.strftime('%Y%m%d-%H%M%S')}"
        self.git.create_branch(branch, head)
        path = state_path(self.cache_root, self.root, branch)
        targets = {t: TargetState(t) for t in plan.targets}
        state = BatchState(
            path, self.options.instruction, branch, head, targets, self.options.verify
        )
        state.save()
        return state

    async def run(self, state: BatchState) -> BatchState:
        """Work on every target not yet done, `jobs` at a time; save state after each."""
        pending = [t for t in state.targets.values() if t.status != "done"]
        slots: asyncio.Queue[ScratchWorktree] = asyncio.Queue()
        made: list[ScratchWorktree] = []
        for number in range(min(max(1, self.options.jobs), len(pending))):
            path = self.cache_root / "worktrees" / f"{_safe(state.branch)}-{number}"
            slot = ScratchWorktree(self.git, path, self._worktree_lock)
            slots.put_nowait(slot)
            made.append(slot)

        async def one(target: TargetState) -> None:
            slot = await slots.get()
            try:
                if not self._endpoint_down.is_set():
                    await self._run_target(state, target, slot)
            finally:
                slots.put_nowait(slot)

        try:
            await asyncio.gather(*(one(t) for t in pending))
        finally:
            for slot in made:
                await asyncio.to_thread(self._remove_worktree, slot)
        if self.options.squash:
            await asyncio.to_thread(self._squash, state)
        return state

    async def _run_target(
        self, state: BatchState, target: TargetState, slot: ScratchWorktree
    ) -> None:
        await self._update(state, target, status="running", error="")
        try:
            # a clean checkout of the base (checked: see assistant/git/worktrees)
            scratch = await asyncio.to_thread(slot.reset, state.base)
            run = await self._agent_on(scratch, target.path)
            tokens = run.usage.total_tokens
            if run.endpoint_failed:
                self._endpoint_down.set()
                await self._update(state, target, status="pending", error=run.error, tokens=tokens)
                return
            if run.reason != "completed":
                error = run.error or f"agent stopped: {run.reason}"
                await self._update(state, target, status="failed", error=error, tokens=tokens)
                return
            diff = await asyncio.to_thread(slot.diff, state.base)
            if not diff:
                await self._update(state, target, status="unchanged", tokens=tokens)
                return
            problem = await self._verify(scratch, diff)
            if problem:
                await self._update(state, target, status="failed", error=problem, tokens=tokens)
                return
            message = f"refactor({target.path}): {self.options.instruction.splitlines()[0][:60]}"
            async with self._commit_lock:
                commit = await asyncio.to_thread(
                    self.git.apply_to_branch, state.branch, diff, message
                )
            stats = _diff_stats(diff)
            await self._update(state, target, status="done", commit=commit, tokens=tokens, **stats)
        except asyncio.CancelledError:
            await self._update(state, target, status="pending", error="interrupted")
            raise
        except AssistantError as error:
            await self._update(state, target, status="failed", error=error.one_line())

    async def _agent_on(self, scratch: Path, target: str) -> RunSummary:
        """Run the agent on one target in its scratch worktree; return what the run came to."""
        from assistant.agent.conversation import Conversation
        from assistant.agent.runner import build_agent, policy_for

        task = (
            f"{self.options.instruction}\n\nApply this to the file `{target}` only. Read it "
            "first, make the change with edit, and stop when it is done."
        )
        settings = replace(self.settings, permission_mode="auto-edit")
        conversation = Conversation(scratch, settings, saved=False)
        agent = build_agent(
            scratch, settings, self.client, task,
            policy=policy_for(settings, "auto-edit", headless=True, root=scratch),
            conversation=conversation, max_turns=self.options.max_turns,
            with_context=False, checkpoint=False,
        )  # fmt: skip
        return await RunSummary.collect(conversation.run(agent, task))

    async def _verify(self, scratch: Path, diff: str) -> str:
        from assistant.edits.verify import parse_errors

        broken = await asyncio.to_thread(parse_errors, scratch, _changed_paths(diff))
        if broken:
            return "syntax errors after the edit: " + "; ".join(broken)
        if not self.options.verify:
            return ""
        # The verify command is the user's, but it runs code the model just edited: sandboxed.
        sandbox = await asyncio.to_thread(sandbox_for, self.settings, scratch)
        code, output, timed_out = await run_shell(
            self.options.verify, scratch, self.options.verify_timeout, sandbox=sandbox
        )
        if timed_out:
            return f"verify command timed out after {self.options.verify_timeout:.0f}s"
        if code != 0:
            return f"verify command failed (exit {code}):\n{output[-4000:]}"
        return ""

    def _remove_worktree(self, slot: ScratchWorktree) -> None:
        try:
            slot.remove()
        except GitError:
            shutil.rmtree(slot.path, ignore_errors=True)

    def _squash(self, state: BatchState) -> None:
        done = [t for t in state.targets.values() if t.status == "done"]
        if len(done) < 2:
            return
        tree = self.git.rev_parse(f"{state.branch}^{{tree}}")
        message = f"refactor: {self.options.instruction.splitlines()[0][:60]} ({len(done)} files)"
        commit = self.git.commit_tree(tree, [state.base], message)
        self.git.update_ref(f"refs/heads/{state.branch}", commit)

    async def _update(self, state: BatchState, target: TargetState, **changes: Any) -> None:
        async with self._save_lock:
            state.targets[target.path] = replace(state.targets[target.path], **changes)
            await asyncio.to_thread(state.save)
        self.progress(state)


def _safe(branch: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", branch)


def _changed_paths(diff: str) -> list[str]:
    paths = [m.group(1) for m in re.finditer(r"^diff --git a/.* b/(.*)$", diff, re.MULTILINE)]
    return list(dict.fromkeys(paths))


def _diff_stats(diff: str) -> dict[str, int]:
    added = sum(
        1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    )
    removed = sum(
        1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    )
    return {"added": added, "removed": removed}


__all__ = ["BatchOptions", "BatchRun", "Plan", "make_plan"]
