"""Check a model endpoint end to end: reachable, model served, tool calls, FIM completions,
and the embeddings endpoint when semantic search is configured."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from assistant.errors import EndpointError, EndpointUnreachable
from assistant.llm.client import ModelClient

ECHO_TOOL = {
    "type": "function",
    "function": {
        "name": "echo",
        "description": "Echo a word back.",
        "parameters": {
            "type": "object",
            "properties": {"word": {"type": "string"}},
            "required": ["word"],
        },
    },
}


@dataclass(frozen=True)
class Check:
    """The outcome of one doctor check."""

    name: str
    passed: bool
    detail: str


async def run_checks(client: ModelClient) -> list[Check]:
    """Run every check against the client's endpoint; stop early if it is unreachable."""
    try:
        models = await client.list_models()
    except EndpointUnreachable:
        raise
    except EndpointError as error:
        return [Check("endpoint reachable", False, error.one_line())]
    checks = [
        Check(
            "endpoint reachable", True, f"{client.settings.base_url} lists {len(models)} model(s)"
        )
    ]
    listed = client.model in models
    detail = f"{client.model!r} is served" if listed else f"{client.model!r} not in {models[:5]}"
    checks.append(Check("model listed", listed, detail))
    checks.append(await _check_tool_call(client))
    checks.append(await _check_fim(client))
    if client.settings.embeddings_model:
        checks.append(await asyncio.to_thread(_check_embeddings, client))
    return checks


def _check_embeddings(client: ModelClient) -> Check:
    """Embed one short text at the configured embeddings endpoint (semantic search)."""
    from assistant.llm.embeddings import EmbeddingsClient

    embeddings = EmbeddingsClient(client.settings)
    name = f"embeddings ({embeddings.model})"
    try:
        (vector,) = embeddings.embed(["def add(a, b): return a + b"])
    except EndpointError as error:
        return Check(name, False, error.one_line())
    finally:
        embeddings.close()
    if not vector:
        return Check(name, False, "the endpoint returned an empty vector")
    return Check(name, True, f"{len(vector)} dimensions from {embeddings.base_url}")


async def _check_tool_call(client: ModelClient) -> Check:
    messages = [{"role": "user", "content": "Call the echo tool with the word 'ready'."}]
    choice = {"type": "function", "function": {"name": "echo"}}
    try:
        result = await client.chat_once(messages, [ECHO_TOOL], tool_choice=choice, max_tokens=64)
    except EndpointError as error:
        return Check("tool call round-trip", False, error.one_line())
    if result.tool_calls and result.tool_calls[0].name == "echo":
        return Check("tool call round-trip", True, f"echo({result.tool_calls[0].arguments})")
    if result.tool_call_errors:
        return Check("tool call round-trip", False, result.tool_call_errors[0].message)
    return Check("tool call round-trip", False, "the model answered without calling the tool")


async def _check_fim(client: ModelClient) -> Check:
    try:
        result = await client.complete_fim("def add(a, b):\n    return ", "\n", max_tokens=16)
    except EndpointError as error:
        return Check("FIM completion", False, error.one_line())
    text = result.text.strip()
    if not text:
        return Check("FIM completion", False, "the endpoint returned an empty completion")
    return Check("FIM completion", True, f"middle: {text[:40]!r}")
