"""Retrieval over a real indexed repository: identifiers, paths, definitions, priors, reasons."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.context import search, search_result_to_dict
from assistant.index import open_index
from assistant.testing import commit_files

FILES = {
    "src/app/http/parser.py": '''"""Parse raw HTTP bytes."""


def parseHttpResponse(data):
    head, _, body = data.partition(b"\\r\\n\\r\\n")
    return head, body
''',
    "src/app/middleware/gzip.py": '''"""Response compression."""

import zlib


def compress(body, level=6):
    return zlib.compress(body, level)
''',
    "src/app/server.py": """from app.middleware.gzip import compress


def serve(payload):
    return compress(payload)
""",
    "src/app/retry.py": '''"""When to try again."""


class RetryPolicy:
    """Decides whether a failed request is retried."""

    def should_retry(self, attempt, status):
        return attempt < 3 and status >= 500
''',
    "src/app/client.py": '''"""The client sends requests and retries them."""

from app.retry import RetryPolicy
from app.http.parser import parseHttpResponse


def send(request, policy=None):
    policy = policy or RetryPolicy()
    attempt = 0
    while True:
        response = request()
        head, body = parseHttpResponse(response)
        if not policy.should_retry(attempt, 500):
            return body
        attempt += 1
''',
    "src/app/settings.py": '''"""Settings."""

MAX_CONNECTIONS = 10


def load_connection_settings(path):
    return {"max": MAX_CONNECTIONS, "path": path}
''',
    "tests/test_settings.py": """from app.settings import load_connection_settings


def test_load_connection_settings_reads_connection_limits():
    connection = load_connection_settings("connection.toml")
    assert connection["max"] == 10  # connection settings connection limits
""",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("retrieve")
    root = base / "repo"
    commit_files(root, FILES, "initial")
    with open_index(root, Settings(cache_dir=base / "cache")) as opened:
        yield opened


def paths(result) -> list[str]:
    return [hit.path for hit in result.files]


def test_finds_a_file_by_a_camel_case_identifier(store):
    result = search(store, "crash in parseHttpResponse on an empty body")
    assert paths(result)[0] == "src/app/http/parser.py"


def test_finds_a_file_by_the_words_of_a_snake_case_identifier(store):
    result = search(store, "should retry more often")
    assert paths(result)[0] == "src/app/retry.py"


def test_finds_a_file_by_a_word_in_its_path(store):
    result = search(store, "gzip level is ignored")
    assert paths(result)[0] == "src/app/middleware/gzip.py"
    assert any("path matches gzip" in reason for reason in result.files[0].reasons)


def test_the_definer_of_a_named_symbol_outranks_its_users(store):
    result = search(store, "Make `RetryPolicy` configurable")
    ranked = paths(result)
    assert ranked.index("src/app/retry.py") < ranked.index("src/app/client.py")
    assert "defines `RetryPolicy`" in result.files[0].reasons


def test_a_misspelt_identifier_finds_its_fuzzy_definer(store):
    result = search(store, "RetryPolicies should back off")
    assert "src/app/retry.py" in paths(result)[:2]


def test_source_outranks_a_test_that_repeats_the_words(store):
    result = search(store, "load connection settings limits")
    ranked = paths(result)
    assert ranked.index("src/app/settings.py") < ranked.index("tests/test_settings.py")
    test_hit = next(hit for hit in result.files if hit.path == "tests/test_settings.py")
    assert any(reason.startswith("test file") for reason in test_hit.reasons)


def test_a_named_file_is_found(store):
    result = search(store, "tidy up settings.py a little")
    assert paths(result)[0] == "src/app/settings.py"


def test_chunks_carry_reasons_and_point_into_their_files(store):
    result = search(store, "parseHttpResponse partition body", limit=5)
    assert result.chunks
    best = result.chunks[0]
    assert best.chunk.path == "src/app/http/parser.py"
    assert best.reasons
    assert "parseHttpResponse" in best.chunk.text


def test_limit_bounds_files_and_chunks(store):
    result = search(store, "request response body settings retry", limit=2)
    assert len(result.files) <= 2
    assert len(result.chunks) <= 2


def test_a_query_of_nothing_but_noise_finds_nothing(store):
    result = search(store, "the and of (#123) https://example.com/x")
    assert result.files == ()
    assert result.chunks == ()


def test_result_serialises_to_plain_data(store):
    data = search_result_to_dict(search(store, "RetryPolicy", limit=3))
    assert data["files"][0]["path"] == "src/app/retry.py"
    assert {"path", "start_line", "end_line", "score", "reasons", "text"} <= set(data["chunks"][0])


def test_neighbours_link_a_file_to_what_it_uses_and_to_its_users(store):
    from assistant.context.neighbours import neighbours

    around_retry = neighbours(store, "src/app/retry.py")
    around_client = neighbours(store, "src/app/client.py")
    assert "src/app/client.py" in around_retry
    assert {"src/app/retry.py", "src/app/http/parser.py"} <= set(around_client)
    assert "src/app/client.py" not in around_client


def test_a_name_used_everywhere_links_its_file_to_none_of_its_users(store, monkeypatch):
    from assistant.context import neighbours as module

    assert "src/app/client.py" in module.neighbours(store, "src/app/retry.py")
    monkeypatch.setattr(module, "MAX_USES", 0)
    assert "src/app/client.py" not in module.neighbours(store, "src/app/retry.py")


def test_neighbourhoods_read_through_shared_names_equal_each_file_read_alone(store, monkeypatch):
    from assistant.context.neighbours import Neighbourhoods, neighbours

    alone = {path: neighbours(store, path) for path in FILES}
    asked: list[str] = []
    definers = store.definers
    monkeypatch.setattr(
        store, "definers", lambda names, most: asked.extend(names) or definers(names, most)
    )
    shared = Neighbourhoods()
    assert {path: shared.of(store, path) for path in reversed(FILES)} == alone
    assert "RetryPolicy" in asked and len(asked) == len(set(asked))  # each name asked once


def test_a_search_after_an_edit_links_the_new_user(tmp_path):
    from assistant.index.indexer import update_paths

    root = tmp_path / "repo"
    commit_files(root, FILES, "initial")
    settings = Settings(cache_dir=tmp_path / "cache")
    with open_index(root, settings) as opened:
        before = search(opened, "when to try again")
        assert paths(before)[0] == "src/app/retry.py"
        (root / "src/app/worker.py").write_text(
            "from app.retry import RetryPolicy\n\n\ndef work():\n    return RetryPolicy()\n"
        )
        update_paths(opened, root, ["src/app/worker.py"], settings.max_file_bytes)
        after = search(opened, "when to try again")
        worker = next(hit for hit in after.files if hit.path == "src/app/worker.py")
        assert "linked to src/app/retry.py in the reference graph" in worker.reasons


def test_a_user_of_the_best_match_is_found_through_the_graph(store):
    result = search(store, "compression")
    assert paths(result)[0] == "src/app/middleware/gzip.py"
    server = next(hit for hit in result.files if hit.path == "src/app/server.py")
    assert "linked to src/app/middleware/gzip.py in the reference graph" in server.reasons


def test_a_query_word_that_is_a_file_name_finds_that_file(store):
    result = search(store, "client sends twice")
    assert paths(result)[0] == "src/app/client.py"
    assert "file name matches `client`" in result.files[0].reasons


def test_a_limit_of_zero_finds_nothing_and_raises_nothing(store):
    result = search(store, "parse http response", 0)
    assert result.files == () and result.chunks == ()
    assert paths(search(store, "parse http response", 1))  # the same query finds with a limit
