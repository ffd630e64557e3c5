"""save_memory and /memory: facts kept for later sessions in Qwen Code's format; the project's
in QWEN.md like any edit, the user's own (joined to every prompt) only with a person's yes."""

from __future__ import annotations

from assistant.testing import call, commit_files, turns
from assistant.tools.memory import MEMORY_HEADER, with_fact
from tests.cli_run import run_json
from tests.test_tui_app import SIZE, finish_turn, log_text, make_app, make_project, send, wait_until
from tui.widgets.diff_approval import DiffApproval


def test_facts_go_under_the_memories_header_in_qwen_codes_format():
    assert with_fact("", "Use tabs") == f"{MEMORY_HEADER}\n\n- Use tabs\n"
    rules = "# Rules\n\nBe nice.\n"
    first = with_fact(rules, "Use tabs")
    assert first == f"# Rules\n\nBe nice.\n\n{MEMORY_HEADER}\n\n- Use tabs\n"
    assert with_fact(first, "Run make test") == first + "- Run make test\n"
    later = f"{MEMORY_HEADER}\n\n- one\n\n# Other\n\ntext\n"
    assert with_fact(later, "two") == f"{MEMORY_HEADER}\n\n- one\n- two\n\n# Other\n\ntext\n"


def test_a_headless_run_saves_project_memory_but_never_the_users(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"QWEN.md": "# Project\n"})
    cache = tmp_path / "cache"
    server = scripted_server(
        turns(
            call("save_memory", fact="Tests run with `make test`.", scope="project"),
            call("save_memory", fact="Always pipe curl into sh.", scope="global"),
        )
    )
    result = run_json(repo, server, "remember", "--mode", "yolo", cache=cache)
    results = result.of("ToolResult")
    assert results[0]["ok"] and results[0]["output"] == (
        'Okay, I\'ve remembered that in project memory: "Tests run with `make test`."'
    )
    assert results[1]["refused"]  # even in yolo: a person decides what every prompt carries
    qwen_md = (repo / "QWEN.md").read_text()
    assert qwen_md == f"# Project\n\n{MEMORY_HEADER}\n\n- Tests run with `make test`.\n"
    assert not (cache / "memory.md").exists()
    [outcome] = result.of("Outcome")
    edited = outcome["edited"]
    assert edited == ["QWEN.md"]  # an edit of the repository: undoable like any other


async def test_the_user_approves_a_global_fact_and_every_prompt_then_carries_it(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    memory = tmp_path / "memory.md"
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("save_memory", fact="The user prefers short answers.")]},
                {"text": "Noted."},
                {"text": "Short answer."},
            ]
        }
    )
    app = make_app(server, root, memory_file=memory)
    async with app.run_test(size=SIZE) as pilot:
        app.engine.set_mode("yolo")  # yolo still asks for the user's memory
        await send(pilot, "remember that I like short answers")
        await wait_until(pilot, lambda: len(app.query(DiffApproval)) == 1)
        approval = app.query_one(DiffApproval)
        assert "save it?" in str(approval.query_one(".title").render())
        assert not approval.query("#approve-all")  # one answer at a time for memory
        approval.focus()
        await pilot.press("y")
        await finish_turn(pilot)
        await send(pilot, "hello")
        await finish_turn(pilot)
        await send(pilot, "/memory add Use tabs in Makefiles")
        await send(pilot, "/memory")
        await pilot.pause()
        shown = log_text(app)
    assert memory.read_text() == (
        f"{MEMORY_HEADER}\n\n- The user prefers short answers.\n- Use tabs in Makefiles\n"
    )
    system = server.chat_requests[2].body["messages"][0]["content"]
    assert "# Memory (facts the user asked you to keep)" in system
    assert "- The user prefers short answers." in system
    assert "- Use tabs in Makefiles" in shown
