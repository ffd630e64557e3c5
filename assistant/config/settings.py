"""Settings: defaults < user file < project file < environment < command-line flags.

A profile (dashscope, vllm, ollama, local, ...) fills in the endpoint and model; any value set
explicitly at a later layer wins over it. `explain_settings` says where each value came from.
The project file is repository content, so only its harmless keys apply unless the user
trusted the folder (assistant/security/trust.py); the others are ignored with a notice.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config.hooks import HOOKS_TABLE, HookConfig, user_hooks
from assistant.config.mcp_servers import (
    MCP_TABLE,
    McpServerConfig,
    merge_servers,
    project_mcp_servers,
    user_mcp_servers,
)
from assistant.config.profiles import PROFILES, Profile, user_profiles
from assistant.config.trust import (
    TRUST_TABLE,
    project_config_path,
    project_trust,
    split_project_settings,
)
from assistant.config.values import check_choices, coerce
from assistant.errors import ConfigError


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
    # prompt), "llamacpp" (the same, for llama.cpp's server) or "chat" (FIM wrapped in a chat
    # request, for endpoints that serve no FIM).
    completion_backend: str = "openai"
    # Semantic search (optional, off while empty): an OpenAI-compatible /v1/embeddings model;
    # the endpoint is the chat one unless set, the key the chat one only on the chat endpoint.
    embeddings_model: str = ""
    embeddings_base_url: str = ""
    embeddings_api_key: str = ""
    local_gguf: str = ""
    region: str = "intl"
    request_timeout: float = 60.0
    connect_timeout: float = 5.0
    max_retries: int = 4
    context_window: int = 262_144
    max_output_tokens: int = 8_192
    temperature: float = 0.7
    top_p: float = 0.8
    cache_dir: Path | None = None
    # The user's own memory (save_memory's global scope), joined to every system prompt;
    # None: memory.md in the assistant's config folder.
    memory_file: Path | None = None
    commands_dir: Path | None = None  # the user's custom /commands; None: the config folder's
    max_file_bytes: int = 1_048_576
    permission_mode: str = "ask"
    command_allow: tuple[str, ...] = ()
    command_deny: tuple[str, ...] = ()
    # Commands run in a bubblewrap sandbox: "workspace-write" (the repository writable, the
    # rest read-only, secrets folders hidden), "read-only" or "off".
    sandbox: str = "workspace-write"
    sandbox_network: bool = False  # let sandboxed commands use the network
    # Run after a turn that edited files; a failure goes back to the model, fix_rounds times.
    lint_command: str = ""
    test_command: str = ""
    fix_rounds: int = 2
    # Money: prices per million tokens (-1: the profile's published ones, 0 for local models)
    # and a per-session budget that stops the run (0: none).
    price_input_per_mtok: float = -1.0
    price_output_per_mtok: float = -1.0
    max_session_cost: float = 0.0
    fetch_allow: tuple[str, ...] = ()  # web_fetch destinations that need no approval (hosts)
    # Bounds on one model reply, whatever the server does.
    max_reply_seconds: float = 600.0
    max_reply_chars: int = 400_000
    # Where the served wiki's code links open: a template with {path} (absolute) and {line},
    # e.g. "vscode://file/{path}:{line}"; empty: the wiki's own code view.
    editor_link: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The MCP servers whose tools the agent may use: the user's own, then a trusted project's.
    mcp_servers: tuple[McpServerConfig, ...] = ()
    hooks: tuple[HookConfig, ...] = ()  # the user's own [[hooks]] (assistant/config/hooks.py)
    # Not settings: whether the user trusted this repository's own config (assistant trust),
    # and one line for each thing the user should know about how these were loaded.
    project_trusted: bool = False
    notices: tuple[str, ...] = ()

    @property
    def effective_completion_model(self) -> str:
        """Return the model used for completions: its own, or the chat model."""
        return self.completion_model or self.model

    @property
    def effective_completion_base_url(self) -> str:
        """Return the endpoint used for completions: its own, or the chat endpoint."""
        return self.completion_base_url or self.base_url

    @property
    def effective_embeddings_base_url(self) -> str:
        """Return the endpoint used for embeddings: its own, or the chat endpoint."""
        return self.embeddings_base_url or self.base_url

    @property
    def effective_embeddings_api_key(self) -> str:
        """Return the key sent with embeddings requests: its own, or the chat key, but only
        to the chat endpoint itself (the chat key never goes to another host)."""
        if self.embeddings_api_key:
            return self.embeddings_api_key
        same_host = self.embeddings_base_url in ("", self.base_url)
        return self.api_key if same_host else ""

    @property
    def known_secrets(self) -> tuple[str, ...]:
        """Return the user's own API keys that are set (redaction hides them everywhere)."""
        keys = (self.api_key, self.completion_api_key, self.embeddings_api_key)
        return tuple(key for key in keys if key)


@dataclass(frozen=True)
class SettingSource:
    """One effective setting and the layer it came from."""

    key: str
    value: Any
    source: str


# `mcp_servers` is a table of tables, read on its own (assistant/config/mcp_servers.py).
FIELDS = {
    f.name: f
    for f in dataclasses.fields(Settings)
    if f.name not in ("notices", "mcp_servers", "project_trusted", "hooks")
}
SECRET_KEYS = ("api_key", "completion_api_key", "embeddings_api_key")
# Environment variables, in the order they are read (later ones win).
ENV_VARS: dict[str, str] = {
    "ASSISTANT_PROFILE": "profile",
    "OPENAI_BASE_URL": "base_url",
    "OPENAI_API_KEY": "api_key",
    "ASSISTANT_BASE_URL": "base_url",
    "ASSISTANT_API_KEY": "api_key",
    "ASSISTANT_MODEL": "model",
    "ASSISTANT_COMPLETION_MODEL": "completion_model",
    "ASSISTANT_COMPLETION_BASE_URL": "completion_base_url",
    "ASSISTANT_COMPLETION_API_KEY": "completion_api_key",
    "ASSISTANT_EMBEDDINGS_MODEL": "embeddings_model",
    "ASSISTANT_EMBEDDINGS_BASE_URL": "embeddings_base_url",
    "ASSISTANT_EMBEDDINGS_API_KEY": "embeddings_api_key",
    "ASSISTANT_LOCAL_GGUF": "local_gguf",
    "ASSISTANT_CACHE_DIR": "cache_dir",
    "ASSISTANT_MEMORY_FILE": "memory_file",
    "ASSISTANT_COMMANDS_DIR": "commands_dir",
    "ASSISTANT_PERMISSION_MODE": "permission_mode",
    "ASSISTANT_SANDBOX": "sandbox",
}


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Return the user config file's path (platformdirs, or ASSISTANT_CONFIG)."""
    env = os.environ if env is None else env
    if env.get("ASSISTANT_CONFIG"):
        return Path(env["ASSISTANT_CONFIG"])
    import platformdirs

    return Path(platformdirs.user_config_dir("assistant")) / "config.toml"


def load_settings(
    repo_root: Path | None = None,
    overrides: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    user_config: Path | None = None,
) -> Settings:
    """Return the effective settings for a repository (see the module docstring)."""
    notices: list[str] = []
    explained = explain_settings(repo_root, overrides, env, user_config, notices)
    user_path = user_config or user_config_path(env)
    user_data = _user_data(user_path)
    trusted = repo_root is not None and project_trust(user_data, Path(repo_root)).trusted
    return Settings(
        **{item.key: item.value for item in explained},
        mcp_servers=_mcp_servers(repo_root, user_path, notices),
        hooks=user_hooks(user_data, user_path),
        project_trusted=trusted,
        notices=tuple(notices),
    )


def explain_settings(
    repo_root: Path | None = None,
    overrides: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    user_config: Path | None = None,
    notices: list[str] | None = None,
) -> list[SettingSource]:
    """Return every setting's effective value and where it came from; lines the user should
    see (project keys ignored, a broken project file) are appended to `notices`."""
    env = dict(os.environ if env is None else env)
    user_path = user_config or user_config_path(env)
    layers: list[tuple[str, dict[str, Any]]] = []
    profiles = dict(PROFILES)
    user_data: dict[str, Any] = {}
    if user_path.is_file():
        user_data = _read_toml(user_path)
        profiles.update(user_profiles(user_data, user_path, FIELDS))
        layers.append((str(user_path), _settings_table(user_data, user_path)))
    if repo_root is not None:
        project, project_profiles, said = _project_layer(Path(repo_root), user_data)
        profiles.update(project_profiles)
        layers.append((str(project_config_path(Path(repo_root))), project))
        if notices is not None:
            notices.extend(said)
    layers.append(("env", _from_env(env)))
    layers.append(("flag", {k: v for k, v in (overrides or {}).items() if v is not None}))
    return _resolve(layers, profiles, env)


def folder_trusted(repo_root: Path, env: Mapping[str, str] | None = None) -> bool:
    """Return whether the user trusts `repo_root`'s own files as they are now (re-read)."""
    return project_trust(_user_data(user_config_path(env)), Path(repo_root)).trusted


def _user_data(user_path: Path) -> dict[str, Any]:
    return _read_toml(user_path) if user_path.is_file() else {}


def _mcp_servers(
    repo_root: Path | None, user_path: Path, notices: list[str]
) -> tuple[McpServerConfig, ...]:
    """Return the user's MCP servers and, in a folder the user trusted, the project's."""
    user_data = _user_data(user_path)
    user = user_mcp_servers(user_data, user_path)
    project: list[McpServerConfig] = []
    if repo_root is not None:
        trust = project_trust(user_data, Path(repo_root))
        project, said = project_mcp_servers(Path(repo_root), trust.trusted, trust.reason)
        notices.extend(said)
    servers, said = merge_servers(user, project)
    notices.extend(said)
    return servers


def _resolve(
    layers: list[tuple[str, dict[str, Any]]],
    profiles: Mapping[str, Profile],
    env: Mapping[str, str],
) -> list[SettingSource]:
    chosen: dict[str, tuple[Any, str]] = {}
    for source, values in layers:
        for key, value in values.items():
            chosen[key] = (value, _describe(source, key, env))
    profile_name, profile_source = chosen.get("profile", (None, "default"))
    if profile_name is None:
        profile_name, profile_source = _default_profile(chosen, env)
    if profile_name not in profiles:
        known = ", ".join(sorted(profiles))
        raise ConfigError(f"unknown profile {profile_name!r}", hint=f"choose one of: {known}")
    region = str(chosen.get("region", ("intl", ""))[0])
    supplied = profiles[profile_name].values(env, region)
    result = [SettingSource("profile", profile_name, profile_source)]
    for name, spec in FIELDS.items():
        if name == "profile":
            continue
        if name in chosen:
            value, source = chosen[name]
        elif name in supplied:
            value, source = supplied[name], f"profile {profile_name}"
        else:
            value = (
                spec.default_factory()
                if spec.default_factory is not dataclasses.MISSING
                else spec.default
            )
            source = "default"
        result.append(SettingSource(name, _coerce(name, value), source))
    check_choices((item.key, item.value, item.source) for item in result)
    return result


def _default_profile(
    chosen: Mapping[str, tuple[Any, str]], env: Mapping[str, str]
) -> tuple[str, str]:
    if "base_url" in chosen:
        return "openai", f"implied by base_url ({chosen['base_url'][1]})"
    if env.get("DASHSCOPE_API_KEY"):
        return "dashscope", "implied by DASHSCOPE_API_KEY"
    return "local", "default (no endpoint configured)"


def _describe(source: str, key: str, env: Mapping[str, str]) -> str:
    if source != "env":
        return source
    names = [name for name, target in ENV_VARS.items() if target == key and env.get(name)]
    return f"env {names[-1]}" if names else "env"


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, key in ENV_VARS.items():
        if env.get(name):
            values[key] = env[name]
    return values


def _project_layer(
    root: Path, user_data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Profile], list[str]]:
    """Return the project file's settings that apply, its profiles (trusted folders only),
    and the notices; a broken project file is ignored, never fatal (it is not the user's)."""
    path = project_config_path(root)
    if not path.is_file():
        return {}, {}, []
    try:
        data = _read_toml(path)
    except ConfigError as error:
        return {}, {}, [f"ignored {path}: {error.one_line()}"]
    trust = project_trust(user_data, root)
    values = {k: v for k, v in data.items() if k != "profiles"}
    notices = []
    if trust.trusted:
        unknown = sorted(set(values) - set(FIELDS))
        notices += [f"ignored unknown setting {key!r} in {path}" for key in unknown]
        values = {k: v for k, v in values.items() if k in FIELDS}
        for key in list(values):
            try:
                _coerce(key, values[key])
            except ConfigError as error:
                notices.append(f"ignored {key!r} in {path}: {error.one_line()}")
                del values[key]
        try:
            return values, user_profiles(data, path, FIELDS), notices
        except ConfigError as error:
            return values, {}, [*notices, f"ignored profiles in {path}: {error.one_line()}"]
    if "profiles" in data:
        values["profiles"] = data["profiles"]  # named in the notice like any other key
    kept, notices = split_project_settings(values, trust, path)
    return kept, {}, notices


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}", hint="fix the file") from error
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error


def _settings_table(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    values = {
        k: v for k, v in data.items() if k not in ("profiles", TRUST_TABLE, MCP_TABLE, HOOKS_TABLE)
    }
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}",
            hint=f"known settings: {', '.join(FIELDS)}",
        )
    return values


def _coerce(name: str, value: Any) -> Any:
    spec = FIELDS[name]
    return coerce(name, spec.type if isinstance(spec.type, str) else str(spec.type), value)
