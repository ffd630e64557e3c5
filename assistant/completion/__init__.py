"""Editor assistance shared by front ends: completion context, post-processing, code actions."""

from assistant.completion.context import Budget, CompletionContext, Cursor, assemble
from assistant.completion.engine import (
    CompletionEngine,
    CompletionOptions,
    FimSource,
    Suggestion,
)
from assistant.completion.postprocess import postprocess, wants_multiline

__all__ = [
    "Budget",
    "CompletionContext",
    "CompletionEngine",
    "CompletionOptions",
    "Cursor",
    "FimSource",
    "Suggestion",
    "assemble",
    "postprocess",
    "wants_multiline",
]
