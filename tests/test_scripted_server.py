"""The scripted server speaks the OpenAI API to the real openai client, faults included."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest

from assistant.errors import ConfigError
from assistant.testing import Script, load_script

ROOT = Path(__file__).resolve().parents[1]
HI = [{"role": "user", "content": "hi"}]


def client(server, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0, **kwargs)


def test_models_are_listed(scripted_server):
    server = scripted_server({"models": ["a", "b"]})
    assert [m.id for m in client(server).models.list().data] == ["a", "b"]


def test_streamed_chat_reassembles_and_reports_usage(scripted_server):
    server = scripted_server({"turns": [{"text": "one two three", "chunk_size": 3}]})
    stream = client(server).chat.completions.create(
        model="qwen3-coder-plus", messages=HI, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert chunks[-1].usage.total_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_tool_call_arguments_stream_in_pieces(scripted_server):
    args = {"path": "src/app.py", "limit": 20}
    server = scripted_server(
        {"turns": [{"tool_calls": [{"name": "read_file", "arguments": args}]}]}
    )
    stream = client(server).chat.completions.create(
        model="qwen3-coder-plus", messages=HI, stream=True
    )
    pieces = [
        c.choices[0].delta.tool_calls[0].function.arguments
        for c in stream
        if c.choices
        and c.choices[0].delta.tool_calls
        and c.choices[0].delta.tool_calls[0].function.arguments
    ]
    assert len(pieces) > 2
    assert json.loads("".join(pieces)) == args


def test_xml_format_puts_qwen_tool_call_text_in_content(scripted_server):
    call = {"name": "read_file", "arguments": {"path": "a.py"}}
    server = scripted_server({"turns": [{"tool_calls": [call], "tool_call_format": "xml"}]})
    reply = client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    message = reply.choices[0].message
    assert message.tool_calls is None
    assert message.content == (
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.py\n</parameter>\n"
        "</function>\n</tool_call>"
    )


def test_requests_are_recorded_with_their_bodies(scripted_server):
    server = scripted_server({"turns": [{"text": "x"}]})
    tools = [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]
    client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI, tools=tools)
    (record,) = server.chat_requests
    assert record.body["messages"] == HI
    assert record.body["tools"] == tools
    assert record.headers["authorization"] == "Bearer k"
    assert record.status == 200 and record.finished and not record.disconnected


def test_429_carries_retry_after(scripted_server):
    server = scripted_server(
        {"turns": [{"fault": {"kind": "status", "status": 429, "retry_after": 2}}]}
    )
    with pytest.raises(openai.RateLimitError) as caught:
        client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    assert caught.value.response.headers["retry-after"] == "2"


def test_500_fault_then_next_turn(scripted_server):
    server = scripted_server(
        {"turns": [{"fault": {"kind": "status", "status": 500}}, {"text": "ok"}]}
    )
    with pytest.raises(openai.InternalServerError):
        client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    reply = client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    assert reply.choices[0].message.content == "ok"


def test_drop_mid_stream_breaks_the_client_stream(scripted_server):
    server = scripted_server(
        {
            "turns": [
                {
                    "text": "abcdefghij",
                    "chunk_size": 2,
                    "fault": {"kind": "drop", "after_chunks": 3},
                }
            ]
        }
    )
    stream = client(server).chat.completions.create(
        model="qwen3-coder-plus", messages=HI, stream=True
    )
    received = []
    with pytest.raises((openai.APIConnectionError, httpx.RemoteProtocolError)):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3
    assert server.requests[0].disconnected


def test_malformed_arguments_are_not_json(scripted_server):
    call = {"name": "read_file", "arguments": {"path": "a.py"}}
    server = scripted_server(
        {"turns": [{"tool_calls": [call], "fault": {"kind": "malformed_arguments"}}]}
    )
    reply = client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.choices[0].message.tool_calls[0].function.arguments)


def test_delay_fault_delays_the_answer(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "late", "fault": {"kind": "delay", "seconds": 0.5}}]}
    )
    with pytest.raises(openai.APITimeoutError):
        client(server, timeout=0.1).chat.completions.create(model="qwen3-coder-plus", messages=HI)


def test_wrong_api_key_gets_401(scripted_server):
    server = scripted_server({"api_key": "secret", "turns": [{"text": "x"}]})
    with pytest.raises(openai.AuthenticationError):
        client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)


def test_unknown_model_gets_404(scripted_server):
    server = scripted_server({"turns": [{"text": "x"}]})
    with pytest.raises(openai.NotFoundError):
        client(server).chat.completions.create(model="gpt-nope", messages=HI)


def test_context_window_gets_400(scripted_server):
    server = scripted_server({"context_window": 10, "turns": [{"text": "x"}]})
    with pytest.raises(openai.BadRequestError) as caught:
        client(server).chat.completions.create(
            model="qwen3-coder-plus", messages=[{"role": "user", "content": "x" * 200}]
        )
    assert caught.value.code == "context_length_exceeded"


def test_exhausted_script_answers_500_unless_a_default_turn_is_set(scripted_server):
    server = scripted_server({})
    with pytest.raises(openai.InternalServerError, match="script exhausted"):
        client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    server = scripted_server({"default_turn": {"text": "again"}})
    for _ in range(2):
        reply = client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
        assert reply.choices[0].message.content == "again"


def test_completions_streamed_and_not(scripted_server):
    server = scripted_server(
        {"completions": [{"text": "return 1"}, {"text": "return 2", "chunk_size": 2}]}
    )
    whole = client(server).completions.create(
        model="qwen3-coder-plus", prompt="def f():", max_tokens=8
    )
    assert whole.choices[0].text == "return 1"
    stream = client(server).completions.create(model="qwen3-coder-plus", prompt="x", stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices) == "return 2"


def test_many_concurrent_requests_are_all_answered(scripted_server):
    server = scripted_server(
        {"default_turn": {"text": "ok", "fault": {"kind": "delay", "seconds": 0.2}}}
    )
    api = client(server)

    def ask(_: int) -> str:
        return (
            api.chat.completions.create(model="qwen3-coder-plus", messages=HI)
            .choices[0]
            .message.content
        )

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(16)))
    assert answers == ["ok"] * 16


def test_turns_can_be_added_while_running(scripted_server):
    server = scripted_server({})
    server.add_turns([{"text": "added"}])
    reply = client(server).chat.completions.create(model="qwen3-coder-plus", messages=HI)
    assert reply.choices[0].message.content == "added"


def test_example_scripts_load():
    for path in sorted((ROOT / "examples" / "scripts").iterdir()):
        assert isinstance(load_script(path), Script)


def test_bad_script_is_a_clear_config_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("turns:\n  - txet: typo\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_script(path)


def test_serve_script_command_prints_a_working_base_url():
    script = ROOT / "examples" / "scripts" / "hello.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve-script", str(script), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        reply = openai.OpenAI(
            base_url=base_url, api_key="k", max_retries=0
        ).chat.completions.create(model="qwen3-coder-plus", messages=HI)
        assert "scripted model" in reply.choices[0].message.content
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_matched_turns_answer_only_requests_that_contain_their_text(scripted_server):
    server = scripted_server(
        {"turns": [{"match": "about b.py", "text": "B"}, {"match": "about a.py", "text": "A"}]}
    )
    api = client(server)

    def ask(topic: str) -> str:
        messages = [{"role": "user", "content": f"about {topic}"}]
        reply = api.chat.completions.create(model="qwen3-coder-plus", messages=messages)
        return reply.choices[0].message.content

    assert ask("a.py") == "A"
    assert ask("b.py") == "B"


def test_endless_fault_streams_until_the_client_hangs_up(scripted_server):
    server = scripted_server({"turns": [{"text": "ab", "fault": {"kind": "endless"}}]})
    stream = client(server).chat.completions.create(
        model="qwen3-coder-plus", messages=HI, stream=True
    )
    texts = []
    for chunk in stream:
        texts.append(chunk.choices[0].delta.content or "")
        assert chunk.choices[0].finish_reason is None
        if len(texts) > 500:
            break
    stream.close()
    record = server.wait_for_finish(0)
    assert record.disconnected and record.chunks > 500
    assert "".join(texts).startswith("abababab")


def test_endless_arguments_stream_one_tool_call_that_never_ends(scripted_server):
    call = {"name": "write_file", "arguments": {}}
    fault = {"kind": "endless", "channel": "arguments"}
    server = scripted_server({"turns": [{"tool_calls": [call], "fault": fault}]})
    stream = client(server).chat.completions.create(
        model="qwen3-coder-plus", messages=HI, stream=True
    )
    deltas = []
    for chunk in stream:
        deltas.extend(chunk.choices[0].delta.tool_calls or ())
        if len(deltas) > 50:
            break
    stream.close()
    assert deltas[0].function.name == "write_file"
    assert {d.index for d in deltas} == {0} and all(d.function.arguments for d in deltas[1:])


def test_cut_fault_ends_the_stream_with_no_finish_reason_and_no_done(scripted_server):
    cut = {"text": "abcdefghij", "chunk_size": 2, "fault": {"kind": "cut", "after_chunks": 3}}
    server = scripted_server({"turns": [cut, {"text": "abcdefghij", "fault": {"kind": "cut"}}]})
    with httpx.Client() as http:
        body = {"model": "qwen3-coder-plus", "messages": HI, "stream": True}
        first = http.post(f"{server.base_url}/chat/completions", json=body).text
        whole = http.post(f"{server.base_url}/chat/completions", json=body).text
    events = [json.loads(line[6:]) for line in first.splitlines() if line.startswith("data: ")]
    assert len(events) == 3 and "[DONE]" not in first
    assert all(e["choices"][0]["finish_reason"] is None for e in events)
    assert '"finish_reason": "stop"' not in whole and "[DONE]" not in whole
    assert (
        "".join(
            json.loads(line[6:])["choices"][0]["delta"].get("content", "")
            for line in whole.splitlines()
            if line.startswith("data: ")
        )
        == "abcdefghij"
    )
    assert server.wait_for_finish(1).status == 200


def test_non_streamed_cut_body_is_not_json(scripted_server):
    server = scripted_server({"turns": [{"text": "hello", "fault": {"kind": "cut"}}]})
    with httpx.Client() as http:
        body = {"model": "qwen3-coder-plus", "messages": HI}
        reply = http.post(f"{server.base_url}/chat/completions", json=body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.text)
    assert reply.text.startswith('{"id": "chatcmpl-scripted"')


def test_new_fault_kinds_load_from_yaml(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(
        "turns:\n"
        "  - fault: {kind: endless, channel: reasoning}\n"
        "    chunk_delay: 0.01\n"
        "  - text: half a sen\n"
        "    fault: {kind: cut, after_chunks: 2}\n"
    )
    script = load_script(path)
    assert script.turns[0].fault.kind == "endless" and script.turns[0].fault.channel == "reasoning"
    assert script.turns[1].fault.kind == "cut" and script.turns[1].fault.after_chunks == 2


@pytest.mark.parametrize(
    "fault", ["{kind: endless, channel: telepathy}", "{kind: cut, after: 2}", "{kind: forever}"]
)
def test_bad_fault_is_a_clear_config_error(tmp_path, fault):
    path = tmp_path / "bad.yaml"
    path.write_text(f"turns:\n  - fault: {fault}\n")
    with pytest.raises(ConfigError, match="fault"):
        load_script(path)
