"""Settings: what the user, their config file, the environment and flags say, and what a
repository's own config may add (harmless keys, or all of them in a folder the user trusted)."""

from assistant.config.settings import (
    SECRET_KEYS,
    Settings,
    explain_settings,
    load_settings,
    user_config_path,
)

__all__ = [
    "SECRET_KEYS",
    "Settings",
    "explain_settings",
    "load_settings",
    "user_config_path",
]
