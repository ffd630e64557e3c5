"""Real transport against llama.cpp's server running the packaged demo model.

The model is a 270M base model: these tests check the plumbing (streaming, stops, usage,
forced tool calls, cancellation, process clean-up), never the quality of its answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from assistant.config import Settings
from assistant.llm import ModelClient
from assistant.llm.connect import connect_model
from assistant.llm.doctor import ECHO_TOOL
from assistant.llm.local import DEMO_ALIAS, DEMO_MODEL_NOTICE, LocalModelServer, server_for
from tests.llm_support import cancel_after, chat_pieces

pytestmark = pytest.mark.local_model


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("assistant-cache")


@pytest.fixture(scope="session")
def local_server(cache_dir: Path) -> Iterator[LocalModelServer]:
    server, is_demo = server_for("", cache_dir, n_ctx=2048)
    assert is_demo
    with server:
        yield server


def settings_for_local(server: LocalModelServer) -> Settings:
    return Settings(
        profile="test-local", base_url=server.base_url, api_key="local", model=DEMO_ALIAS,
        max_output_tokens=32, temperature=0.0,
    )  # fmt: skip


def openai_client(server: LocalModelServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="local", max_retries=0)


async def test_streamed_chat_arrives_in_several_deltas(local_server):
    async with ModelClient(settings_for_local(local_server)) as client:
        deltas, result = await chat_pieces(client, [{"role": "user", "content": "Count to five."}])
    assert len(deltas) >= 3
    assert result.text == "".join(deltas)
    assert result.finish_reason in ("stop", "length")


async def test_usage_figures_are_reported(local_server):
    async with ModelClient(settings_for_local(local_server)) as client:
        result = await client.chat_once([{"role": "user", "content": "Say hello."}], max_tokens=8)
        streamed = await client.chat([{"role": "user", "content": "Say hello."}], max_tokens=8)
    assert not result.usage.estimated
    assert result.usage.prompt_tokens > 0
    assert 0 < result.usage.completion_tokens <= 8
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    # llama.cpp's server ignores stream_options.include_usage: the client estimates, and says so.
    assert streamed.usage.estimated
    assert streamed.usage.prompt_tokens > 0


async def test_fim_completion_stops_at_a_stop_sequence(local_server):
    # The demo model is no FIM model: it repeats the prefix, which is enough to hit the stop.
    async with ModelClient(settings_for_local(local_server)) as client:
        result = await client.complete_fim(
            "1, 2, 3, 4, 5, 6, 7, 8,", "", max_tokens=40, stop=[" 5"]
        )
    assert result.finish_reason == "stop"  # read from the stream's last chunk: not a cut answer
    assert result.text.startswith("1, 2") and " 5" not in result.text
    assert result.usage.completion_tokens < 40


async def test_forced_tool_call_is_parsed_into_our_objects(local_server):
    choice = {"type": "function", "function": {"name": "echo"}}
    async with ModelClient(settings_for_local(local_server)) as client:
        result = await client.chat_once(
            [{"role": "user", "content": "Call echo with the word ready."}],
            [ECHO_TOOL],
            tool_choice=choice,
            max_tokens=64,
        )
    assert result.tool_call_errors == ()
    (call,) = result.tool_calls
    assert call.name == "echo"
    assert isinstance(call.arguments, dict)


async def test_cancelling_mid_stream_frees_the_server(local_server):
    settings = dataclasses.replace(settings_for_local(local_server), max_output_tokens=400)
    async with ModelClient(settings) as client:
        story = client.stream_chat([{"role": "user", "content": "Tell a story."}])
        seen = await cancel_after(story, 3, timeout=60)
        # llama.cpp serves one request at a time: this answers only if the old stream closed.
        quick = await asyncio.wait_for(
            client.chat([{"role": "user", "content": "Hi"}], max_tokens=4), 30
        )
    assert quick.usage.completion_tokens <= 4
    assert len(seen) < 400


async def test_the_local_profile_starts_and_stops_the_server(cache_dir):
    notices = []
    settings = Settings(profile="local", cache_dir=cache_dir, context_window=1024)
    async with connect_model(settings, notice=notices.append) as client:
        assert client.model == DEMO_ALIAS
        assert (await client.list_models()) == [DEMO_ALIAS]
        port = int(client.settings.base_url.rsplit(":", 1)[1].split("/")[0])
    assert notices == [DEMO_MODEL_NOTICE]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_stop_ends_the_process_and_frees_the_port(cache_dir):
    server, _ = server_for("", cache_dir, n_ctx=512)
    server.start()
    process = server.process
    assert process is not None and process.poll() is None
    server.stop()
    assert process.poll() is not None
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0


def test_a_missing_gguf_is_a_clear_error(tmp_path):
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        LocalModelServer(tmp_path / "nope.gguf", alias="x").start()


async def test_raw_openai_client_streams_from_the_local_server(local_server):
    client = openai_client(local_server)
    stream = await client.chat.completions.create(
        model=DEMO_ALIAS, messages=[{"role": "user", "content": "Hi"}], max_tokens=8, stream=True
    )
    chunks = [chunk async for chunk in stream]
    await client.close()
    assert any(c.choices and c.choices[0].delta.content for c in chunks)
