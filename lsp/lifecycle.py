"""Start, configure and stop: initialize, initialized, didChangeConfiguration, shutdown."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from assistant.errors import AssistantError
from lsp.options import parse_options
from lsp.server import AssistantServer


def register(server: AssistantServer) -> None:
    """Register the lifecycle handlers on `server`."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: AssistantServer, params: types.InitializeParams) -> None:
        """Read the editor's options and workspace folder."""
        try:
            ls.options = parse_options(params.initialization_options, ls.options)
        except AssistantError as error:
            ls.show(f"assistant: {error.one_line()}", types.MessageType.Error)
        if ls.default_root is None:  # `--repo` on the command line wins
            ls.default_root = workspace_root(params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: AssistantServer, params: types.InitializedParams) -> None:
        """Watch files and open the session (model client, index)."""
        ls.spawn(watch_files(ls))
        await open_or_report(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: AssistantServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """Apply new editor settings; reconnect if the endpoint changed."""
        try:
            options = parse_options(params.settings, ls.options)
        except AssistantError as error:
            ls.show(f"assistant: {error.one_line()}", types.MessageType.Error)
            return
        endpoint_changed = options.endpoint != ls.options.endpoint
        ls.options = options
        session = await ls.current()
        if endpoint_changed or session is None:
            await open_or_report(ls)
        else:
            session.engine.options = options.completion

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: AssistantServer, params: None) -> None:
        """Stop background work and close the session."""
        for task in list(ls.background):
            task.cancel()
        if ls.session is not None:
            await ls.session.close()
            ls.session = None


async def open_or_report(ls: AssistantServer) -> None:
    """(Re)open the session for the workspace root; show why if it cannot be opened."""
    root = (ls.default_root or Path.cwd()).resolve()
    try:
        await ls.replace_session(root)
    except AssistantError as error:
        ls.show(f"assistant: {error.one_line()}", types.MessageType.Error)


async def watch_files(ls: AssistantServer) -> None:
    """Ask the editor to report file changes on disk (when it can register watchers)."""
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if watched is None or not watched.dynamic_registration:
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
    )
    registration = types.Registration(
        id="assistant-watch",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams([registration]))
    except JsonRpcException as error:  # the editor said it could, then refused: save still works
        ls.log(f"the editor refused to watch files ({error}); the index updates on save only")


def workspace_root(params: types.InitializeParams) -> Path | None:
    """Return the workspace's root folder from the initialize request, if it names one."""
    uris = [folder.uri for folder in params.workspace_folders or ()]
    uris.append(params.root_uri or "")
    for uri in uris:
        path = to_fs_path(uri) if uri else None
        if path:
            return Path(path)
    return Path(params.root_path) if params.root_path else None
