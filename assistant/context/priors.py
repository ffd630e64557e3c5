"""What users ask to change: a prior over files, before any query word is read.

Requests are mostly about the project's own source. Tests, docs, examples, fixtures, benchmarks,
vendored and generated code are changed far less often on their own, so their scores are
multiplied down (never dropped: "fix the flaky test in test_io.py" still finds it). Larger files
hold more of the logic and are changed more often; a gentle log-size factor says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

_TEST = re.compile(
    r"(^|/)(tests?|testing|testdata|test_data|__tests__|__mocks__|mocks?|spec|specs|e2e|"
    r"fixtures?|__fixtures__|snapshots?|__snapshots__|benches|benchmarks?)/"
    r"|(^|/)(test_[^/]*|[^/]*_tests?\.\w+|[^/]*\.(test|spec|stories)\.\w+|[^/]*Tests?\.\w+|"
    r"[^/]*_spec\.rb|conftest\.py)$"
)
_AUXILIARY = re.compile(
    r"(^|/)(docs?|documentation|examples?|samples?|demos?|\.github|\.circleci|"
    r"site|website)/|(^|/)(setup\.py|noxfile\.py|fabfile\.py|tasks\.py|conf\.py)$"
    # The configuration of JavaScript tooling (karma.conf.js, webpack.config.mjs, vite.config.ts)
    r"|(^|/)[^/]*\.(conf|config)\.[cm]?[jt]s$"
)
_VENDORED = re.compile(
    r"(^|/)(_?vendor(ed)?|third[_-]?party|thirdparty|node_modules|external|extern|deps|"
    r"dist)/|\.min\.(js|css)$"
)
_GENERATED = re.compile(
    r"(\.pb\.go|_pb2\.pyi?|\.generated\.\w+|\.g\.dart)$"
    # Schema migrations (Django's app/migrations/0042_name.py, Alembic's versions/): written
    # once by a tool and kept as they were; a change adds a new one.
    r"|(^|/)migrations/(?!__init__\.py$)[^/]+\.py$|(^|/)alembic/versions/[^/]+\.py$"
)
# The kinds the patterns above find, in the order they are looked for, each with substrings
# its pattern needs somewhere in a path to match, read off its alternatives: most paths hold
# none, and testing for them costs a tenth of a search (at 100,000 files, four searches a path
# took a second of the first map).
_SEARCHED = (
    ("vendored", _VENDORED, ("vendor", "third", "node_modules", "extern", "deps", "dist",
                             ".min.")),
    ("generated", _GENERATED, (".pb.go", "_pb2.py", ".generated.", ".g.dart", "migrations/",
                               "alembic/")),
    ("test", _TEST, ("test", "Test", "mock", "spec", "e2e", "fixture", "snapshot", "bench",
                     "stories")),
    ("auxiliary", _AUXILIARY, ("doc", "example", "sample", "demo", ".github", ".circleci",
                               "site", "setup.py", "noxfile.py", "fabfile.py", "tasks.py",
                               "conf.", ".config.")),
)  # fmt: skip
_CODE = re.compile(
    r"\.(py|pyi|go|rs|js|jsx|mjs|cjs|ts|tsx|mts|cts|java|kt|kts|scala|c|h|cc|cpp|cxx|hpp|hh|"
    r"cs|rb|php|swift|m|mm|lua|ex|exs|erl|hs|ml|clj|dart|vue|svelte|sh|zig|nim|jl|r|pl)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PriorWeights:
    """Multipliers for each kind of file (1.0 is the project's own source)."""

    test: float = 0.15
    auxiliary: float = 0.15  # docs, examples, CI configuration, packaging scripts
    vendored: float = 0.15  # vendored, third-party or built code
    generated: float = 0.15  # code a tool wrote: protobuf output, schema migrations
    not_code: float = 0.15  # markdown, config, data
    size: float = 0.2  # strength of the log-size factor


# Every kind `file_kind` returns; all but "source" are PriorWeights fields.
KINDS = ("test", "vendored", "generated", "auxiliary", "not_code", "source")


@lru_cache(maxsize=262_144)
def file_kind(path: str) -> str:
    """Return "test", "vendored", "generated", "auxiliary", "not_code" or "source" (cached:
    ranking asks once per symbol, and a path's kind never changes)."""
    for kind, pattern, needed in _SEARCHED:
        if any(part in path for part in needed) and pattern.search(path):
            return kind
    if not _CODE.search(path):
        return "not_code"
    return "source"


def kind_weight(path: str, weights: PriorWeights | None = None) -> float:
    """Return the multiplier for a file's kind alone (1.0 for the project's own source)."""
    kind = file_kind(path)
    return 1.0 if kind == "source" else float(getattr(weights or PriorWeights(), kind))


def prior(path: str, n_lines: int, weights: PriorWeights | None = None) -> float:
    """Return the prior multiplier of a file: its kind's weight times a log-size factor."""
    weights = weights or PriorWeights()
    return kind_weight(path, weights) * _size_factor(n_lines, weights)


def highest_prior(most_lines: int, weights: PriorWeights | None = None) -> float:
    """Return the largest prior any file of at most `most_lines` lines can have."""
    weights = weights or PriorWeights()
    kinds = [1.0] + [float(getattr(weights, kind)) for kind in KINDS if kind != "source"]
    return max(kinds) * max(_size_factor(0, weights), _size_factor(most_lines, weights))


def _size_factor(n_lines: int, weights: PriorWeights) -> float:
    """Return the log-size factor (monotonic in `n_lines`, either way with the weight's sign)."""
    return 1.0 + weights.size * math.log1p(max(n_lines, 0))
