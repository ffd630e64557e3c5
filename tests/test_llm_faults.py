"""Faults from the endpoint: each retried or turned into one clear error; cancellation."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from assistant.errors import (
    AuthenticationFailed,
    ContextTooLong,
    EndpointUnreachable,
    ModelNotFound,
    RateLimited,
    ServerFailed,
)
from assistant.llm import ChatResult, ModelClient, RetryPolicy, StreamRestarted, TextDelta
from assistant.testing import settings_for
from tests.llm_support import HI, cancel_after


async def test_429_is_retried_after_the_retry_after_header(scripted_server, fast_retry):
    server = scripted_server(
        {
            "turns": [
                {"fault": {"kind": "status", "status": 429, "retry_after": 0.3}},
                {"text": "ok"},
            ]
        }
    )
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        started = time.monotonic()
        result = await client.chat(HI)
        waited = time.monotonic() - started
    assert result.text == "ok"
    assert [r.status for r in server.chat_requests] == [429, 200]
    # The policy's own backoff is 10 ms; only Retry-After explains a wait this long.
    assert waited >= 0.25


async def test_500_is_retried_then_answered(scripted_server, fast_retry):
    server = scripted_server(
        {"turns": [{"fault": {"kind": "status", "status": 500}}, {"text": "recovered"}]}
    )
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        result = await client.chat(HI)
    assert result.text == "recovered"
    assert [r.status for r in server.chat_requests] == [500, 200]


async def test_persistent_500_ends_in_one_clear_error(scripted_server, fast_retry):
    fault = {"fault": {"kind": "status", "status": 503}}
    server = scripted_server({"turns": [fault] * 4})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ServerFailed) as caught:
            await client.chat(HI)
    assert "503" in str(caught.value)
    assert len(server.chat_requests) == 4  # the first try and three retries


async def test_persistent_429_ends_in_rate_limited(scripted_server, fast_retry):
    fault = {"fault": {"kind": "status", "status": 429, "retry_after": 0.01}}
    server = scripted_server({"turns": [fault] * 4})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(RateLimited):
            await client.chat(HI)


async def test_connection_dropped_mid_stream_restarts_the_answer(scripted_server, fast_retry):
    turns = [
        {
            "text": "partial answer that is cut",
            "chunk_size": 4,
            "fault": {"kind": "drop", "after_chunks": 3},
        },
        {"text": "whole answer"},
    ]
    server = scripted_server({"turns": turns})
    events = []
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        async for event in client.stream_chat(HI):
            events.append(event)
    restart = next(i for i, e in enumerate(events) if isinstance(e, StreamRestarted))
    after = "".join(e.text for e in events[restart:] if isinstance(e, TextDelta))
    assert after == "whole answer"
    assert isinstance(events[-1], ChatResult) and events[-1].text == "whole answer"
    assert server.chat_requests[0].disconnected


async def test_drop_on_every_try_ends_in_server_failed(scripted_server, fast_retry):
    drop = {"text": "abc", "fault": {"kind": "drop", "after_chunks": 1}}
    server = scripted_server({"turns": [drop] * 4})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ServerFailed) as caught:
            await client.chat(HI)
    assert "dropped" in str(caught.value)


async def test_delay_fault_still_answers(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "late", "fault": {"kind": "delay", "seconds": 0.2}}]}
    )
    async with ModelClient(settings_for(server.base_url)) as client:
        assert (await client.chat(HI)).text == "late"


async def test_timeout_is_a_clear_error(scripted_server):
    server = scripted_server({"turns": [{"text": "x", "fault": {"kind": "delay", "seconds": 2}}]})
    settings = settings_for(server.base_url, request_timeout=0.3)
    async with ModelClient(settings, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(ServerFailed, match=r"did not answer in time|dropped"):
            await client.chat(HI)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_endpoint_is_one_clear_error(fast_retry):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    async with ModelClient(settings_for(url), retry=fast_retry) as client:
        with pytest.raises(EndpointUnreachable) as caught:
            await client.chat(HI)
    assert url in caught.value.one_line()
    assert "\n" not in caught.value.one_line()


async def test_bad_api_key_is_authentication_failed(scripted_server, fast_retry):
    server = scripted_server({"api_key": "right-key", "turns": [{"text": "x"}]})
    async with ModelClient(
        settings_for(server.base_url, api_key="wrong"), retry=fast_retry
    ) as client:
        with pytest.raises(AuthenticationFailed, match="rejected the API key"):
            await client.chat(HI)
    assert len(server.chat_requests) == 1  # never retried


async def test_unknown_model_is_model_not_found(scripted_server, fast_retry):
    server = scripted_server({"turns": [{"text": "x"}]})
    async with ModelClient(settings_for(server.base_url, model="nope"), retry=fast_retry) as client:
        with pytest.raises(ModelNotFound, match="'nope'"):
            await client.chat(HI)


async def test_context_too_long_is_reported(scripted_server, fast_retry):
    server = scripted_server({"context_window": 50, "turns": [{"text": "x"}]})
    long = [{"role": "user", "content": "word " * 500}]
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ContextTooLong, match="context window"):
            await client.chat(long)


async def test_cancelling_mid_stream_closes_the_http_stream(scripted_server):
    server = scripted_server({"turns": [{"text": "x" * 400, "chunk_size": 1, "chunk_delay": 0.02}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        received = await cancel_after(client.stream_chat(HI), 5)
        record = await asyncio.to_thread(server.wait_for_finish, 0, 5.0)
    assert record.disconnected
    assert len(received) < 100
