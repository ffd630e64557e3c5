"""Pieces of the scripted server's answers that its routes share: reading a JSON body, answering
with an HTTP status fault, hanging up."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from assistant.testing import payloads


def read_body(raw: bytes) -> Any:
    """Return a request's JSON body, or None when it is not JSON."""
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError:
        return None


def status_fault(status: int, retry_after: float | None = None) -> web.Response:
    """Return an OpenAI-style error answer with HTTP `status` (429: rate limited, with
    `retry_after` seconds as Retry-After when set)."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    message = "Rate limit reached, retry later." if status == 429 else "The server had an error."
    return web.json_response(
        payloads.error_body(message, kind, kind), status=status, headers=headers
    )


def abort(request: web.Request) -> None:
    """Close the request's connection at once (a dropped connection)."""
    if request.transport is not None:
        request.transport.abort()
