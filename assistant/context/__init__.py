"""The context engine: reference-graph ranking, retrieval and the repo map."""

from __future__ import annotations

from assistant.context.repomap import repo_map
from assistant.context.retrieve import (
    ChunkHit,
    FileHit,
    SearchResult,
    SearchWeights,
    search,
    search_result_to_dict,
)
from assistant.context.tokens import estimate_tokens

__all__ = [
    "ChunkHit",
    "FileHit",
    "SearchResult",
    "SearchWeights",
    "estimate_tokens",
    "repo_map",
    "search",
    "search_result_to_dict",
]
