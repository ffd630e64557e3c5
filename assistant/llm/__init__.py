"""The model client: chat with tools, streaming, fill-in-the-middle completions, retries."""

from assistant.llm.bounds import ReplyCut, ReplyTimedOut, ReplyTooLong
from assistant.llm.client import ChatEvent, ModelClient
from assistant.llm.fim import ContextFile, FimRequest
from assistant.llm.retry import RetryPolicy
from assistant.llm.types import (
    ChatResult,
    CompletionResult,
    StreamRestarted,
    TextDelta,
    ToolCall,
    ToolCallError,
    Usage,
)

__all__ = [
    "ChatEvent",
    "ChatResult",
    "CompletionResult",
    "ContextFile",
    "FimRequest",
    "ModelClient",
    "ReplyCut",
    "ReplyTimedOut",
    "ReplyTooLong",
    "RetryPolicy",
    "StreamRestarted",
    "TextDelta",
    "ToolCall",
    "ToolCallError",
    "Usage",
]
