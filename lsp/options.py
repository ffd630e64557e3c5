"""Editor settings: what `initializationOptions` and `didChangeConfiguration` may carry.

Accepted either flat or under an "assistant" key, in camelCase as editors write JSON:

    {"assistant": {"profile": "vllm", "model": "qwen3-coder", "baseUrl": "http://...",
                   "completion": {"enabled": true, "debounceMs": 75, "maxTokens": 160},
                   "nextEdit": {"enabled": true, "debounceMs": 500, "maxTokens": 400,
                                "backend": "chat"},
                   "refactorInstructions": ["Simplify this code"]}}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.editor import CompletionOptions
from assistant.editor.next_edit import NEXT_EDIT_BACKENDS, NextEditOptions
from assistant.errors import ConfigError

DEFAULT_INSTRUCTIONS = (
    "Simplify this code",
    "Extract the selection into a well-named function",
    "Add type hints",
)


@dataclass(frozen=True)
class EditorOptions:
    """The settings an editor sends, in our terms."""

    endpoint: dict[str, str] = field(default_factory=dict)  # profile, model, base_url overrides
    completion: CompletionOptions = field(default_factory=CompletionOptions)
    next_edit: NextEditOptions = field(default_factory=NextEditOptions)
    refactor_instructions: tuple[str, ...] = DEFAULT_INSTRUCTIONS


def parse_options(raw: Any, current: EditorOptions | None = None) -> EditorOptions:
    """Return `current` updated with what `raw` (editor JSON) sets; raise ConfigError if bad."""
    base = current or EditorOptions()
    if not isinstance(raw, Mapping):
        return base
    data = raw.get("assistant", raw)
    if not isinstance(data, Mapping):
        return base
    endpoint = dict(base.endpoint)
    for key, name in (("profile", "profile"), ("model", "model"), ("baseUrl", "base_url")):
        if key in data:
            endpoint[name] = _text(data[key], key)
    completion = dataclasses.replace(base.completion, **_timing(data, "completion"))
    next_edit = _next_edit_options(data, base.next_edit)
    instructions = base.refactor_instructions
    if isinstance(data.get("refactorInstructions"), list):
        instructions = tuple(_text(i, "refactorInstructions") for i in data["refactorInstructions"])
    return EditorOptions(endpoint, completion, next_edit, instructions)


def _timing(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Return the changes a section such as `completion` makes to enabled, debounce, tokens."""
    section = data.get(name, {})
    changes: dict[str, Any] = {}
    if not isinstance(section, Mapping):
        return changes
    if "enabled" in section:
        changes["enabled"] = bool(section["enabled"])
    if "debounceMs" in section:
        changes["debounce_ms"] = _number(section["debounceMs"], f"{name}.debounceMs")
    if "maxTokens" in section:
        changes["max_tokens"] = _number(section["maxTokens"], f"{name}.maxTokens")
    return changes


def _next_edit_options(data: Mapping[str, Any], base: NextEditOptions) -> NextEditOptions:
    changes = _timing(data, "nextEdit")
    section = data.get("nextEdit", {})
    if isinstance(section, Mapping) and "backend" in section:
        backend = _text(section["backend"], "nextEdit.backend")
        if backend not in NEXT_EDIT_BACKENDS:
            raise ConfigError(f"editor setting nextEdit.backend must be chat or fim: {backend!r}")
        changes["backend"] = backend
    return dataclasses.replace(base, **changes)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"editor setting {key} must be a string, got {value!r}")
    return value


def _number(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"editor setting {key} must be a non-negative number, got {value!r}")
    return int(value)
