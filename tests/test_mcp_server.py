"""`assistant mcp serve` as other agents use it: the SDK's own client over stdio (and once over
HTTP) against the real command in a subprocess, on real git repositories, and the MCP
Inspector's command-line mode. The repositories hold secrets the server must never show."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client import IncomingMessage
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, TextContent

from assistant.config import Settings
from assistant.index import db_path_for, open_index
from assistant.mcp.serve_fresh import TreeWatch
from assistant.testing import cli_env, commit_files, tree_digest, write_files

ROOT = Path(__file__).resolve().parents[1]
KNOWN_KEY = "plainvalue-7a1b2c3d4e5f"  # the user's API key: not secret-looking, known only
GITHUB_TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
ENV_VALUE = "zebrahost.internal"  # in .env under a harmless name: redaction alone won't hide it
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
FILES = {
    "pkg/tokenizer.py": "def split_words(text):\n    return text.split()\n",
    "pkg/ranker.py": (
        "from pkg.tokenizer import split_words\n\n\n"
        "class Ranker:\n    def rank(self, text):\n        return sorted(split_words(text))\n"
    ),
    "pkg/cli.py": (
        "from pkg.ranker import Ranker\n\n\ndef main():\n    return Ranker().rank('b a')\n"
    ),
    "pkg/settings.py": f'GITHUB_TOKEN = "{GITHUB_TOKEN}"\nSTAGING = "{KNOWN_KEY}"\n',
    "README.md": "# Demo\n\nA ranker of words.\n",
}
SECRETS = {
    ".env": f"DB_HOST={ENV_VALUE}\n",
    "deploy/server.key": PEM,
    ".env.py": f"def zebra_credentials():\n    return '{ENV_VALUE}'\n",
}
TOOLS = {"search_code", "find_symbol", "repo_map", "read_file", "index_status"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with code, a committed token, untracked secrets files, and hard links to
    two of them under harmless names (the index takes those for ordinary files)."""
    root = commit_files(tmp_path / "repo", FILES, "initial")
    write_files(root, SECRETS)
    os.link(root / ".env", root / "notes.txt")
    os.link(root / ".env.py", root / "app_settings.py")
    return root


def server_env(repo: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a server run by a user whose API key is KNOWN_KEY."""
    return cli_env(
        repo.parent / "cache", ASSISTANT_API_KEY=KNOWN_KEY, PYTHONPATH=str(ROOT), **extra
    )


@contextlib.asynccontextmanager
async def served(repo: Path) -> AsyncIterator[Client]:
    """Run `python -m assistant mcp serve --repo REPO` and connect the SDK's client over stdio;
    at the end, check that the server's stdout carried nothing but protocol messages."""
    garbled: list[Exception] = []

    async def on_message(message: IncomingMessage) -> None:
        if isinstance(message, Exception):  # a stdout line that is no JSON-RPC message
            garbled.append(message)

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "mcp", "serve", "--repo", str(repo)],
        env=server_env(repo),
        cwd=str(repo.parent),
    )
    async with Client(params, message_handler=on_message) as client:
        yield client
    assert garbled == []


def text(result: CallToolResult) -> str:
    """Return the text blocks of a tool result."""
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def everything(result: CallToolResult) -> str:
    """Return all a client receives of a result: its text and its structured data."""
    return text(result) + json.dumps(result.structured_content)


async def test_lists_the_read_only_tools_with_their_schemas(repo):
    async with served(repo) as client:
        listed = (await client.list_tools()).tools
    by_name = {tool.name: tool for tool in listed}
    assert set(by_name) == TOOLS
    for tool in listed:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.annotations.open_world_hint is False
        assert len(tool.description or "") > 100  # says when to use it and what comes back
    assert by_name["search_code"].input_schema["required"] == ["query"]
    for name in ("search_code", "find_symbol", "index_status"):
        assert by_name[name].output_schema is not None
    assert by_name["read_file"].output_schema is None


async def test_search_answers_ranked_files_with_reasons_as_text_and_data(repo):
    async with served(repo) as client:
        result = await client.call_tool("search_code", {"query": "split words tokenizer"})
    assert not result.is_error
    data = result.structured_content
    assert data["files"][0]["path"] == "pkg/tokenizer.py"
    assert all(hit["reasons"] for hit in data["files"])
    chunk = data["chunks"][0]
    assert chunk["path"] == "pkg/tokenizer.py" and chunk["start_line"] == 1
    assert "def split_words" in chunk["text"]
    assert "1. pkg/tokenizer.py" in text(result)
    assert "    1  def split_words(text):" in text(result)


async def test_symbol_look_up_gives_definitions_and_references(repo):
    async with served(repo) as client:
        result = await client.call_tool("find_symbol", {"name": "tokenizer.split_words"})
    data = result.structured_content
    assert data["name"] == "split_words"
    assert [(d["path"], d["line"], d["kind"]) for d in data["definitions"]] == [
        ("pkg/tokenizer.py", 1, "function")
    ]
    assert ("pkg/ranker.py", 6) in {(r["path"], r["line"]) for r in data["references"]}
    assert "pkg/tokenizer.py:1  function  def split_words(text)" in text(result)


async def test_map_fits_its_budget_and_ranks_around_focus_files(repo):
    async with served(repo) as client:
        whole = text(await client.call_tool("repo_map", {"tokens": 1024}))
        focused = text(await client.call_tool("repo_map", {"tokens": 64, "focus": ["pkg/cli.py"]}))
        outside = await client.call_tool("repo_map", {"focus": ["../elsewhere.py"]})
    assert "class Ranker" in whole and "def split_words(text)" in whole
    assert focused.startswith("pkg/cli.py:") and len(focused) < len(whole)
    assert outside.is_error and "outside the repository" in text(outside)


async def test_read_pages_a_file_like_the_agents_read_file(repo):
    async with served(repo) as client:
        page = text(await client.call_tool("read_file", {"path": "pkg/ranker.py", "end_line": 4}))
        rest = text(await client.call_tool("read_file", {"path": "pkg/ranker.py", "start_line": 5}))
        missing = await client.call_tool("read_file", {"path": "pkg/nothing.py"})
    assert page.splitlines()[0] == "Showing lines 1-4 of 6 total lines. Read on with start_line=5."
    assert page.endswith("\nclass Ranker:")
    assert rest.startswith("Showing lines 5-6 of 6 total lines.")
    assert rest.endswith("\n        return sorted(split_words(text))")
    assert missing.is_error and "File not found: pkg/nothing.py" in text(missing)


async def test_secrets_files_and_git_internals_are_refused(repo):
    (repo / "head-link").symlink_to(repo / ".git" / "HEAD")
    refused = [".env", "deploy/server.key", "notes.txt", "app_settings.py", ".git/config",
               ".git/HEAD", "head-link", "pkg/../.git/config"]  # fmt: skip
    async with served(repo) as client:
        answers = {name: await client.call_tool("read_file", {"path": name}) for name in refused}
        searched = await client.call_tool("search_code", {"query": f"DB_HOST {ENV_VALUE}"})
        linked = await client.call_tool("search_code", {"query": "zebra_credentials"})
        symbol = await client.call_tool("find_symbol", {"name": "zebra_credentials"})
        mapped = await client.call_tool("repo_map", {"tokens": 4096})
        status = await client.call_tool("index_status", {})
    for name, result in answers.items():
        assert result.is_error, name
        assert ENV_VALUE not in text(result) and "PRIVATE KEY" not in text(result), name
        assert "[core]" not in text(result) and "refs/heads" not in text(result), name
    assert "secrets file" in text(answers["notes.txt"])  # the hard link, seen through
    assert "git internals" in text(answers[".git/config"])
    for hits in (searched.structured_content, linked.structured_content):
        assert hits["files"] == [] and hits["chunks"] == []  # the secrets match nothing shown
    assert symbol.structured_content["definitions"] == []
    assert "zebra_credentials" not in text(mapped) and "class Ranker" in text(mapped)
    # Neither link is indexed: one leads into .git, the other is a hard link to a secrets file.
    assert status.structured_content["files"] == len(FILES)


async def test_every_answer_is_redacted(repo):
    async with served(repo) as client:
        searched = await client.call_tool("search_code", {"query": "GITHUB_TOKEN STAGING"})
        read = await client.call_tool("read_file", {"path": "pkg/settings.py"})
        mapped = await client.call_tool("repo_map", {"tokens": 4096})
    assert searched.structured_content["chunks"][0]["path"] == "pkg/settings.py"
    for result in (searched, read, mapped):
        assert GITHUB_TOKEN not in everything(result)
        assert KNOWN_KEY not in everything(result)
    assert "[REDACTED]" in text(read) and "[REDACTED]" in json.dumps(searched.structured_content)


async def test_an_edit_on_disk_shows_up_in_the_next_answer(repo):
    async with served(repo) as client:
        before = await client.call_tool("search_code", {"query": "frobnicate_widgets"})
        with (repo / "pkg" / "ranker.py").open("a") as handle:  # an indexed file, in place
            handle.write("\n\ndef frobnicate_widgets(count):\n    return count\n")
        edited = await client.call_tool("search_code", {"query": "frobnicate_widgets"})
        write_files(repo, {"extra/deep/quux.py": "def quux_handler():\n    return 1\n"})
        (repo / "pkg" / "cli.py").unlink()
        created = await client.call_tool("find_symbol", {"name": "quux_handler"})
        removed = await client.call_tool("find_symbol", {"name": "main"})
        (repo / "pkg" / "tokenizer.py").write_bytes(b"def split_words(text):\0\n")  # binary now
        binary = await client.call_tool("find_symbol", {"name": "split_words"})
    assert not before.structured_content["files"]
    assert edited.structured_content["files"][0]["path"] == "pkg/ranker.py"
    assert created.structured_content["definitions"][0]["path"] == "extra/deep/quux.py"
    assert removed.structured_content["definitions"] == []
    assert binary.structured_content["definitions"] == []


def test_tree_watch_tells_edited_files_from_other_changes(tmp_path):
    root = commit_files(tmp_path / "repo", FILES, "initial")
    write_files(root, {"blob.bin": b"\0\1\2", "docs/empty/.keep": ""})
    with open_index(root, Settings(cache_dir=tmp_path / "cache")) as store:
        skipped = store.last_stats.skipped if store.last_stats else {}
        watch = TreeWatch.take(root, store.files(), skipped)
    assert "blob.bin" in skipped["binary"]
    assert watch.edited() == []
    (root / "pkg" / "cli.py").write_text("def main():\n    return 2\n")
    assert watch.edited() == ["pkg/cli.py"]
    (root / "blob.bin").write_text("now text\n")  # a skipped file that may be worth indexing
    assert watch.edited() is None
    fresh = watch.restamped()
    assert fresh.edited() == []
    (root / "docs" / "empty" / "new.py").write_text("x = 1\n")  # a folder of a listed file
    assert fresh.edited() is None


async def test_nothing_is_written_to_the_repository(repo):
    before = tree_digest(repo)
    async with served(repo) as client:
        for name in TOOLS - {"read_file", "search_code", "find_symbol"}:
            await client.call_tool(name, {})
        await client.call_tool("search_code", {"query": "rank words"})
        await client.call_tool("find_symbol", {"name": "Ranker"})
        await client.call_tool("read_file", {"path": "README.md"})
    assert tree_digest(repo) == before


async def test_a_damaged_index_is_rebuilt_and_the_rebuild_reported(repo):
    built = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--repo", str(repo)],
        env=server_env(repo), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    db = db_path_for(repo, Settings(cache_dir=repo.parent / "cache"))
    damage(db, "symbol_rows")  # the definitions table (read as the symbols view)
    async with served(repo) as client:
        found = await client.call_tool("find_symbol", {"name": "Ranker"})
        status = await client.call_tool("index_status", {})
    assert found.structured_content["definitions"][0]["path"] == "pkg/ranker.py"
    assert any("damaged" in notice for notice in status.structured_content["notices"])


def damage(db: Path, table: str) -> None:
    """Overwrite the start of `table`'s root b-tree page (a damage the open does not see)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (page,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    with db.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\xff" * 64)


async def test_http_transport_answers_on_loopback_only(repo):
    command = [
        sys.executable,
        "-m",
        "assistant",
        "mcp",
        "serve",
        "--repo",
        str(repo),
        "--http",
        "0",
    ]
    process = subprocess.Popen(
        command, env=server_env(repo), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = served_url(process)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        async with Client(url) as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            found = await client.call_tool("search_code", {"query": "Ranker rank"})
        assert listed == TOOLS
        assert found.structured_content["files"][0]["path"] == "pkg/ranker.py"
        assert listening_addresses(port) == {"127.0.0.1"}
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        async with httpx.AsyncClient() as http:
            rebound = await http.post(url, json=ping, headers={"Host": f"evil.example:{port}"})
            cross = await http.post(url, json=ping, headers={"Origin": "http://evil.example"})
        assert rebound.status_code == 421  # DNS rebinding: a page of another site by our address
        assert cross.status_code == 403
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C does
        process.communicate(timeout=30)
    assert process.returncode == 130  # the CLI's "interrupted"


def served_url(process: subprocess.Popen[str]) -> str:
    """Read the server's stderr up to the line that says where it listens; return the URL."""
    assert process.stderr is not None
    for line in process.stderr:
        if match := re.search(r"serving MCP at (http://\S+)", line):
            return match.group(1)
    raise AssertionError(f"the server ended without listening: {process.wait()}")


def listening_addresses(port: int) -> set[str]:
    """Return the local addresses of the TCP sockets listening on `port` (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
                found.add(".".join(str(b) for b in words[0]) if len(raw) == 4 else raw.hex())
    return found


def inspector(repo: Path, *method: str) -> dict[str, object]:
    """Run the MCP Inspector's command-line mode against `assistant mcp serve`; return its JSON."""
    env = server_env(repo)
    command = [
        "npx", "-y", "@modelcontextprotocol/inspector", "--cli",
        "-e", f"ASSISTANT_CACHE_DIR={env['ASSISTANT_CACHE_DIR']}",
        "-e", f"ASSISTANT_CONFIG={env['ASSISTANT_CONFIG']}", "-e", f"PYTHONPATH={ROOT}",
        sys.executable, "-m", "assistant", "mcp", "serve", "--repo", str(repo), *method,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def npm_registry() -> None:
    """Skip unless npx can fetch the Inspector (npx installed, the npm registry reachable)."""
    if shutil.which("npx") is None or shutil.which("npm") is None:
        pytest.skip("npx is not installed: the MCP Inspector cannot be run")
    probe = subprocess.run(
        ["npm", "view", "@modelcontextprotocol/inspector", "version"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"the npm registry is not reachable: {probe.stderr.strip()[-200:]}")


def test_the_mcp_inspector_lists_and_calls_the_tools(repo, npm_registry):
    listed = inspector(repo, "--method", "tools/list")
    called = inspector(
        repo, "--method", "tools/call", "--tool-name", "search_code",
        "--tool-arg", "query=split words tokenizer",
    )  # fmt: skip
    assert {tool["name"] for tool in listed["tools"]} == TOOLS  # type: ignore[index]
    files = called["structuredContent"]["files"]  # type: ignore[index]
    assert files[0]["path"] == "pkg/tokenizer.py"
    assert "pkg/tokenizer.py" in called["content"][0]["text"]  # type: ignore[index]
