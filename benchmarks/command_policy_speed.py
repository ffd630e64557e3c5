"""How long the command policy takes to judge a command line (compound lines, `bash -c`, and
lines whose globs it must expand), beside a plain `ls`, in the same run.

    .venv/bin/python benchmarks/command_policy_speed.py [--rounds 200]   # a few seconds

The folder holds as many names as a glob may match (MAX_MATCHES - 6, so every pattern is
expanded rather than refused as too wide); each round judges every line once, interleaved with
the plain `ls` baseline. Target: every line judged in under 5 ms at the median (a command
is judged before every run, and the TUI waits for the answer).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from harness import Table, add_json_out, ratio, timed

from assistant.agent.permissions import DEFAULT_ALLOW
from assistant.security.command_policy import Verdict, judge_command
from assistant.security.globs import MAX_MATCHES

LINES = (
    "rg foo src | head",
    "git log --oneline -n 5 -- src/app.py",
    "cd src && rm -rf build && find . -name '*.pyc' -delete",
    "bash -lc 'git status; git diff HEAD~1 -- .' 2>&1 | tail -20",
    "ls *",
    "wc -l *.py",
    "git diff -- *.py",
    "grep -n x module_1*",
)
BASELINE = "ls"


def main() -> None:
    """Judge each line ROUNDS times and print medians beside the plain line's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    add_json_out(parser)
    args = parser.parse_args()
    table = Table("command_policy_speed")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for index in range(MAX_MATCHES - 6):
            (root / f"module_{index}.py").write_text("")

        def judge(line: str) -> Verdict:
            return judge_command(line, allow=DEFAULT_ALLOW, root=root, mode="ask")

        judge(BASELINE)
        times: dict[str, list[float]] = {line: [] for line in (BASELINE, *LINES)}
        for _ in range(args.rounds):
            for line in times:
                times[line].append(timed(judge, line)[0])
        base = statistics.median(times[BASELINE])
        step = f"{args.rounds} rounds over {MAX_MATCHES - 6} names, interleaved"
        for line in (BASELINE, *LINES):
            median = statistics.median(times[line])
            value = f"{median * 1000:.2f} ms median ({ratio(median, base)}x `{BASELINE}`)"
            table.report(f"judge `{line}`", value, "< 5 ms" if line != BASELINE else "-", step)
    table.print_table()
    table.write_json(args.json_out)


if __name__ == "__main__":
    main()
