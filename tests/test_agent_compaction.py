"""Compaction keeps the state of the work: after a long run is summarised to fit the model's
context, the request still holds the user's task verbatim, the project's rules, the todo list
and the files changed (peers lose these and forget their rules)."""

from __future__ import annotations

from pathlib import Path

from assistant.agent.runner import build_agent, policy_for
from assistant.llm import ModelClient, RetryPolicy
from assistant.testing import call, commit_files, settings_for

RULE = "Always indent with tabs in this project."
TASK = "Read the two big files, then write the fixed notes to fixed.md."
TODOS = [
    {"id": "1", "content": "Read the big files", "status": "in_progress"},
    {"id": "2", "content": "Write fixed.md", "status": "pending"},
]


async def test_a_compacted_request_keeps_task_rules_todos_and_changed_files(
    scripted_server, tmp_path: Path
):
    files = {f"big{i}.txt": f"line {i} of a long file\n" * 3000 for i in range(2)}
    root = commit_files(tmp_path / "repo", {"AGENTS.md": RULE + "\n", **files})
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("todo_write", todos=TODOS)]},
                {"tool_calls": [call("write_file", file_path="fixed.md", content="the\n")]},
                *({"tool_calls": [call("read_file", absolute_path=name)]} for name in files),
                {"text": "SUMMARY: wrote fixed.md, read big0."},  # the summariser's answer
                {"text": "All done."},
            ]
        }
    )
    settings = settings_for(
        server.base_url, context_window=4096, max_output_tokens=1024, cache_dir=tmp_path / "c"
    )
    client = ModelClient(settings, retry=RetryPolicy(max_retries=0, base_delay=0.01))
    policy = policy_for(settings, "yolo", headless=True, root=root)
    agent = build_agent(root, settings, client, TASK, policy=policy, checkpoint=False)
    try:
        events = [event async for event in agent.run(TASK)]
    finally:
        await client.aclose()
    assert type(events[-1]).__name__ == "Done" and events[-1].text == "All done."
    summary_request, after = server.chat_requests[-2], server.chat_requests[-1]
    assert "Summarise this coding session" in summary_request.body["messages"][0]["content"]
    messages = after.body["messages"]
    assert RULE in messages[0]["content"]  # the rules: in the system prompt, never compacted
    [note] = [m for m in messages if "[Summary of the earlier conversation]" in str(m["content"])]
    kept = note["content"]
    assert "SUMMARY: wrote fixed.md, read big0." in kept
    assert TASK in kept  # the user's request, verbatim
    assert "- [in_progress] Read the big files\n- [pending] Write fixed.md" in kept
    assert "Files changed in this run: fixed.md" in kept
    called = [c["function"]["name"] for m in messages for c in m.get("tool_calls") or []]
    assert "todo_write" not in called  # its exchange was summarised: the list survived anyway
