"""The language server's modules import one way: handlers know the server's state, not it them."""

from __future__ import annotations

import grimp


def test_lsp_modules_import_each_other_one_way():
    graph = grimp.build_graph("lsp", cache_dir=None)
    assert graph.nominate_cycle_breakers("lsp") == set()  # no cycle to break
    assert not graph.find_modules_that_directly_import("lsp.server")  # only the CLI starts it


def test_every_feature_is_registered_once_the_server_module_is_imported():
    from lsprotocol import types

    from lsp.server import create_server

    server = create_server()
    features = server.protocol.fm.features
    for method in (
        types.INITIALIZE,
        types.TEXT_DOCUMENT_DID_SAVE,
        types.TEXT_DOCUMENT_INLINE_COMPLETION,
        types.TEXT_DOCUMENT_COMPLETION,
        types.TEXT_DOCUMENT_CODE_ACTION,
    ):
        assert method in features
    assert sorted(server.protocol.fm.commands) == sorted(
        ["assistant.explain", "assistant.fix", "assistant.writeTests",
         "assistant.addDocstrings", "assistant.refactor", "assistant.ask"]
    )  # fmt: skip
