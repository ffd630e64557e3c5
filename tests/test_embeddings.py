"""Semantic search, optional: embeddings computed incrementally into the index, searched beside
the lexical signals, off by default; against the scripted server over real HTTP, real git
repositories and real SQLite indexes."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.context import search
from assistant.index import IndexStore, open_index
from assistant.index.embedding import embed_pending, embedding_text
from assistant.llm import RetryPolicy
from assistant.llm.embeddings import EmbeddingsClient, semantic_signal, update_embeddings
from assistant.security.secrets import Redactor
from assistant.testing import cli_env, commit_files, settings_for, write_files
from assistant.testing.embeddings import scripted_vector
from tests.cli_run import ROOT, run_cli

PLANTED_KEY = "sk-proj-" + "Q7wErTy9UiOp3AsDfGh5JkLz"  # a token format redaction knows
USER_KEY = "embeddings-user-key-8d1f0c"  # the user's own key, hidden wherever it appears

FILES = {
    "shop/cart.py": (
        "class Cart:\n"
        "    def add_item(self, item, quantity):\n"
        "        self.items.append((item, quantity))\n\n"
        "    def remove_item(self, item):\n"
        "        self.items = [pair for pair in self.items if pair[0] != item]\n\n"
        "    def total_price(self):\n"
        "        return sum(item.price * quantity for item, quantity in self.items)\n"
    ),
    "shop/payment.py": (
        "def charge_card(card, amount):\n    return card.charge(amount)\n\n\n"
        "def refund(card, amount):\n    return card.charge(-amount)\n"
    ),
    "shop/ledger.py": (
        "def settle(ledger):\n"
        "    ledger = ledger or ledger_default(ledger)\n"
        "    return ledger, ledger, ledger\n"
    ),
    "shop/mailer.py": "def send_receipt(address, cart):\n    return f'{address}: {cart}'\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", FILES, "initial")


def embedding_settings(tmp_path: Path, base_url: str, model: str = "scripted-embed-32", **more):
    """Settings with the scripted server as chat and embeddings endpoint, quick retries."""
    return settings_for(
        base_url, embeddings_model=model, cache_dir=tmp_path / "cache", max_retries=1, **more
    )


def sent_texts(server, start: int = 0) -> list[str]:
    """Return every text the embeddings requests from number `start` on carried."""
    return [text for r in server.embedding_requests[start:] for text in r.body["input"]]


def chunk_texts(store: IndexStore, settings) -> set[str]:
    """Return what each chunk of the index is embedded as."""
    redactor = Redactor(settings.known_secrets)
    return {embedding_text(c.path, c.symbol, c.text, redactor) for c in store.chunks()}


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Return a loopback port nothing listens on: bound, never listening, so connections are
    refused and no other process can take it during the test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


def test_only_changed_chunks_are_embedded_again(repo, tmp_path, scripted_server, monkeypatch):
    server = scripted_server()
    env = cli_env(
        tmp_path / "cache",
        ASSISTANT_EMBEDDINGS_MODEL="scripted-embed-32",
        ASSISTANT_EMBEDDINGS_BASE_URL=server.base_url,
    )
    first = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    assert first.code == 0, first.err
    settings = embedding_settings(tmp_path, server.base_url)
    with open_index(repo, settings, update=False) as store:
        before = chunk_texts(store, settings)
    counts = json.loads(first.out)["embeddings"]
    assert counts["embedded"] == len(before) == len(sent_texts(server))
    assert (counts["reused"], counts["failed"]) == (0, 0)
    seen = len(server.embedding_requests)

    cart = FILES["shop/cart.py"].replace("self.items.append", "self.items.insert(0, ")
    write_files(repo, {"shop/cart.py": cart.replace("quantity))\n", "quantity)))\n", 1)})
    again = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    with open_index(repo, settings, update=False) as store:
        after = chunk_texts(store, settings)
    changed = after - before
    assert changed and all("add_item" in text for text in changed)
    assert sorted(sent_texts(server, seen)) == sorted(changed)  # exactly the changed chunk
    counts = json.loads(again.out)["embeddings"]
    assert counts["embedded"] == len(changed)
    assert counts["reused"] == len(after & before)


def test_an_unreachable_endpoint_leaves_search_lexical_with_one_notice(repo, tmp_path, closed_port):
    url = f"http://127.0.0.1:{closed_port}/v1"
    env = cli_env(
        tmp_path / "cache",
        ASSISTANT_EMBEDDINGS_MODEL="scripted-embed-32",
        ASSISTANT_EMBEDDINGS_BASE_URL=url,
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "search", "--files", "charge card amount"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "shop/payment.py"
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "semantic search is unavailable" in lines[0] and url in lines[0]
    assert "Traceback" not in done.stderr


def test_a_long_lived_process_is_told_once(repo, tmp_path, closed_port):
    settings = embedding_settings(tmp_path, f"http://127.0.0.1:{closed_port}/v1")
    told: list[str] = []
    signal = semantic_signal(settings, repo, told.append)
    assert signal is semantic_signal(settings, repo, told.append)  # one per process
    with open_index(repo, settings) as store:
        for query in ("charge card", "total price", "send receipt"):
            assert search(store, query, semantic=signal).files
    assert len(told) == 1


def test_a_model_with_another_dimension_embeds_everything_again(repo, tmp_path, scripted_server):
    server = scripted_server()
    small = embedding_settings(tmp_path, server.base_url, "scripted-embed-32")
    wide = embedding_settings(tmp_path, server.base_url, "scripted-embed-48")
    with open_index(repo, small) as store:
        first = update_embeddings(store, small, repo)
        assert first is not None and first.embedded == len(chunk_texts(store, small))
        seen = len(server.embedding_requests)
        second = update_embeddings(store, wide, repo)
        assert second is not None
        assert (second.embedded, second.reused) == (first.embedded, 0)
        assert sorted(sent_texts(server, seen)) == sorted(sent_texts(server)[: first.embedded])
        places, vectors = store.vector_matrix("scripted-embed-48", 48)
        assert vectors.shape == (len(store.chunks()), 48)
        assert store.vector_matrix("scripted-embed-48", 32)[1].shape[0] == 0  # never mixed
        assert store.vector_matrix("scripted-embed-32", 32)[1].shape == (len(places), 32)
        result = search(store, "charge card", semantic=semantic_signal(wide, repo))
        assert result.files[0].path == "shop/payment.py"


def test_a_new_dimension_for_the_same_model_replaces_its_vectors(repo, tmp_path):
    settings = embedding_settings(tmp_path, "http://127.0.0.1:9/v1")
    with open_index(repo, settings) as store:
        redactor = Redactor()
        embed_pending(store, lambda texts: [[1.0] * 8 for _ in texts], "m", redactor)
        assert store.vector_matrix("m", 8)[1].shape[0] == len(store.chunks())
        store.add_vectors("m", [("x" * 64, np.ones(4, np.float32))])
        assert store.vector_matrix("m", 8)[1].shape[0] == 0
        stats = embed_pending(store, lambda texts: [[1.0] * 4 for _ in texts], "m", redactor)
        assert stats.embedded == len(store.chunks())
        assert store.vector_matrix("m", 4)[1].shape[0] == len(store.chunks())


def test_a_failure_keeps_the_batches_done_and_the_rerun_embeds_the_rest(
    repo, tmp_path, scripted_server
):
    server = scripted_server()
    settings = embedding_settings(tmp_path, server.base_url)
    quick = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.05)
    client = EmbeddingsClient(settings, retry=quick)
    redactor = Redactor()
    server.embedding_faults.start = 2  # the third request on fails, retries too
    with open_index(repo, settings) as store:
        total = len(chunk_texts(store, settings))
        stopped = embed_pending(store, client.embed, settings.embeddings_model, redactor,
                                batch=2)  # fmt: skip
        assert total > 4 and (stopped.embedded, stopped.failed) == (4, min(2, total - 4))
        assert stopped.pending == total - 4 and "HTTP 500" in stopped.error
        done_first = set(sent_texts(server)[:4])
        seen = len(server.embedding_requests)
        server.embedding_faults.start = None
        rerun = embed_pending(store, client.embed, settings.embeddings_model, redactor,
                              batch=2)  # fmt: skip
        assert (rerun.embedded, rerun.reused, rerun.failed) == (total - 4, 4, 0)
        rest = sent_texts(server, seen)
        assert len(rest) == total - 4 and not done_first & set(rest)
        client.close()
        assert not store.pending_texts(settings.embeddings_model)
        assert store.count_embedded_texts(settings.embeddings_model) == total


def test_an_endpoint_answering_non_finite_vectors_stores_nothing_and_says_why(repo, tmp_path):
    # A broken (or hostile) endpoint's NaN would make every cosine NaN and the ranking garbage.
    settings = embedding_settings(tmp_path, "http://127.0.0.1:9/v1")

    def broken(texts):
        return [[float("nan")] * 8 for _ in texts]

    with open_index(repo, settings) as store:
        stats = embed_pending(store, broken, settings.embeddings_model, Redactor())
        assert stats.embedded == 0 and "not finite" in stats.error
        assert store.count_embedded_texts(settings.embeddings_model) == 0


def test_secrets_never_reach_the_embeddings_endpoint(tmp_path, scripted_server):
    files = {
        **FILES,
        "shop/config.py": f'OPENAI_KEY = "{PLANTED_KEY}"\nUSER = "{USER_KEY}"\n',
        ".env": f"TOKEN={PLANTED_KEY}\nSECRET_WORD=plumtree\n",
    }
    repo = commit_files(tmp_path / "repo", files, "initial")
    os.link(repo / ".env", repo / "shop" / "envcopy.py")  # a hard link to a secrets file
    server = scripted_server()
    settings = embedding_settings(tmp_path, server.base_url, embeddings_api_key=USER_KEY)
    with open_index(repo, settings) as store:
        stats = update_embeddings(store, settings, repo)
        assert stats is not None and stats.embedded and not stats.error
        search(store, f"where is {PLANTED_KEY} used", semantic=semantic_signal(settings, repo))
    bodies = [json.dumps(r.body) for r in server.embedding_requests]
    assert bodies and any("[REDACTED]" in body for body in bodies)
    for body in bodies:
        assert PLANTED_KEY not in body and USER_KEY not in body and "plumtree" not in body


def test_the_chat_key_never_goes_to_another_embeddings_host(repo, tmp_path, scripted_server):
    chat, other = scripted_server(), scripted_server()
    settings = settings_for(
        chat.base_url,
        api_key="chat-key-never-elsewhere",
        embeddings_model="scripted-embed-32",
        embeddings_base_url=other.base_url,
        cache_dir=tmp_path / "cache",
    )
    with open_index(repo, settings) as store:
        update_embeddings(store, settings, repo)
    assert other.embedding_requests and not chat.requests
    for request in other.embedding_requests:
        assert "chat-key-never-elsewhere" not in request.headers.get("authorization", "")
    same_host = dataclasses.replace(settings, embeddings_base_url=chat.base_url)
    assert same_host.effective_embeddings_api_key == "chat-key-never-elsewhere"


def test_embeddings_are_off_by_default(repo, tmp_path, scripted_server, monkeypatch):
    server = scripted_server()
    env = cli_env(tmp_path / "cache", ASSISTANT_BASE_URL=server.base_url)
    indexed = run_cli(monkeypatch, env, "index", "--json", "--repo", str(repo))
    assert indexed.code == 0, indexed.err
    assert "embeddings" not in json.loads(indexed.out)
    found = run_cli(monkeypatch, env, "search", "charge card", "--repo", str(repo))
    assert found.code == 0 and "shop/payment.py" in found.out, found.err
    assert semantic_signal(settings_for(server.base_url)) is None
    assert not server.embedding_requests


def test_closeness_in_meaning_finds_a_file_no_word_of_the_query_is_in(
    repo, tmp_path, scripted_server
):
    server = scripted_server()
    settings = embedding_settings(tmp_path, server.base_url)
    target = int(np.argmax(scripted_vector("ledger", 32)))
    word = next(
        w
        for w in (f"qu{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "aeiouy")
        if int(np.argmax(scripted_vector(w, 32))) == target
    )
    with open_index(repo, settings) as store:
        update_embeddings(store, settings, repo)
        lexical = search(store, word)
        assert "shop/ledger.py" not in [hit.path for hit in lexical.files]
        found = search(store, word, semantic=semantic_signal(settings, repo))
    best = found.files[0]
    assert best.path == "shop/ledger.py"
    assert any(reason.startswith("close in meaning") for reason in best.reasons)
