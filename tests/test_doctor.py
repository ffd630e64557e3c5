"""`assistant doctor` passes against a working endpoint and fails in one line against none."""

from __future__ import annotations

import socket
import subprocess
import sys

from assistant.llm import ModelClient
from assistant.llm.doctor import run_checks
from assistant.testing import call, cli_env, settings_for

HEALTHY = {
    "turns": [{"tool_calls": [call("echo", word="ready")]}],
    "completions": [{"text": "a + b"}],
}


async def test_all_checks_pass_against_a_healthy_endpoint(scripted_server):
    server = scripted_server(HEALTHY)
    async with ModelClient(settings_for(server.base_url)) as client:
        checks = await run_checks(client)
    assert [(c.name, c.passed) for c in checks] == [
        ("endpoint reachable", True),
        ("model listed", True),
        ("tool call round-trip", True),
        ("FIM completion", True),
    ]
    tool_request = server.chat_requests[0].body
    assert tool_request["tool_choice"] == {"type": "function", "function": {"name": "echo"}}
    assert server.completion_requests[0].body["prompt"].startswith("<|fim_prefix|>")


async def test_a_configured_embeddings_endpoint_is_checked_too(scripted_server):
    server = scripted_server(HEALTHY)
    settings = settings_for(server.base_url, embeddings_model="scripted-embed-32")
    async with ModelClient(settings) as client:
        checks = {c.name: c for c in await run_checks(client)}
    check = checks["embeddings (scripted-embed-32)"]
    assert check.passed and check.detail.startswith("32 dimensions")
    assert len(server.embedding_requests) == 1


async def test_a_failing_embeddings_endpoint_fails_its_check_in_one_line(scripted_server):
    server = scripted_server(HEALTHY)
    server.embedding_faults.start = 0  # every embeddings request fails
    settings = settings_for(server.base_url, embeddings_model="scripted-embed-32", max_retries=0)
    async with ModelClient(settings) as client:
        checks = {c.name: c for c in await run_checks(client)}
    check = checks["embeddings (scripted-embed-32)"]
    assert not check.passed and "\n" not in check.detail
    assert checks["FIM completion"].passed  # the chat endpoint's checks are unaffected


async def test_a_model_that_ignores_the_tool_fails_that_check(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "no tools for me"}], "completions": [{"text": "x"}]}
    )
    async with ModelClient(settings_for(server.base_url)) as client:
        checks = {c.name: c for c in await run_checks(client)}
    assert not checks["tool call round-trip"].passed
    assert checks["FIM completion"].passed


def test_doctor_command_passes_against_the_scripted_server(scripted_server):
    server = scripted_server(HEALTHY)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "doctor",
            "--base-url",
            server.base_url,
            "--model",
            "qwen3-coder-plus",
            "--api-key",
            "k",
        ],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("pass") == 4


def test_doctor_against_a_closed_port_fails_in_one_clear_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", "--base-url", f"http://127.0.0.1:{port}/v1"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot reach the model endpoint")
