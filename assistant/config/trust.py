"""Folder trust: which keys a repository's own `.assistant/config.toml` may set.

A repository is data, and data never widens permissions, picks an endpoint or a key, or names
a cache path, hooks or tool servers. So a project config may set only the keys in
`SAFE_PROJECT_KEYS`; any other key is ignored with a one-line notice, unless the user trusted
the folder with `assistant trust [PATH]`. Trust is recorded in the user's own config file with
the SHA-256 of the project config as it was then, of the project's MCP server lists
(`.mcp.json`, `.assistant/mcp.toml`), which only a trusted folder may start, and of its custom
commands (`.assistant/commands/*.md`): any change to one of these files (by a `git pull`, or
by a model) drops the trust until the user confirms again.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

PROJECT_CONFIG = Path(".assistant") / "config.toml"
# A project's own MCP server lists: the files Claude Code and Qwen Code read, and ours.
PROJECT_MCP_FILES = (Path(".mcp.json"), Path(".assistant") / "mcp.toml")
PROJECT_COMMANDS = Path(".assistant") / "commands"  # a trusted project's custom /commands
TRUST_TABLE = "trusted_projects"
# What a project may set whoever wrote it: sampling and how big a file the index reads.
SAFE_PROJECT_KEYS = frozenset({"temperature", "top_p", "max_file_bytes"})
MAX_PROJECT_FILE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ProjectTrust:
    """Whether a folder's project config is trusted, and why not when it is not."""

    trusted: bool
    reason: str = ""


def project_config_path(root: Path) -> Path:
    """Return where a repository keeps its project config."""
    return Path(root) / PROJECT_CONFIG


def config_digest(path: Path) -> str:
    """Return the SHA-256 of a project config file ("" when there is none)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def trust_digest(root: Path) -> str:
    """Return the digest trust is recorded with: the project config's own SHA-256 when the
    folder has no MCP server list (so trust recorded before lists existed still holds), else
    the SHA-256 over the config's and each list's digest (adding or removing a list counts)."""
    base = config_digest(project_config_path(root))
    lists = [(name, Path(root) / name) for name in PROJECT_MCP_FILES]
    present = [(name, path) for name, path in lists if path.exists() or path.is_symlink()]
    commands = Path(root) / PROJECT_COMMANDS
    if commands.is_dir() and not commands.is_symlink():
        present += [(path.relative_to(root), path) for path in sorted(commands.rglob("*.md"))]
    if not present:
        return base
    combined = hashlib.sha256(f"{PROJECT_CONFIG.as_posix()} {base}\n".encode())
    for name, path in present:
        combined.update(f"{name.as_posix()} {config_digest(path)}\n".encode())
    return combined.hexdigest()


def folder_key(root: Path) -> str:
    """Return the name a folder is recorded under: its resolved absolute path."""
    return str(Path(root).resolve())


def project_trust(user_data: Mapping[str, Any], root: Path) -> ProjectTrust:
    """Return whether the user trusted `root`'s project config as it is now."""
    table = user_data.get(TRUST_TABLE)
    entry = table.get(folder_key(root)) if isinstance(table, Mapping) else None
    if not isinstance(entry, Mapping):
        return ProjectTrust(False, "the folder is not trusted")
    recorded = entry.get("config_sha256")
    if recorded != trust_digest(root):
        return ProjectTrust(
            False, "the project config or MCP server list changed since you trusted the folder"
        )
    return ProjectTrust(True)


def split_project_settings(
    values: Mapping[str, Any], trust: ProjectTrust, path: Path
) -> tuple[dict[str, Any], list[str]]:
    """Return the project settings that apply and a notice for each key that is ignored."""
    if trust.trusted:
        return dict(values), []
    kept: dict[str, Any] = {}
    notices = []
    for key, value in values.items():
        if key not in SAFE_PROJECT_KEYS:
            notices.append(
                f"ignored {key!r} from {path} ({trust.reason}; "
                f"`assistant trust` lets this repository set it)"
            )
            continue
        checked = _safe_value(key, value)
        if checked is None:
            notices.append(f"ignored {key!r} from {path}: {value!r} is not a valid value")
        else:
            kept[key] = checked
    return kept, notices


def _safe_value(key: str, value: Any) -> float | int | None:
    """Return a harmless key's value within its bounds, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if key == "max_file_bytes":
        return max(1, min(int(value), MAX_PROJECT_FILE_BYTES))
    return min(max(float(value), 0.0), 1.0 if key == "top_p" else 2.0)


def trust_folder(user_config: Path, root: Path) -> str:
    """Record in the user config that `root`, its project config and its MCP server lists as
    they are now are trusted.

    Return the recorded digest. The rest of the user's file (comments, order) is kept.
    """
    import tomlkit

    document = _read_document(user_config)
    digest = trust_digest(root)
    if TRUST_TABLE not in document:
        document[TRUST_TABLE] = tomlkit.table(is_super_table=True)
    entry = tomlkit.table()
    entry["config_sha256"] = digest
    document[TRUST_TABLE][folder_key(root)] = entry
    _write_document(user_config, tomlkit.dumps(document))
    return digest


def untrust_folder(user_config: Path, root: Path) -> bool:
    """Remove a folder's trust from the user config; return whether it was there."""
    import tomlkit

    if not user_config.is_file():
        return False
    document = _read_document(user_config)
    table = document.get(TRUST_TABLE)
    key = folder_key(root)
    if not isinstance(table, Mapping) or key not in table:
        return False
    del table[key]  # type: ignore[attr-defined]  # tomlkit tables are mutable mappings
    _write_document(user_config, tomlkit.dumps(document))
    return True


def _read_document(user_config: Path) -> Any:
    import tomlkit

    try:
        text = user_config.read_text(encoding="utf-8") if user_config.is_file() else ""
        return tomlkit.parse(text)
    except OSError as error:
        raise ConfigError(f"cannot read {user_config}: {error.strerror}") from error
    except tomlkit.exceptions.TOMLKitError as error:
        raise ConfigError(f"{user_config}: invalid TOML: {error}", hint="fix the file") from error


def _write_document(user_config: Path, text: str) -> None:
    """Replace the user's config whole, where it really lives (a dotfiles link is followed),
    keeping its mode (it may hold API keys: 0600 stays 0600)."""
    target = user_config.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
