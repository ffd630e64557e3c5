"""The one agent loop: ask the model, run the tools it calls, repeat; yield events throughout.

Front ends drive it the same way: `async for event in agent.run(task)`, with an `approve`
callback for the decisions the permission policy leaves to a person. The session's MCP servers
(if any) start on the first run and their tools join the agent's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.agent.budget import fit_to_budget, mechanical_summary
from assistant.agent.checks import configured_checks, failure_message, run_check
from assistant.agent.events import (
    ApprovalKind,
    ApprovalRequest,
    Done,
    ErrorEvent,
    Event,
    FileEdited,
    ModeChanged,
    TextDelta,
    TextReset,
    TodoUpdated,
    ToolCallStarted,
    ToolProgress,
    ToolResult,
    UsageUpdate,
)
from assistant.agent.hooks import HookOutcome, Hooks
from assistant.agent.parallel import merged, tool_batches
from assistant.agent.permissions import PLAN_REMINDER, Decision, PermissionPolicy
from assistant.config import Settings
from assistant.errors import EndpointError
from assistant.llm import ChatResult, ModelClient, StreamRestarted, ToolCall, Usage
from assistant.llm import TextDelta as ModelText
from assistant.llm.pricing import pricing_for
from assistant.mcp.client_tools import McpTool
from assistant.mcp.registry import McpRegistry
from assistant.security.secrets import Redactor
from assistant.tools.base import (
    Grant,
    RunState,
    TodoItem,
    Tool,
    ToolContext,
    ToolOutput,
    cut_middle,
    run_guarded,
)
from assistant.tools.changes import ChangeLog, NoChangeLog
from assistant.tools.legacy import legacy_tool

if TYPE_CHECKING:
    from assistant.index import IndexStore

log = logging.getLogger(__name__)
APPROVAL_KINDS: dict[str, ApprovalKind] = {
    "edit": "edit", "mcp": "mcp", "plan": "plan", "memory": "memory", "fetch": "fetch",
}  # fmt: skip

Approver = Callable[[ApprovalRequest], Awaitable[bool]]
# Every tool output is cut to this before it joins the conversation (the latest one too).
TOOL_OUTPUT_CHARS = 40_000


@dataclass
class AgentConfig:
    """The pieces one agent run is made of."""

    root: Path
    settings: Settings
    client: ModelClient
    tools: Sequence[Tool]
    policy: PermissionPolicy
    system_prompt: str
    approve: Approver | None = None
    # Returns the change log of a turn (given its label), for undo; None records nothing.
    changes: Callable[[str], ChangeLog] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    max_turns: int = 30
    on_message: Callable[[dict[str, Any]], None] | None = None  # e.g. the session log
    index: IndexStore | None = None  # lent to the search tools (editor actions); never closed
    mcp: McpRegistry | None = None  # the session's MCP servers; started here, closed by the owner
    # todo_write's list: the conversation's, so it outlives this agent (one is built per turn)
    todos: list[TodoItem] = field(default_factory=list)
    spent_before: float = 0.0  # what the session spent before this agent (for the budget)


class Agent:
    """Run tasks against one repository; `history` carries the conversation across tasks."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.tools = {tool.spec.name: tool for tool in config.tools}
        self.history = config.history
        self.usage = Usage()
        self._context_tokens = 0  # the prompt size of the last request
        self._task = ""  # the run's task and the files it changed: kept through compaction
        self._edited: list[str] = []
        settings = config.settings
        keys = settings.known_secrets
        self.redactor = Redactor(keys)
        self.hooks = Hooks(config.root, settings.hooks, keys)
        self.pricing = pricing_for(settings)
        self._money = self.pricing.currency if self.pricing else ""
        self.cost: float | None = 0.0  # of this agent's requests (None once a price is unknown)

    async def run(self, task: str) -> AsyncIterator[Event]:
        """Work on `task` until the model stops, the turn limit, or cancellation."""
        if self.config.mcp is not None:
            await self._join_mcp(self.config.mcp)
        edited: list[str] = []
        self._task, self._edited = task, edited
        state = RunState(index=self.config.index, todos=self.config.todos)
        factory = self.config.changes
        changes = (
            factory(task.splitlines()[0][:60] if task else "turn") if factory else NoChangeLog()
        )
        self._append({"role": "user", "content": task})
        try:
            async for event in self._checked_turns(edited, state, changes):
                if isinstance(event, Done):
                    for notice in (await self.hooks.turn_end(event.reason, event.edited)).notices:
                        yield ErrorEvent(notice, kind="hook")
                yield event
        finally:
            changes.close()  # one small manifest write: fine on the loop, and safe at aclose
            state.close()

    async def _join_mcp(self, registry: McpRegistry) -> None:
        """Start the MCP servers (once per session) and offer their tools to the model."""
        await registry.start()
        for tool in registry.tools():
            self.tools.setdefault(tool.spec.name, tool)

    async def _checked_turns(
        self, edited: list[str], state: RunState, changes: ChangeLog
    ) -> AsyncIterator[Event]:
        """Run the turns; when they edited files, run the user's lint and test commands and
        give the model `fix_rounds` tries at what fails (assistant/agent/checks.py)."""
        checks = configured_checks(self.config.settings)
        rounds = max(0, self.config.settings.fix_rounds)
        for round_ in range(rounds + 1):
            done: Done | None = None
            async for event in self._turns(edited, state, changes):
                if isinstance(event, Done):
                    done = event
                else:
                    yield event
            if done is None or done.reason != "completed" or not checks or not edited:
                if done is not None:
                    yield done
                return
            failed = None
            for kind, command in checks:
                result = await run_check(
                    self.config.root, self.config.settings, kind, command, round_
                )
                yield result
                if not result.ok:
                    failed = result
                    break
            if failed is None:
                yield done
                return
            if round_ == rounds:
                message = f"the {failed.kind} command still fails after {rounds} fix rounds"
                yield ErrorEvent(message, kind="checks")
                yield Done("checks_failed", done.text, done.edited)
                return
            self._append({"role": "user", "content": failure_message(failed, rounds - round_ - 1)})

    async def _turns(
        self, edited: list[str], state: RunState, changes: ChangeLog
    ) -> AsyncIterator[Event]:
        for _turn in range(self.config.max_turns):
            if why := self._over_budget():
                yield ErrorEvent(why, kind="budget", fatal=True)
                yield Done("budget", edited=tuple(edited))
                return
            result: ChatResult | None = None
            async for event in self._ask_model():
                if isinstance(event, ChatResult):
                    result = event
                else:
                    yield event
            if result is None:
                yield Done("failed", edited=tuple(edited))
                return
            self._append(result.to_message())
            if not result.tool_calls and not result.tool_call_errors:
                yield Done("completed", result.text, tuple(edited))
                return
            for error in result.tool_call_errors:
                yield ToolResult(error.id, error.name, False, error.message)
                self._append(_tool_message(error.id, f"error: {error.message}"))
            for batch in tool_batches(result.tool_calls):
                async for event in self._run_batch(batch, state, changes):
                    if isinstance(event, FileEdited) and event.path not in edited:
                        edited.append(event.path)
                    yield event
        turns = self.config.max_turns
        yield ErrorEvent(f"stopped after {turns} model turns (turn limit)", kind="turn_limit")
        yield Done("turn_limit", edited=tuple(edited))

    async def _ask_model(self) -> AsyncIterator[Event | ChatResult]:
        budget = self.config.settings.context_window - self.config.settings.max_output_tokens
        messages = await fit_to_budget(
            self._messages(), max(budget, 1024), self._summarize, pinned=self._work_state()
        )
        tools = [tool.spec.to_openai() for tool in self.tools.values()]
        try:
            async for event in self.config.client.stream_chat(messages, tools):
                if isinstance(event, ModelText):
                    yield TextDelta(event.text)
                elif isinstance(event, StreamRestarted):
                    yield TextReset(event.reason)
                else:
                    self.usage = self.usage + event.usage
                    self._context_tokens = event.usage.prompt_tokens
                    cost = self._spend(self.pricing.cost(event.usage) if self.pricing else None)
                    yield UsageUpdate(
                        event.usage, self.usage, self._context_tokens, cost, self._money
                    )
                    yield event
        except EndpointError as error:
            yield ErrorEvent(error.one_line(), kind="endpoint", fatal=True)

    def _run_batch(
        self, calls: Sequence[ToolCall], state: RunState, changes: ChangeLog
    ) -> AsyncIterator[Event]:
        """Run one call, or several sub-agents (`task`) side by side, passing events on."""
        return merged([self._run_tool(call, state, changes) for call in calls])

    async def _run_tool(
        self, call: ToolCall, state: RunState, changes: ChangeLog
    ) -> AsyncIterator[Event]:
        yield ToolCallStarted(call.id, call.name, call.arguments)
        tool = self.tools.get(call.name) or legacy_tool(call.name, self.tools)
        hooked = await self.hooks.before_tool(call.name, call.arguments) if tool else HookOutcome()
        for notice in hooked.notices:
            yield ErrorEvent(notice, kind="hook")
        if tool is None:
            known = ", ".join(sorted(self.tools))
            output = ToolOutput(f"unknown tool {call.name!r}; the tools are: {known}", ok=False)
        elif hooked.blocked is not None:
            said = f"blocked by the user's hook: {hooked.blocked}"
            output = ToolOutput(said, ok=False, refused=True)
        else:
            events: asyncio.Queue[Event] = asyncio.Queue()
            ctx = ToolContext(
                root=self.config.root,
                settings=self.config.settings,
                authorize=lambda kind, summary, detail: self._authorize(
                    call, kind, summary, detail, events
                ),
                changes=changes,
                state=state,
                progress=lambda line: events.put_nowait(ToolProgress(call.id, line)),
            )
            task = asyncio.ensure_future(run_guarded(tool, call.arguments, ctx))
            try:
                async for event in _drain(events, task):
                    yield event
            finally:
                task.cancel()
            output = task.result()
        if output.edit is not None:
            yield FileEdited(output.edit.path, output.edit.diff, output.edit.created)
            edit = output.edit
            for notice in (await self.hooks.after_edit(edit.path, edit.diff, edit.created)).notices:
                yield ErrorEvent(notice, kind="hook")
        if output.todos is not None:
            yield TodoUpdated(output.todos)
        if output.usage is not None:  # a sub-agent's tokens count in the run's
            self.usage = self.usage + output.usage
            cost = self._spend(output.cost)
            yield UsageUpdate(output.usage, self.usage, self._context_tokens, cost, self._money)
        policy = self.config.policy
        if output.plan_approved and policy.planning:
            self.config.policy = dataclasses.replace(policy, mode=policy.after_plan)
            yield ModeChanged(policy.after_plan)
        elif output.refused and policy.planning and call.name != "exit_plan_mode":
            output = dataclasses.replace(output, text=f"{output.text}\n{PLAN_REMINDER}")
        text = cut_middle(self.redactor.redact(output.text), TOOL_OUTPUT_CHARS)
        yield ToolResult(call.id, call.name, output.ok, text, refused=output.refused)
        self._append(_tool_message(call.id, text))

    async def _authorize(
        self, call: ToolCall, kind: str, summary: str, detail: str, events: asyncio.Queue[Event]
    ) -> Grant:
        policy = self.config.policy
        approval: ApprovalKind = APPROVAL_KINDS.get(kind, "command")
        if approval == "plan":
            decision = policy.for_plan()
        elif approval == "memory":
            decision = policy.for_user_memory()
        elif approval == "fetch":
            decision = policy.for_fetch()
        elif approval == "mcp":
            tool = self.tools.get(call.name)
            server, remote = (tool.server, tool.remote) if isinstance(tool, McpTool) else ("", "")
            decision = policy.for_mcp(server, remote) if server else Decision.DENY
        elif approval == "edit":
            decision = policy.for_edit()
        else:
            decision = policy.for_command(summary)
        if decision is Decision.ALLOW:
            return Grant.POLICY
        if decision is Decision.DENY or self.config.approve is None:
            return Grant.REFUSED
        request = ApprovalRequest(call.id, call.name, approval, summary, detail)
        events.put_nowait(request)
        return Grant.PERSON if await self.config.approve(request) else Grant.REFUSED

    async def _summarize(self, messages: Sequence[dict[str, Any]]) -> str:
        prompt = [
            {"role": "system", "content": "Summarise this coding session for its own continuation: "
             "the task, decisions, files changed, what is left. Be brief and factual."},
            {"role": "user", "content": json.dumps(list(messages))[:200_000]},
        ]  # fmt: skip
        try:
            result = await self.config.client.chat(prompt, max_tokens=1024)
        except EndpointError as error:
            log.warning("summary by the model failed (%s); summarising mechanically", error)
            return mechanical_summary(messages)
        return result.text or mechanical_summary(messages)

    def _spend(self, cost: float | None) -> float | None:
        """Add a request's cost to this agent's; return it."""
        self.cost = None if cost is None or self.cost is None else self.cost + cost
        return cost

    def _over_budget(self) -> str:
        """Return why the session's budget stops the run, or ""."""
        limit = self.config.settings.max_session_cost
        spent = self.config.spent_before + (self.cost or 0.0)
        if limit <= 0 or spent < limit:
            return ""
        return f"the session budget ({limit:g} {self._money}) is spent: {spent:.4f} {self._money}"

    def _work_state(self) -> str:
        """Return what a compaction must keep verbatim: the task, the todo list, the files
        changed (the rules are in the system prompt, which is never compacted)."""
        lines = [f"Current task: {self._task}"] if self._task else []
        if self.config.todos:
            lines.append("Todo list:")
            lines += [f"- [{t.status}] {t.content}" for t in self.config.todos]
        if self._edited:
            lines.append(f"Files changed in this run: {', '.join(self._edited)}")
        return "\n".join(lines)

    def _messages(self) -> list[dict[str, Any]]:
        return [{"role": "system", "content": self.config.system_prompt}, *self.history]

    def _append(self, message: dict[str, Any]) -> None:
        self.history.append(message)
        if self.config.on_message is not None:
            self.config.on_message(message)


async def _drain(events: asyncio.Queue[Event], task: asyncio.Future[Any]) -> AsyncIterator[Event]:
    """Yield events a running tool emits until it finishes."""
    while not task.done() or not events.empty():
        getter = asyncio.ensure_future(events.get())
        done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            yield getter.result()
        else:
            getter.cancel()


def _tool_message(call_id: str, text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


__all__ = ["Agent", "AgentConfig", "Approver"]
