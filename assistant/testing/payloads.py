"""OpenAI wire objects for scripted turns: whole responses, stream chunks and Qwen XML calls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from assistant.testing.script import ScriptedToolCall, Turn


def xml_tool_calls(calls: tuple[ScriptedToolCall, ...]) -> str:
    """Render tool calls the way Qwen3-Coder writes them when a server does not parse them."""
    out = []
    for call in calls:
        params = call.arguments if isinstance(call.arguments, dict) else {"_raw": call.arguments}
        body = "".join(
            f"<parameter={key}>\n{_xml_value(value)}\n</parameter>\n"
            for key, value in params.items()
        )
        out.append(f"<tool_call>\n<function={call.name}>\n{body}</function>\n</tool_call>")
    return "\n".join(out)


def _xml_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def turn_content(turn: Turn) -> str:
    """Return the content text of a turn, XML tool calls included when that is its format."""
    if turn.tool_calls and turn.tool_call_format == "xml":
        xml = xml_tool_calls(turn.tool_calls)
        return f"{turn.text}\n{xml}" if turn.text else xml
    return turn.text


def wire_tool_calls(turn: Turn, malformed: bool) -> list[dict[str, Any]]:
    """Return the OpenAI `tool_calls` list of a turn (empty for XML-format turns)."""
    if turn.tool_call_format == "xml":
        return []
    calls = []
    for i, call in enumerate(turn.tool_calls):
        args = call.arguments_json()
        if malformed:
            args = args[: max(1, len(args) // 2)]
        calls.append(
            {
                "id": call.id or f"call_{i}_{call.name}",
                "type": "function",
                "function": {"name": call.name, "arguments": args},
            }
        )
    return calls


def finish_reason(turn: Turn) -> str:
    """Return the turn's finish reason, derived from its tool calls when unset."""
    if turn.finish_reason:
        return turn.finish_reason
    return "tool_calls" if turn.tool_calls and turn.tool_call_format == "openai" else "stop"


def usage(turn: Turn, prompt_chars: int, completion_chars: int) -> dict[str, int]:
    """Return the turn's usage figures, estimated at four characters a token when unset."""
    if turn.usage:
        prompt = int(turn.usage.get("prompt_tokens", 0))
        completion = int(turn.usage.get("completion_tokens", 0))
    else:
        prompt, completion = max(1, prompt_chars // 4), max(1, completion_chars // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def chat_completion(turn: Turn, model: str, prompt_chars: int, malformed: bool) -> dict[str, Any]:
    """Return a whole `chat.completion` object for a non-streamed request."""
    content = turn_content(turn)
    calls = wire_tool_calls(turn, malformed)
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(turn)}],
        "usage": usage(turn, prompt_chars, len(content) + sum(len(str(c)) for c in calls)),
    }


def chat_chunks(
    turn: Turn, model: str, chunk_size: int, prompt_chars: int, malformed: bool, with_usage: bool
) -> Iterator[dict[str, Any]]:
    """Yield `chat.completion.chunk` objects for a streamed request, OpenAI's order exactly."""

    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
        }

    yield chunk({"role": "assistant", "content": ""})
    content = turn_content(turn)
    for piece in _pieces(content, chunk_size):
        yield chunk({"content": piece})
    calls = wire_tool_calls(turn, malformed)
    for index, call in enumerate(calls):
        head = {"index": index, "id": call["id"], "type": "function"}
        yield chunk({"tool_calls": [{**head, "function": {"name": call["function"]["name"]}}]})
        for piece in _pieces(call["function"]["arguments"], max(1, chunk_size // 2)):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, finish_reason(turn))
    if with_usage:
        figures = usage(turn, prompt_chars, len(content) + sum(len(str(c)) for c in calls))
        yield {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [],
            "usage": figures,
        }


def text_completion(turn: Turn, model: str, prompt_chars: int) -> dict[str, Any]:
    """Return a whole `text_completion` object for /v1/completions."""
    return {
        "id": "cmpl-scripted",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "text": turn.text, "finish_reason": finish_reason(turn), "logprobs": None}
        ],
        "usage": usage(turn, prompt_chars, len(turn.text)),
    }


def completion_chunks(
    turn: Turn, model: str, chunk_size: int, prompt_chars: int, with_usage: bool
) -> Iterator[dict[str, Any]]:
    """Yield streamed `text_completion` chunks for /v1/completions."""
    base = {"id": "cmpl-scripted", "object": "text_completion", "model": model}
    for piece in _pieces(turn.text, chunk_size):
        yield {**base, "choices": [{"index": 0, "text": piece, "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "text": "", "finish_reason": finish_reason(turn)}]}
    if with_usage:
        yield {**base, "choices": [], "usage": usage(turn, prompt_chars, len(turn.text))}


ENDLESS_FILLER = "All work and no play makes the model a dull answer. "


def endless_chat_chunks(turn: Turn, model: str, chunk_size: int, channel: str) -> Iterator[Any]:
    """Yield `chat.completion.chunk` objects forever, in `channel` (see the `endless` fault)."""

    def chunk(delta: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }

    yield chunk({"role": "assistant", "content": ""})
    if channel == "arguments":
        name = turn.tool_calls[0].name if turn.tool_calls else "write_file"
        head = {"index": 0, "id": "call_0_endless", "type": "function"}
        yield chunk({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
    for piece in _endless_pieces(turn.text or ENDLESS_FILLER, chunk_size):
        if channel == "arguments":
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        elif channel == "reasoning":
            yield chunk({"reasoning_content": piece})
        elif channel == "empty":
            yield chunk({})
        else:
            yield chunk({"content": piece})


def endless_completion_chunks(turn: Turn, model: str, chunk_size: int) -> Iterator[Any]:
    """Yield streamed `text_completion` chunks forever."""
    base = {"id": "cmpl-scripted", "object": "text_completion", "model": model}
    for piece in _endless_pieces(turn.text or ENDLESS_FILLER, chunk_size):
        yield {**base, "choices": [{"index": 0, "text": piece, "finish_reason": None}]}


def endless_json_body(turn: Turn, model: str, chat: bool, chunk_size: int) -> Iterator[str]:
    """Yield a non-streamed JSON answer whose content never ends, piece by piece."""
    head = {"id": "scripted", "object": "chat.completion" if chat else "text_completion"}
    opening = json.dumps({**head, "model": model})[:-1]
    field = '"message": {"role": "assistant", "content": "' if chat else '"text": "'
    yield f'{opening}, "choices": [{{"index": 0, {field}'
    for piece in _endless_pieces(turn.text or ENDLESS_FILLER, chunk_size):
        yield json.dumps(piece)[1:-1]


def cut_chunks(chunks: Iterator[dict[str, Any]], after_chunks: int) -> Iterator[dict[str, Any]]:
    """Yield the chunks before the finish reason (at most `after_chunks`, 0: no limit)."""
    for sent, chunk in enumerate(chunks):
        finished = any(c.get("finish_reason") for c in chunk.get("choices", ()))
        if finished or "usage" in chunk or (after_chunks and sent >= after_chunks):
            return
        yield chunk


def error_body(message: str, code: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    """Return an OpenAI-style error body."""
    return {"error": {"message": message, "type": kind, "code": code, "param": None}}


def _endless_pieces(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    doubled = text * (size // max(1, len(text)) + 2)
    offset = 0
    while True:
        yield doubled[offset : offset + size]
        offset = (offset + size) % len(text)


def _pieces(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for start in range(0, len(text), size):
        yield text[start : start + size]
