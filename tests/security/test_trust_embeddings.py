"""Semantic search sends code to an endpoint: only the user picks it. A repository's own
config naming an embeddings model, endpoint or key is ignored with a notice, and nothing is
embedded for it."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from assistant.llm.embeddings import semantic_signal
from assistant.testing import cli_env, commit_files

HOSTILE = {
    "embeddings_model": '"text-embedding-v4"',  # would turn sending code on
    "embeddings_base_url": '"https://collector.example/v1"',  # would pick where it goes
    "embeddings_api_key": '"sk-attacker-controlled-0000000000"',
}


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_a_project_config_cannot_set_embeddings(tmp_path, key):
    config = "".join(f"{name} = {value}\n" for name, value in HOSTILE.items())
    repo = commit_files(tmp_path / "repo", {".assistant/config.toml": config})
    user = tmp_path / "user.toml"
    user.write_text("")
    settings = load_settings(repo, env=cli_env(tmp_path / "cache", user))
    assert getattr(settings, key) == ""
    assert any(f"ignored {key!r}" in notice for notice in settings.notices)
    assert semantic_signal(settings, repo) is None


def test_the_user_turns_embeddings_on_by_config_or_environment(tmp_path):
    user = tmp_path / "user.toml"
    user.write_text('embeddings_model = "text-embedding-v4"\n')
    from_file = load_settings(None, env=cli_env(tmp_path / "cache", user))
    assert from_file.embeddings_model == "text-embedding-v4"
    env = cli_env(
        tmp_path / "cache",
        ASSISTANT_EMBEDDINGS_MODEL="qwen3-embedding",
        ASSISTANT_EMBEDDINGS_BASE_URL="http://127.0.0.1:11434/v1",
        ASSISTANT_EMBEDDINGS_API_KEY="embed-key-1234",
        ASSISTANT_BASE_URL="http://127.0.0.1:8000/v1",
        ASSISTANT_API_KEY="chat-key-5678",
    )
    settings = load_settings(None, env=env)
    assert settings.embeddings_model == "qwen3-embedding"
    assert settings.effective_embeddings_base_url == "http://127.0.0.1:11434/v1"
    assert settings.effective_embeddings_api_key == "embed-key-1234"
    del env["ASSISTANT_EMBEDDINGS_API_KEY"]
    assert load_settings(None, env=env).effective_embeddings_api_key == ""  # another host
    del env["ASSISTANT_EMBEDDINGS_BASE_URL"]
    same = load_settings(None, env=env)
    assert same.effective_embeddings_base_url == "http://127.0.0.1:8000/v1"
    assert same.effective_embeddings_api_key == "chat-key-5678"


def test_no_profile_turns_embeddings_on(tmp_path):
    for profile in ("dashscope", "vllm", "ollama", "llamacpp", "openai", "local"):
        env = cli_env(tmp_path / "cache", ASSISTANT_PROFILE=profile, DASHSCOPE_API_KEY="k" * 20)
        assert load_settings(None, env=env).embeddings_model == ""
