"""The agent loop against the scripted server: tool calls, refusals, faults, limits, events."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from assistant.agent.events import (
    ApprovalRequest,
    Done,
    ErrorEvent,
    TextDelta,
    TextReset,
    ToolCallStarted,
    ToolResult,
    UsageUpdate,
)
from assistant.agent.loop import Agent, AgentConfig
from assistant.agent.permissions import PermissionPolicy
from assistant.llm import ModelClient, RetryPolicy
from assistant.testing import call, settings_for, turns
from assistant.tools.run_command import RunShellCommand


async def run_agent(server, root: Path, task: str = "do it", **config: object) -> list:
    settings = settings_for(server.base_url, max_retries=2)
    client = ModelClient(settings, retry=RetryPolicy(max_retries=2, base_delay=0.01))
    values: dict[str, Any] = {
        "root": root,
        "settings": settings,
        "client": client,
        "tools": [RunShellCommand()],
        "policy": PermissionPolicy(mode="yolo"),
        "system_prompt": "You are a test agent.",
    }
    values.update(config)
    agent = Agent(AgentConfig(**values))
    try:
        return [event async for event in agent.run(task)]
    finally:
        await client.aclose()


async def test_a_tool_call_runs_and_its_output_goes_back_to_the_model(scripted_server, tmp_path):
    (tmp_path / "hello.txt").write_text("hi there\n")
    server = scripted_server(
        {
            "turns": [
                {"text": "Checking.", "tool_calls": [call("run_command", command="cat hello.txt")]},
                {"text": "The file says hi."},
            ]
        }
    )
    events = await run_agent(server, tmp_path)
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "TextDelta"
    assert "ToolCallStarted" in kinds and "UsageUpdate" in kinds
    result = next(e for e in events if isinstance(e, ToolResult))
    assert result.ok and "hi there" in result.output
    assert events[-1] == Done("completed", "The file says hi.", ())
    second = server.chat_requests[1].body["messages"]
    assert second[0]["role"] == "system"
    assert second[-1]["role"] == "tool" and "hi there" in second[-1]["content"]
    assert second[-2]["tool_calls"][0]["function"]["name"] == "run_command"


async def test_unknown_tool_is_reported_to_the_model_and_the_loop_goes_on(
    scripted_server, tmp_path
):
    server = scripted_server(turns(call("launch_rockets", n=3), text="Sorry."))
    events = await run_agent(server, tmp_path)
    result = next(e for e in events if isinstance(e, ToolResult))
    assert not result.ok and "unknown tool 'launch_rockets'" in result.output
    assert "run_shell_command" in result.output
    assert isinstance(events[-1], Done) and events[-1].reason == "completed"
    assert "unknown tool" in server.chat_requests[1].body["messages"][-1]["content"]


async def test_malformed_arguments_go_back_as_an_error(scripted_server, tmp_path):
    server = scripted_server(
        {
            "turns": [
                {
                    "tool_calls": [call("run_command", command="ls")],
                    "fault": {"kind": "malformed_arguments"},
                },
                {"tool_calls": [call("run_command", command="ls")]},
                {"text": "done"},
            ]
        }
    )
    events = await run_agent(server, tmp_path)
    results = [e for e in events if isinstance(e, ToolResult)]
    assert not results[0].ok and "not valid JSON" in results[0].output
    assert results[1].ok
    assert events[-1].reason == "completed"


async def test_missing_argument_is_an_error_the_model_can_fix(scripted_server, tmp_path):
    server = scripted_server(turns(call("run_command"), text="ok"))
    events = await run_agent(server, tmp_path)
    result = next(e for e in events if isinstance(e, ToolResult))
    assert not result.ok and "'command'" in result.output


async def test_headless_run_refuses_a_command_not_on_the_allowlist(scripted_server, tmp_path):
    server = scripted_server(turns(call("run_command", command="touch pwned"), text="ok"))
    policy = PermissionPolicy(mode="ask", allow=("pytest*",), headless=True)
    events = await run_agent(server, tmp_path, policy=policy)
    result = next(e for e in events if isinstance(e, ToolResult))
    assert not result.ok and "refused" in result.output
    assert not (tmp_path / "pwned").exists()
    assert not any(isinstance(e, ApprovalRequest) for e in events)


async def test_ask_mode_requests_approval_and_respects_a_no(scripted_server, tmp_path):
    server = scripted_server(
        turns(
            call("run_command", command="touch made"),
            call("run_command", command="touch other"),
            text="ok",
        )
    )
    asked: list[ApprovalRequest] = []

    async def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return request.summary == "touch made"

    events = await run_agent(server, tmp_path, policy=PermissionPolicy(mode="ask"), approve=approve)
    assert [r.summary for r in asked] == ["touch made", "touch other"]
    assert str(tmp_path) in asked[0].detail
    assert (tmp_path / "made").exists() and not (tmp_path / "other").exists()
    assert sum(isinstance(e, ApprovalRequest) for e in events) == 2


async def test_destructive_git_command_needs_approval_even_in_yolo(scripted_server, tmp_path):
    server = scripted_server(turns(call("run_command", command="git reset --hard"), text="ok"))
    asked = []

    async def approve(request: ApprovalRequest) -> bool:
        asked.append(request.summary)
        return False

    await run_agent(server, tmp_path, approve=approve)
    assert asked == ["git reset --hard"]


async def test_a_500_mid_conversation_is_retried(scripted_server, tmp_path):
    server = scripted_server(
        {"turns": [{"fault": {"kind": "status", "status": 500}}, {"text": "fine"}]}
    )
    events = await run_agent(server, tmp_path)
    assert events[-1] == Done("completed", "fine", ())


async def test_a_dropped_stream_resets_the_partial_text(scripted_server, tmp_path):
    server = scripted_server(
        {
            "turns": [
                {
                    "text": "partial text here",
                    "chunk_size": 3,
                    "fault": {"kind": "drop", "after_chunks": 3},
                },
                {"text": "whole"},
            ]
        }
    )
    events = await run_agent(server, tmp_path)
    reset = next(i for i, e in enumerate(events) if isinstance(e, TextReset))
    after = "".join(e.text for e in events[reset:] if isinstance(e, TextDelta))
    assert after == "whole"


async def test_an_endpoint_that_stays_down_ends_the_run_cleanly(scripted_server, tmp_path):
    fault = {"fault": {"kind": "status", "status": 503}}
    server = scripted_server({"turns": [fault] * 3})
    events = await run_agent(server, tmp_path)
    error = next(e for e in events if isinstance(e, ErrorEvent))
    assert error.fatal and "503" in error.message
    assert events[-1].reason == "failed"


async def test_turn_limit_stops_the_loop(scripted_server, tmp_path):
    server = scripted_server({"default_turn": {"tool_calls": [call("run_command", command="ls")]}})
    events = await run_agent(server, tmp_path, max_turns=3)
    assert events[-1].reason == "turn_limit"
    assert len(server.chat_requests) == 3


async def test_cancelling_a_run_stops_the_stream(scripted_server, tmp_path):
    server = scripted_server({"turns": [{"text": "y" * 300, "chunk_size": 1, "chunk_delay": 0.02}]})
    task = asyncio.create_task(run_agent(server, tmp_path))
    await asyncio.to_thread(server.wait_for_requests, 1, 10)  # the stream has begun
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    record = await asyncio.to_thread(server.wait_for_finish, 0, 5.0)
    assert record.disconnected


async def test_usage_accumulates_over_turns(scripted_server, tmp_path):
    usage = {"prompt_tokens": 100, "completion_tokens": 10}
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("run_command", command="ls")], "usage": usage},
                {"text": "ok", "usage": usage},
            ]
        }
    )
    events = await run_agent(server, tmp_path)
    updates = [e for e in events if isinstance(e, UsageUpdate)]
    assert updates[-1].total.total_tokens == 220
    assert any(isinstance(e, ToolCallStarted) for e in events)
