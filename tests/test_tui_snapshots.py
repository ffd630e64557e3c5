"""SVG snapshots of the chat at 80x24: the main screen, an edit's diff approval, a command's modal.

Update them after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and review the SVGs in tests/__snapshots__/.
"""

from __future__ import annotations

from textual.pilot import Pilot

from assistant.agent.events import ApprovalRequest
from assistant.testing import call, edit
from tests.test_tui_app import (
    SIZE,
    finish_turn,
    make_app,
    make_project,
    send,
    wait_until,
)
from tui.app import ChatApp
from tui.widgets.command_approval import CommandApproval
from tui.widgets.diff_approval import DiffApproval
from tui.widgets.prompt_input import PromptInput

USAGE = {"prompt_tokens": 1_830, "completion_tokens": 42}
ANSWER = (
    "`add` returns **a - b**, so it subtracts. The fix:\n\n"
    "```python\ndef add(a, b):\n    return a + b\n```\n"
)


async def _catalog_loaded(pilot: Pilot) -> None:
    """Wait for the file list, and stop the cursor blinking (a snapshot must not race it)."""
    app = pilot.app
    assert isinstance(app, ChatApp)
    app.query_one(PromptInput).cursor_blink = False
    await wait_until(pilot, lambda: "files:" in app.status.index_state)


def test_main_screen_after_a_turn(snap_compare, scripted_server, tmp_path):
    root = make_project(tmp_path)
    reads = [call("read_file", path="README.md"), call("read_file", path="app.py")]
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": reads, "usage": USAGE},
                {"text": ANSWER, "usage": USAGE},
            ]
        }
    )

    async def run_before(pilot: Pilot) -> None:
        await _catalog_loaded(pilot)
        await send(pilot, "What does add do?")
        await finish_turn(pilot)

    assert snap_compare(make_app(server, root), terminal_size=SIZE, run_before=run_before)


def test_edit_waiting_for_approval(snap_compare, scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server(
        {
            "turns": [
                {"tool_calls": [call("read_file", path="app.py")], "usage": USAGE},
                {"tool_calls": [edit("app.py", "return a - b", "return a + b")], "usage": USAGE},
                {"text": "Fixed.", "usage": USAGE},
            ]
        }
    )

    async def run_before(pilot: Pilot) -> None:
        await _catalog_loaded(pilot)
        await send(pilot, "Fix add")
        await wait_until(pilot, lambda: len(pilot.app.query(DiffApproval)) == 1)
        await pilot.pause()

    assert snap_compare(make_app(server, root), terminal_size=SIZE, run_before=run_before)


def test_command_waiting_for_approval(snap_compare, scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": []})
    # A fixed directory: the modal shows it verbatim, and a tmp path would vary run to run.
    request = ApprovalRequest(
        "call_1",
        "run_command",
        "command",
        "pytest -q tests/test_app.py",
        "$ pytest -q tests/test_app.py",
    )

    async def run_before(pilot: Pilot) -> None:
        await _catalog_loaded(pilot)
        await pilot.app.push_screen(CommandApproval(request, "/home/dev/project"))
        await pilot.pause()

    assert snap_compare(make_app(server, root), terminal_size=SIZE, run_before=run_before)


def test_main_screen_in_the_light_theme(snap_compare, scripted_server, tmp_path):
    root = make_project(tmp_path)
    server = scripted_server({"turns": [{"text": ANSWER, "usage": USAGE}]})

    async def run_before(pilot: Pilot) -> None:
        await _catalog_loaded(pilot)
        await pilot.press("ctrl+t")
        await send(pilot, "What does add do?")
        await finish_turn(pilot)

    assert snap_compare(make_app(server, root), terminal_size=SIZE, run_before=run_before)
