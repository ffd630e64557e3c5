"""Turning the model's page into a page whose every code link is true.

The model cites code as `path:line` (or `path:start-end`). Each citation is checked against the
index: the file must be one the wiki explains and the line must exist. A true citation becomes
a link to that line; a broken one is dropped. Links the model wrote itself keep their label;
their target stays only when it is an http(s) URL, another page of the wiki, or a code line
that checks out. Code blocks are left as they are. The page is then redacted: it never quotes
a secret, whatever its context held.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from assistant.security.secrets import redact
from assistant.wiki.manifest import PAGE_LINK

CITATION = re.compile(
    r"`?(?<![\w/.@:+-])((?:[\w@.+-]+/)*[\w@+-][\w@.+-]*\.[A-Za-z0-9]{1,10})"
    r"(?::|#L)(\d{1,7})(?:-L?(\d{1,7}))?(?![\w/])`?"
)
LINK = re.compile(r"(!?)\[([^\]\n]{0,300})\]\(([^)\s]{0,2000})\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
LEFTOVER = re.compile(r"\(\s*(?:(?:see|in|at)\s*)?(?:,\s*)*\)|\[\s*\]")
SUMMARY_CHARS = 500


@dataclass(frozen=True)
class CheckedPage:
    """A page after its links were checked: the text and how many citations held or fell."""

    text: str
    kept: int
    dropped: int


def check_links(
    text: str,
    lines_of: Mapping[str, int],
    href: Callable[[str, int], str],
    secrets: tuple[str, ...] = (),
) -> CheckedPage:
    """Return the page with true citations linked and broken ones dropped, then redacted.

    `lines_of` maps each file the wiki may link to its number of lines; `href` makes the
    link to a file's line; `secrets` are exact values never to appear (the user's keys).
    """
    counts = {"kept": 0, "dropped": 0}

    def cite(path: str, line: int) -> str | None:
        total = lines_of.get(path)
        if total is None or not 1 <= line <= total:
            counts["dropped"] += 1
            return None
        counts["kept"] += 1
        return href(path, line)

    def citation(found: re.Match[str]) -> str:
        path, line, end = found.group(1), int(found.group(2)), found.group(3)
        target = cite(path, line)
        if target is None:
            return ""
        label = f"{path}:{line}" + (f"-{end}" if end else "")
        return f"[{label}]({target})"

    def link(found: re.Match[str]) -> str:
        bang, label, url = found.groups()
        if bang:
            return found.group(0) if re.fullmatch(r"[a-z0-9-]+\.svg", url) else label
        if re.match(r"^https?://", url, re.IGNORECASE) or PAGE_LINK.fullmatch(url):
            return found.group(0)
        cited = CITATION.fullmatch(url)
        target = cite(cited.group(1), int(cited.group(2))) if cited else None
        return f"[{label}]({target})" if target else label

    def prose(segment: str) -> str:
        pieces = []
        last = 0
        for found in LINK.finditer(segment):
            pieces.append(_cleaned(CITATION.sub(citation, segment[last : found.start()])))
            pieces.append(link(found))
            last = found.end()
        pieces.append(_cleaned(CITATION.sub(citation, segment[last:])))
        return "".join(pieces)

    out = []
    last = 0
    for block in FENCE.finditer(text):
        out.append(prose(text[last : block.start()]))
        out.append(block.group(0))
        last = block.end()
    out.append(prose(text[last:]))
    return CheckedPage(redact("".join(out), secrets), counts["kept"], counts["dropped"])


def _cleaned(text: str) -> str:
    """Tidy what a dropped citation leaves: empty brackets, doubled spaces before stops."""
    text = LEFTOVER.sub("", text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"(?<=\S)[ \t]{2,}", " ", text))


def summary_of(markdown: str) -> str:
    """Return a page's first paragraph of prose, links reduced to their labels, capped."""
    for block in re.split(r"\n\s*\n", FENCE.sub("", markdown)):
        text = block.strip()
        if not text or text.startswith(("#", "!", "|", "-", "*", ">")):
            continue
        text = LINK.sub(lambda m: m.group(2), text)
        text = " ".join(text.split())
        return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 3] + "..."
    return ""


def strip_title(markdown: str) -> str:
    """Return the model's page without a leading H1 (the page's title is ours) or fences
    wrapped around the whole answer."""
    text = markdown.strip()
    fenced = re.fullmatch(r"```(?:markdown|md)?\n(.*)\n```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    if text.startswith("# "):
        text = text.partition("\n")[2].lstrip()
    return text
