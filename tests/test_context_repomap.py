"""The repo map over a real indexed repository: budget, content, ranking, caching."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.context import estimate_tokens, repo_map
from assistant.context.repomap import fit_map, ranked_symbols, render_map
from assistant.index import open_index
from assistant.testing import commit_files, init_repo

STORE_PY = '''"""Persistence."""


class Store:
    """Keeps records."""

    def save(self, record):
        secret_body_marker = record.encode()
        return secret_body_marker

    def load(self, key):
        return key


def open_store(path):
    return Store()
'''

CLIENT = """from store import Store, open_store


def handler_{n}(request):
    store = open_store("db")
    Store.save(store, request)
    return Store.load(store, request)
"""

PLUGIN = """def plugin_hook(event):
    return event


class PluginRegistry:
    def register(self, hook):
        return hook
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Commit a store module, many clients of it and an unrelated plugin module."""
    files = {"store.py": STORE_PY, "plugins/plugin.py": PLUGIN}
    files.update({f"handlers/h{n}.py": CLIENT.format(n=n) for n in range(8)})
    return commit_files(tmp_path / "repo", files, "initial")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("budget", [20, 60, 150, 400, 2_000])
def test_map_fits_its_token_budget(root, settings, budget):
    with open_index(root, settings) as store:
        text = repo_map(store, budget)
    assert estimate_tokens(text) <= budget


def test_map_holds_the_most_best_symbols_that_fit_and_one_more_would_not(root, settings):
    with open_index(root, settings) as store:
        ranked = ranked_symbols(store)
    containers = {
        (r.symbol.path, r.symbol.name): r.symbol for r in ranked if r.symbol.kind == "class"
    }
    for budget in range(1, 200, 3):
        text = fit_map(ranked, budget)
        counts = [n for n in range(len(ranked) + 1)
                  if render_map((r.symbol for r in ranked[:n]), containers) == text]  # fmt: skip
        assert counts, f"budget {budget}: the map is no prefix of the ranking"
        shown = max(counts)
        assert estimate_tokens(text) <= budget
        if shown < len(ranked):
            longer = render_map((r.symbol for r in ranked[: shown + 1]), containers)
            assert estimate_tokens(longer) > budget


def test_map_leads_with_the_most_used_file_and_elides_bodies(root, settings):
    with open_index(root, settings) as store:
        text = repo_map(store, 120)
    assert text.splitlines()[0] == "store.py:"
    assert "class Store" in text
    assert "def save(self, record)" in text
    assert "secret_body_marker" not in text
    assert "return" not in text


def test_larger_budget_shows_more(root, settings):
    with open_index(root, settings) as store:
        small = repo_map(store, 40)
        large = repo_map(store, 2_000)
    assert len(large) > len(small)
    assert "plugins/plugin.py:" in large
    assert "handlers/h0.py:" in large


def test_focus_pulls_its_file_into_a_small_map(root, settings):
    with open_index(root, settings) as store:
        plain = repo_map(store, 40)
        focused = repo_map(store, 40, focus=["plugins/plugin.py"])
    assert "plugins/plugin.py" not in plain
    assert "plugins/plugin.py:" in focused


def test_mentioned_name_pulls_its_definition_up(root, settings):
    with open_index(root, settings) as store:
        plain = [r.symbol.name for r in ranked_symbols(store)]
        mentioned = [r.symbol.name for r in ranked_symbols(store, mentioned=["PluginRegistry"])]
    assert mentioned.index("PluginRegistry") < plain.index("PluginRegistry")


def test_repeated_map_is_served_from_the_cache_and_edits_invalidate_it(root, settings):
    with open_index(root, settings) as store:
        first = repo_map(store, 300)
        cache_files = list(store.db_path.parent.glob("*.maps.json"))
        assert cache_files, "the map was not cached next to the index"
        assert repo_map(store, 300) == first
    (root / "store.py").write_text(STORE_PY.replace("def load(self, key)", "def fetch(self, key)"))
    with open_index(root, settings) as store:
        after = repo_map(store, 300)
    assert "def fetch(self, key)" in after
    assert "def load(self, key)" not in after


def test_empty_repository_gives_an_empty_map(tmp_path, settings):
    root = init_repo(tmp_path / "empty")
    with open_index(root, settings) as store:
        assert repo_map(store, 500) == ""


def test_a_repository_where_nothing_uses_anything_still_gets_a_map(tmp_path, settings):
    greet = "def greet(name):\n    return 'hi ' + name\n"
    root = commit_files(tmp_path / "lonely", {"greet.py": greet}, "one file")
    with open_index(root, settings) as store:
        assert repo_map(store, 500) == "greet.py:\n  def greet(name)\n"


def test_render_groups_methods_under_their_file_in_source_order(root, settings):
    with open_index(root, settings) as store:
        symbols = [s for s in store.symbols(path="store.py") if s.kind != "module"]
    text = render_map(reversed(symbols))
    lines = text.splitlines()
    assert lines[0] == "store.py:"
    assert lines.index("  class Store") < lines.index("    def save(self, record)")


def test_best_first_is_the_stable_argsort_even_with_ties_and_nan():
    import numpy as np

    from assistant.context.repomap import best_first

    rng = np.random.default_rng(5)
    cases = [rng.integers(0, 4, 50).astype(float), np.array([np.nan, 2.0, 3.0, np.nan, 3.0])]
    for score in cases:
        for limit in (None, 0, 1, 2, 3, 7, 49, 50, 80):
            expected = np.argsort(-score, kind="stable")[:limit]
            assert best_first(score, limit).tolist() == expected.tolist()
