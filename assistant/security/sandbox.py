"""The sandbox commands run in: bubblewrap on Linux, and the environment they see.

A command the model asks for is data-driven: it may come from a hostile repository or model.
In "workspace-write" mode it sees the whole file system read-only, the repository writable,
its git directory and `.assistant/` read-only (so it cannot plant hooks or config that the
user's own git or assistant would run later), the user's secrets folders hidden under empty
tmpfs mounts and secrets files under /dev/null, a private /tmp, no network and no
capabilities. "read-only" keeps the repository read-only too; "off" runs commands as they are.
Whatever the mode, the environment a command sees has no credentials in it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.config import Settings, user_config_path
from assistant.config.paths import cache_root
from assistant.security.secrets import redact

BWRAP = "bwrap"
# Under the user's home: folders and files that hold credentials or sessions.
HOME_SECRETS = (
    ".ssh", ".aws", ".gnupg", ".azure", ".kube", ".docker", ".password-store",
    ".config/assistant", ".config/gcloud", ".config/gh", ".config/hub", ".config/op",
    ".config/rclone", ".local/share/keyrings", ".terraform.d", ".vault-token", ".netrc",
    ".git-credentials", ".config/git/credentials", ".npmrc", ".pypirc", ".pgpass",
    ".my.cnf", ".s3cfg", ".boto", ".cargo/credentials", ".cargo/credentials.toml",
    ".gem/credentials", ".huggingface/token", ".cache/huggingface/token",
    ".mozilla", ".config/google-chrome", ".config/chromium",
    ".bash_history", ".zsh_history", ".history", ".python_history", ".psql_history",
    ".mysql_history", ".node_repl_history", ".sqlite_history", ".lesshst", ".viminfo",
    ".local/share/fish/fish_history", ".m2/settings.xml", ".m2/settings-security.xml",
    ".gradle/gradle.properties", ".composer/auth.json", ".config/composer/auth.json",
    ".bundle/config", ".pulumi", ".terraformrc", ".config/hcloud", ".config/doctl",
    ".oci", ".databrickscfg", ".snowflake", ".config/sops", ".password-store",
)  # fmt: skip
# Sockets that hand out root or the user's keys to whoever connects.
SYSTEM_SECRETS = ("/run/docker.sock", "/var/run/docker.sock", "/run/podman/podman.sock")
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")
# Variable names that carry credentials, whatever their value looks like.
SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH",
                     "PRIVATE", "ASKPASS", "COOKIE", "KRB5CCNAME", "_PWD", "PGPASS", "_PASS",
                     "WEBHOOK", "DSN", "SESSION")  # fmt: skip
SECRET_NAME_PREFIXES = ("OPENAI_", "DASHSCOPE_", "ANTHROPIC_", "AWS_", "AZURE_", "GITHUB_TOKEN")


class RepositoryPaths(Protocol):
    """What the sandbox needs to know of a repository (assistant/protected_paths.py finds it)."""

    @property
    def git(self) -> tuple[Path, ...]:
        """Git folders and files: read-only in the sandbox."""
        ...

    @property
    def config(self) -> tuple[Path, ...]:
        """Config the user's git or assistant reads: read-only in the sandbox."""
        ...

    @property
    def secrets(self) -> tuple[Path, ...]:
        """Secrets files of the repository: hidden from commands the policy let run."""
        ...


@dataclass(frozen=True)
class SandboxPolicy:
    """Where a command may write and what it may see, for one repository."""

    mode: str
    network: bool
    root: Path
    homes: tuple[Path, ...] = ()  # $HOME first, then the password database's if it differs
    hidden: tuple[Path, ...] = ()
    git_paths: tuple[Path, ...] = ()
    protected: tuple[Path, ...] = ()
    # Where the tools commands need live (the virtual environment, PATH folders): seen
    # read-only even when they sit under /tmp, which the sandbox makes private.
    toolchain: tuple[Path, ...] = ()
    # The repository's own secrets files: hidden from a command the policy let run, shown
    # to one a person approved (see `wrap`).
    repository_secrets: tuple[Path, ...] = ()
    # The assistant's own keys, scrubbed from the environment by value too.
    known_secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        root: Path,
        env: Mapping[str, str] | None = None,
        *,
        repository: RepositoryPaths | None = None,
    ) -> SandboxPolicy:
        """Return the policy for `root` under `settings` (`env`: the process environment;
        `repository`: its git internals, protected config and secrets files, found by
        assistant/protected_paths.py)."""
        env = os.environ if env is None else env
        root = Path(root).resolve()
        homes = _homes(env)
        hidden = [home / name for home in homes for name in HOME_SECRETS]
        hidden += [cache_root(settings), _default_config_dir(), user_config_path(env)]
        hidden += [Path(p) for p in SYSTEM_SECRETS]
        hidden.append(Path(f"/run/user/{os.getuid()}"))  # agent sockets, keyrings, the bus
        git_paths = list(repository.git) if repository else [root / ".git"]
        nested = [p for p in git_paths if p.is_relative_to(root) and p.parent != root]
        protected = [root / ".assistant", *(repository.config if repository else ()), *nested]
        # Binding a path that leads out of the repository would only show more of the host.
        protected = [p for p in _resolved(protected) if p.is_relative_to(root)]
        secrets = [p for p in (repository.secrets if repository else ()) if p.is_relative_to(root)]
        return cls(
            mode=settings.sandbox,
            network=settings.sandbox_network,
            root=root,
            homes=homes,
            hidden=_unique(_resolved(hidden)),
            git_paths=_unique(_resolved([p for p in git_paths if p not in nested])),
            protected=_unique(protected),
            repository_secrets=_unique(secrets),
            toolchain=_unique(_resolved(_toolchain(env))),
            known_secrets=settings.known_secrets,
        )

    @property
    def enabled(self) -> bool:
        """Return whether commands should run in a sandbox (the mode is not "off")."""
        return self.mode != "off"

    def wrap(
        self,
        argv: list[str],
        *,
        git_writable: bool = False,
        cwd: Path | None = None,
        show_secrets: bool = False,
    ) -> list[str]:
        """Return the bwrap command line that runs `argv` under this policy in `cwd`;
        `git_writable` and `show_secrets` are for a command a person approved."""
        if not self.enabled:
            return list(argv)
        mounts: list[tuple[Path, list[str]]] = [
            (Path("/"), ["--ro-bind", "/", "/"]),
            (Path("/dev"), ["--dev", "/dev"]),
            (Path("/proc"), ["--proc", "/proc"]),
        ]
        tmps = _unique(_resolved(Path(p) for p in PRIVATE_TMP))
        for tmp in tmps:
            if tmp.is_dir() or str(tmp) == "/dev/shm":
                mounts.append((tmp, ["--tmpfs", str(tmp)]))
        for path in self.toolchain:
            if path.is_dir() and any(path.is_relative_to(t) and path != t for t in tmps):
                mounts.append((path, ["--ro-bind", str(path), str(path)]))
        for home in self.homes:
            # Seen read-only (tools read ~/.gitconfig and the like), even from a private /tmp.
            if home.is_dir() and not any(t.is_relative_to(home) for t in tmps):
                mounts.append((home, ["--ro-bind", str(home), str(home)]))
        repo_bind = "--bind" if self.mode == "workspace-write" else "--ro-bind"
        mounts.append((self.root, [repo_bind, str(self.root), str(self.root)]))
        git_bind = "--bind" if git_writable and self.mode == "workspace-write" else "--ro-bind"
        for path in self.git_paths:
            if os.path.lexists(path):
                mounts.append((path, [git_bind, str(path), str(path)]))
        for path in self.protected:
            if os.path.lexists(path):
                mounts.append((path, ["--ro-bind", str(path), str(path)]))
        hidden = [*self.hidden, *(() if show_secrets else self.repository_secrets)]
        for path in hidden:
            if path.is_dir():
                mounts.append((path, ["--tmpfs", str(path)]))
            elif os.path.lexists(path):
                mounts.append((path, ["--ro-bind", "/dev/null", str(path)]))
        # An outer mount first, then what lies inside it: the repository may sit in a hidden
        # folder (batch worktrees in the cache) and a secrets folder in the repository.
        mounts.sort(key=lambda item: len(item[0].parts))
        args = [_bwrap_path(), *(arg for _, spec in mounts for arg in spec)]
        if not self.network:
            args.append("--unshare-net")
        workdir = Path(cwd).resolve() if cwd is not None else self.root
        args += ["--unshare-pid", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        return [*args, "--chdir", str(workdir), "--", *argv]

    def environment(
        self, environ: Mapping[str, str] | None = None, *, sandboxed: bool = True
    ) -> dict[str, str]:
        """Return the environment a command runs with (in a sandbox when `sandboxed`)."""
        env = command_env(environ, known=self.known_secrets)
        if sandboxed and self.enabled:
            if self.homes:
                env["HOME"] = str(self.homes[0])
            env["TMPDIR"] = "/tmp"  # the private one; a host TMPDIR may not be visible
        return env


def command_env(
    environ: Mapping[str, str] | None = None, *, known: Iterable[str] = ()
) -> dict[str, str]:
    """Return `environ` without the variables that hold or point to credentials."""
    environ = os.environ if environ is None else environ
    known = tuple(k for k in known if len(k) >= 8)
    kept = {
        name: value for name, value in environ.items() if not _secret_variable(name, value, known)
    }
    if "PATH" in kept:  # `.`, "" or a relative folder would run the repository's own `ls`
        kept["PATH"] = os.pathsep.join(p for p in kept["PATH"].split(os.pathsep) if p[:1] == "/")
    return kept


def available() -> bool:
    """Return whether bubblewrap is installed and allowed to make sandboxes here."""
    return not unavailable_reason()


def sandbox_notice(settings: Settings) -> str | None:
    """Return a one-line notice when a sandbox is configured but cannot be used, else None."""
    if settings.sandbox == "off" or available():
        return None
    return (
        f"commands run without a sandbox: {unavailable_reason()}; install bubblewrap or set "
        'sandbox = "off" to silence this'
    )


@functools.cache
def unavailable_reason() -> str:
    """Return why bwrap cannot be used here ("" when it can), probing once per process."""
    if shutil.which(BWRAP) is None:
        return "bwrap (bubblewrap) is not installed"
    probe = [_bwrap_path(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session",
             "--cap-drop", "ALL", "true"]  # fmt: skip
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap cannot run here ({exc})"
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
        return f"bwrap cannot run here ({said}; are user namespaces disabled?)"
    return ""


def _bwrap_path() -> str:
    return shutil.which(BWRAP) or BWRAP


def _secret_variable(name: str, value: str, known: tuple[str, ...]) -> bool:
    upper = name.upper()
    if any(part in upper for part in SECRET_NAME_PARTS):
        return True
    if upper.startswith(SECRET_NAME_PREFIXES):
        return True
    if any(k in value for k in known):
        return True
    if re.search(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s]*@", value):
        return True  # a URL with credentials in it, whoever the user is
    return redact(value) != value  # a token format or a password in a URL


def _homes(env: Mapping[str, str]) -> tuple[Path, ...]:
    """Return the user's home folders: $HOME and the password database's, when they differ."""
    homes = []
    if env.get("HOME", "").startswith("/"):
        homes.append(Path(env["HOME"]))
    with contextlib.suppress(KeyError):  # a uid without an entry (some containers)
        homes.append(Path(pwd.getpwuid(os.getuid()).pw_dir))
    return _unique(_resolved(h for h in homes if h.is_absolute() and h != Path("/")))


def _default_config_dir() -> Path:
    """Return the assistant's own config folder (without $ASSISTANT_CONFIG, which is a file)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("assistant"))


def _toolchain(env: Mapping[str, str]) -> list[Path]:
    """Return the folders of the interpreter and the programs on PATH (a `bin` folder with the
    environment around it)."""
    found = [Path(sys.prefix), Path(sys.base_prefix)]
    if env.get("VIRTUAL_ENV"):
        found.append(Path(env["VIRTUAL_ENV"]))
    for entry in env.get("PATH", "").split(os.pathsep):
        if entry.startswith("/"):
            folder = Path(entry)
            found.append(folder.parent if folder.name == "bin" else folder)
    return found


def _resolved(paths: Iterable[Path]) -> list[Path]:
    return [Path(os.path.realpath(path)) for path in paths]


def _unique(paths: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(paths))
