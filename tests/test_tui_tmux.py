"""The real `assistant chat` in a real terminal (tmux) against `assistant serve-script`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.testing import wait_until
from tests.test_tui_app import make_project

ANSWER = "The add function returns a minus b, which is a bug."
READY = "Ask, or /help"
WAIT_SECONDS = 60


def _tmux() -> str | None:
    """Return tmux's path, installing it with apt-get when it is missing and we may."""
    found = shutil.which("tmux")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "tmux"]):
        subprocess.run(command, capture_output=True, check=False, timeout=600)
    return shutil.which("tmux")


class Terminal:
    """A detached 80x24 tmux session on a private server socket."""

    def __init__(self, tmux: str) -> None:
        self.base = [tmux, "-L", f"assistant-test-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]

    def start(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        """Run `command` in a new session."""
        line = f"cd {shlex.quote(str(cwd))} && exec env {shlex.join([*_pairs(env), *command])}"
        tmux = [*self.base, "new-session", "-d", "-s", "chat", "-x", "80", "-y", "24", line]
        subprocess.run(tmux, check=True)

    def screen(self) -> str:
        """Return the visible text of the pane."""
        result = subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", "chat"], capture_output=True, text=True
        )
        return result.stdout

    def type(self, text: str) -> None:
        """Type literal text."""
        subprocess.run([*self.base, "send-keys", "-t", "chat", "-l", text], check=True)

    def keys(self, *keys: str) -> None:
        """Press named keys (Enter, C-c)."""
        subprocess.run([*self.base, "send-keys", "-t", "chat", *keys], check=True)

    def wait_for(self, text: str) -> str:
        """Wait until `text` is on the screen; return the screen."""

        def showing() -> str:
            screen = self.screen()
            return screen if text in screen else ""

        try:
            return wait_until(showing, timeout=WAIT_SECONDS, what=f"{text!r} on the screen")
        except TimeoutError as error:
            raise AssertionError(f"{error}; the screen shows:\n{self.screen()}") from None

    def alive(self) -> bool:
        """Return whether the session still runs."""
        result = subprocess.run([*self.base, "has-session", "-t", "chat"], capture_output=True)
        return result.returncode == 0

    def close(self) -> None:
        """Stop the tmux server."""
        subprocess.run([*self.base, "kill-server"], capture_output=True, check=False)


def _pairs(env: dict[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in env.items()]


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    """Return a private tmux terminal; skip only when tmux cannot be installed here."""
    tmux = _tmux()
    if tmux is None:
        pytest.skip("tmux is not installed and apt-get could not install it")
    term = Terminal(tmux)
    yield term
    term.close()


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    """Serve a one-answer script with `assistant serve-script`; yield its base URL."""
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"chunk_size": 6, "turns": [{"text": ANSWER}]}))
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve-script", str(script)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "TERM": "xterm-256color",
        "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"),
        "ASSISTANT_CONFIG": str(tmp_path / "no-config.toml"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def test_assistant_chat_answers_a_typed_question_on_screen(terminal, endpoint, tmp_path):
    root = make_project(tmp_path)
    command = [sys.executable, "-m", "assistant", "chat", "--base-url", endpoint,
               "--api-key", "test-key", "--model", "qwen3-coder-plus", "--no-index"]  # fmt: skip
    terminal.start(command, root, _env(tmp_path))
    terminal.wait_for(READY)
    terminal.type("What does add do?")
    terminal.keys("Enter")
    screen = terminal.wait_for(ANSWER)
    assert "What does add do?" in screen
    assert "qwen3-coder-plus" in screen
    terminal.keys("C-c")
    terminal.keys("C-c")
    wait_until(lambda: not terminal.alive(), timeout=WAIT_SECONDS, what="the chat quitting")


def test_bare_assistant_in_a_terminal_opens_the_chat(terminal, endpoint, tmp_path):
    root = make_project(tmp_path)
    env = {**_env(tmp_path), "OPENAI_BASE_URL": endpoint, "OPENAI_API_KEY": "test-key",
           "ASSISTANT_MODEL": "qwen3-coder-plus"}  # fmt: skip
    terminal.start([sys.executable, "-m", "assistant"], root, env)
    terminal.wait_for(READY)
    # The prompt can show a moment before the greeting does: wait for the greeting itself.
    screen = terminal.wait_for("assistant in project")
    assert READY in screen
