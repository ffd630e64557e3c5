"""Shared set-up for the sandbox tests: a fake home holding secrets, a real repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.security.sandbox import available, unavailable_reason
from assistant.tools.run_command import run_shell, sandbox_for

CANARY = "canary-7f3a9c1e5b"
REPO_FILES = {"a.txt": "a\n"}  # what the sandbox tests' repository commits (with an identity)
needs_bwrap = pytest.mark.skipif(
    not available(), reason=f"no bubblewrap sandbox here: {unavailable_reason()}"
)


def make_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make a home folder with an SSH key, AWS credentials and an assistant cache; use it."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(f"[default]\naws_secret_access_key = {CANARY}\n")
    (home / ".netrc").write_text(f"machine example.com login me password {CANARY}\n")
    (home / ".cache" / "assistant").mkdir(parents=True)
    (home / ".cache" / "assistant" / "index.txt").write_text(CANARY)
    (home / ".gitconfig").write_text("# visible-home-marker\n")
    monkeypatch.setenv("HOME", str(home))
    return home


def settings(home: Path, mode: str = "workspace-write", **changes: object) -> Settings:
    """Return settings for a sandbox mode, with the cache in the fake home."""
    return Settings(sandbox=mode, cache_dir=home / ".cache" / "assistant", **changes)  # type: ignore[arg-type]


async def sh(
    command: str,
    root: Path,
    home: Path,
    mode: str | None = "workspace-write",
    *,
    git_writable: bool = False,
    **changes: object,
) -> tuple[int, str]:
    """Run `command` in `root` under `mode` (None: no policy at all); return (code, output)."""
    policy = None if mode is None else sandbox_for(settings(home, mode, **changes), root)
    code, output, timed_out = await run_shell(
        command, root, 60, sandbox=policy, git_writable=git_writable
    )
    assert not timed_out
    return code, output
