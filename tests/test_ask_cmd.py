"""`assistant demo` and `assistant ask`: what the context engine found comes first, then the
model's answer, labelled with the model that gave it."""

from __future__ import annotations

from pathlib import Path

from assistant.testing import cli_env, commit_files
from tests.cli_run import run_cli

ANSWER = "place_order() calls Inventory.reserve() for each line."


def endpoint(server) -> list[str]:
    return ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]


def test_the_demo_shows_what_the_engine_found_before_the_model_answers(
    monkeypatch, tmp_path: Path, scripted_server
):
    server = scripted_server({"turns": [{"text": ANSWER}]})
    done = run_cli(monkeypatch, cli_env(tmp_path / "cache"), "demo", *endpoint(server))
    assert done.code == 0, done.err
    found, _after = done.err.split("Answer from the model (qwen3-coder-plus):")
    assert "What the context engine found (the index alone, no model):" in found
    files = found.split("files:")[1].split("symbols:")[0]
    assert "inventory/orders.py" in files and "inventory/stock.py" in files
    assert "inventory/stock.py:" in found.split("symbols:")[1]  # a symbol, with its lines
    assert done.out.strip().endswith(ANSWER)
    prompt = str(server.chat_requests[0].body["messages"])
    assert "inventory/orders.py" in prompt  # what was shown is what the model read


def test_ask_says_so_when_nothing_matches(monkeypatch, tmp_path: Path, scripted_server):
    repo = commit_files(tmp_path / "repo", {"notes.txt": "nothing here\n"}, "notes")
    server = scripted_server({"turns": [{"text": "I cannot tell."}]})
    argv = ["ask", "zyxwvut qwerty", "--repo", str(repo), *endpoint(server)]
    done = run_cli(monkeypatch, cli_env(tmp_path / "cache"), *argv)
    assert done.code == 0, done.err
    assert "nothing matched the question" in done.err
    assert done.out.strip() == "I cannot tell."
