"""The sandbox around processes: killing whole trees, the environment, a command's grants."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import select
import signal
import sys
from pathlib import Path

import git
import pytest

from assistant.security import sandbox
from assistant.security.sandbox import command_env, sandbox_notice
from assistant.testing import commit_files
from assistant.tools.base import Grant, ToolContext
from assistant.tools.run_command import RunShellCommand, run_shell, sandbox_for
from tests.security.sandbox_support import CANARY, REPO_FILES, make_home, needs_bwrap, settings, sh


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_home(tmp_path, monkeypatch)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", REPO_FILES, "first")


def find_process(marker: str) -> int | None:
    """Return the pid of a live process whose last argument is `marker`, if any."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if cmdline.endswith(f"\0{marker}\0".encode()) and alive(int(entry.name)):
                    return int(entry.name)
            except OSError:
                continue  # it ended while we looked
    return None


def alive(pid: int) -> bool:
    """Return whether `pid` is a process that has not exited (zombies count as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def ends_within(pidfd: int, seconds: float) -> bool:
    """Return whether the process behind `pidfd` exits within `seconds` (killed ones end at
    once; the bound only turns a leak into a failure instead of a hang)."""
    readable, _, _ = await asyncio.to_thread(select.select, [pidfd], [], [], seconds)
    return bool(readable)


async def started(fifo: Path, task: asyncio.Task) -> None:
    """Return once the command wrote to `fifo`; fail if it ended first."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    loop = asyncio.get_running_loop()
    wrote = asyncio.Event()
    loop.add_reader(fd, wrote.set)
    try:
        waiter = asyncio.ensure_future(wrote.wait())
        await asyncio.wait({waiter, task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert wrote.is_set() and not task.done(), "the command ended before it started its child"
    finally:
        loop.remove_reader(fd)
        os.close(fd)


@needs_bwrap
@pytest.mark.parametrize("mode", ["workspace-write", "off"])
@pytest.mark.parametrize("stop", ["timeout", "cancel"])
async def test_stopping_a_command_kills_every_process_it_started(root, home, mode, stop):
    marker = f"marker-{random.randrange(10**9)}-{os.getpid()}"
    os.mkfifo(root / "started")
    policy = sandbox_for(settings(home, mode), root)
    # The child says it is up from its own code, so its command line is final by then; its
    # output goes elsewhere, so a leaked child fails the test instead of hanging it.
    child = "import time; open('started', 'w').write('up'); time.sleep(10**6)"
    command = f'{sys.executable} -c "{child}" {marker} >/dev/null 2>&1 & wait'
    timeout = 3 if stop == "timeout" else 600
    task = asyncio.create_task(run_shell(command, root, timeout, sandbox=policy))
    pidfd = None
    try:
        await started(root / "started", task)
        pid = find_process(marker)
        assert pid is not None
        pidfd = os.pidfd_open(pid)  # this very process, whatever reuses its number later
        if stop == "cancel":
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            _, _, timed_out = await task
            assert timed_out
        assert await ends_within(pidfd, 10), f"process {pid} outlived its command"
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)  # only if the test failed
            os.close(pidfd)


@pytest.mark.parametrize("mode", ["workspace-write", "read-only", "off", None])
async def test_secret_variables_never_reach_a_command(root, home, mode, monkeypatch):
    if mode in ("workspace-write", "read-only") and not sandbox.available():
        pytest.skip(f"no bubblewrap sandbox here: {sandbox.unavailable_reason()}")
    for name in ("OPENAI_API_KEY", "ASSISTANT_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY",
                 "DASHSCOPE_API_KEY", "DB_PASSWORD", "SSH_AUTH_SOCK"):  # fmt: skip
        monkeypatch.setenv(name, f"{CANARY}-{name}")
    monkeypatch.setenv("DATABASE_URL", f"postgres://me:{CANARY}@db.example.com/app")
    monkeypatch.setenv("INNOCENT_LOOKING", f"sk-{CANARY}-from-settings")
    monkeypatch.setenv("VIRTUAL_ENV", "/opt/venv")
    changes = {"api_key": f"sk-{CANARY}-from-settings"}
    code, output = await sh("env", root, home, mode, **changes)
    assert code == 0
    assert CANARY not in output
    assert "VIRTUAL_ENV=/opt/venv" in output
    assert f"PATH={os.environ['PATH']}\n" in output
    assert f"HOME={home}\n" in output


def test_command_env_keeps_what_tools_need_and_drops_credentials():
    environ = {
        "PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "TERM": "xterm",
        "PYTHONPATH": "src", "VIRTUAL_ENV": "/v", "CI": "true", "NPM_TOKEN": "x",
        "ASSISTANT_COMPLETION_API_KEY": "x", "OPENAI_BASE_URL": "http://h", "HF_TOKEN": "x",
        "GOOGLE_APPLICATION_CREDENTIALS": "/k.json", "GIT_ASKPASS": "/bin/pass",
        "PIP_INDEX_URL": "https://u:hunter2secret@pypi.example.com/simple",
        "MY_SETTING": "ghp_" + "a" * 36, "SECRET_KEY_BASE": "x",
    }  # fmt: skip
    assert command_env(environ) == {
        "PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "TERM": "xterm",
        "PYTHONPATH": "src", "VIRTUAL_ENV": "/v", "CI": "true",
    }  # fmt: skip
    assert command_env({"PLAIN": "the-model-key"}, known=["the-model-key"]) == {}


def test_an_off_policy_runs_commands_as_they_are(root, home):
    policy = sandbox_for(settings(home, "off"), root)
    assert policy.wrap(["/bin/sh", "-c", "ls"]) == ["/bin/sh", "-c", "ls"]
    assert sandbox_notice(settings(home, "off")) is None


def context(root: Path, home: Path, grant: Grant, mode: str = "workspace-write") -> ToolContext:
    async def authorize(kind: str, summary: str, detail: str) -> Grant:
        return grant

    return ToolContext(root=root, settings=settings(home, mode), authorize=authorize)


@needs_bwrap
async def test_a_policy_allowed_command_gets_a_read_only_git(root, home):
    out = await RunShellCommand().run(
        {"command": "echo b > b.txt && git add b.txt && git commit -qm agent"},
        context(root, home, Grant.POLICY),
    )
    assert not out.ok
    assert out.text.startswith("Command: echo b > b.txt") and "\nExit Code: 128" in out.text
    assert "in .git only when the user approved that very command" in out.text
    assert (root / "b.txt").read_text() == "b\n"
    assert [c.message.strip() for c in git.Repo(root).iter_commits()] == ["first"]


@needs_bwrap
async def test_a_command_a_person_approved_may_commit(root, home):
    out = await RunShellCommand().run(
        {"command": "echo b > b.txt && git add b.txt && git commit -qm approved"},
        context(root, home, Grant.PERSON),
    )
    assert out.ok, out.text
    assert git.Repo(root).head.commit.message.strip() == "approved"


async def test_a_refused_command_does_not_run(root, home):
    out = await RunShellCommand().run({"command": "touch ran"}, context(root, home, Grant.REFUSED))
    assert out.refused and not out.ok
    assert not (root / "ran").exists()


@pytest.fixture
def no_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Make bubblewrap unavailable to this process for the test (an empty PATH)."""
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    sandbox.unavailable_reason.cache_clear()
    yield
    monkeypatch.undo()
    sandbox.unavailable_reason.cache_clear()


async def test_without_bwrap_the_first_command_output_says_so(root, home, no_bwrap):
    ctx = context(root, home, Grant.POLICY)
    first = await RunShellCommand().run({"command": "echo one"}, ctx)
    second = await RunShellCommand().run({"command": "echo two"}, ctx)
    assert first.text.splitlines() == [
        "commands run without a sandbox: bwrap (bubblewrap) is not installed; install "
        'bubblewrap or set sandbox = "off" to silence this',
        "Command: echo one",
        "Directory: (root)",
        "Output: one",
        "Error: (none)",
        "Exit Code: 0",
    ]
    assert second.text.splitlines()[0] == "Command: echo two"  # the notice comes once
    off = await RunShellCommand().run(
        {"command": "echo three"}, context(root, home, Grant.POLICY, "off")
    )
    assert off.text.splitlines()[:3] == [
        "Command: echo three", "Directory: (root)", "Output: three"
    ]  # fmt: skip
