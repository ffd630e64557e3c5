"""The scripted server's /v1/embeddings: deterministic vectors, so texts sharing words are close.

A text's vector counts its code tokens (assistant/index/tokens.py), each hashed (SHA-256, the
same in every process) into one of `dim` dimensions, L2-normalised. The dimension comes from
the model's name: `scripted-embed-32` has 32; any other model whose name holds `embed` has
`DEFAULT_DIM`; a model without `embed` in its name is not served (404, as a real server says).
Faults: the server's API key check applies, a body that is not JSON is refused, and
`EmbeddingFaults` makes requests from the N-th on answer an HTTP status.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from assistant.index.tokens import code_tokens
from assistant.testing import payloads
from assistant.testing.replies import status_fault

DEFAULT_DIM = 64
_DIM = re.compile(r"-(\d+)$")


@dataclass
class EmbeddingFaults:
    """Answer every embeddings request from number `start` on (0-based) with HTTP `status`;
    `start` None: answer them all."""

    start: int | None = None
    status: int = 500


def dimension_of(model: object) -> int | None:
    """Return the dimension of a scripted embeddings model, or None when it is not one."""
    if not isinstance(model, str) or "embed" not in model:
        return None
    found = _DIM.search(model)
    return max(1, min(int(found.group(1)), 4096)) if found else DEFAULT_DIM


def scripted_vector(text: str, dim: int) -> list[float]:
    """Return the deterministic, L2-normalised vector of `text` (see the module docstring)."""
    values = [0.0] * dim
    for token in code_tokens(text):
        digest = hashlib.sha256(token.encode()).digest()
        values[int.from_bytes(digest[:4], "big") % dim] += 1.0
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else values


def answer(body: Any, faults: EmbeddingFaults, number: int) -> web.Response:
    """Return the response to embeddings request `number` (0-based) with this body."""
    if faults.start is not None and number >= faults.start:
        return status_fault(faults.status)
    if not isinstance(body, dict):
        error = payloads.error_body("request body is not JSON", "invalid_json")
        return web.json_response(error, status=400)
    model = body.get("model")
    dim = dimension_of(model)
    if dim is None:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return web.json_response(payloads.error_body(message, "model_not_found"), status=404)
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        message = "input must be a string or a list of strings"
        return web.json_response(payloads.error_body(message, "invalid_input"), status=400)
    return web.json_response(_payload(str(model), texts, dim))


def _payload(model: str, texts: Sequence[str], dim: int) -> dict[str, Any]:
    tokens = sum(len(code_tokens(text)) for text in texts)
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": i, "embedding": scripted_vector(text, dim)}
            for i, text in enumerate(texts)
        ],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
