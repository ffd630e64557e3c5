"""Retries with exponential backoff and jitter, and one clear error when they run out."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
import openai

from assistant.errors import (
    AuthenticationFailed,
    ContextTooLong,
    EndpointError,
    EndpointUnreachable,
    ModelNotFound,
    RateLimited,
    ServerFailed,
)
from assistant.llm.bounds import ReplyCut

log = logging.getLogger(__name__)
T = TypeVar("T")

# Recent openai clients run on httpx2, whose errors are not httpx's; a body read outside the
# client's own wrapping (a non-streamed answer) raises them as they are.
_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError,)
_TIMEOUT_ERRORS: tuple[type[Exception], ...] = (httpx.TimeoutException,)
_CONNECT_ERRORS: tuple[type[Exception], ...] = (ConnectionRefusedError, httpx.ConnectError)
try:
    import httpx2

    _TRANSPORT_ERRORS += (httpx2.TransportError,)
    _TIMEOUT_ERRORS += (httpx2.TimeoutException,)
    _CONNECT_ERRORS += (httpx2.ConnectError,)
except ImportError:  # older openai clients use httpx itself
    pass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a failed request."""

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Return the wait before retry `attempt` (0-based), honouring Retry-After."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        backoff = min(self.base_delay * 2**attempt, self.max_delay)
        return backoff * (0.5 + random.random() / 2)


def is_retryable(error: BaseException) -> bool:
    """Return whether an error is worth retrying: 429, 5xx, timeouts, dropped or cut answers."""
    if isinstance(error, openai.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(error, (openai.APIConnectionError, ReplyCut, *_TRANSPORT_ERRORS))


def should_retry(error: BaseException, attempt: int, policy: RetryPolicy) -> bool:
    """Return whether retry number `attempt` (0-based) is worth making after `error`."""
    if not is_retryable(error) or attempt >= policy.max_retries:
        return False
    # Nothing listening: one quick retry covers a server that is just starting, no more.
    return not (_refused(error) and attempt >= 1)


def retry_after_seconds(error: BaseException) -> float | None:
    """Return the Retry-After header of an error response, in seconds, if any."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    value = response.headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            return None
    value = response.headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None


async def with_retries(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy, base_url: str, model: str
) -> T:
    """Await `call()` until it succeeds, retrying what is retryable; raise an EndpointError."""
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as error:
            if not should_retry(error, attempt, policy):
                raise to_endpoint_error(error, base_url, model) from error
            wait = policy.delay(attempt, retry_after_seconds(error))
            log.info(
                "retrying after %s in %.2fs (attempt %d)", type(error).__name__, wait, attempt + 1
            )
            attempt += 1
            await asyncio.sleep(wait)


def to_endpoint_error(error: BaseException, base_url: str, model: str) -> EndpointError:
    """Translate an openai/httpx exception into one clear, actionable EndpointError."""
    if isinstance(error, EndpointError):
        return error
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return AuthenticationFailed(
            f"the endpoint {base_url} rejected the API key",
            hint="check api_key (or OPENAI_API_KEY / DASHSCOPE_API_KEY) with `assistant config`",
        )
    if isinstance(error, openai.NotFoundError):
        return ModelNotFound(
            f"the endpoint {base_url} does not serve model {model!r}",
            hint="list its models with `assistant doctor` and set `model`",
        )
    if isinstance(error, openai.BadRequestError) and _is_context_error(error):
        return ContextTooLong(
            f"the prompt is longer than {model}'s context window ({_api_message(error)})",
            hint="drop files from the context or lower context_window in the settings",
        )
    if isinstance(error, openai.RateLimitError):
        return RateLimited(
            f"{base_url} kept answering 429 (rate limited) after every retry",
            hint="wait a little, or lower the number of parallel jobs",
        )
    if isinstance(error, openai.APIStatusError):
        if error.status_code >= 500:
            return ServerFailed(
                f"{base_url} kept failing with HTTP {error.status_code} after every retry",
                hint="check the model server's logs",
            )
        return EndpointError(
            f"{base_url} refused the request: HTTP {error.status_code} {_api_message(error)}"
        )
    if isinstance(error, (openai.APITimeoutError, *_TIMEOUT_ERRORS)):
        return ServerFailed(
            f"{base_url} did not answer in time", hint="raise request_timeout or check the server"
        )
    if isinstance(error, (openai.APIConnectionError, *_TRANSPORT_ERRORS)):
        if _refused(error):
            return EndpointUnreachable(
                f"cannot reach the model endpoint at {base_url}",
                hint="is the server running? set base_url or a profile (`assistant config`)",
            )
        return ServerFailed(
            f"the connection to {base_url} dropped, and retries did not get through",
            hint="check the network and the model server",
        )
    return EndpointError(f"model request failed: {type(error).__name__}: {error}")


def _is_context_error(error: openai.BadRequestError) -> bool:
    text = f"{getattr(error, 'code', '')} {_api_message(error)}".lower()
    return any(
        k in text for k in ("context_length", "context length", "maximum context", "too long")
    )


def _api_message(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    message = body.get("message") or (body.get("error") or {}).get("message") if body else None
    return str(message or error.message)


def _refused(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, _CONNECT_ERRORS):
            return True
        if isinstance(seen, OSError) and seen.errno in (111, 61, 113, 101):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
