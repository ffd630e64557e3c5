"""Cost in money: DashScope's tiered prices for Qwen3-Coder (or the user's own), shown per
request in --json, per session in the chat's status bar and the run's outcome, and a session
budget that stops the run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.llm.pricing import format_cost, pricing_for
from assistant.llm.types import Usage
from assistant.testing import call, commit_files, settings_for
from tests.cli_run import run_json
from tests.test_tui_app import SIZE, finish_turn, make_app, make_project, send
from tui.widgets.status_bar import StatusBar

USAGE = {"prompt_tokens": 10_000, "completion_tokens": 1_000, "total_tokens": 11_000}


@pytest.mark.parametrize(
    ("model", "region", "prompt", "expected", "currency"),
    [
        ("qwen3-coder-plus", "intl", 10_000, 10_000 * 1.0 / 1e6 + 1_000 * 5.0 / 1e6, "USD"),
        ("qwen3-coder-plus", "intl", 40_000, 40_000 * 1.8 / 1e6 + 1_000 * 9.0 / 1e6, "USD"),
        ("qwen3-coder-plus-2025-07-22", "cn", 10_000, 10_000 * 4.0 / 1e6 + 1_000 * 16 / 1e6, "CNY"),
        ("qwen3-coder-flash", "intl", 300_000, 300_000 * 1.6 / 1e6 + 1_000 * 9.6 / 1e6, "USD"),
    ],
)
def test_dashscope_bills_by_the_tier_of_each_requests_input(
    model, region, prompt, expected, currency
):
    settings = settings_for(
        "http://127.0.0.1:9/v1", model=model, region=region, profile="dashscope"
    )
    pricing = pricing_for(settings)
    assert pricing is not None and pricing.currency == currency
    assert pricing.cost(Usage(prompt, 1_000, prompt + 1_000)) == pytest.approx(expected)


def test_local_models_are_free_unknown_ones_unknown_and_the_users_prices_win():
    base = settings_for("http://127.0.0.1:9/v1")
    assert (
        format_cost(0.0, pricing_for(dataclasses.replace(base, profile="vllm")).currency) == "free"
    )
    assert pricing_for(dataclasses.replace(base, model="some-other-model")) is None
    own = dataclasses.replace(base, model="x", price_input_per_mtok=2, price_output_per_mtok=8)
    assert own is not None and pricing_for(own).cost(Usage(1_000_000, 500_000, 0)) == 6.0
    assert format_cost(None, "USD") == "?" and format_cost(0.01234, "USD") == "$0.0123"


def run(repo: Path, server, tmp_path: Path, config: str = "") -> tuple[int, list[dict]]:
    user = tmp_path / "config.toml"
    user.write_text(config)
    done = run_json(repo, server, "look", "--mode", "yolo", cache=tmp_path / "cache", config=user)
    return done.code, done.events


def test_each_request_and_the_run_report_their_cost(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": "x = 1\n"})
    task = call("task", description="Look", prompt="What is x?", subagent_type="general-purpose")
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [task], "usage": USAGE},
                {"text": "x is 1.", "usage": USAGE},  # the sub-agent's request
                {"text": "x is 1.", "usage": USAGE},
            ]
        }
    )
    code, events = run(repo, server, tmp_path)
    one = 10_000 * 1.0 / 1e6 + 1_000 * 5.0 / 1e6
    costs = [e["cost"] for e in events if e["event"] == "UsageUpdate"]
    assert costs == pytest.approx([one, one, one])  # the sub-agent's request counts too
    outcome = events[-1]
    assert outcome["cost"] == pytest.approx(3 * one) and outcome["currency"] == "USD"
    assert code == 0


def test_the_session_budget_stops_the_run(scripted_server, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": "x = 1\n"})
    read = {"tool_calls": [call("read_file", absolute_path="app.py")], "usage": USAGE}
    server = scripted_server({"turns": [read, read, read, {"text": "never"}]})
    code, events = run(repo, server, tmp_path, "max_session_cost = 0.02\n")
    error = next(e for e in events if e["event"] == "ErrorEvent")
    assert error["message"].startswith("the session budget (0.02 USD) is spent: 0.0300 USD")
    assert next(e for e in events if e["event"] == "Done")["reason"] == "budget"
    assert len(server.chat_requests) == 2 and code == 2  # the third request was never sent


async def test_the_status_bar_shows_the_sessions_spend(scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": "Hi.", "usage": USAGE}]})
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        assert "$0.0150 │" in app.query_one(StatusBar).info.line()
