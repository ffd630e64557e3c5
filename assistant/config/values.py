"""What a setting's value may be: converting text from files and the environment to the
field's type, and the settings whose values must be one of a few (or match a pattern)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

SANDBOX_MODES = ("workspace-write", "read-only", "off")
PERMISSION_MODES = ("ask", "auto-edit", "yolo", "plan")
# An editor's URL scheme (never javascript: or data:), then {path} and {line} somewhere after.
EDITOR_LINK = re.compile(
    r"^(?!(?:javascript|data|vbscript):)[a-z][a-z0-9+.-]*://.*\{path\}.*\{line\}"
)


def coerce(name: str, kind: str, value: Any) -> Any:
    """Return `value` as the type `kind` names (a field's annotation, as text)."""
    try:
        if value is None:
            return None
        if kind == "bool":
            return boolean(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind.startswith("tuple"):
            return tuple(value.split(",")) if isinstance(value, str) else tuple(value)
        if kind.startswith("Path"):
            return Path(value).expanduser()
        if kind.startswith("dict"):
            return dict(value)
        return str(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"setting {name}={value!r} is not a valid {kind}") from error


def boolean(value: Any) -> bool:
    """Return a setting's text ("yes", "0", "on"...) as a boolean; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)


def check_choices(values: Iterable[tuple[str, Any, str]]) -> None:
    """Refuse a (key, value, where it came from) whose value is not one the key allows."""
    choices = {"sandbox": SANDBOX_MODES, "permission_mode": PERMISSION_MODES}
    for key, value, source in values:
        allowed = choices.get(key)
        if allowed is not None and value not in allowed:
            raise ConfigError(
                f"setting {key}={value!r} ({source}) is not valid",
                hint=f"choose one of: {', '.join(allowed)}",
            )
        if key == "editor_link" and value and not EDITOR_LINK.match(value):
            raise ConfigError(
                f"setting editor_link={value!r} ({source}) is not valid",
                hint='an editor URL with {path} and {line}, e.g. "vscode://file/{path}:{line}"',
            )
