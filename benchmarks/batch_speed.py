"""Batch refactor wall time for 50 targets at --jobs 1, 4, 8, 16 against the scripted server.

Every model request takes a fixed delay (the scripted server's delay fault), so the figures
show how well the batch keeps requests in flight. Prints each run's wall time, its speed-up
over --jobs 1 measured in the same run, and checks that every edit landed exactly once.

    .venv/bin/python benchmarks/batch_speed.py [--targets 50] [--delay 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import git

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.batch import BatchOptions, BatchRun, make_plan
from assistant.config import Settings
from assistant.llm import ModelClient
from assistant.testing import ScriptedServer


def make_repo(root: Path, targets: int) -> git.Repo:
    root.mkdir(parents=True)
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "bench")
        config.set_value("user", "email", "bench@example.com")
    for n in range(targets):
        (root / f"mod_{n:03d}.py").write_text(f"def old_{n:03d}():\n    return {n}\n")
    repo.index.add([f"mod_{n:03d}.py" for n in range(targets)])
    repo.index.commit("modules")
    return repo


def turns(targets: int, delay: float) -> list[dict]:
    result = []
    fault = {"kind": "delay", "seconds": delay}
    for n in range(targets):
        path = f"mod_{n:03d}.py"
        block = {"search": f"def old_{n:03d}():", "replace": f"def new_{n:03d}():"}
        result += [
            {"match": f"`{path}`", "fault": fault,
             "tool_calls": [{"name": "read_file", "arguments": {"path": path}}]},
            {"match": f"`{path}`", "fault": fault,
             "tool_calls": [{"name": "edit_file", "arguments": {"path": path, "blocks": [block]}}]},
            {"match": f"`{path}`", "fault": fault, "text": "done"},
        ]  # fmt: skip
    return result


async def one_run(jobs: int, targets: int, delay: float, work: Path) -> tuple[float, int]:
    root, cache = work / f"repo-{jobs}", work / f"cache-{jobs}"
    repo = make_repo(root, targets)
    with ScriptedServer({"turns": turns(targets, delay)}) as server:
        settings = Settings(profile="bench", base_url=server.base_url, api_key="k",
                            model="qwen3-coder-plus", cache_dir=cache)  # fmt: skip
        async with ModelClient(settings) as client:
            batch = BatchRun(
                root, settings, BatchOptions("rename", jobs=jobs, branch="b"), client, cache
            )
            plan = make_plan(root, [f"mod_{n:03d}.py" for n in range(targets)])
            started = time.perf_counter()
            state = await batch.run(batch.start(plan))
            elapsed = time.perf_counter() - started
    landed = 0
    for n in range(targets):
        text = repo.git.show(f"b:mod_{n:03d}.py")
        landed += text.count(f"def new_{n:03d}():") == 1 and "old_" not in text
    commits = len(list(repo.iter_commits("HEAD..b")))
    assert state.counts()["done"] == targets == landed == commits, (state.counts(), landed, commits)
    return elapsed, landed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per model request")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 8, 16])
    args = parser.parse_args()
    print(f"{args.targets} targets, 3 model requests each, {args.delay}s per request")
    with tempfile.TemporaryDirectory() as folder:
        baseline = None
        for jobs in args.jobs:
            elapsed, landed = asyncio.run(one_run(jobs, args.targets, args.delay, Path(folder)))
            baseline = baseline or elapsed
            print(f"--jobs {jobs:>2}: {elapsed:6.2f} s  speed-up {baseline / elapsed:4.1f}x  "
                  f"({landed}/{args.targets} edits landed once, no duplicates)")  # fmt: skip


if __name__ == "__main__":
    main()
