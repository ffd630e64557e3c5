"""Token counts for budgets: one stated estimate, used everywhere, swappable for a real tokenizer.

Every budget in the assistant (repo maps, completion context, conversations, batch plans) counts
tokens with `estimate_tokens` or, when only sizes are known, `tokens_for`; `chars_for` turns a
budget back into characters. No other module keeps its own ratio.
"""

from __future__ import annotations

import math

# Qwen's BPE averages a little under 4 characters a token on English and about 3.3 on source
# code (indentation, punctuation and short identifiers). Counting 3.2 keeps budgets on the safe
# side: an estimate that runs high only leaves a little room unused.
CHARS_PER_TOKEN = 3.2


def estimate_tokens(text: str) -> int:
    """Return an estimate of how many model tokens `text` takes (never below its line count)."""
    if not text:
        return 0
    return tokens_for(len(text), text.count("\n") + 1)


def tokens_for(chars: int, lines: int = 0) -> int:
    """Return the estimate for a text of `chars` characters on `lines` lines (0: unknown)."""
    return max(math.ceil(chars / CHARS_PER_TOKEN), lines)


def chars_for(tokens: float) -> float:
    """Return about how many characters fit in `tokens` (the estimate's inverse)."""
    return tokens * CHARS_PER_TOKEN
