"""web_fetch: a way out of the machine. Each destination asks a person unless the user's own
config allows it; a URL carrying a secret never leaves; redirects stay within the approved
destination; the page comes back as text. A local HTTP server plays the web."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from assistant.testing import call, commit_files, settings_for
from assistant.tools.base import Grant, ToolContext, run_guarded
from assistant.tools.web_fetch import WebFetch, html_text
from tests.cli_run import run_json
from tests.test_tui_app import SIZE, finish_turn, make_app, make_project, send, wait_until
from tui.widgets.command_approval import CommandApproval

PAGE = (
    "<html><head><title>t</title><style>p{}</style></head><body><h1>Retry policy</h1>"
    "<script>alert(1)</script><p>Use <b>5</b> retries.</p></body></html>"
)


class Site(BaseHTTPRequestHandler):
    """/page: HTML; /move: a redirect to /page; /away: a redirect to another host."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Site.seen.append(self.path)
        if self.path == "/move":
            self.send_response(302)
            self.send_header("Location", "/page")
        elif self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://localhost:9/elsewhere")
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        self.end_headers()
        if self.path == "/page":
            self.wfile.write(PAGE.encode())

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def site() -> Iterator[str]:
    Site.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def context(tmp_path: Path, grant: Grant, **settings: object) -> tuple[ToolContext, list[str]]:
    asked: list[str] = []

    async def authorize(kind: str, summary: str, detail: str) -> Grant:
        asked.append(f"{kind}: {summary}")
        return grant

    values = settings_for("http://127.0.0.1:9/v1", **settings)
    return ToolContext(tmp_path, values, authorize), asked


def test_a_page_becomes_its_readable_text():
    assert html_text(PAGE) == "Retry policy\nUse 5 retries."


async def test_each_destination_asks_once_and_a_refusal_fetches_nothing(site, tmp_path):
    ctx, asked = context(tmp_path, Grant.PERSON)
    first = await run_guarded(WebFetch(), {"url": f"{site}/page", "prompt": "retries?"}, ctx)
    again = await run_guarded(WebFetch(), {"url": f"{site}/move", "prompt": "retries?"}, ctx)
    assert first.ok and first.text.endswith("Retry policy\nUse 5 retries.")
    assert again.ok and again.text.endswith("Use 5 retries.")  # a redirect within it: followed
    assert asked == [f"fetch: fetch from {site}"]  # once for the destination
    refused_ctx, _ = context(tmp_path, Grant.REFUSED)
    Site.seen.clear()
    refused = await run_guarded(WebFetch(), {"url": f"{site}/page", "prompt": "x"}, refused_ctx)
    assert refused.refused and Site.seen == []


async def test_secrets_credentials_other_schemes_and_other_hosts_never_go_out(site, tmp_path):
    ctx, asked = context(tmp_path, Grant.PERSON, api_key="sk-live-user-key-0123456789")
    leaks = [
        f"{site}/page?key=sk-live-user-key-0123456789",
        f"{site}/page?token=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "http://user:hunter2@127.0.0.1/page",
        "file:///etc/passwd",
    ]
    for url in leaks:
        out = await run_guarded(WebFetch(), {"url": url, "prompt": "x"}, ctx)
        assert not out.ok and not out.refused, url
    assert Site.seen == [] and asked == []
    away = await run_guarded(WebFetch(), {"url": f"{site}/away", "prompt": "x"}, ctx)
    assert not away.ok and "redirects to another destination" in away.text


def test_headless_fetches_only_what_the_users_config_allows(scripted_server, site, tmp_path):
    repo = commit_files(tmp_path / "repo", {"app.py": "x = 1\n"})
    fetch = {"tool_calls": [call("web_fetch", url=f"{site}/page", prompt="retries?")]}
    server = scripted_server({"turns": [fetch, {"text": "no"}]})
    refused = run_json(repo, server, "look it up", "--mode", "yolo", cache=tmp_path / "c1")
    assert refused.of("ToolResult")[0]["refused"] and Site.seen == []  # yolo does not widen it
    config = tmp_path / "config.toml"
    config.write_text('fetch_allow = ["127.0.0.1"]\n')
    server = scripted_server({"turns": [fetch, {"text": "5 retries"}]})
    allowed = run_json(repo, server, "look it up", cache=tmp_path / "c2", config=config)
    assert allowed.of("ToolResult")[0]["output"].endswith("Use 5 retries.")


async def test_the_chat_asks_before_the_first_fetch_to_a_destination(
    scripted_server, site, tmp_path
):
    root = make_project(tmp_path)
    server = scripted_server(
        {"turns": [{"tool_calls": [call("web_fetch", url=f"{site}/page", prompt="retries?")]},
                   {"text": "5."}]}
    )  # fmt: skip
    app = make_app(server, root)
    async with app.run_test(size=SIZE) as pilot:
        app.engine.set_mode("yolo")
        await send(pilot, "how many retries?")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandApproval))
        dialog = app.screen
        assert str(dialog.query_one("#question").render()) == "Fetch from this destination?"
        await wait_until(pilot, lambda: getattr(app.focused, "id", "") == "refuse")
        await pilot.press("y")
        await finish_turn(pilot)
    assert Site.seen == ["/page"]


async def test_a_malformed_or_encoded_url_is_a_tool_error_not_a_crash(site, tmp_path):
    ctx, asked = context(tmp_path, Grant.PERSON, api_key="sk-live-user-key-0123456789")
    for url in (
        "http://127.0.0.1:99999/",
        "http://[bad/",
        f"{site}/p?k=sk%2Dlive%2Duser%2Dkey%2D0123456789",
    ):
        out = await run_guarded(WebFetch(), {"url": url, "prompt": "x"}, ctx)
        assert not out.ok and out.text.startswith("error: "), url
    assert asked == [] and Site.seen == []
