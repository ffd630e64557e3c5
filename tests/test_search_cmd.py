"""`assistant search` and `assistant map` as outside tools call them: real processes, real repos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.testing import cli_env, commit_files

ROOT = Path(__file__).resolve().parents[1]

FILES = {
    "pkg/tokenizer.py": "def split_words(text):\n    return text.split()\n",
    "pkg/ranker.py": (
        "from pkg.tokenizer import split_words\n\n\n"
        "class Ranker:\n    def rank(self, text):\n        return sorted(split_words(text))\n"
    ),
    "pkg/cli.py": (
        "from pkg.ranker import Ranker\n\n\ndef main():\n    return Ranker().rank('b a')\n"
    ),
    "README.md": "# Demo\n\nA ranker of words.\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return commit_files(tmp_path_factory.mktemp("cli") / "repo", FILES, "initial")


def assistant(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `repo` with a private index cache, as a tool would."""
    env = cli_env(repo.parent / "cache", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_files_output_is_exactly_repository_relative_paths(repo):
    result = assistant(repo, "search", "--files", "--limit", "20", "split words tokenizer")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "pkg/tokenizer.py"
    assert len(lines) == len(set(lines))
    for line in lines:
        assert line == line.strip()
        assert not line.startswith(("/", "./"))
        assert (repo / line).is_file(), line


def test_files_output_respects_the_limit(repo):
    result = assistant(repo, "search", "--files", "--limit", "1", "Ranker rank words")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pkg/ranker.py"]


def test_search_sees_a_file_added_since_the_last_search(repo):
    assistant(repo, "search", "--files", "ranker")
    (repo / "pkg" / "stemmer.py").write_text("def stem_word(word):\n    return word.rstrip('s')\n")
    result = assistant(repo, "search", "--files", "--limit", "3", "stem_word plural")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "pkg/stemmer.py"


def test_json_output_parses_with_ranked_chunks(repo):
    result = assistant(repo, "search", "--json", "--limit", "5", "Ranker")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["files"][0]["path"] == "pkg/ranker.py"
    scores = [chunk["score"] for chunk in data["chunks"]]
    assert scores == sorted(scores, reverse=True)
    assert all(chunk["reasons"] for chunk in data["chunks"])


def test_repo_flag_searches_another_directory(repo, tmp_path):
    result = assistant(tmp_path, "search", "--files", "--repo", str(repo), "tokenizer")
    assert result.returncode == 0, result.stderr
    assert "pkg/tokenizer.py" in result.stdout.splitlines()


def test_map_prints_ranked_signatures_within_budget(repo):
    result = assistant(repo, "map", "--tokens", "200")
    assert result.returncode == 0, result.stderr
    assert "pkg/tokenizer.py:" in result.stdout
    assert "def split_words(text)" in result.stdout
    assert "return text.split()" not in result.stdout


def test_map_focus_accepts_repository_paths(repo):
    result = assistant(repo, "map", "--tokens", "30", "--focus", "pkg/cli.py")
    assert result.returncode == 0, result.stderr
    assert "pkg/cli.py:" in result.stdout


def test_search_does_not_import_front_ends_or_the_model_client(repo):
    probe = (
        "import sys; from assistant.cli import main; main(['search', '--files', 'rank']); "
        "heavy = [m for m in ('textual', 'pygls', 'openai') if m in sys.modules]; "
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    env = cli_env(repo.parent / "cache", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, env=env, capture_output=True, text=True
    )
    assert "HEAVY []" in result.stderr, result.stderr
