"""The model client against the scripted server: streaming, tool calls, XML calls, usage."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.llm import ChatResult, ModelClient, ToolCall, ToolCallError
from assistant.testing import call, settings_for
from tests.llm_support import chat_pieces

READ_FILE_TOOL = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file",
        "parameters": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "start_line": {"type": "integer"},
                "whole": {"type": "boolean"},
                "ranges": {"type": "array"},
            },
            "required": ["path"],
        },
    },
}


async def collect(client: ModelClient, **kwargs: Any) -> tuple[str, ChatResult]:
    pieces, result = await chat_pieces(client, **kwargs)
    return "".join(pieces), result


async def test_streamed_text_arrives_in_pieces_and_reassembles(scripted_server):
    server = scripted_server({"turns": [{"text": "Hello, streaming world!", "chunk_size": 4}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        pieces, result = await chat_pieces(client)
    assert len(pieces) >= 5
    assert "".join(pieces) == "Hello, streaming world!"
    assert result.text == "Hello, streaming world!"
    assert result.finish_reason == "stop"


async def test_usage_figures_are_collected(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "ok", "usage": {"prompt_tokens": 120, "completion_tokens": 7}}]}
    )
    async with ModelClient(settings_for(server.base_url)) as client:
        _, result = await collect(client)
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (120, 7)
    assert result.usage.total_tokens == 127
    assert not result.usage.estimated
    assert server.chat_requests[0].body["stream_options"] == {"include_usage": True}


async def test_one_tool_call_split_across_chunks_is_assembled(scripted_server):
    args = {"path": "inventory/orders.py", "start_line": 10}
    server = scripted_server(
        {"chunk_size": 2, "turns": [{"tool_calls": [call("read_file", **args)]}]}
    )
    async with ModelClient(settings_for(server.base_url)) as client:
        _, result = await collect(client, tools=[READ_FILE_TOOL])
    assert result.tool_calls == (
        ToolCall("call_0_read_file", "read_file", args, result.tool_calls[0].raw_arguments),
    )
    assert result.finish_reason == "tool_calls"
    assert server.chat_requests[0].body["tools"] == [READ_FILE_TOOL]


async def test_several_tool_calls_in_one_turn_keep_their_order(scripted_server):
    calls = [
        call("read_file", path="a.py"),
        call("read_file", path="b.py"),
        call("search_code", query="reserve stock"),
    ]
    server = scripted_server(
        {"chunk_size": 3, "turns": [{"text": "Looking.", "tool_calls": calls}]}
    )
    async with ModelClient(settings_for(server.base_url)) as client:
        text, result = await collect(client)
    assert text == "Looking."
    assert [(c.name, c.arguments) for c in result.tool_calls] == [
        (c["name"], c["arguments"]) for c in calls
    ]
    assert len({c.id for c in result.tool_calls}) == 3


async def test_xml_tool_calls_in_content_become_tool_calls_and_stay_hidden(scripted_server):
    read = call("read_file", path="a.py", start_line=3, whole=True)
    turn = {"text": "I will read it.", "tool_calls": [read], "tool_call_format": "xml"}
    server = scripted_server({"chunk_size": 5, "turns": [turn]})
    async with ModelClient(settings_for(server.base_url)) as client:
        text, result = await collect(client, tools=[READ_FILE_TOOL])
    assert "<tool_call>" not in text and "<function" not in text
    assert text.strip() == "I will read it."
    assert result.text == "I will read it."
    assert [(c.name, c.arguments) for c in result.tool_calls] == [
        ("read_file", {"path": "a.py", "start_line": 3, "whole": True})
    ]
    assert result.finish_reason == "tool_calls"


async def test_malformed_tool_arguments_become_an_error_for_the_model(scripted_server):
    answers = [
        {"tool_calls": [call("read_file", path="a.py")], "fault": {"kind": "malformed_arguments"}},
        {"text": "second turn still works"},
    ]
    server = scripted_server({"turns": answers})
    async with ModelClient(settings_for(server.base_url)) as client:
        _, first = await collect(client)
        _, second = await collect(client)
    assert first.tool_calls == ()
    (error,) = first.tool_call_errors
    assert isinstance(error, ToolCallError)
    assert error.name == "read_file"
    assert "not valid JSON" in error.message
    assert first.to_message()["tool_calls"][0]["function"]["arguments"] == error.raw_arguments
    assert second.text == "second turn still works"


async def test_non_streamed_chat_parses_tool_calls(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "ok", "tool_calls": [call("read_file", path="x.py")]}]}
    )
    async with ModelClient(settings_for(server.base_url)) as client:
        result = await client.chat_once([{"role": "user", "content": "hi"}], [READ_FILE_TOOL])
    assert result.tool_calls[0].arguments == {"path": "x.py"}
    assert server.chat_requests[0].stream is False


@pytest.mark.parametrize("text", ["plain answer", ""])
async def test_chat_returns_the_final_result(scripted_server, text):
    server = scripted_server({"turns": [{"text": text}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        result = await client.chat([{"role": "user", "content": "hi"}])
    assert result.text == text
