"""Scripts for the scripted server: what it answers, turn by turn, and which faults it injects.

A turn's `fault` plays a broken or hostile endpoint:

- `delay`: wait `seconds` before answering.
- `status`: answer HTTP `status` (with `retry_after` seconds as Retry-After when set).
- `drop`: abort the connection after `after_chunks` streamed chunks (before any answer when
  not streamed).
- `malformed_arguments`: send tool-call arguments cut in half (not JSON).
- `endless`: stream forever, until the client hangs up: the turn's text (or a filler) over
  and over, in the turn's chunk size and chunk delay (no delay: as fast as the client
  reads). `channel` says where: `content` (default), `arguments` (one tool call whose
  arguments never end), `reasoning` (`reasoning_content`, as thinking servers send) or
  `empty` (chunks with empty deltas). Not streamed: a JSON body whose content never ends.
- `cut`: end the answer cleanly but early: after `after_chunks` streamed chunks (0: all the
  text and tool calls), with no finish reason, no usage and no `[DONE]`. Not streamed: the
  JSON body cut in half.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError

DEFAULT_MODEL = "qwen3-coder-plus"
FAULT_KINDS = ("delay", "status", "drop", "malformed_arguments", "endless", "cut")
ENDLESS_CHANNELS = ("content", "arguments", "reasoning", "empty")


@dataclass(frozen=True)
class Fault:
    """A fault injected into one answer."""

    kind: str
    seconds: float = 0.0
    status: int = 500
    retry_after: float | None = None
    after_chunks: int = 0
    channel: str = "content"


@dataclass(frozen=True)
class ScriptedToolCall:
    """A tool call the scripted model makes; `arguments` is a dict or a verbatim string."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        """Return the arguments as the JSON text sent on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(frozen=True)
class Turn:
    """One answer: text, tool calls, how it is streamed, and an optional fault."""

    text: str = ""
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    tool_call_format: str = "openai"
    finish_reason: str | None = None
    usage: Mapping[str, int] | None = None
    chunk_size: int | None = None
    chunk_delay: float | None = None
    fault: Fault | None = None
    # When set, this turn answers only a request whose messages contain this text; turns
    # without it answer in order. Lets parallel clients each get their own conversation.
    match: str | None = None


@dataclass(frozen=True)
class Script:
    """A whole script: the models served, the chat turns and completion answers, in order."""

    models: tuple[str, ...] = (DEFAULT_MODEL,)
    api_key: str | None = None
    context_window: int | None = None
    chunk_size: int = 8
    chunk_delay: float = 0.0
    turns: tuple[Turn, ...] = ()
    completions: tuple[Turn, ...] = ()
    default_turn: Turn | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Script:
        """Build a script from its JSON/YAML structure, refusing unknown keys."""
        _check_keys(data, _SCRIPT_KEYS, "script")
        models = data.get("models", [DEFAULT_MODEL])
        if isinstance(models, str):
            models = [models]
        default = data.get("default_turn")
        return cls(
            models=tuple(str(m) for m in models),
            api_key=data.get("api_key"),
            context_window=data.get("context_window"),
            chunk_size=int(data.get("chunk_size", 8)),
            chunk_delay=float(data.get("chunk_delay", 0.0)),
            turns=tuple(parse_turn(t, f"turns[{i}]") for i, t in enumerate(data.get("turns", []))),
            completions=tuple(
                parse_turn(t, f"completions[{i}]")
                for i, t in enumerate(data.get("completions", []))
            ),
            default_turn=parse_turn(default, "default_turn") if default is not None else None,
        )


_SCRIPT_KEYS = {
    "models",
    "api_key",
    "context_window",
    "chunk_size",
    "chunk_delay",
    "turns",
    "completions",
    "default_turn",
}
_TURN_KEYS = {
    "text",
    "tool_calls",
    "tool_call_format",
    "finish_reason",
    "usage",
    "chunk_size",
    "chunk_delay",
    "fault",
    "match",
}

_FAULT_KEYS = {"kind", "seconds", "status", "retry_after", "after_chunks", "channel"}


def parse_turn(data: Mapping[str, Any] | Turn, where: str) -> Turn:
    """Build one turn from its mapping form."""
    if isinstance(data, Turn):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"script {where}: expected a mapping, got {type(data).__name__}")
    _check_keys(data, _TURN_KEYS, where)
    fmt = data.get("tool_call_format", "openai")
    if fmt not in ("openai", "xml"):
        raise ConfigError(f"script {where}: tool_call_format must be 'openai' or 'xml'")
    calls = []
    for j, call in enumerate(data.get("tool_calls") or []):
        if not isinstance(call, Mapping) or "name" not in call:
            raise ConfigError(f"script {where}.tool_calls[{j}]: needs a 'name'")
        calls.append(
            ScriptedToolCall(
                name=call["name"], arguments=call.get("arguments", {}), id=call.get("id")
            )
        )
    fault = data.get("fault")
    return Turn(
        text=str(data.get("text") or ""),
        tool_calls=tuple(calls),
        tool_call_format=fmt,
        finish_reason=data.get("finish_reason"),
        usage=data.get("usage"),
        chunk_size=data.get("chunk_size"),
        chunk_delay=data.get("chunk_delay"),
        fault=_parse_fault(fault, where) if fault else None,
        match=data.get("match"),
    )


def _parse_fault(data: Mapping[str, Any], where: str) -> Fault:
    kind = data.get("kind")
    if kind not in FAULT_KINDS:
        raise ConfigError(f"script {where}.fault: kind must be one of {', '.join(FAULT_KINDS)}")
    _check_keys(data, _FAULT_KEYS, f"{where}.fault")
    channel = data.get("channel", "content")
    if channel not in ENDLESS_CHANNELS:
        raise ConfigError(
            f"script {where}.fault: channel must be one of {', '.join(ENDLESS_CHANNELS)}"
        )
    return Fault(
        kind=kind,
        seconds=float(data.get("seconds", 0.0)),
        status=int(data.get("status", 500)),
        retry_after=data.get("retry_after"),
        after_chunks=int(data.get("after_chunks", 0)),
        channel=channel,
    )


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(f"script {where}: unknown key(s) {', '.join(sorted(unknown))}")


def load_script(path: Path) -> Script:
    """Load a script from a JSON or YAML file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read script {path}: {error.strerror}") from error
    try:
        data = json.loads(text) if Path(path).suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"script {path} is not valid JSON/YAML: {error}") from error
    if not isinstance(data, Mapping):
        raise ConfigError(f"script {path}: the top level must be a mapping")
    return Script.from_dict(data)
