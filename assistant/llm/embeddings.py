"""The embeddings client (OpenAI-compatible /v1/embeddings), and semantic search built on it.

`EmbeddingsClient` sends texts to the user's embeddings endpoint (DashScope text-embedding-v4,
vLLM serving Qwen3-Embedding, Ollama, llama.cpp's server...) with the chat client's timeouts,
retries and errors, every text redacted on the way out like any request to a model.
`update_embeddings` brings an index's vectors up to date (`assistant index`), and
`semantic_signal` gives search its optional embedding signal: None unless the user set
`embeddings_model` (a repository's own config never can).

The index and the context engine work synchronously (SQLite, in worker threads), so the client
is called synchronously and runs its requests on an event loop of its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import openai

from assistant.config import Settings
from assistant.context.semantic import EmbeddingSignal
from assistant.errors import EndpointError
from assistant.index.embedding import EmbedStats, Progress, embed_pending
from assistant.llm.client import openai_client
from assistant.llm.outbound import OutboundRedactor
from assistant.llm.retry import RetryPolicy, with_retries
from assistant.security.secrets import Redactor

if TYPE_CHECKING:
    from assistant.context.retrieve import SemanticSignal
    from assistant.index import IndexStore

log = logging.getLogger(__name__)
INPUTS_PER_REQUEST = 64
# Endpoints that take fewer texts per request (DashScope's text-embedding-v3/v4: 10).
FEWER_INPUTS = {"dashscope": 10}
SEARCH_PENDING = 256  # chunks a search embeds before answering; `assistant index` does the rest
QUERY_TIMEOUT = 15.0  # seconds: a search waits no longer for its query's vector
Notice = Callable[[str], None]
_signals: dict[tuple[str, ...], EmbeddingSignal | None] = {}


class EmbeddingsClient:
    """Embed texts at the configured endpoint; every failure surfaces as an EndpointError.

    Callers are synchronous (SQLite work in worker threads): the requests run on the client's
    own event loop, in a thread of its own, with one HTTP client kept open across calls
    (connections and TLS sessions are reused). `close` ends both.
    """

    def __init__(self, settings: Settings, *, retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.model = settings.embeddings_model
        self.base_url = settings.effective_embeddings_base_url
        self.retry = retry or RetryPolicy(max_retries=settings.max_retries)
        self._outbound = OutboundRedactor(settings.known_secrets)
        host = urlsplit(self.base_url).hostname or ""
        self.per_request = min(
            (n for name, n in FEWER_INPUTS.items() if name in host), default=INPUTS_PER_REQUEST
        )
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: openai.AsyncOpenAI | None = None

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one vector per text, in order (several requests when there are many)."""
        if not self.base_url:
            raise EndpointError(
                f"embeddings_model is {self.model!r} but no endpoint is configured",
                hint="set embeddings_base_url (or base_url)",
            )
        try:
            return asyncio.run_coroutine_threadsafe(self._embed(texts), self._running()).result()
        except EndpointError as error:  # the chat client's hints name the chat settings
            error.hint = "check embeddings_model, embeddings_base_url and embeddings_api_key"
            raise

    def close(self) -> None:
        """Close the HTTP client and stop the client's event loop."""
        with self._lock:
            loop, http, self._loop, self._http = self._loop, self._http, None, None
        if loop is None:
            return
        if http is not None:
            asyncio.run_coroutine_threadsafe(http.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)

    def _running(self) -> asyncio.AbstractEventLoop:
        """Return the client's event loop, started in a daemon thread on first use."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(
                    target=self._loop.run_forever, name="embeddings", daemon=True
                ).start()
            return self._loop

    async def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self._http is None:  # made on the client's loop, where it is used
            key = self.settings.effective_embeddings_api_key
            self._http = openai_client(self.base_url, key, self.settings)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.per_request):
            part = [self._outbound.text(t) for t in texts[start : start + self.per_request]]
            call = functools.partial(self._request, self._http, part)
            vectors += await with_retries(call, self.retry, self.base_url, self.model)
        return vectors

    async def _request(self, http: openai.AsyncOpenAI, texts: list[str]) -> list[list[float]]:
        """Make one request; check the answer holds one vector per text. The JSON is read as
        it is: the client's typed models cost ~10 us per number (0.5 s per request)."""
        raw = await http.embeddings.with_raw_response.create(
            model=self.model, input=texts, encoding_format="float"
        )
        try:
            data = sorted(raw.http_response.json()["data"], key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in data]
        except (ValueError, KeyError, TypeError) as error:
            raise EndpointError(
                f"{self.base_url} answered embeddings in an unknown form"
            ) from error
        if len(vectors) != len(texts):
            raise EndpointError(
                f"{self.base_url} answered {len(vectors)} embeddings for {len(texts)} texts"
            )
        return vectors


def update_embeddings(
    store: IndexStore,
    settings: Settings,
    root: Path | None,
    *,
    progress: Progress | None = None,
    limit: int | None = None,
    client: EmbeddingsClient | None = None,
) -> EmbedStats | None:
    """Embed the index's chunks that have no vector for the configured model (at most
    `limit`); None when embeddings are off. Failures are in the stats, not raised."""
    if not settings.embeddings_model:
        return None
    own = client is None
    client = client or EmbeddingsClient(settings)
    redactor = Redactor(settings.known_secrets)
    try:
        return embed_pending(
            store,
            client.embed,
            settings.embeddings_model,
            redactor,
            root=root,
            limit=limit,
            progress=progress,
        )
    finally:
        if own:
            client.close()


def semantic_signal(
    settings: Settings, root: Path | None = None, notice: Notice | None = None
) -> SemanticSignal | None:
    """Return search's embedding signal for these settings, or None when embeddings are off
    (no `embeddings_model`). One signal per endpoint and model in a process, so a failing
    endpoint is told once, not on every search; `notice` receives that one line."""
    if not settings.embeddings_model:
        return None
    base_url = settings.effective_embeddings_base_url
    key = (settings.embeddings_model, base_url, settings.effective_embeddings_api_key, str(root))
    if key in _signals:
        return _signals[key]
    tell = notice or (lambda text: log.warning("%s", text))
    if not base_url:
        tell(
            f"semantic search is off: embeddings_model is {settings.embeddings_model!r} but no "
            "endpoint is configured (set embeddings_base_url)"
        )
        _signals[key] = None
        return None
    quick = dataclasses.replace(
        settings, request_timeout=min(settings.request_timeout, QUERY_TIMEOUT)
    )
    client = EmbeddingsClient(quick, retry=RetryPolicy(max_retries=1))

    def refresh(store: IndexStore) -> None:
        stats = update_embeddings(store, settings, root, limit=SEARCH_PENDING, client=client)
        if stats is not None and stats.error:
            log.info("chunks left unembedded for now: %s", stats.error)

    signal = EmbeddingSignal(settings.embeddings_model, client.embed, refresh, tell)
    _signals[key] = signal
    return signal
