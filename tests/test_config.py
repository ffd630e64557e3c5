"""Settings layering, profiles, provenance, masking and bad input, with real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import explain_settings, load_settings
from assistant.config.profiles import DASHSCOPE_URLS
from assistant.errors import ConfigError
from assistant.security.secrets import mask_secret


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    user = tmp_path / "home" / "config.toml"
    user.parent.mkdir()
    repo = tmp_path / "repo"
    (repo / ".assistant").mkdir(parents=True)
    return user, repo


def test_nothing_configured_means_the_local_profile(files):
    user, repo = files
    settings = load_settings(repo, env={}, user_config=user)
    assert settings.profile == "local"
    assert settings.base_url == ""


def test_layers_apply_in_order_default_user_project_env_flag(files):
    user, repo = files
    user.write_text('model = "from-user"\ntemperature = 0.1\nmax_retries = 9\n')
    (repo / ".assistant" / "config.toml").write_text('model = "from-project"\ntemperature = 0.2\n')
    env = {"ASSISTANT_MODEL": "from-env", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}
    settings = load_settings(repo, overrides={"model": "from-flag"}, env=env, user_config=user)
    assert settings.model == "from-flag"
    assert settings.temperature == 0.2
    assert settings.max_retries == 9
    sources = {s.key: s.source for s in explain_settings(repo, {"model": "x"}, env, user)}
    assert sources["model"] == "flag"
    assert sources["temperature"] == str(repo / ".assistant" / "config.toml")
    assert sources["max_retries"] == str(user)
    assert sources["base_url"] == "env OPENAI_BASE_URL"
    assert sources["top_p"] == "default"


def test_openai_base_url_and_key_are_honoured(files):
    user, repo = files
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1", "OPENAI_API_KEY": "sk-test"}
    settings = load_settings(repo, env=env, user_config=user)
    assert settings.profile == "openai"
    assert (settings.base_url, settings.api_key) == ("http://127.0.0.1:8000/v1", "sk-test")


def test_dashscope_key_selects_dashscope_with_its_region(files):
    user, repo = files
    env = {"DASHSCOPE_API_KEY": "sk-dash"}
    settings = load_settings(repo, env=env, user_config=user)
    assert settings.profile == "dashscope"
    assert settings.base_url == DASHSCOPE_URLS["intl"]
    assert settings.model == "qwen3-coder-plus"
    assert settings.api_key == "sk-dash"
    user.write_text('region = "cn"\n')
    assert load_settings(repo, env=env, user_config=user).base_url == DASHSCOPE_URLS["cn"]


@pytest.mark.parametrize(
    ("profile", "url", "model"),
    [
        ("vllm", "http://127.0.0.1:8000/v1", "Qwen/Qwen3-Coder-30B-A3B-Instruct"),
        ("sglang", "http://127.0.0.1:30000/v1", "Qwen/Qwen3-Coder-30B-A3B-Instruct"),
        ("ollama", "http://127.0.0.1:11434/v1", "qwen3-coder:30b"),
        ("llamacpp", "http://127.0.0.1:8080/v1", "qwen3-coder"),
    ],
)
def test_profiles_fill_endpoint_and_model(files, profile, url, model):
    user, repo = files
    settings = load_settings(repo, overrides={"profile": profile}, env={}, user_config=user)
    assert (settings.base_url, settings.model) == (url, model)


def test_explicit_values_win_over_the_profile(files):
    user, repo = files
    user.write_text('profile = "vllm"\nmodel = "my-finetune"\n')
    settings = load_settings(repo, env={}, user_config=user)
    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert settings.model == "my-finetune"


def test_separate_completion_model(files):
    user, repo = files
    user.write_text('profile = "vllm"\ncompletion_model = "Qwen/Qwen2.5-Coder-7B"\n')
    settings = load_settings(repo, env={}, user_config=user)
    assert settings.effective_completion_model == "Qwen/Qwen2.5-Coder-7B"
    assert settings.effective_completion_base_url == settings.base_url


def test_user_defined_profile(files):
    user, repo = files
    user.write_text(
        '[profiles.work]\nbase_url = "http://127.0.0.1:8001/v1"\nmodel = "qc"\n'
        'api_key_env = "WORK_KEY"\n'
    )
    settings = load_settings(
        repo, overrides={"profile": "work"}, env={"WORK_KEY": "k1"}, user_config=user
    )
    assert (settings.base_url, settings.model, settings.api_key) == (
        "http://127.0.0.1:8001/v1",
        "qc",
        "k1",
    )


def test_bad_toml_names_the_file(files):
    user, repo = files
    user.write_text("model = \n")
    with pytest.raises(ConfigError, match=r"config\.toml: invalid TOML"):
        load_settings(repo, env={}, user_config=user)


def test_unknown_setting_and_profile_are_refused(files):
    user, repo = files
    user.write_text('modle = "typo"\n')
    with pytest.raises(ConfigError, match=r"unknown setting.*modle"):
        load_settings(repo, env={}, user_config=user)
    user.write_text("")
    with pytest.raises(ConfigError, match="unknown profile 'nope'"):
        load_settings(repo, overrides={"profile": "nope"}, env={}, user_config=user)


def test_bad_number_is_a_clear_error(files):
    user, repo = files
    user.write_text('max_retries = "many"\n')
    with pytest.raises(ConfigError, match="max_retries"):
        load_settings(repo, env={}, user_config=user)


def test_secrets_are_masked():
    assert mask_secret("sk-1234567890abcdef") == "sk-…cdef"
    assert "1234" not in mask_secret("sk-1234567890abcdef")
    assert mask_secret("") == ""


def test_config_command_shows_sources_and_masks_keys(files):
    user, repo = files
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI", "DASHSCOPE", "ASSISTANT"))
    }
    env.update(ASSISTANT_CONFIG=str(user), DASHSCOPE_API_KEY="sk-secretsecret1234")
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "config", "--json", "--repo", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    assert data["profile"] == {"value": "dashscope", "source": "implied by DASHSCOPE_API_KEY"}
    assert data["api_key"]["value"] == "sk-…1234"
    assert "secretsecret" not in out
    table = subprocess.run(
        [sys.executable, "-m", "assistant", "config", "--repo", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "secretsecret" not in table and "dashscope" in table
