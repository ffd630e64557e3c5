"""Editor assistance shared by front ends: completion context, post-processing, code actions."""

from assistant.editor.context import Budget, CompletionContext, Cursor, assemble
from assistant.editor.engine import (
    CompletionEngine,
    CompletionOptions,
    FimSource,
    Suggestion,
)
from assistant.editor.postprocess import postprocess, wants_multiline

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
