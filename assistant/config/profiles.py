"""Named model profiles: where each popular way of serving Qwen3-Coder listens, and its model.

A description may suggest an embeddings model for semantic search, but no profile turns it on:
that takes the user's own `embeddings_model` (config file, flag or environment).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

DASHSCOPE_URLS = {
    "intl": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "us": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    "cn": "https://dashscope.aliyuncs.com/compatible-mode/v1",
}


@dataclass(frozen=True)
class Profile:
    """A named set of defaults for one kind of endpoint."""

    name: str
    description: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    api_key_env: str | None = None

    def values(self, env: Mapping[str, str], region: str = "intl") -> dict[str, Any]:
        """Return the settings this profile supplies, the API key read from its variable."""
        values = dict(self.fixed)
        if self.name == "dashscope" and "base_url" not in values:
            values["base_url"] = DASHSCOPE_URLS.get(region, DASHSCOPE_URLS["intl"])
        if self.api_key_env and env.get(self.api_key_env):
            values["api_key"] = env[self.api_key_env]
        return values


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "dashscope",
            "Alibaba Cloud Model Studio (region: intl, us or cn); FIM goes through chat; "
            "semantic search: embeddings_model = text-embedding-v4",
            {
                "model": "qwen3-coder-plus",
                "context_window": 1_000_000,
                "max_output_tokens": 65_536,
                "completion_backend": "chat",
            },
            api_key_env="DASHSCOPE_API_KEY",
        ),
        Profile(
            "vllm",
            "vLLM serving Qwen3-Coder (--tool-call-parser qwen3_coder); semantic search: serve "
            "Qwen/Qwen3-Embedding-0.6B and set embeddings_model and embeddings_base_url",
            {"base_url": "http://127.0.0.1:8000/v1", "model": "Qwen/Qwen3-Coder-30B-A3B-Instruct"},
        ),
        Profile(
            "sglang",
            "SGLang serving Qwen3-Coder (--tool-call-parser qwen3_coder)",
            {"base_url": "http://127.0.0.1:30000/v1", "model": "Qwen/Qwen3-Coder-30B-A3B-Instruct"},
        ),
        Profile(
            "ollama",
            "Ollama; set num_ctx in the Modelfile, or long prompts are silently cut; semantic "
            "search: embeddings_model = qwen3-embedding",
            {
                "base_url": "http://127.0.0.1:11434/v1",
                "model": "qwen3-coder:30b",
                "context_window": 32_768,
            },
        ),
        Profile(
            "llamacpp",
            "llama.cpp's llama-server (start it with --jinja for tool calls)",
            {
                "base_url": "http://127.0.0.1:8080/v1",
                "model": "qwen3-coder",
                "completion_backend": "llamacpp",
            },
        ),
        Profile(
            "openai",
            "any OpenAI-compatible endpoint: OPENAI_BASE_URL and OPENAI_API_KEY",
            {"model": "qwen3-coder-plus"},
            api_key_env="OPENAI_API_KEY",
        ),
        Profile(
            "local",
            "llama.cpp started by the assistant on a GGUF (local_gguf), or a tiny demo model",
            {"model": "local", "context_window": 4_096, "max_output_tokens": 512},
        ),
    )
}


def user_profiles(
    data: Mapping[str, Any], path: Path, known: Collection[str]
) -> dict[str, Profile]:
    """Return the `[profiles.NAME]` tables of a config file (`known`: the setting names)."""
    result = {}
    for name, table in (data.get("profiles") or {}).items():
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: [profiles.{name}] must be a table")
        unknown = sorted(set(table) - set(known) - {"api_key_env", "description"})
        if unknown:
            raise ConfigError(f"{path}: [profiles.{name}] has unknown key(s) {', '.join(unknown)}")
        fixed = {k: v for k, v in table.items() if k in known}
        result[name] = Profile(
            name,
            table.get("description", f"user profile from {path}"),
            fixed,
            table.get("api_key_env"),
        )
    return result
