"""A real HTTP server on 127.0.0.1 that speaks the OpenAI API and answers from a script."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from assistant.testing import embeddings, payloads
from assistant.testing.replies import abort, read_body, status_fault
from assistant.testing.script import Script, Turn, parse_turn


@dataclass
class RecordedRequest:
    """One request the server received; `status` and `disconnected` are filled in as it ends."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    stream: bool
    status: int = 0
    disconnected: bool = False
    finished: bool = False
    chunks: int = 0  # streamed chunks (or endless body pieces) written so far
    received_at: float = field(default_factory=time.monotonic)


class _ClientGone(Exception):
    """The client closed the connection while we were streaming."""


class ScriptedServer:
    """Serve a `Script` on a free loopback port in a background thread.

    Usable as a context manager (sync or async). Requests are recorded in `requests`;
    /v1/embeddings answers deterministic vectors and fails as `embedding_faults` says
    (assistant/testing/embeddings.py).
    """

    def __init__(self, script: Script | Mapping[str, Any], host: str = "127.0.0.1", port: int = 0):
        self.script = script if isinstance(script, Script) else Script.from_dict(script)
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self._turns: deque[Turn] = deque(self.script.turns)
        self._completions: deque[Turn] = deque(self.script.completions)
        self.embedding_faults = embeddings.EmbeddingFaults()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the OpenAI base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> ScriptedServer:
        """Start serving; return once the port is bound."""
        self._thread = threading.Thread(target=self._serve, name="scripted-server", daemon=True)
        self._thread.start()
        self._started.wait(10)
        if self._start_error is not None:
            raise self._start_error
        return self

    def stop(self) -> None:
        """Stop serving, closing open connections, and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=5)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            self._loop = self._thread = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> ScriptedServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    # -- inspection --------------------------------------------------------------------------

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Return the /v1/chat/completions requests, in arrival order."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def completion_requests(self) -> list[RecordedRequest]:
        """Return the /v1/completions requests, in arrival order."""
        return [r for r in self.requests if r.path.endswith("/v1/completions")]

    @property
    def embedding_requests(self) -> list[RecordedRequest]:
        """Return the /v1/embeddings requests, in arrival order."""
        return [r for r in self.requests if r.path.endswith("/v1/embeddings")]

    def add_turns(self, turns: Iterable[Mapping[str, Any] | Turn]) -> None:
        """Append chat turns while the server runs."""
        with self._lock:
            self._turns.extend(parse_turn(t, "added turn") for t in turns)

    def remaining_turns(self) -> int:
        """Return how many chat turns are still unanswered."""
        with self._lock:
            return len(self._turns)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least `count` requests have arrived; return them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"only {len(self.requests)} of {count} requests arrived")
            return list(self.requests)

    def wait_for_finish(self, index: int, timeout: float = 5.0) -> RecordedRequest:
        """Block until request `index` has finished (answered or disconnected); return it."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: len(self.requests) > index and self.requests[index].finished, timeout
            )
            if not done:
                raise TimeoutError(f"request {index} did not finish within {timeout}s")
            return self.requests[index]

    # -- serving -----------------------------------------------------------------------------

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:  # reported to the starting thread
            self._start_error = error
            self._started.set()
            loop.close()
            return
        self._started.set()
        loop.run_forever()
        loop.close()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions_handler)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=256)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _record(self, request: web.Request, body: Any) -> RecordedRequest:
        stream = bool(isinstance(body, dict) and body.get("stream"))
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = RecordedRequest(request.method, request.path, headers, body, stream)
        with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        return record

    def _finish(self, record: RecordedRequest, status: int, disconnected: bool = False) -> None:
        with self._changed:
            record.status = status
            record.disconnected = record.disconnected or disconnected
            record.finished = True
            self._changed.notify_all()

    async def _models(self, request: web.Request) -> web.StreamResponse:
        record = self._record(request, None)
        if (denied := self._check_auth(request)) is not None:
            self._finish(record, denied.status)
            return denied
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "scripted"}
            for m in self.script.models
        ]
        self._finish(record, 200)
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, chat=True)

    async def _completions_handler(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, chat=False)

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        number = len(self.embedding_requests)
        record = self._record(request, read_body(await request.read()))
        response = self._check_auth(request) or embeddings.answer(
            record.body, self.embedding_faults, number
        )
        self._finish(record, response.status)
        return response

    async def _answer(self, request: web.Request, chat: bool) -> web.StreamResponse:
        raw = await request.read()
        body = read_body(raw)
        record = self._record(request, body)
        response = self._refusal(request, body, len(raw))
        if response is not None:
            self._finish(record, response.status)
            return response
        turn = self._next_turn(chat, body)
        if turn is None:
            self._finish(record, 500)
            return web.json_response(
                payloads.error_body("script exhausted", "script_exhausted", "server_error"),
                status=500,
            )
        fault = turn.fault
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            self._finish(record, fault.status)
            return status_fault(fault.status, fault.retry_after)
        try:
            if record.stream:
                return await self._stream(request, record, turn, body, len(raw), chat)
            if fault is not None and fault.kind == "drop":
                abort(request)
                self._finish(record, 0, disconnected=True)
                raise _ClientGone
            if fault is not None and fault.kind in ("endless", "cut"):
                return await self._broken_body(request, record, turn, body, chat)
        except (_ClientGone, ConnectionResetError):
            # The connection is gone (dropped on purpose or closed by the client).
            self._finish(record, record.status, disconnected=True)
            return web.Response(status=499)
        except asyncio.CancelledError:
            self._finish(record, record.status, disconnected=True)
            raise
        model = body.get("model", self.script.models[0])
        malformed = fault is not None and fault.kind == "malformed_arguments"
        payload = (
            payloads.chat_completion(turn, model, len(raw), malformed)
            if chat
            else payloads.text_completion(turn, model, len(raw))
        )
        self._finish(record, 200)
        return web.json_response(payload)

    async def _stream(
        self,
        request: web.Request,
        record: RecordedRequest,
        turn: Turn,
        body: dict[str, Any],
        prompt_chars: int,
        chat: bool,
    ) -> web.StreamResponse:
        delay = turn.chunk_delay if turn.chunk_delay is not None else self.script.chunk_delay
        fault = turn.fault
        drop_after = fault.after_chunks if fault is not None and fault.kind == "drop" else None
        whole = fault is None or fault.kind not in ("endless", "cut")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        record.status = 200
        for sent, chunk in enumerate(self._chunks(turn, body, prompt_chars, chat)):
            if drop_after is not None and sent >= drop_after:
                abort(request)
                raise _ClientGone
            # Even with no delay, let the loop see a client that hung up.
            await asyncio.sleep(delay if delay and sent else 0)
            await _write(request, response, f"data: {json.dumps(chunk)}\n\n")
            record.chunks += 1
        if whole:
            await _write(request, response, "data: [DONE]\n\n")
        await response.write_eof()
        self._finish(record, 200)
        return response

    def _chunks(
        self, turn: Turn, body: dict[str, Any], prompt_chars: int, chat: bool
    ) -> Iterator[dict[str, Any]]:
        model = body.get("model", self.script.models[0])
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        size = turn.chunk_size or self.script.chunk_size
        fault = turn.fault
        if fault is not None and fault.kind == "endless":
            if chat:
                return payloads.endless_chat_chunks(turn, model, size, fault.channel)
            return payloads.endless_completion_chunks(turn, model, size)
        malformed = fault is not None and fault.kind == "malformed_arguments"
        chunks = (
            payloads.chat_chunks(turn, model, size, prompt_chars, malformed, with_usage)
            if chat
            else payloads.completion_chunks(turn, model, size, prompt_chars, with_usage)
        )
        if fault is not None and fault.kind == "cut":
            return payloads.cut_chunks(chunks, fault.after_chunks)
        return chunks

    async def _broken_body(
        self, request: web.Request, record: RecordedRequest, turn: Turn, body: Any, chat: bool
    ) -> web.StreamResponse:
        """Answer a non-streamed request with a JSON body that never ends, or is cut in half."""
        assert turn.fault is not None
        model = body.get("model", self.script.models[0])
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        record.status = 200
        if turn.fault.kind == "cut":
            answer = (
                payloads.chat_completion(turn, model, 0, False)
                if chat
                else payloads.text_completion(turn, model, 0)
            )
            whole = json.dumps(answer)
            await _write(request, response, whole[: len(whole) // 2])
        else:
            size = turn.chunk_size or self.script.chunk_size
            delay = turn.chunk_delay if turn.chunk_delay is not None else self.script.chunk_delay
            for piece in payloads.endless_json_body(turn, model, chat, size):
                await asyncio.sleep(delay)
                await _write(request, response, piece)
                record.chunks += 1
        await response.write_eof()
        self._finish(record, 200)
        return response

    def _refusal(self, request: web.Request, body: Any, size: int) -> web.Response | None:
        if (denied := self._check_auth(request)) is not None:
            return denied
        if not isinstance(body, dict):
            return web.json_response(
                payloads.error_body("request body is not JSON", "invalid_json"), status=400
            )
        model = body.get("model")
        if model not in self.script.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return web.json_response(payloads.error_body(message, "model_not_found"), status=404)
        window = self.script.context_window
        if window is not None and size // 4 > window:
            message = (
                f"This model's maximum context length is {window} tokens. However, your messages "
                f"resulted in {size // 4} tokens. Please reduce the length of the messages."
            )
            return web.json_response(
                payloads.error_body(message, "context_length_exceeded"), status=400
            )
        return None

    def _check_auth(self, request: web.Request) -> web.Response | None:
        key = self.script.api_key
        if key is None or request.headers.get("Authorization") == f"Bearer {key}":
            return None
        body = payloads.error_body("Incorrect API key provided.", "invalid_api_key")
        return web.json_response(body, status=401)

    def _next_turn(self, chat: bool, body: dict[str, Any]) -> Turn | None:
        with self._lock:
            queue = self._turns if chat else self._completions
            text = json.dumps(body.get("messages") or body.get("prompt") or "")
            for index, turn in enumerate(queue):
                if turn.match is None or json.dumps(turn.match)[1:-1] in text:
                    del queue[index]
                    return turn
        return self.script.default_turn


async def _write(request: web.Request, response: web.StreamResponse, text: str) -> None:
    transport = request.transport
    if transport is None or transport.is_closing():
        raise _ClientGone
    await response.write(text.encode())
