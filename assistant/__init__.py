"""A repository-aware coding assistant for Qwen3-Coder and any OpenAI-compatible model."""

__version__ = "0.1.0"
