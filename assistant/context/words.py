"""Common words, in one place: what says little about where in the code to look.

Three uses, three sets, built from shared groups so no word list is kept twice:
- `STOPWORDS`: English too common in a request or a commit message to point anywhere (queries).
- `COMMON_NAMES`: builtins and everyday API names every codebase uses (`get`, `items`,
  `write`): a use of one says little about which file defines it (graph weights).
- `CODE_WORDS`: keywords and builtins of the common languages, compared in lower case: looking
  them up in the index for a completion finds nothing useful.
The sets differ on purpose: a request's "class" or "list" is a word worth searching for, and
a project's own `done()` is a name worth linking to, though both are common somewhere.
"""

from __future__ import annotations

_ENGLISH = """
a an and are as at be been but by can could did do does doesn don done for from had has have
how i if in into is it its it's me my not now of on or our should so than that the their them
then there these they this those to too was we were what when where which while who why will
with would you your also just only some such via
"""
# Builtin types and functions, and the names of the object itself, in most languages.
_BUILTINS = """
type str int float bool list dict set tuple object len print range super any match catch new
self this
"""
_EVERYDAY_NAMES = """
bytes open isinstance getattr setattr hasattr format repr iter next map filter zip sorted min
max sum all id hash get items keys values append extend insert pop push remove clear copy update
add replace split join strip search find index count read write close flush run start stop call
apply bind then resolve reject log error warn info debug toString valueOf String Error Println
Printf Sprintf Errorf make init main test setup value name data result cls args kwargs
"""
_KEYWORDS = """
and as assert async await break case class const continue def default del do elif else enum
except export extends false final finally fn for from func function go if impl import in
interface is lambda let mod nil none not null or package pass private protected pub public raise
return static struct switch throw true try typeof var void while with yield string number
"""

STOPWORDS = frozenset(_ENGLISH.split())
COMMON_NAMES = frozenset((_BUILTINS + _EVERYDAY_NAMES).split())
CODE_WORDS = frozenset((_KEYWORDS + _BUILTINS).split())
