"""Index speed against Aider's repo map on Django 5.2, latency, and (with --scale) a 100k-file tree.

One command, from a fresh clone, after `pip install -e .[dev]` into .venv:

    .venv/bin/python benchmarks/index_speed.py            # Django: about 6-9 minutes on 2 cores
    .venv/bin/python benchmarks/index_speed.py --scale    # also the ~100,000-file tree (longer)

It runs, in this order and on one index cache, index_cold.py (cold index against Aider),
index_latency.py (search, map and edit latency) and with --scale index_scale.py; each also
runs on its own. It downloads what it needs from PyPI itself (source distributions with `pip
download`, and `aider-chat` into its own virtualenv), and keeps everything it creates under
`.bench/` (git-ignored). Every figure is printed with the command or step that produced it; the
closing table gives each figure beside its target, and Aider's cold map time as a ratio to ours.
In-process figures come from child processes running those scripts with `--worker`.
"""

from __future__ import annotations

import argparse
import sys

from harness import DJANGO, Table, add_json_out, fetch_sdist
from index_cold import (
    DJANGO_CACHE,
    ROUNDS,
    against_aider,
    announce_django,
    ensure_aider,
    finish,
    start,
)
from index_latency import cli_edit, latency_section
from index_scale import scale_section


def main() -> int:
    """Parse flags; run the Django figures, and the scale figures with --scale."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", action="store_true", help="also index the ~100k-file tree")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved cold rounds")
    add_json_out(parser)
    args = parser.parse_args()
    start(__doc__ or "")
    table = Table("index_speed")
    tree, aider_python = fetch_sdist(DJANGO), ensure_aider()
    announce_django(tree)
    against_aider(table, tree, DJANGO_CACHE, aider_python, args.rounds)
    latency_section(table, tree, DJANGO_CACHE, edit=True)
    cli_edit(table, tree, DJANGO_CACHE)
    if args.scale:
        scale_section(table)
    finish(table, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
