"""Keep a conversation within the model's context: count, shorten old tool outputs, summarise.

Token counts are the one stated estimate (assistant/context/tokens.py) plus a few tokens of
framing per message; the endpoint's reported usage corrects it as the run goes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from assistant.context.tokens import tokens_for

Message = dict[str, Any]
MESSAGE_OVERHEAD = 4
SHORT_TOOL_OUTPUT = 600
KEEP_RECENT_TOOL_OUTPUTS = 4
SUMMARY_MARK = "[Summary of the earlier conversation]"
VERBATIM_REQUEST_CHARS = 4_000


def message_tokens(messages: Sequence[Message]) -> int:
    """Return an estimate of the prompt tokens `messages` take."""
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD + tokens_for(len(str(message.get("content") or "")))
        for call in message.get("tool_calls") or ():
            total += tokens_for(len(json.dumps(call)))
    return total


def shorten_old_tool_outputs(messages: list[Message], keep_recent: int) -> bool:
    """Cut all but the last `keep_recent` tool outputs to a short head; return if any changed."""
    tool_indexes = [i for i, m in enumerate(messages) if m.get("role") == "tool"]
    changed = False
    for index in tool_indexes[: max(0, len(tool_indexes) - keep_recent)]:
        content = str(messages[index].get("content") or "")
        if len(content) > SHORT_TOOL_OUTPUT:
            kept = content[: SHORT_TOOL_OUTPUT // 2]
            messages[index] = {
                **messages[index],
                "content": f"{kept}\n[... older tool output shortened to save context ...]",
            }
            changed = True
    return changed


def oldest_turns(messages: Sequence[Message], keep_tail: int) -> tuple[int, int]:
    """Return [start, end) of the messages to summarise: after the system prompt and any
    earlier summary, before the last `keep_tail` messages, never splitting a tool exchange."""
    start = 1 if messages and messages[0].get("role") == "system" else 0
    end = max(start, len(messages) - keep_tail)
    while end < len(messages) and messages[end].get("role") == "tool":
        end += 1  # a tool result must stay with the assistant message that asked for it
    return start, end


Summarizer = Callable[[Sequence[Message]], Awaitable[str]]


async def fit_to_budget(
    messages: list[Message],
    budget: int,
    summarize: Summarizer,
    keep_tail: int = 6,
    pinned: str = "",
) -> list[Message]:
    """Return messages within `budget` tokens: shorten old tool outputs, then summarise. A
    summary never loses what must survive verbatim: the user's requests it replaces and
    `pinned` (the state of the work: task, todo list, files changed)."""
    if message_tokens(messages) <= budget:
        return messages
    fitted = list(messages)
    shorten_old_tool_outputs(fitted, KEEP_RECENT_TOOL_OUTPUTS)
    if message_tokens(fitted) <= budget:
        return fitted
    shorten_old_tool_outputs(fitted, 1)
    if message_tokens(fitted) <= budget:
        return fitted
    start, end = oldest_turns(fitted, keep_tail)
    if end - start < 2:
        return fitted
    summary = await summarize(fitted[start:end])
    asked = [
        str(m.get("content") or "")[:VERBATIM_REQUEST_CHARS]
        for m in fitted[start:end]
        if m.get("role") == "user" and not str(m.get("content") or "").startswith(SUMMARY_MARK)
    ]
    parts = [f"{SUMMARY_MARK}\n{summary}"]
    if asked:
        parts.append("[The user's earlier requests, verbatim]\n" + "\n---\n".join(asked))
    if pinned:
        parts.append(f"[The state of the work, verbatim]\n{pinned}")
    note = {"role": "user", "content": "\n\n".join(parts)}
    return [*fitted[:start], note, *fitted[end:]]


def mechanical_summary(messages: Sequence[Message]) -> str:
    """Summarise turns without a model: what was asked, which tools ran, what was said."""
    lines = []
    for message in messages:
        role = message.get("role")
        content = str(message.get("content") or "").strip().replace("\n", " ")
        if role == "user":
            lines.append(f"- user asked: {content[:200]}")
        elif role == "assistant":
            for call in message.get("tool_calls") or ():
                function = call.get("function", {})
                lines.append(
                    f"- called {function.get('name')}({function.get('arguments', '')[:120]})"
                )
            if content:
                lines.append(f"- assistant said: {content[:200]}")
    return "\n".join(lines)
