"""A hostile model cannot hold a run forever or pass a cut answer off as whole, and no secret
reaches a model through the client, whatever the caller forgot to redact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.agent.events import Done, ErrorEvent, ToolResult
from assistant.agent.loop import Agent, AgentConfig
from assistant.agent.permissions import PermissionPolicy
from assistant.llm import ContextFile, ModelClient, RetryPolicy
from assistant.llm import fim as fim_tokens
from assistant.llm.fim import FimRequest
from assistant.testing import call, cli_env, commit_files, settings_for, turns
from assistant.tools import default_tools

ROOT = Path(__file__).resolve().parents[2]
USER_KEY = "user-own-key-7Hq2Lm9Xz4Pw"
COMPLETION_KEY = "completion-key-Vb8Nc3Rt6Yk1"
AWS_KEY = "AKIAZ4TQ7PLM2XW9RB3D"
OPENAI_KEY = "sk-proj-Tq8vX2mLp9Rz4Wk7Yb3Nc6Hd1Fg5Js0A"
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDx0mZ0hZ3Yk3bq0n7l2o9pQ4cN8vJ1xT6yR5wE3sA2dAAAAJgAAAAAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
PLANTED = (USER_KEY, COMPLETION_KEY, AWS_KEY, OPENAI_KEY, "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA")


def sent(server) -> str:
    """Return every request body the server received, as one JSON text."""
    return json.dumps([r.body for r in server.requests])


def assert_nothing_planted_was_sent(server) -> None:
    text = sent(server)
    leaked = [secret for secret in PLANTED if secret in text]
    assert not leaked, f"sent to the model: {leaked}"


def secret_settings(base_url: str, **changes: object):
    return settings_for(
        base_url, api_key=USER_KEY, completion_api_key=COMPLETION_KEY, max_retries=0, **changes
    )


async def test_planted_secrets_in_every_kind_of_message_are_redacted(scripted_server):
    server = scripted_server({"turns": [{"text": "ok"}]})
    model_call = {"command": "grep -n 'password = \"hunter2hunter2\"' settings.py"}
    messages = [
        {"role": "system", "content": f"You are helpful. Key for reference: {USER_KEY}"},
        {
            "role": "user",
            "content": f"my AWS key is {AWS_KEY}, the completion key {COMPLETION_KEY}",
        },
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "run_command", "arguments": json.dumps(model_call)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": f"id_ed25519:\n{PRIVATE_KEY}\n"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": f"OPENAI_API_KEY={OPENAI_KEY}"},
                {"type": "text", "text": "and nothing secret here"},
            ],
        },
    ]
    async with ModelClient(secret_settings(server.base_url)) as client:
        await client.chat(messages)
    assert_nothing_planted_was_sent(server)
    received = server.chat_requests[0].body["messages"]
    assert "[REDACTED]" in received[0]["content"] and "You are helpful." in received[0]["content"]
    assert "-----BEGIN" not in received[3]["content"]
    assert received[4]["content"][1] == {"type": "text", "text": "and nothing secret here"}
    # What the model itself wrote is left as it was: it must match what was run.
    assert received[2]["tool_calls"][0]["function"]["arguments"] == json.dumps(model_call)
    # The caller's own messages are not changed in place.
    assert USER_KEY in messages[0]["content"]


async def test_non_streamed_chat_is_redacted_too(scripted_server):
    server = scripted_server({"turns": [{"text": "ok"}]})
    async with ModelClient(secret_settings(server.base_url)) as client:
        await client.chat_once([{"role": "user", "content": f"{AWS_KEY} {USER_KEY}"}])
    assert_nothing_planted_was_sent(server)


async def test_fim_prompts_are_redacted_with_their_control_tokens_intact(scripted_server):
    server = scripted_server({"completions": [{"text": "pass"}]})
    settings = secret_settings(server.base_url)
    context = [ContextFile("deploy.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n{PRIVATE_KEY}\n')]
    prefix = f'token = "{OPENAI_KEY}"\ngreeting = "hel'  # the cursor sits in a string
    async with ModelClient(settings) as client:
        await client.complete_fim(
            prefix, 'lo"\n', repo_name="app", context_files=context, path="app.py"
        )
    assert_nothing_planted_was_sent(server)
    prompt = server.completion_requests[0].body["prompt"]
    for token in (fim_tokens.REPO_NAME, fim_tokens.FIM_PREFIX, fim_tokens.FIM_SUFFIX):
        assert prompt.count(token) == 1
    assert prompt.count(fim_tokens.FILE_SEP) == 2
    assert prompt.endswith('greeting = "hel<|fim_suffix|>lo"\n<|fim_middle|>')


# A secret the editor's cursor splits: whole only when prefix and suffix are read as one text.
SPLIT = ('API_TOKEN = "Zx9Qw8Er', '7Ty6Ui5Op2As"\nprint(API_TOKEN)\n')


async def test_a_secret_split_by_the_cursor_makes_no_fim_request(scripted_server):
    server = scripted_server({"completions": [{"text": "leaked"}]})
    context = [ContextFile("deploy.py", "def deploy(): ...\n")]
    async with ModelClient(secret_settings(server.base_url)) as client:
        result = await client.complete_fim(
            *SPLIT, repo_name="app", context_files=context, path="app.py"
        )
    assert result.text == ""
    assert server.requests == []


@pytest.mark.parametrize("backend", ["openai", "chat"])
async def test_a_secret_split_by_the_cursor_makes_no_streamed_request(scripted_server, backend):
    server = scripted_server({"completions": [{"text": "leaked"}], "turns": [{"text": "leaked"}]})
    request = FimRequest(*SPLIT, repo_name="app", path="app.py", max_tokens=16)
    async with ModelClient(secret_settings(server.base_url, completion_backend=backend)) as client:
        pieces = [piece async for piece in client.stream_fim(request)]
    assert pieces == []
    assert server.requests == []


async def test_a_secret_beside_the_cursor_is_sent_redacted(scripted_server):
    # The cursor right after `= `, before an auto-closed quote: the value is whole in the
    # suffix but its name is in the prefix, so only the two read together show a secret.
    server = scripted_server({"completions": [{"text": "x"}, {"text": "y"}]})
    async with ModelClient(secret_settings(server.base_url)) as client:
        await client.complete_fim("API_TOKEN = ", '"Zx9Qw8Er7Ty6Ui5Op2As"\n')
        await client.complete_fim('password = "hunter22', '"\n')
    prompts = [r.body["prompt"] for r in server.completion_requests]
    assert "Zx9Qw8Er7Ty6Ui5Op2As" not in prompts[0] and "hunter22" not in prompts[1]
    assert prompts[0] == '<|fim_prefix|>API_TOKEN = <|fim_suffix|>"[REDACTED]"\n<|fim_middle|>'
    assert prompts[1].startswith('<|fim_prefix|>password = "[REDACTED]<|fim_suffix|>"')


async def test_a_streamed_suggestion_beside_a_secret_is_asked_without_it(scripted_server):
    server = scripted_server({"completions": [{"text": "print(API_TOKEN)"}]})
    request = FimRequest('API_TOKEN = "Zx9Qw8Er7Ty6Ui5Op2As"\n', "\n", max_tokens=16)
    async with ModelClient(secret_settings(server.base_url)) as client:
        text = "".join([piece async for piece in client.stream_fim(request)])
    assert text == "print(API_TOKEN)"
    assert "Zx9Qw8Er7Ty6Ui5Op2As" not in server.completion_requests[0].body["prompt"]


async def test_chat_wrapped_fim_sends_no_planted_secret(scripted_server):
    server = scripted_server({"turns": [{"text": "pass"}]})
    settings = secret_settings(server.base_url, completion_backend="chat")
    context = [ContextFile("deploy.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n{PRIVATE_KEY}\n')]
    prefix = f'token = "{OPENAI_KEY}"\nkey = "{USER_KEY}"\ngreeting = "hel'
    async with ModelClient(settings) as client:
        await client.complete_fim(
            prefix, 'lo"\n', repo_name="app", context_files=context, path="app.py"
        )
    assert_nothing_planted_was_sent(server)
    assert 'greeting = "hel<CURSOR>lo"' in server.chat_requests[0].body["messages"][-1]["content"]


async def test_a_key_body_read_without_its_begin_line_never_reaches_the_model(
    scripted_server, tmp_path
):
    body = [
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        "QyNTUxOQAAACDx0mZ0hZ3Yk3bq0n7l2o9pQ4cN8vJ1xT6yR5wE3sA2dAAAAJgAAAAAAAAA",
        "C3NzaC1lZDI1NTE5AAAAIPHSZnSFndiTdurSfuXaj2lDhw3y8nXFPrJHnATewDZ0AAAAQL",
    ]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body)
    commit_files(tmp_path, {"docs/deploy.txt": f"{key}\n-----END OPENSSH PRIVATE KEY-----\n"})
    read = call("read_file", absolute_path=str(tmp_path / "docs/deploy.txt"), offset=1, limit=3)
    server = scripted_server(turns(read, text="Done."))
    events = await run_agent(server, tmp_path, "show me lines 2 to 4 of docs/deploy.txt")
    assert events[-1] == Done("completed", "Done.", ())
    assert any(isinstance(e, ToolResult) and e.ok for e in events)
    shown = server.chat_requests[1].body["messages"][-1]["content"]
    assert shown.startswith("Showing lines 2-4 of 5 total lines.") and "[REDACTED]" in shown
    leaked = [line[:24] for line in body if line[:24] in sent(server)]
    assert not leaked, f"sent to the model: {leaked}"


async def test_the_users_key_in_the_task_never_reaches_the_model(scripted_server, tmp_path):
    commit_files(tmp_path, {"notes.txt": f"deploy with {AWS_KEY}\n{PRIVATE_KEY}\n"})
    server = scripted_server(turns(call("run_command", command="cat notes.txt"), text="Done."))
    events = await run_agent(server, tmp_path, f"deploy; the key is {USER_KEY}")
    assert events[-1] == Done("completed", "Done.", ())
    assert any(isinstance(e, ToolResult) and e.ok for e in events)
    assert len(server.chat_requests) == 2
    assert_nothing_planted_was_sent(server)


async def test_an_endless_model_ends_the_agent_run_as_failed(scripted_server, tmp_path):
    commit_files(tmp_path, {"a.py": "x = 1\n"})
    server = scripted_server({"default_turn": {"fault": {"kind": "endless"}, "chunk_size": 256}})
    events = await run_agent(server, tmp_path, "explain a.py", max_reply_chars=20_000)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and errors[0].fatal and errors[0].kind == "endpoint"
    assert "max_reply_chars" in errors[0].message
    assert events[-1] == Done("failed")
    assert len(server.chat_requests) == 1
    record = server.wait_for_finish(0)
    assert record.disconnected


async def test_a_slow_endless_model_is_stopped_by_the_time_cap(scripted_server, tmp_path):
    commit_files(tmp_path, {"a.py": "x = 1\n"})
    endless = {"fault": {"kind": "endless"}, "chunk_delay": 0.02}
    server = scripted_server({"default_turn": endless})
    events = await run_agent(server, tmp_path, "explain a.py", max_reply_seconds=0.5)
    assert any(isinstance(e, ErrorEvent) and "max_reply_seconds" in e.message for e in events)
    assert events[-1] == Done("failed")


def test_headless_run_against_a_cut_stream_exits_non_zero(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"a.py": "x = 1\n"})
    server = scripted_server(
        {"default_turn": {"text": "The answer is half a sen", "fault": {"kind": "cut"}}}
    )
    config = tmp_path / "config.toml"
    config.write_text("")
    env = cli_env(tmp_path / "cache", config)
    command = [
        *(sys.executable, "-m", "assistant", "run", "explain a.py", "--json"),
        *("--base-url", server.base_url, "--model", "qwen3-coder-plus", "--repo", str(repo)),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1, result.stdout + result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    errors = [e for e in events if e["event"] == "ErrorEvent"]
    assert errors and "cut the answer short" in errors[0]["message"]
    assert [e["reason"] for e in events if e["event"] == "Done"] == ["failed"]
    assert len(server.chat_requests) > 1  # the cut was retried before the run gave up


async def run_agent(server, root: Path, task: str, **changes: object) -> list:
    settings = secret_settings(server.base_url, **changes)
    client = ModelClient(settings, retry=RetryPolicy(max_retries=1, base_delay=0.01))
    config = AgentConfig(
        root=root,
        settings=settings,
        client=client,
        tools=default_tools(),
        policy=PermissionPolicy(mode="yolo"),
        system_prompt="You are a test agent.",
    )
    try:
        return [event async for event in Agent(config).run(task)]
    finally:
        await client.aclose()
