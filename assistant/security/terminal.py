"""Text from untrusted sources made safe to show in a terminal: no control characters.

A repository's files, a model's answer and an MCP server's strings can carry escape sequences
that move the cursor, rewrite what a person already read or set the window title. Before such
text is printed (or offered for approval) it loses every control character but newline and tab.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """Return `text` without control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", text)
