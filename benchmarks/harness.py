"""Shared benchmark harness: timing, medians, ratios, child processes, corpora, result tables.

Every benchmark measures its baseline in the same run and prints each figure with the step that
produced it; `Table` keeps those figures for a closing table and for `--json-out`. The module
imports only the standard library at load time: the index benchmarks' worker processes import
it, and their peak RSS is one of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import math
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import git

T = TypeVar("T")
R = TypeVar("R")

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / ".bench"  # everything the benchmarks download or build (git-ignored)
DJANGO = "django==5.2"  # the real codebase the index and completion benchmarks measure


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Return (seconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def interleave(rounds: int, *sides: Callable[[], T]) -> list[list[T]]:
    """Run each side once per round, in turn, so a busy neighbour slows every side alike."""
    runs: list[list[T]] = [[] for _ in sides]
    for _ in range(rounds):
        for side, results in zip(sides, runs, strict=True):
            results.append(side())
    return runs


def median_run(runs: list[R], key: Callable[[R], float]) -> R:
    """Return the run with the median `key` (the lower middle one of an even count)."""
    return sorted(runs, key=key)[(len(runs) - 1) // 2]


def percentile(values: Sequence[float], percent: float, *, upper: bool = False) -> float:
    """Return the `percent` (0..100) percentile of values by nearest rank, in their unit.

    `upper` takes the rank just above percent·n when that is a whole number, the convention
    lsp_latency.py has always reported with (kept so its figures stay comparable).
    """
    ordered = sorted(values)
    if upper:
        rank = int(len(ordered) * percent / 100)
    else:
        rank = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return ordered[min(len(ordered) - 1, rank)]


def ms(seconds: float) -> str:
    """Return seconds as whole milliseconds."""
    return f"{seconds * 1000:.0f} ms"


def spread(seconds: Sequence[float]) -> str:
    """Return 'p50 .. ms, p95 .. ms' of a list of seconds."""
    p50, p95 = (1000 * percentile(seconds, p) for p in (50, 95))
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


def ratio(value: float, baseline: float, spec: str = ".1f", none: str = "-") -> str:
    """Return value / baseline formatted with `spec`, or `none` when there is no baseline."""
    return format(value / baseline, spec) if baseline else none


@dataclass(frozen=True)
class Figure:
    """One measured figure: what, its value, its target, and the step that produced it."""

    name: str
    value: str
    target: str
    step: str


@dataclass
class Table:
    """The figures of one benchmark run, printed as they come and again at the end."""

    benchmark: str
    figures: list[Figure] = field(default_factory=list)

    def report(self, name: str, value: str, target: str = "-", step: str = "") -> None:
        """Print one figure with the step that produced it, and keep it for the table."""
        self.record(name, value, target, step)
        print(f"  {name}: {value}" + (f"   [{step}]" if step else ""), flush=True)

    def record(self, name: str, value: str, target: str = "-", step: str = "") -> None:
        """Keep one figure without printing it (for a figure printed in another form)."""
        self.figures.append(Figure(name, value, target, step))

    def print_table(self) -> None:
        """Print every figure beside its target."""
        width = max((len(f.name) for f in self.figures), default=6)
        print("\n" + f"{'figure':<{width}}  {'value':<60}  target")
        for row in self.figures:
            print(f"{row.name:<{width}}  {row.value:<60}  {row.target}")

    def write_json(self, path: Path | None) -> None:
        """Write the figures and the machine they ran on to `path` (nothing when None)."""
        if path is None:
            return
        payload = {"benchmark": self.benchmark, "machine": machine(),
                   "figures": [asdict(f) for f in self.figures]}  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=1) + "\n")


def add_json_out(parser: argparse.ArgumentParser) -> None:
    """Add the `--json-out FILE` option every benchmark takes (run_all.py reads it)."""
    parser.add_argument("--json-out", type=Path, help="also write the figures as JSON to FILE")


def machine() -> str:
    """Return the Python version, the core count and the load average now."""
    return f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"


def byte_compile() -> None:
    """Byte-compile assistant/ as any first run leaves it, so no CLI run pays for it."""
    # Under PYTHONDONTWRITEBYTECODE an editable install recompiles ~30 modules in each run.
    compileall.compile_dir(REPO / "assistant", quiet=1)
    print("byte-compiled assistant/ (python -m compileall), as any first run leaves it")


@dataclass(frozen=True)
class Child:
    """One finished child process: wall seconds, peak RSS figures, its stdout."""

    wall: float
    maxrss_mb: float  # the largest single process (wait4's ru_maxrss)
    tree_rss_mb: float  # the largest sum over the process and its descendants, sampled
    stdout: str


def sh(cmd: list[str]) -> None:
    """Run a setup command, failing loudly."""
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def run_child(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Child:
    """Run a command to the end; return its wall time, peak RSS and stdout (stderr to `log`)."""
    started = time.perf_counter()
    stderr = log.open("a") if log else None
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=stderr, env={**os.environ, **(env or {})}, cwd=cwd,
        text=True,
    )  # fmt: skip
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        """Sample the process tree's RSS until the process ends."""
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if stderr:
        stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return Child(wall, usage.ru_maxrss / 1024, peak[0] / 2**20, out)


def run_json(cmd: list[str], **kwargs: Any) -> tuple[dict[str, Any], Child]:
    """Run a command with `run_child` and parse the JSON object on its last line of stdout."""
    child = run_child(cmd, **kwargs)
    return json.loads(child.stdout.strip().splitlines()[-1]), child


def run_worker(script: str, kind: str, root: Path, cache: Path) -> tuple[dict[str, Any], Child]:
    """Run `script --worker kind` in a child process and return its JSON and measurements."""
    cmd = [sys.executable, script, "--worker", kind, "--root", str(root), "--cache", str(cache)]
    return run_json(cmd)


def add_worker_args(parser: argparse.ArgumentParser) -> None:
    """Add the hidden `--worker KIND --root DIR --cache DIR` options `run_worker` passes."""
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)


def _tree_rss(root_pid: int) -> int:
    """Return the summed RSS in bytes of a process and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, size = {root_pid}, 0
    while True:
        grown = family | {pid for pid, parent in parents.items() if parent in family}
        if grown == family:
            break
        family = grown
    for pid in family:
        try:
            size += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except OSError:
            continue  # it ended between the listing and now
    return size * os.sysconf("SC_PAGESIZE")


def sdist_on_disk(spec: str) -> Path | None:
    """Return the unpacked folder of a source distribution fetched before, or None."""
    marker = BENCH / "src" / f"{spec}.done"
    return Path(marker.read_text()) if marker.exists() else None


def fetch_sdist(spec: str) -> Path:
    """Download a source distribution from PyPI once and unpack it; return its folder."""
    if folder := sdist_on_disk(spec):
        return folder
    dl, src = BENCH / "dl", BENCH / "src"
    name, version = spec.lower().split("==")
    dl.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    sh([*pip, spec, "-d", str(dl)])
    tarball = next(p for p in dl.glob("*.tar.gz") if p.name.lower() == f"{name}-{version}.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(src, filter="data")
    folder = src / tarball.name[: -len(".tar.gz")]
    (src / f"{spec}.done").write_text(str(folder))
    return folder


def make_git_repo(root: Path, files: Mapping[str, str], message: str) -> git.Repo:
    """Create a git repository at `root` holding `files` (path: text) in one commit."""
    import git  # here, not at the top: the index workers import this module

    root.mkdir(parents=True)
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "bench")
        config.set_value("user", "email", "bench@example.com")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    repo.index.add(list(files))
    repo.index.commit(message)
    return repo


@contextlib.asynccontextmanager
async def lsp_client(
    source: Path, cache: Path, base_url: str, options: Mapping[str, Any]
) -> AsyncIterator[Any]:
    """Start `assistant lsp` on `source` against `base_url`; yield a pygls client once the
    server's index is ready; shut the server down after."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("bench", "1")
    ready = asyncio.Event()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log_message(params: types.LogMessageParams) -> None:
        """Note when the server's index is ready."""
        if "index ready" in params.message:
            ready.set()

    env = {**os.environ, "ASSISTANT_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "assistant", "lsp", "--repo", str(source),
               "--base-url", base_url, "--model", "qwen3-coder-plus"]  # fmt: skip
    await client.start_io(*command, env=env)
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=source.as_uri(),
        initialization_options={"assistant": dict(options)},
    ))  # fmt: skip
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(ready.wait(), 600)
    try:
        yield client
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
