"""The chat app driven with Textual's Pilot against the scripted server and a real git repo."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from assistant.testing import ScriptedServer, call, commit_files, edit, settings_for, turns
from tui.app import ChatApp
from tui.engine import ChatEngine
from tui.widgets.assistant_message import AssistantMessage
from tui.widgets.command_approval import CommandApproval
from tui.widgets.diff_approval import DiffApproval
from tui.widgets.prompt_input import PromptInput
from tui.widgets.tool_entry import ToolEntry
from tui.widgets.undo_conflict import UndoConflictDialog

SIZE = (80, 24)
ORIGINAL = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"


def make_project(base: Path) -> Path:
    """Create a small committed git repository named `project` under `base`."""
    root = base / "project"
    commit_files(root, {"app.py": ORIGINAL, "README.md": "# Demo\n"}, "initial")
    return root


def make_app(server: ScriptedServer, root: Path, **changes: object) -> ChatApp:
    """Return a chat app on `root` talking to the scripted server."""
    values: dict[str, object] = {"cache_dir": root.parent / "cache", "max_retries": 0}
    values.update(changes)
    settings = settings_for(server.base_url, **values)
    return ChatApp(ChatEngine(root, settings), index=False)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], steps: int = 1000) -> None:
    """Let the app run until `condition` holds (fails after `steps` short pauses)."""
    for _ in range(steps):
        if condition():
            return
        await pilot.pause(0.02)
    app = pilot.app
    shown = log_text(app) if isinstance(app, ChatApp) else ""
    raise AssertionError(f"the app never reached the expected state; the log shows:\n{shown}")


async def send(pilot: Pilot, text: str) -> None:
    """Type `text` into the prompt and press Enter."""
    prompt = pilot.app.query_one(PromptInput)
    prompt.focus()
    prompt.insert(text)
    await pilot.press("enter")


async def finish_turn(pilot: Pilot) -> None:
    """Wait until the running turn is over."""
    app = pilot.app
    assert isinstance(app, ChatApp)
    await wait_until(pilot, lambda: app.turn is None)
    await pilot.pause()


def log_text(app: ChatApp) -> str:
    """Return the visible text of the log's plain entries and answers."""
    parts = []
    for widget in app.chat_log.children:
        if isinstance(widget, AssistantMessage):
            parts.append(widget.text or widget.source)
        elif isinstance(widget, ToolEntry):
            parts.append(str(widget.title))
        elif isinstance(widget, DiffApproval):
            parts.append(f"approval {widget.request.summary}")
        else:
            parts.append(str(widget.render()))
    return "\n".join(parts)


async def test_a_turn_streams_markdown_and_shows_the_tool_call(scripted_server, tmp_path):
    root = make_project(tmp_path)
    answer = "The function `add` **subtracts**:\n\n```python\nreturn a - b\n```\n"
    server = scripted_server(
        {
            "chunk_size": 4,
            "turns": [
                {"text": "Reading it.", "tool_calls": [call("read_file", path="app.py")]},
                {"text": answer},
            ],
        }
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "what does add do?")
        await finish_turn(pilot)
        answers = [w.text for w in app.query(AssistantMessage)]
        assert answers == ["Reading it.", answer]
        entry = app.query_one(ToolEntry)
        assert str(entry.title).startswith("✓ read_file(path=app.py)")
        assert f"— {ORIGINAL.splitlines()[0]}" in str(entry.title)  # the file's first line
        assert len(app.query("AssistantMessage MarkdownFence")) == 1
    assert all(request.stream for request in server.chat_requests)
    assert server.chat_requests[0].body["messages"][-1]["content"] == "what does add do?"


async def test_an_approved_edit_is_written_and_a_rejected_one_is_not(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        turns(
            call("read_file", path="app.py"),
            edit("app.py", "return a - b", "return a + b"),
            edit("app.py", "def sub(a, b):\n    return a + b", "def sub(a, b): ..."),
            text="Done.",
        )
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "fix add")
        await wait_until(pilot, lambda: len(app.query(DiffApproval)) == 1)
        assert "-    return a - b" in app.query_one(DiffApproval).request.detail
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.query(DiffApproval)) == 2)
        await pilot.press("n")
        await finish_turn(pilot)
        approved, rejected = app.query(DiffApproval)
        assert approved.has_class("approved") and rejected.has_class("rejected")
        assert "refused" in str(app.query(ToolEntry)[-1].title)
        assert app.query(ToolEntry)[-1].has_class("refused")
        assert not app.query(ToolEntry)[-2].has_class("refused")
    expected = ORIGINAL.replace("return a - b", "return a + b", 1)
    assert (root / "app.py").read_text() == expected


async def test_approve_all_applies_the_turns_later_edits_without_asking(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        turns(
            call("read_file", path="app.py"),
            edit("app.py", "return a - b", "return a + b"),
            edit("app.py", "return a + b\n\n\ndef sub", "return a + b\n\n\ndef minus"),
            text="Done.",
        )
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "fix and rename")
        await wait_until(pilot, lambda: len(app.query(DiffApproval)) == 1)
        await pilot.press("a")
        await finish_turn(pilot)
        assert len(app.query(DiffApproval)) == 1
        assert "approved (all this turn)" in log_text(app)
    text = (root / "app.py").read_text()
    assert "return a + b\n\n\ndef minus(a, b)" in text


async def test_undo_restores_the_files_the_last_turn_edited(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        turns(
            call("read_file", path="app.py"),
            edit("app.py", "return a - b", "return a + b"),
            text="Fixed.",
        )
    )
    app = make_app(server, root, permission_mode="auto-edit")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "fix add")
        await finish_turn(pilot)
        assert "return a + b" in (root / "app.py").read_text().split("def sub")[0]
        assert "✎ edited app.py" in log_text(app)
        await send(pilot, "/undo")
        await wait_until(pilot, lambda: "restored app.py" in log_text(app))
    assert (root / "app.py").read_text() == ORIGINAL


async def test_undo_asks_before_reverting_a_file_the_user_changed_since(scripted_server, tmp_path):
    root = make_project(tmp_path)
    script = {
        "turns": [
            {"tool_calls": [call("read_file", path="app.py"), call("read_file", path="README.md")]},
            {"tool_calls": [edit("app.py", "return a - b", "return a + b"),
                            edit("README.md", "# Demo", "# Agent")]},
            {"text": "Fixed."},
        ]
    }  # fmt: skip
    app = make_app(scripted_server(script), root, permission_mode="auto-edit")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "fix add")
        await finish_turn(pilot)
        (root / "app.py").write_text("# the user's own rewrite\n")
        await send(pilot, "/undo")
        await wait_until(pilot, lambda: isinstance(app.screen, UndoConflictDialog))
        assert app.screen.conflict.path == "app.py"
        await pilot.press("k")  # keep the user's version
        await wait_until(pilot, lambda: "kept as you changed them: app.py" in log_text(app))
    assert (root / "app.py").read_text() == "# the user's own rewrite\n"
    assert (root / "README.md").read_text() == "# Demo\n"


async def test_at_completion_inserts_a_path_and_adds_the_file_to_the_context(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "It adds."}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.catalog.files))
        prompt = app.query_one(PromptInput)
        await pilot.press(*"explain @ap")
        menu = app.query_one("#completion")
        await wait_until(pilot, lambda: menu.display)
        assert menu.get_option_at_index(0).id == "app.py"
        await pilot.press("tab")
        assert prompt.text == "explain @app.py "
        assert not menu.display
        await pilot.press("enter")
        await finish_turn(pilot)
        assert app.engine.conversation.context_files == ["app.py"]
        assert "added to the context: app.py" in log_text(app)
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert "# Files in the conversation\n## app.py" in system and "return a - b" in system


async def test_escape_cancels_a_streaming_answer_and_the_chat_goes_on(scripted_server, tmp_path):
    root = make_project(tmp_path)
    long_answer = "word " * 400
    server = scripted_server(
        {"turns": [{"text": long_answer, "chunk_size": 5, "chunk_delay": 0.05}]}
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "talk a lot")
        await wait_until(pilot, lambda: len(app.query(AssistantMessage)) > 0)
        await wait_until(pilot, lambda: len(app.query_one(AssistantMessage).text) > 10)
        await pilot.press("escape")
        await finish_turn(pilot)
        assert "turn cancelled" in log_text(app)
        partial = app.query_one(AssistantMessage).text
        assert 0 < len(partial) < len(long_answer)
        await wait_until(pilot, lambda: server.requests[0].disconnected)
        server.add_turns([{"text": "Short answer."}])
        await send(pilot, "again, briefly")
        await finish_turn(pilot)
        assert app.query(AssistantMessage)[-1].text == "Short answer."


async def test_ctrl_c_cancels_the_turn_and_a_second_ctrl_c_quits(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "slow " * 200, "chunk_delay": 0.05}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "go")
        await wait_until(pilot, lambda: len(app.query(AssistantMessage)) > 0)
        await pilot.press("ctrl+c")
        await finish_turn(pilot)
        assert app.is_running and "turn cancelled" in log_text(app)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_an_endpoint_error_is_shown_and_the_chat_stays_usable(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        {"turns": [{"fault": {"kind": "status", "status": 500}}, {"text": "Back again."}]}
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        errors = [str(w.render()) for w in app.chat_log.query(".error")]
        assert len(errors) == 1 and "500" in errors[0]
        await send(pilot, "hello again")
        await finish_turn(pilot)
        assert app.query(AssistantMessage)[-1].text == "Back again."


async def test_a_command_needs_approval_in_a_modal_and_refusal_reaches_the_model(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    server = scripted_server(
        turns(call("run_command", command="touch made-by-agent"), text="It was refused.")
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "make a file")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandApproval))
        screen = app.screen
        assert str(screen.query_one("#command").render()) == "$ touch made-by-agent"
        assert str(screen.query_one("#cwd").render()) == str(root)
        await pilot.press("n")
        await finish_turn(pilot)
    assert not (root / "made-by-agent").exists()
    assert "refused" in server.chat_requests[1].body["messages"][-1]["content"]


async def test_an_approved_command_runs_in_the_repository(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        turns(call("run_command", command="touch made-by-agent"), text="Made it.")
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "make a file")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandApproval))
        await pilot.press("y")
        await finish_turn(pilot)
        assert str(app.query_one(ToolEntry).title).startswith("✓ run_command")
    assert (root / "made-by-agent").is_file()


async def test_slash_commands_change_mode_list_files_and_report_mistakes(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": []})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/mode yolo")
        await pilot.pause()
        assert app.engine.mode == "yolo" and app.status.mode == "yolo"
        await send(pilot, "/add README.md")
        await send(pilot, "/files")
        await send(pilot, "/frobnicate")
        await send(pilot, "/mode reckless")
        await send(pilot, "/cost")
        await pilot.pause()
        text = log_text(app)
        assert "files in the context:\n  README.md" in text
        assert "unknown command /frobnicate" in text
        assert "unknown mode 'reckless'" in text
        assert "this session: $0.0000; tokens: 0 in, 0 out" in text
        assert "prices: USD per million tokens in/out by input size: ≤32,000: 1/5" in text
        await send(pilot, "/drop")
        await pilot.pause()
        assert app.engine.conversation.context_files == []
        await send(pilot, "/quit")
        await pilot.pause()
        assert not app.is_running


async def test_diff_and_commit_show_and_commit_the_work_tree(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": []})
    app = make_app(server, root)
    (root / "app.py").write_text(ORIGINAL.replace("a - b", "a + b"))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/diff")
        await wait_until(pilot, lambda: "+    return a + b" in log_text(app))
        await send(pilot, "/commit Fix add")
        await wait_until(pilot, lambda: "committed 1 file(s)" in log_text(app))
    subject = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%s"], capture_output=True, text=True
    ).stdout.strip()
    assert subject == "Fix add"


async def test_prompt_history_and_multi_line_entry(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "one"}, {"text": "two"}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        prompt = app.query_one(PromptInput)
        await pilot.press(*"first", "ctrl+j", *"line")
        assert prompt.text == "first\nline"
        await pilot.press("enter")
        await finish_turn(pilot)
        await pilot.press("up")
        assert prompt.text == "first\nline"
        await pilot.press("down")
        assert prompt.text == ""
    assert server.chat_requests[0].body["messages"][-1]["content"] == "first\nline"


async def test_theme_toggles_between_dark_and_light(scripted_server, tmp_path):
    root = make_project(tmp_path)
    app = make_app(scripted_server({"turns": []}), root)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"


async def test_resume_continues_the_last_conversation_in_a_new_app(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "Remembered: blue."}, {"text": "Blue."}]})
    first = make_app(server, root)
    async with first.run_test(size=SIZE) as pilot:
        await send(pilot, "my colour is blue")
        await finish_turn(pilot)
    second = make_app(server, root)
    async with second.run_test(size=SIZE) as pilot:
        await send(pilot, "/resume")
        await wait_until(pilot, lambda: "resumed the last session (2 messages)" in log_text(second))
        assert "my colour is blue" in log_text(second)
        await send(pilot, "what is my colour?")
        await finish_turn(pilot)
    contents = [m["content"] for m in server.chat_requests[1].body["messages"][1:]]
    assert contents == ["my colour is blue", "Remembered: blue.", "what is my colour?"]


async def test_clear_starts_a_new_conversation(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "one"}, {"text": "two"}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first question")
        await finish_turn(pilot)
        await send(pilot, "/clear")
        await wait_until(pilot, lambda: "new conversation" in log_text(app))
        assert "first question" not in log_text(app)
        await send(pilot, "second question")
        await finish_turn(pilot)
    roles = [m["role"] for m in server.chat_requests[1].body["messages"]]
    assert roles == ["system", "user"]


async def test_model_switches_profile_and_the_status_bar_follows(
    scripted_server, tmp_path, monkeypatch
):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ASSISTANT_MODEL", "ASSISTANT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    root = make_project(tmp_path)
    app = make_app(scripted_server({"turns": []}), root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/model vllm")
        await wait_until(pilot, lambda: "now using" in log_text(app))
        assert app.engine.settings.profile == "vllm"
        assert app.status.info.model == app.engine.settings.model != "qwen3-coder-plus"
        await send(pilot, "/model nonsense")
        await wait_until(pilot, lambda: "unknown profile 'nonsense'" in log_text(app))


async def test_page_up_scrolls_the_conversation_from_the_prompt(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "\n\n".join(f"line {n}" for n in range(60))}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "a long answer please")
        await finish_turn(pilot)
        await wait_until(pilot, lambda: app.chat_log.scroll_y == app.chat_log.max_scroll_y > 0)
        bottom = app.chat_log.scroll_y
        await pilot.press("pageup")
        await pilot.pause()
        assert app.chat_log.scroll_y < bottom
        assert app.focused is app.query_one(PromptInput)


async def test_with_the_index_symbols_complete_and_map_and_search_answer(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "ok"}]})
    app = make_app(server, root)
    app.index_on_start = True
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.status.index_state.startswith("index: 2 files"))
        assert app.catalog.symbols == {"add": "app.py", "sub": "app.py"}
        await pilot.press(*"explain @su")
        menu = app.query_one("#completion")
        await wait_until(pilot, lambda: menu.display)
        assert menu.get_option_at_index(0).id == "sub"
        await pilot.press("tab", "enter")
        await finish_turn(pilot)
        assert app.engine.conversation.context_files == ["app.py"]
        await send(pilot, "/search subtract numbers sub")
        await wait_until(pilot, lambda: "app.py  (" in log_text(app))
        await send(pilot, "/map 256")
        await wait_until(pilot, lambda: "def add(a, b)" in log_text(app))


async def test_escape_during_an_edit_approval_cancels_and_leaves_the_file(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", path="app.py")]},
                {"tool_calls": [edit("app.py", "return a - b", "return a + b")]},
            ]
        }
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "fix add")
        await wait_until(pilot, lambda: len(app.query(DiffApproval)) == 1)
        await pilot.press("escape")
        await finish_turn(pilot)
        assert app.query_one(DiffApproval).has_class("rejected")
        assert "turn cancelled" in log_text(app)
        assert app.focused is app.query_one(PromptInput)
    assert (root / "app.py").read_text() == ORIGINAL


async def test_a_tool_title_shows_an_absolute_path_under_the_repository_relative_to_it(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    server = scripted_server(turns(call("read_file", absolute_path=str(root / "app.py"))))
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "read app.py")
        await finish_turn(pilot)
        assert str(app.query_one(ToolEntry).title).startswith("✓ read_file(absolute_path=app.py)")
