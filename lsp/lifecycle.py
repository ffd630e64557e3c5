"""Start, configure and stop: initialize, initialized, didChangeConfiguration, shutdown."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from assistant.errors import AssistantError
from lsp.options import parse_options
from lsp.state import AssistantServer, server


@server.feature(types.INITIALIZE)
def initialize(params: types.InitializeParams) -> None:
    """Read the editor's options and workspace folder."""
    try:
        server.options = parse_options(params.initialization_options, server.options)
    except AssistantError as error:
        server.show(f"assistant: {error.one_line()}", types.MessageType.Error)
    if server.default_root is None:  # `--repo` on the command line wins
        server.default_root = workspace_root(params)


@server.feature(types.INITIALIZED)
async def initialized(params: types.InitializedParams) -> None:
    """Watch files and open the session (model client, index)."""
    server.spawn(watch_files(server))
    await open_or_report(server)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
    """Apply new editor settings; reconnect if the endpoint changed."""
    try:
        options = parse_options(params.settings, server.options)
    except AssistantError as error:
        server.show(f"assistant: {error.one_line()}", types.MessageType.Error)
        return
    endpoint_changed = options.endpoint != server.options.endpoint
    server.options = options
    session = await server.current()
    if endpoint_changed or session is None:
        await open_or_report(server)
    else:
        session.engine.options = options.completion
        session.next_edit.options = options.next_edit


@server.feature(types.SHUTDOWN)
async def shutdown(params: None) -> None:
    """Stop background work and close the session."""
    for task in list(server.background):
        task.cancel()
    if server.session is not None:
        await server.session.close()
        server.session = None


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
