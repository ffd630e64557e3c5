"""Helpers shared by the tests."""

from __future__ import annotations

from assistant.config import Settings

MODEL = "qwen3-coder-plus"


def settings_for(base_url: str, **changes: object) -> Settings:
    """Return settings that talk to `base_url` with the scripted model."""
    values: dict[str, object] = {
        "profile": "test",
        "base_url": base_url,
        "api_key": "test-key",
        "model": MODEL,
        "request_timeout": 10.0,
        "connect_timeout": 2.0,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]
