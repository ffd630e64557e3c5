"""The language server's state: the one server object, the core session it holds, helpers.

Handler modules (lifecycle, documents, completion, actions) register their features on
`server` when they are imported, as pygls's own examples do; `lsp.server` imports them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from assistant import __version__
from assistant.config import Settings, load_settings
from assistant.editor import CompletionEngine
from assistant.editor.actions import ActionRunner
from assistant.editor.live import LiveIndex
from assistant.editor.next_edit import NextEditEngine
from assistant.llm import ModelClient
from lsp.options import EditorOptions

log = logging.getLogger(__name__)


@dataclass
class Session:
    """The core objects serving one repository for the editor."""

    root: Path
    settings: Settings
    client: ModelClient
    engine: CompletionEngine
    next_edit: NextEditEngine
    index: LiveIndex
    actions: ActionRunner
    stack: AsyncExitStack

    async def close(self) -> None:
        """Close the model connection and the index."""
        await self.stack.aclose()
        await asyncio.to_thread(self.index.close)


class AssistantServer(LanguageServer):
    """The `assistant lsp` server: protocol state around one core `Session`."""

    def __init__(self, root: Path | None = None, overrides: Mapping[str, str] | None = None):
        super().__init__("assistant", __version__)
        self.default_root = root
        self.overrides = dict(overrides or {})
        self.options = EditorOptions()
        self.session: Session | None = None
        self.ready = asyncio.Event()
        self.dirty: set[str] = set()  # documents modified since they were opened or saved
        self.endpoint_error: str | None = None
        self.background: set[asyncio.Task[object]] = set()

    # -- the session -------------------------------------------------------------------------

    async def open_session(self, root: Path) -> Session:
        """Load settings for `root`, connect the model, start indexing; return the session."""
        from assistant.llm.connect import connect_model

        overrides = {**self.overrides, **self.options.endpoint}  # the editor's settings win
        settings = await asyncio.to_thread(load_settings, root, overrides)
        for notice in settings.notices:
            self.info(f"assistant: {notice}")
        stack = AsyncExitStack()
        client = await stack.enter_async_context(connect_model(settings, notice=self.info))
        index = LiveIndex(root, settings)
        engine = CompletionEngine(client, root.name, index, self.options.completion)
        actions = ActionRunner(root, settings, client, index)
        next_edit = NextEditEngine(client, root, index, self.options.next_edit)
        session = Session(root, settings, client, engine, next_edit, index, actions, stack)
        self.spawn(self._build_index(index))
        return session

    async def replace_session(self, root: Path) -> None:
        """Open a session for `root` (closing the previous one) and mark the server ready."""
        old, self.session = self.session, None
        self.ready.clear()
        if old is not None:
            await old.close()
        try:
            self.session = await self.open_session(root)
        finally:
            self.ready.set()

    async def current(self) -> Session | None:
        """Return the session once it is open (None if opening it failed)."""
        await self.ready.wait()
        return self.session

    async def _build_index(self, index: LiveIndex) -> None:
        stats = await index.build()
        if stats is not None:
            note = f" ({stats.notice})" if stats.notice else ""
            self.log(f"index ready: {stats.files} files, {stats.parsed} parsed{note}")

    # -- helpers for handlers ----------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, object]) -> asyncio.Task[object]:
        """Run a coroutine in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Task[object]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("background work failed: %s", error, exc_info=error)
            self.show(f"assistant: {error}", types.MessageType.Error)

    def relative_path(self, uri: str) -> str | None:
        """Return the document's path relative to the repository root (None if outside)."""
        session = self.session
        fs_path = to_fs_path(uri)
        if session is None or fs_path is None:
            return None
        with contextlib.suppress(ValueError):
            return Path(fs_path).resolve().relative_to(session.root).as_posix()
        return None

    def buffers(self, *, dirty_only: bool) -> dict[str, str]:
        """Return open documents (path -> text): all of them, or only the modified ones."""
        result = {}
        for uri, document in self.workspace.text_documents.items():
            if dirty_only and uri not in self.dirty:
                continue
            path = self.relative_path(uri)
            if path is not None:
                result[path] = document.source
        return result

    def endpoint_failed(self, message: str) -> None:
        """Show an endpoint failure once per outage, not once per keystroke."""
        if self.endpoint_error is None:
            self.show(f"assistant: {message}", types.MessageType.Error)
        self.endpoint_error = message

    def endpoint_recovered(self) -> None:
        """Note that the endpoint answered again (the next failure is shown)."""
        self.endpoint_error = None

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """Show a message to the user."""
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def info(self, message: str) -> None:
        """Show a notice (e.g. that the tiny demo model is answering)."""
        self.show(message, types.MessageType.Info)

    def log(self, message: str) -> None:
        """Write to the editor's log for this server."""
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=message))


server = AssistantServer()
