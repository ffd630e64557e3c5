"""Semantic search's signal: the index's chunks closest in meaning to a query (embeddings).

`EmbeddingSignal` implements retrieve.py's `SemanticSignal`: it embeds the query (one request),
lets the index catch up on a few chunks not embedded yet, and ranks the chunks by the cosine of
their vectors with the query's (one matrix product). The matrix is cached per index state and
vectors version; only vectors of the same model and dimension as the query's are compared.
When the endpoint fails the signal answers None (search goes on with lexical signals), says so
once in the process, and rests a while before asking the endpoint again. How texts are embedded
is given to it (assistant/llm/embeddings.py builds it from the settings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.context.cache import index_state, memoize
from assistant.errors import EndpointError

if TYPE_CHECKING:
    from assistant.index import IndexStore

log = logging.getLogger(__name__)
REST_SECONDS = 60.0  # after a failure, searches skip the endpoint this long
Matrix = tuple[list[tuple[str, int]], np.ndarray]


class EmbeddingSignal:
    """Cosine similarity of the index's chunk vectors for one model to a query's vector."""

    def __init__(
        self,
        model: str,
        embed: Callable[[Sequence[str]], Sequence[Sequence[float]]],
        refresh: Callable[[IndexStore], None] | None,
        notice: Callable[[str], None],
    ) -> None:
        self.model = model
        self._embed = embed
        self._refresh = refresh  # embeds a few chunks that have no vector yet
        self._notice = notice
        self._rest_until = 0.0
        self._told = False

    def chunk_similarities(
        self, store: IndexStore, text: str, limit: int
    ) -> list[tuple[str, int, float]] | None:
        """Return up to `limit` (path, start line, cosine) of the chunks closest to `text`, best
        first; None while the endpoint is unavailable."""
        if not text.strip() or time.monotonic() < self._rest_until:
            return None
        try:
            query = np.asarray(self._embed([text])[0], dtype=np.float32)
            if not np.isfinite(query).all():
                raise EndpointError("the embeddings endpoint answered a vector that is not finite")
        except EndpointError as error:
            self._failed(error)
            return None
        if self._refresh is not None:
            self._refresh(store)
        return nearest(self.matrix(store, len(query)), query, limit)

    def matrix(self, store: IndexStore, dim: int) -> Matrix:
        """Return the chunks' places and vectors for this model and dimension (cached)."""
        state = f"{index_state(store)}:vectors={store.vectors_version()}"
        kind = f"semantic:{self.model}:{dim}"
        return memoize(state, kind, lambda: store.vector_matrix(self.model, dim))

    def _failed(self, error: EndpointError) -> None:
        """Rest a while; tell the user once per process."""
        self._rest_until = time.monotonic() + REST_SECONDS
        log.info("semantic search unavailable: %s", error.one_line())
        if not self._told:
            self._told = True
            self._notice(
                f"semantic search is unavailable, searching by words and names only: "
                f"{error.one_line()}"
            )


def nearest(matrix: Matrix, query: np.ndarray, limit: int) -> list[tuple[str, int, float]]:
    """Return up to `limit` (path, start line, cosine) of the rows closest to `query`."""
    places, vectors = matrix
    norm = float(np.linalg.norm(query))
    if not places or limit <= 0 or not norm or vectors.shape[1] != len(query):
        return []
    scores = vectors @ (query / norm)
    count = min(limit, len(places))
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.lexsort((top, -scores[top]))]  # best first, ties by position (stable)
    return [(places[i][0], places[i][1], float(scores[i])) for i in top]
