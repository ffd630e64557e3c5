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

MEMBER_WEIGHT = 0.25
_DESCRIPTIVE = re.compile(r"[a-z0-9]_[a-z0-9]|[a-z][A-Z]")
# A project that defines `type` or `items` still gets the edge, at a tenth of the weight.
_COMMON_TEXT = """
type str int float bool bytes list dict set tuple object len print range open super isinstance
getattr setattr hasattr format repr iter next map filter zip sorted min max sum any all id hash
get items keys values append extend insert pop push remove clear copy update add replace split
join strip match search find index count read write close flush run start stop call apply bind
then catch resolve reject log error warn info debug toString valueOf String Error Println Printf
Sprintf Errorf make new init main test setup value name data result self this cls args kwargs
"""
COMMON_NAMES = frozenset(_COMMON_TEXT.split())


def name_weight(name: str, definers: int, *, member: bool = False) -> float:
    """Return the weight of one use of `name`, defined in `definers` files."""
    weight = MEMBER_WEIGHT if member else 1.0
    if len(name) >= 8 and _DESCRIPTIVE.search(name):
        weight *= 4.0
    if name.startswith("_"):
        weight *= 0.1
    if len(name) <= 2 or name in COMMON_NAMES:
        weight *= 0.1
    if definers > 5:
        weight *= 0.1
    return weight / math.sqrt(max(definers, 1))
