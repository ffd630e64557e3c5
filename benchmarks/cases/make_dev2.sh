#!/bin/bash
# Regenerate dev2-cases.jsonl (the second half of the development set) from bare mirrors.
# usage: benchmarks/cases/make_dev2.sh MIRRORS   (MIRRORS holds OWNER+NAME/repo for each line
# of dev2-repos.txt; the heads there are pinned, so the output is the same every time)
set -euo pipefail
mirrors=${1:?usage: make_dev2.sh MIRRORS}
here=$(cd "$(dirname "$0")" && pwd)
make_cases=$here/../../../shared/bench/make_cases.py
while read -r repo head _files; do
  python3 "$make_cases" "$mirrors/${repo/\//+}/repo" "${repo#*/}" --max 40 --head "$head"
done <"$here/dev2-repos.txt" >"$here/dev2-cases.jsonl"
