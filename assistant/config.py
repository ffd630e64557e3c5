"""Settings: defaults < user file < project file < environment < command-line flags.

The layering, profiles and provenance are filled in by the foundation work; the `Settings`
fields below are the contract the rest of the core codes against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """The effective settings, loaded once and passed to whatever needs them."""

    profile: str = "local"
    base_url: str = ""
    api_key: str = ""
    model: str = ""
    # Completion (fill-in-the-middle) may use another model and endpoint; empty means "as chat".
    completion_model: str = ""
    completion_base_url: str = ""
    completion_api_key: str = ""
    # How the completion endpoint takes FIM: "openai" (/v1/completions with the FIM string as
    # prompt), "llamacpp" (/infill) or "chat" (FIM wrapped in a chat request).
    completion_backend: str = "openai"
    local_gguf: str = ""
    request_timeout: float = 60.0
    connect_timeout: float = 5.0
    max_retries: int = 4
    context_window: int = 262_144
    max_output_tokens: int = 8_192
    temperature: float = 0.7
    top_p: float = 0.8
    cache_dir: Path | None = None
    max_file_bytes: int = 1_048_576
    permission_mode: str = "ask"
    command_allow: tuple[str, ...] = ()
    command_deny: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def effective_completion_model(self) -> str:
        """Return the model used for completions: its own, or the chat model."""
        return self.completion_model or self.model

    @property
    def effective_completion_base_url(self) -> str:
        """Return the endpoint used for completions: its own, or the chat endpoint."""
        return self.completion_base_url or self.base_url
