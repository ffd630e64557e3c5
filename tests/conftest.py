"""Shared fixtures: the scripted OpenAI-compatible server and settings pointing at it."""

from __future__ import annotations

import pytest

from assistant.llm import RetryPolicy

pytest_plugins = ["assistant.testing.pytest_plugin"]


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Return a retry policy with tiny waits, so fault tests stay quick."""
    return RetryPolicy(max_retries=3, base_delay=0.01, max_delay=1.0)
