"""The context engine: reference-graph ranking, retrieval and the repo map."""

from __future__ import annotations

from assistant.context.render import (
    render_paths,
    render_search,
    render_snippets,
    search_result_to_dict,
)
from assistant.context.repomap import repo_map
from assistant.context.retrieve import (
    ChunkHit,
    FileHit,
    SearchResult,
    SearchWeights,
    SemanticSignal,
    search,
)
from assistant.context.tokens import estimate_tokens

__all__ = [
    "ChunkHit",
    "FileHit",
    "SearchResult",
    "SearchWeights",
    "SemanticSignal",
    "estimate_tokens",
    "render_paths",
    "render_search",
    "render_snippets",
    "repo_map",
    "search",
    "search_result_to_dict",
]
