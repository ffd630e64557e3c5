"""One conversation across runs, one assembly of agents, one fold of their events."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.agent.conversation import Conversation
from assistant.agent.events import RunSummary
from assistant.agent.permissions import PermissionPolicy
from assistant.agent.runner import build_agent, policy_for
from assistant.errors import ConfigError
from assistant.llm import ModelClient, RetryPolicy
from assistant.testing import call, commit_files, settings_for

USAGE = {"prompt_tokens": 100, "completion_tokens": 10}


async def run_on(conversation: Conversation, server, task: str, **build: object) -> RunSummary:
    """Build an agent on `conversation` with the scripted model and run `task` to its end."""
    settings = conversation.settings
    client = ModelClient(settings, retry=RetryPolicy(max_retries=1, base_delay=0.01))
    options: dict = {"policy": PermissionPolicy(mode="ask", headless=True), "with_context": False}
    options.update(build)
    try:
        agent = build_agent(
            conversation.root, settings, client, task, conversation=conversation, **options
        )
        return await RunSummary.collect(conversation.run(agent, task))
    finally:
        await client.aclose()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", {"app.py": "def add(a, b):\n    return a - b\n"})


async def test_the_summary_keeps_the_final_answer_refusals_edits_and_usage(
    scripted_server, repo, tmp_path
):
    turns = [
        {"text": "Let me look.", "tool_calls": [call("read_file", path="app.py")], "usage": USAGE},
        {"text": "Fixing.", "tool_calls": [call("run_command", command="touch x")], "usage": USAGE},
        {"text": "The command was refused; add subtracts.", "usage": USAGE},
    ]
    server = scripted_server({"turns": turns})
    conversation = Conversation(repo, settings_for(server.base_url, cache_dir=tmp_path / "c"))
    summary = await run_on(conversation, server, "what does add do?")
    assert summary.reason == "completed" and not summary.error
    assert summary.text == "The command was refused; add subtracts."
    assert summary.refused and summary.edited == []
    assert summary.usage.total_tokens == 330 and conversation.usage.total_tokens == 330
    assert not (repo / "x").exists()


async def test_an_endpoint_failure_is_summarised_as_such(scripted_server, repo, tmp_path):
    server = scripted_server({"turns": [{"fault": {"kind": "status", "status": 503}}] * 3})
    conversation = Conversation(repo, settings_for(server.base_url, cache_dir=tmp_path / "c"))
    summary = await run_on(conversation, server, "hello")
    assert summary.reason == "failed" and summary.endpoint_failed and "503" in summary.error


async def test_a_saved_conversation_carries_on_and_resumes_in_a_new_one(
    scripted_server, repo, tmp_path
):
    server = scripted_server({"turns": [{"text": "Noted: blue."}, {"text": "Blue."}]})
    settings = settings_for(server.base_url, cache_dir=tmp_path / "c")
    first = Conversation(repo, settings)
    await run_on(first, server, "my colour is blue")
    await run_on(first, server, "what is my colour?")
    contents = [m["content"] for m in server.chat_requests[1].body["messages"][1:]]
    assert contents == ["my colour is blue", "Noted: blue.", "what is my colour?"]
    later = Conversation(repo, settings)
    assert later.resume() == 4 and later.history == first.history
    later.clear()
    assert later.history == [] and later.session is None


def test_resuming_with_no_saved_session(repo, tmp_path):
    conversation = Conversation(repo, settings_for("http://127.0.0.1:9/v1", cache_dir=tmp_path))
    with pytest.raises(ConfigError, match="no saved session"):
        conversation.resume()
    assert conversation.resume(missing_ok=True) == 0


async def test_an_unsaved_conversation_writes_no_session(scripted_server, repo, tmp_path):
    server = scripted_server({"turns": [{"text": "ok"}]})
    cache = tmp_path / "c"
    conversation = Conversation(repo, settings_for(server.base_url, cache_dir=cache), saved=False)
    await run_on(conversation, server, "hi")
    assert len(conversation.history) == 2
    assert conversation.session is None and not (cache / "sessions").exists()


async def test_context_files_go_into_the_prompt_and_secrets_never_do(
    scripted_server, repo, tmp_path
):
    (repo / ".env").write_text("TOKEN=sk-live-secret\n")
    server = scripted_server({"turns": [{"text": "ok"}]})
    conversation = Conversation(repo, settings_for(server.base_url, cache_dir=tmp_path / "c"))
    with pytest.raises(ConfigError, match="secrets file"):
        conversation.add_files([".env"])
    with pytest.raises(ConfigError, match="no file"):
        conversation.add_files(["../outside.py"])
    assert conversation.add_files(["app.py", "app.py"]) == ["app.py"]
    await run_on(conversation, server, "explain")
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert "# Files in the conversation\n## app.py" in system and "return a - b" in system
    assert conversation.drop_files([]) == ["app.py"] and conversation.file_contents() == ()


async def test_an_agent_built_with_a_tool_subset_and_a_prompt_root(scripted_server, repo, tmp_path):
    server = scripted_server({"turns": [{"text": "ok"}]})
    settings = settings_for(server.base_url, cache_dir=tmp_path / "c")
    copy = tmp_path / "copy"
    commit_files(copy, {"app.py": "x = 1\n"})
    conversation = Conversation(repo, settings, saved=False)
    policy = policy_for(settings, "auto-edit", headless=True, root=copy)
    client = ModelClient(settings, retry=RetryPolicy(max_retries=0))
    try:
        agent = build_agent(
            copy, settings, client, "go", policy=policy, conversation=conversation,
            tools=("read_file", "edit"), prompt_root=repo, with_context=False,
            checkpoint=False,
        )  # fmt: skip
        await RunSummary.collect(conversation.run(agent, "go"))
    finally:
        await client.aclose()
    body = server.chat_requests[0].body
    assert [t["function"]["name"] for t in body["tools"]] == ["read_file", "edit"]
    assert "user's repository (repo)" in body["messages"][0]["content"]
    assert agent.config.root == copy and agent.config.changes is None


async def test_an_agent_from_another_conversation_is_refused(scripted_server, repo, tmp_path):
    server = scripted_server({"turns": []})
    settings = settings_for(server.base_url, cache_dir=tmp_path / "c")
    client = ModelClient(settings)
    try:
        agent = build_agent(
            repo, settings, client, "go", policy=PermissionPolicy(), with_context=False
        )
        with pytest.raises(ValueError, match="not built on this conversation"):
            await RunSummary.collect(Conversation(repo, settings).run(agent, "go"))
    finally:
        await client.aclose()
    assert server.chat_requests == []
