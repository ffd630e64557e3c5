"""Bounds on every model reply: time and size caps, max_tokens on our side, cut streams."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from assistant.errors import ServerFailed
from assistant.llm import (
    ChatResult,
    ModelClient,
    ReplyCut,
    ReplyTimedOut,
    ReplyTooLong,
    RetryPolicy,
    StreamRestarted,
    TextDelta,
)
from assistant.testing import call, settings_for
from assistant.testing.server import RecordedRequest
from tests.llm_support import HI, cancel_after


async def drain(client: ModelClient, **options: Any) -> list[object]:
    return [event async for event in client.stream_chat(HI, **options)]


async def finished(server, index: int = 0):
    return await asyncio.to_thread(server.wait_for_finish, index, 5.0)


def endless(channel: str = "content", **turn: object) -> dict:
    return {**turn, "fault": {"kind": "endless", "channel": channel}}


async def hung_up_on(
    server,
    error: type[Exception],
    call: Callable[[ModelClient], Awaitable[object]],
    retry: RetryPolicy,
    **settings: object,
) -> RecordedRequest:
    """Expect `call` to fail with `error`; check the client hung up; return the request."""
    async with ModelClient(settings_for(server.base_url, **settings), retry=retry) as client:
        with pytest.raises(error):
            await call(client)
        record = await finished(server)
    assert record.disconnected
    return record


def chat(client: ModelClient) -> Awaitable[object]:
    return client.chat(HI)


def chat_once(client: ModelClient) -> Awaitable[object]:
    return client.chat_once(HI)


async def test_endless_stream_stops_at_the_time_cap(scripted_server, fast_retry):
    server = scripted_server({"turns": [endless(chunk_delay=0.01, chunk_size=4)]})
    settings = settings_for(server.base_url, max_reply_seconds=0.5)
    texts: list[str] = []
    async with ModelClient(settings, retry=fast_retry) as client:
        started = time.monotonic()
        with pytest.raises(ReplyTimedOut, match=r"longer than 0\.5s \(max_reply_seconds\)"):
            async for event in client.stream_chat(HI):
                if isinstance(event, TextDelta):
                    texts.append(event.text)
        elapsed = time.monotonic() - started
        record = await finished(server)
    assert 0.5 <= elapsed < 2.0
    assert texts, "the text streamed before the cap was shown"
    assert record.disconnected
    assert len(server.chat_requests) == 1  # a reply past a cap is never retried


async def test_endless_stream_stops_at_the_size_cap(scripted_server, fast_retry):
    server = scripted_server({"turns": [endless(chunk_size=64)]})
    settings = settings_for(server.base_url, max_reply_chars=20_000)
    shown = 0
    async with ModelClient(settings, retry=fast_retry) as client:
        with pytest.raises(ReplyTooLong, match="passed 20000 characters") as caught:
            async for event in client.stream_chat(HI):
                shown += len(event.text) if isinstance(event, TextDelta) else 0
        record = await finished(server)
    assert 19_000 < shown <= 20_000
    assert "max_reply_chars" in caught.value.one_line()
    assert record.disconnected
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize("channel", ["arguments", "reasoning"])
async def test_endless_arguments_and_reasoning_count_against_the_size_cap(
    scripted_server, fast_retry, channel
):
    server = scripted_server({"turns": [endless(channel, chunk_size=64)]})
    record = await hung_up_on(server, ReplyTooLong, chat, fast_retry, max_reply_chars=20_000)
    assert record.chunks >= 20_000 // 64


async def test_endless_empty_chunks_stop_at_the_time_cap(scripted_server, fast_retry):
    server = scripted_server({"turns": [endless("empty")]})
    await hung_up_on(server, ReplyTimedOut, chat, fast_retry, max_reply_seconds=0.3)


async def test_a_silent_server_is_cut_off_at_the_time_cap_not_the_read_timeout(scripted_server):
    server = scripted_server({"turns": [{"text": "x", "fault": {"kind": "delay", "seconds": 3}}]})
    settings = settings_for(server.base_url, max_reply_seconds=0.3, request_timeout=10.0)
    async with ModelClient(settings) as client:
        started = time.monotonic()
        with pytest.raises(ReplyTimedOut):
            await client.chat(HI)
    assert time.monotonic() - started < 2.0


async def test_max_tokens_is_enforced_on_our_side(scripted_server, fast_retry):
    server = scripted_server({"turns": [endless(chunk_size=50)]})  # it ignores max_tokens
    shown = 0
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ReplyTooLong, match=r"max_tokens=50 .*ignored the limit"):
            async for event in client.stream_chat(HI, max_tokens=50):
                shown += len(event.text) if isinstance(event, TextDelta) else 0
        record = await finished(server)
    assert server.chat_requests[0].body["max_tokens"] == 50
    assert shown <= 50 * 6 + 512  # a generous estimate of 50 tokens, and no more
    assert record.disconnected  # we stopped reading; the rest was never taken


async def test_a_finite_reply_past_max_tokens_is_refused(scripted_server, fast_retry):
    server = scripted_server({"turns": [{"text": "y" * 5_000, "chunk_size": 50}]})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ReplyTooLong, match="max_tokens=50"):
            await client.chat(HI, max_tokens=50)
    assert len(server.chat_requests) == 1


async def test_a_reply_within_max_tokens_is_whole(scripted_server):
    server = scripted_server({"turns": [{"text": "short answer", "chunk_size": 3}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        result = await client.chat(HI, max_tokens=4)
    assert result.text == "short answer"


async def test_reported_completion_tokens_past_max_tokens_are_refused(scripted_server):
    turn = {"text": "ok", "usage": {"prompt_tokens": 5, "completion_tokens": 900}}
    server = scripted_server({"turns": [turn]})
    async with ModelClient(settings_for(server.base_url)) as client:
        with pytest.raises(ReplyTooLong, match="reported 900 completion tokens"):
            await client.chat(HI, max_tokens=100)


async def test_cut_stream_is_retried_and_the_whole_answer_wins(scripted_server, fast_retry):
    cut = {"text": "half a sen", "chunk_size": 2, "fault": {"kind": "cut", "after_chunks": 4}}
    server = scripted_server({"turns": [cut, {"text": "whole sentence."}]})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        events = await drain(client)
    restart = next(i for i, e in enumerate(events) if isinstance(e, StreamRestarted))
    assert "cut the answer short" in events[restart].reason
    after = "".join(e.text for e in events[restart:] if isinstance(e, TextDelta))
    assert after == "whole sentence."
    assert isinstance(events[-1], ChatResult) and events[-1].text == "whole sentence."
    assert len(server.chat_requests) == 2


async def test_cut_stream_on_every_try_is_a_clear_failure(scripted_server, fast_retry):
    cut = {"text": "Here is half a sen", "fault": {"kind": "cut"}}
    server = scripted_server({"turns": [cut] * 4})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ReplyCut, match="cut the answer short") as caught:
            await client.chat(HI)
    assert isinstance(caught.value, ServerFailed)
    assert "\n" not in caught.value.one_line()
    assert len(server.chat_requests) == 4  # the first try and three retries


async def test_cut_tool_call_is_never_run_as_if_whole(scripted_server):
    rm = call("run_command", command="rm -rf build")
    server = scripted_server({"turns": [{"tool_calls": [rm], "fault": {"kind": "cut"}}]})
    settings = settings_for(server.base_url)
    async with ModelClient(settings, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(ReplyCut):
            await client.chat(HI, tools=[])


async def test_cancelling_an_endless_stream_closes_it_at_once(scripted_server):
    server = scripted_server({"turns": [endless(chunk_delay=0.005)]})
    async with ModelClient(settings_for(server.base_url)) as client:
        await cancel_after(client.stream_chat(HI), 5)
        record = await finished(server)
    assert record.disconnected


async def test_non_streamed_chat_stops_at_the_size_cap(scripted_server, fast_retry):
    server = scripted_server({"turns": [endless(chunk_size=256)]})
    await hung_up_on(server, ReplyTooLong, chat_once, fast_retry, max_reply_chars=10_000)
    assert server.chat_requests[0].stream is False


async def test_non_streamed_chat_stops_at_the_time_cap(scripted_server, fast_retry):
    server = scripted_server({"turns": [endless(chunk_delay=0.01)]})
    await hung_up_on(server, ReplyTimedOut, chat_once, fast_retry, max_reply_seconds=0.4)


async def test_non_streamed_cut_body_is_retried_then_answered(scripted_server, fast_retry):
    server = scripted_server(
        {"turns": [{"text": "half", "fault": {"kind": "cut"}}, {"text": "ok"}]}
    )
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        result = await client.chat_once(HI)
    assert result.text == "ok"
    assert len(server.chat_requests) == 2


async def test_completion_past_max_tokens_is_refused(scripted_server, fast_retry):
    server = scripted_server({"completions": [{"text": "z" * 4_000}]})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        with pytest.raises(ReplyTooLong, match="max_tokens=16"):
            await client.complete_fim("def f():\n    return ", "\n", max_tokens=16)


async def test_endless_fim_completion_stops_at_the_cap(scripted_server, fast_retry):
    server = scripted_server({"completions": [endless(chunk_size=512)]})

    def fill(client: ModelClient) -> Awaitable[object]:
        return client.complete_fim("x = ", "\n", max_tokens=64)

    await hung_up_on(server, ReplyTooLong, fill, fast_retry)
    assert len(server.completion_requests) == 1  # a reply past a cap is never retried


async def test_a_cut_fim_completion_is_retried_and_the_whole_answer_wins(
    scripted_server, fast_retry
):
    cut = {"text": "a + ", "fault": {"kind": "cut"}}
    server = scripted_server({"completions": [cut, {"text": "a + b"}]})
    async with ModelClient(settings_for(server.base_url), retry=fast_retry) as client:
        result = await client.complete_fim("x = ", "\n")
    assert result.text == "a + b" and result.finish_reason == "stop"
    assert len(server.completion_requests) == 2
