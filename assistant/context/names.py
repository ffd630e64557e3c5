"""How much one use of a name says about the files that define it (the graph's edge weights).

Weighted the way Aider weights its tags graph: a long descriptive name (`parse_response`,
`getUserName`) says more than a short one; a private name (`_helper`), a name defined in many
files, a one- or two-letter name or an everyday builtin/API name (`get`, `items`, `write`) much
less. A name defined in several files splits its weight among them, and a name defined only as a
method (`obj.write()` is matched by name alone, with no type to say which class) counts less.
"""

from __future__ import annotations

import math
import re

from assistant.context.words import COMMON_NAMES

MEMBER_WEIGHT = 0.25
_DESCRIPTIVE = re.compile(r"[a-z0-9]_[a-z0-9]|[a-z][A-Z]")


def name_weight(name: str, definers: int, *, member: bool = False) -> float:
    """Return the weight of one use of `name`, defined in `definers` files."""
    weight = MEMBER_WEIGHT if member else 1.0
    if len(name) >= 8 and _DESCRIPTIVE.search(name):
        weight *= 4.0
    if name.startswith("_"):
        weight *= 0.1
    if len(name) <= 2 or name in COMMON_NAMES:  # a project defining `items` keeps a tenth
        weight *= 0.1
    if definers > 5:
        weight *= 0.1
    return weight / math.sqrt(max(definers, 1))
