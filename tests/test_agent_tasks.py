"""Whole agent tasks on real git repositories: a cross-file rename, edit faults, undo."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import git

from assistant.agent.events import Done, FileEdited, ToolResult
from assistant.agent.loop import Agent, AgentConfig
from assistant.agent.permissions import PermissionPolicy
from assistant.agent.runner import turn_changes
from assistant.edits.undo import UndoJournal
from assistant.llm import ModelClient, RetryPolicy
from assistant.testing import (
    call,
    commit_files,
    edit,
    settings_for,
    stage_files,
    turns,
    work_tree_bytes,
)
from assistant.tools.edit import Edit
from assistant.tools.files import ReadFile, WriteFile
from assistant.tools.run_command import RunShellCommand

PRICING = '''"""Prices."""


def compute_total(items):
    """Return the total price."""
    return sum(price for _, price in items)
'''
ORDERS = '''"""Orders."""

from shop.pricing import compute_total


def order_total(order):
    return compute_total(order["items"])
'''
REPORT = '''"""Reports."""

from shop.pricing import compute_total


def daily(orders):
    return [compute_total(o["items"]) for o in orders]
'''
TEST = """from shop.orders import order_total


def test_order_total():
    assert order_total({"items": [("a", 2), ("b", 3)]}) == 5
"""


SHOP = {
    "shop/__init__.py": "",
    "shop/pricing.py": PRICING,
    "shop/orders.py": ORDERS,
    "shop/report.py": REPORT,
    "test_shop.py": TEST,
}


async def run(server, root: Path, task: str = "task", cache: Path | None = None) -> list:
    settings = settings_for(server.base_url, cache_dir=cache)
    client = ModelClient(settings, retry=RetryPolicy(max_retries=1, base_delay=0.01))
    agent = Agent(
        AgentConfig(
            root=root, settings=settings, client=client,
            tools=[ReadFile(), Edit(), WriteFile(), RunShellCommand()],
            policy=PermissionPolicy(mode="yolo"), system_prompt="test",
            changes=turn_changes(root, settings) if cache is not None else None,
        )
    )  # fmt: skip
    try:
        return [event async for event in agent.run(task)]
    finally:
        await client.aclose()


async def test_rename_a_function_across_files_then_run_the_tests(scripted_server, tmp_path):
    commit_files(tmp_path, SHOP, "shop")
    pytest_cmd = f"{sys.executable} -m pytest -q -p no:cacheprovider test_shop.py"
    answers = [
        {
            "text": "Reading the files.",
            "tool_calls": [
                call("read_file", path="shop/pricing.py"),
                call("read_file", path="shop/orders.py"),
                call("read_file", path="shop/report.py"),
            ],
        },
        {
            "tool_calls": [
                edit("shop/pricing.py", "def compute_total(items):", "def order_sum(items):"),
                edit(
                    "shop/orders.py",
                    "from shop.pricing import compute_total\n",
                    "from shop.pricing import order_sum\n",
                ),
                edit(
                    "shop/report.py",
                    "from shop.pricing import compute_total",
                    "from shop.pricing import order_sum",
                ),
            ]
        },
        {
            "tool_calls": [
                edit(
                    "shop/orders.py",
                    '    return compute_total(order["items"])',
                    '    return order_sum(order["items"])',
                ),
                edit("shop/report.py", '[compute_total(o["items"])', '[order_sum(o["items"])'),
            ]
        },
        {"tool_calls": [call("run_command", command=pytest_cmd)]},
        {"text": "Renamed compute_total to order_sum in 3 files; the tests pass."},
    ]
    server = scripted_server({"turns": answers})
    events = await run(server, tmp_path)
    assert events[-1] == Done(
        "completed",
        "Renamed compute_total to order_sum in 3 files; the tests pass.",
        ("shop/pricing.py", "shop/orders.py", "shop/report.py"),
    )
    assert (tmp_path / "shop" / "pricing.py").read_text() == PRICING.replace(
        "compute_total", "order_sum"
    )
    assert (tmp_path / "shop" / "orders.py").read_text() == ORDERS.replace(
        "compute_total", "order_sum"
    )
    assert (tmp_path / "shop" / "report.py").read_text() == REPORT.replace(
        "compute_total", "order_sum"
    )
    assert (tmp_path / "test_shop.py").read_text() == TEST
    test_run = next(e for e in events if isinstance(e, ToolResult) and e.name == "run_command")
    assert test_run.ok and "1 passed" in test_run.output
    assert all(e.ok for e in events if isinstance(e, ToolResult))


async def test_an_edit_whose_search_text_does_not_match_returns_the_closest_region(
    scripted_server, tmp_path
):
    commit_files(tmp_path, SHOP, "shop")
    server = scripted_server(
        turns(
            call("read_file", path="shop/pricing.py"),
            edit("shop/pricing.py", "def compute_totals(things, tax):\n    pass", "x"),
            text="I will re-read.",
        )
    )
    events = await run(server, tmp_path)
    failed = next(e for e in events if isinstance(e, ToolResult) and not e.ok)
    assert "closest region" in failed.output and "def compute_total(items):" in failed.output
    assert (tmp_path / "shop" / "pricing.py").read_text() == PRICING
    assert "closest region" in server.chat_requests[2].body["messages"][-1]["content"]


async def test_a_file_changed_on_disk_between_read_and_edit_is_not_overwritten(
    scripted_server, tmp_path
):
    commit_files(tmp_path, SHOP, "shop")
    answers = [
        {"tool_calls": [call("read_file", path="shop/pricing.py")]},
        {  # answered late, so the user's edit lands between the read and the edit
            "tool_calls": [
                edit("shop/pricing.py", "def compute_total(items):", "def total(items):")
            ],
            "fault": {"kind": "delay", "seconds": 0.5},
        },
        {"text": "ok"},
    ]
    server = scripted_server({"turns": answers})

    async def user_edits_file() -> None:  # after the agent has read the file
        await asyncio.to_thread(server.wait_for_requests, 2, 10)
        (tmp_path / "shop" / "pricing.py").write_text(PRICING + "\n# the user's edit\n")

    watcher = asyncio.create_task(user_edits_file())
    events = await run(server, tmp_path)
    await watcher
    failed = next(e for e in events if isinstance(e, ToolResult) and e.name == "edit")
    assert not failed.ok and "changed on disk" in failed.output
    assert (tmp_path / "shop" / "pricing.py").read_text() == PRICING + "\n# the user's edit\n"


async def test_paths_escaping_the_repository_are_refused(scripted_server, tmp_path):
    repo = tmp_path / "repo"
    commit_files(repo, SHOP, "shop")
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT\n")
    answers = [
        {
            "tool_calls": [
                call("read_file", path="../secret.txt"),
                call("write_file", path="../evil.py", content="x"),
                call("read_file", path="/etc/passwd"),
            ]
        },
        {"text": "ok"},
    ]
    server = scripted_server({"turns": answers})
    events = await run(server, repo)
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [r.ok for r in results] == [False, False, False]
    assert all("outside the repository" in r.output or "absolute path" in r.output for r in results)
    assert not (tmp_path / "evil.py").exists()
    assert "TOP-SECRET-CONTENT" not in str(server.chat_requests[1].body["messages"])


async def test_secrets_files_are_never_read_into_the_prompt(scripted_server, tmp_path):
    commit_files(tmp_path, SHOP, "shop")
    (tmp_path / ".env").write_text("API_KEY=sk-very-secret\n")
    server = scripted_server(turns(call("read_file", path=".env"), text="ok"))
    events = await run(server, tmp_path)
    assert not next(e for e in events if isinstance(e, ToolResult)).ok
    assert "sk-very-secret" not in str(server.chat_requests[1].body)


async def test_undo_after_two_agent_turns_restores_bytes_and_staging(scripted_server, tmp_path):
    repo = git.Repo(commit_files(tmp_path, SHOP, "shop"))
    stage_files(tmp_path, {"shop/orders.py": ORDERS + "# staged by the user\n"})
    (tmp_path / "scratch.txt").write_text("untracked notes\n")
    before = work_tree_bytes(tmp_path)
    staged_before = repo.git.diff("--cached")
    cache = tmp_path.parent / f"{tmp_path.name}-cache"
    journal = UndoJournal(tmp_path, cache)
    first = [
        {"tool_calls": [call("read_file", path="shop/pricing.py")]},
        {
            "tool_calls": [
                edit("shop/pricing.py", "Return the total price.", "Sum the prices."),
                call("write_file", path="shop/tax.py", content="RATE = 0.2\n"),
            ]
        },
        {"text": "turn one done"},
    ]
    second = [
        {"tool_calls": [call("read_file", path="scratch.txt")]},
        {"tool_calls": [edit("scratch.txt", "untracked notes", "rewritten by the agent")]},
        {"text": "turn two done"},
    ]
    server = scripted_server({"turns": first + second})
    await run(server, tmp_path, "first", cache)
    await run(server, tmp_path, "second", cache)
    assert (tmp_path / "scratch.txt").read_text() == "rewritten by the agent\n"
    assert [t.label.split(" (")[0] for t in journal.turns()] == ["first", "second"]
    journal.undo()
    assert (tmp_path / "scratch.txt").read_text() == "untracked notes\n"
    assert (tmp_path / "shop" / "tax.py").exists()
    journal.undo()
    assert work_tree_bytes(tmp_path) == before
    assert repo.git.diff("--cached") == staged_before


async def test_edited_files_are_reported_as_events(scripted_server, tmp_path):
    commit_files(tmp_path, SHOP, "shop")
    server = scripted_server(
        turns(call("write_file", path="shop/new.py", content="VALUE = 1\n"), text="created")
    )
    events = await run(server, tmp_path)
    (edited,) = [e for e in events if isinstance(e, FileEdited)]
    assert edited.path == "shop/new.py" and edited.created and "+VALUE = 1" in edited.diff
