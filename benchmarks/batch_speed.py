"""Batch refactor wall time for 50 targets at --jobs 1, 4, 8, 16 against the scripted server.

Every model request takes a fixed delay (the scripted server's delay fault), so the figures
show how well the batch keeps requests in flight. Prints each run's wall time, its speed-up
over --jobs 1 measured in the same run, and checks that every edit landed exactly once.

    .venv/bin/python benchmarks/batch_speed.py [--targets 50] [--delay 0.3] [--jobs 1 4 8 16]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO, Table, add_json_out, make_git_repo, ratio

sys.path.insert(0, str(REPO))

from assistant.batch.run import BatchOptions, BatchRun, make_plan
from assistant.config import Settings
from assistant.llm import ModelClient
from assistant.testing import ScriptedServer


def modules(targets: int) -> dict[str, str]:
    """Return the target modules, one function each, by path."""
    return {f"mod_{n:03d}.py": f"def old_{n:03d}():\n    return {n}\n" for n in range(targets)}


def turns(targets: int, delay: float) -> list[dict[str, Any]]:
    """Return the scripted model's turns: read, edit, done for each target, each delayed."""
    result: list[dict[str, Any]] = []
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
    """Run the batch once at `jobs`; return its wall seconds and the edits that landed."""
    root, cache = work / f"repo-{jobs}", work / f"cache-{jobs}"
    repo = make_git_repo(root, modules(targets), "modules")
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
    """Run the batch at each --jobs and print the wall times and speed-ups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per model request")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 8, 16])
    add_json_out(parser)
    args = parser.parse_args()
    print(f"{args.targets} targets, 3 model requests each, {args.delay}s per request")
    table = Table("batch_speed")
    with tempfile.TemporaryDirectory() as folder:
        baseline = None
        for jobs in args.jobs:
            elapsed, landed = asyncio.run(one_run(jobs, args.targets, args.delay, Path(folder)))
            baseline = baseline or elapsed
            value = (
                f"{elapsed:6.2f} s  speed-up {ratio(baseline, elapsed, '4.1f')}x  "
                f"({landed}/{args.targets} edits landed once, no duplicates)"
            )
            print(f"--jobs {jobs:>2}: {value}", flush=True)
            step = f"{args.targets} targets, 3 requests each, {args.delay}s per request"
            table.record(f"--jobs {jobs:>2}", value, "-", step)
    table.write_json(args.json_out)


if __name__ == "__main__":
    main()
