"""todo_write: the model's task list, checked as Qwen Code checks it, kept by the conversation
across turns and resumes, and shown live in the chat above the prompt."""

from __future__ import annotations

import pytest

from assistant.agent.conversation import Conversation, last_todo_list
from assistant.testing import call, settings_for
from assistant.tools.base import TodoItem, ToolError
from assistant.tools.todo import parse_todos
from tests.test_tui_app import SIZE, finish_turn, make_app, make_project, send
from tui.widgets.todo_list import TodoList


def todo(id_: str, content: str, status: str = "pending") -> dict[str, str]:
    return {"id": id_, "content": content, "status": status}


@pytest.mark.parametrize(
    ("todos", "message"),
    [
        ("write tests", 'Parameter "todos" must be an array.'),
        ([todo("1", "a"), todo("1", "b")], "Todo IDs must be unique within the array."),
        ([todo("1", "a", "done")], 'Each todo must have a valid "status"'),
        ([todo("", "a")], 'Each todo must have a non-empty "id" string.'),
        ([{"id": "1", "status": "pending"}], 'Each todo must have a non-empty "content" string.'),
    ],
)
def test_a_malformed_list_gets_qwen_codes_message(todos, message):
    with pytest.raises(ToolError, match=message.replace("(", r"\(")):
        parse_todos(todos)


def test_numeric_ids_from_small_models_are_taken_as_strings():
    assert parse_todos([{"id": 1, "content": "x", "status": "pending"}]) == [
        TodoItem("1", "x", "pending")
    ]


def test_a_resumed_session_gets_its_last_valid_list_back(tmp_path):
    history = [
        {"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function",
             "function": {"name": "todo_write", "arguments": '{"todos": [{"id": "1", '
                          '"content": "first plan", "status": "completed"}]}'}}]},
        {"role": "tool", "tool_call_id": "a", "content": "ok"},
        {"role": "assistant", "tool_calls": [
            {"id": "b", "type": "function",
             "function": {"name": "todo_write", "arguments": '{"todos": "broken"}'}}]},
    ]  # fmt: skip
    assert last_todo_list(history) == [TodoItem("1", "first plan", "completed")]
    conversation = Conversation(tmp_path, settings_for("http://127.0.0.1:9/v1"), saved=False)
    conversation.todos.append(TodoItem("9", "stale", "pending"))
    conversation.clear()
    assert conversation.todos == []


async def test_the_chat_shows_the_list_live_and_keeps_it_for_the_next_turn(
    scripted_server, tmp_path
):
    root = make_project(tmp_path)
    plan = [todo("1", "Read add", "in_progress"), todo("2", "Fix add")]
    finished = [{**t, "status": "completed"} for t in plan]
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("todo_write", todos=plan)]},
                {"text": "Planned."},
                {"tool_calls": [call("todo_write", todos=finished)]},
                {"text": "Done."},
            ]
        }
    )
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        checklist = app.query_one(TodoList)
        assert not checklist.display  # nothing planned yet: no room taken
        await send(pilot, "fix add")
        await finish_turn(pilot)
        assert checklist.display
        assert str(checklist.render()).splitlines() == ["Todo 0/2", "◐ Read add", "☐ Fix add"]
        await send(pilot, "go on")
        await finish_turn(pilot)
        assert str(checklist.render()).splitlines() == ["Todo 2/2", "☑ Read add", "☑ Fix add"]
        await send(pilot, "/clear")
        await pilot.pause()
        assert not checklist.display and app.engine.conversation.todos == []
    reminder = server.chat_requests[1].body["messages"][-1]["content"]
    assert "Todos have been modified successfully" in reminder and "Read add" in reminder
