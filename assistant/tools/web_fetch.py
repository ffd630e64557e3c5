"""web_fetch: read a web page, under Qwen Code's name and schema (url, prompt).

A fetch is a way out of the machine, so it is never the model's decision alone: each
destination (scheme, host and port) asks a person once a turn, whatever the mode, unless the
user's own config lists it in `fetch_allow` (host names or globs); a headless run refuses the
rest. A URL
that carries anything secret-looking is refused before it leaves (a query string is an easy
way to send a key out), and so are non-web schemes and credentials in the URL. Redirects are
followed only within the approved destination. The answer is the page as text (scripts and
styles dropped), redacted and cut like any tool output, after the model's prompt.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from assistant.security.secrets import redact
from assistant.tools.base import ToolContext, ToolError, ToolOutput, ToolSpec, require_str

MAX_BYTES = 2_000_000
PAGE_CHARS = 30_000
TIMEOUT = 10.0
MAX_REDIRECTS = 5
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section",
     "article", "header", "footer", "table", "ul", "ol"}
)  # fmt: skip


class WebFetch:
    """Fetch a URL (after the user approved its destination) and answer its text."""

    spec = ToolSpec(
        name="web_fetch",
        description=(
            "Fetches content from a specified URL (http or https) and returns it as text, to "
            "answer `prompt`. The user approves each new destination. Never put secrets, keys "
            "or private data in a URL."
        ),
        parameters={
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "The URL to fetch content from"},
                "prompt": {
                    "type": "string",
                    "description": "The prompt to run on the fetched content",
                },
            },
            "required": ["url", "prompt"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Check the URL, ask for its destination, fetch it, answer its text."""
        url, prompt = require_str(args, "url").strip(), require_str(args, "prompt")
        origin = check_url(url, ctx)
        known = origin in ctx.state.fetch_origins or _allowed(origin, ctx.settings.fetch_allow)
        if not known:
            if not await ctx.authorize("fetch", f"fetch from {origin}", url):
                return ToolOutput.refusal(f"fetch of {url}")
            ctx.state.fetch_origins.add(origin)  # asked once per destination and turn
        status, kind, body = await _get(url, origin)
        if status >= 400:
            raise ToolError(f"Error during fetch for {url}: status {status}")
        text = html_text(body) if "html" in kind or body.lstrip()[:1] == "<" else body
        text = redact(text)[:PAGE_CHARS]
        return ToolOutput(f"Content of {url} (for: {prompt}):\n\n{text}")


def check_url(url: str, ctx: ToolContext) -> str:
    """Return the URL's destination (scheme://host:port), or refuse it."""
    try:
        parts = urlsplit(url)
        origin = _origin(url)
    except ValueError as error:
        raise ToolError(f"The 'url' is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError("The 'url' must be a valid URL starting with http:// or https://.")
    if parts.username or parts.password:
        raise ToolError("a URL with credentials in it is never fetched")
    keys = ctx.settings.known_secrets
    decoded = url
    for _ in range(3):  # a key percent-encoded (once or twice) is still a key
        decoded = unquote(decoded)
    if redact(url, keys) != url or redact(decoded, keys) != decoded:
        raise ToolError("the URL carries something secret-looking; it is not sent anywhere")
    return origin


def _allowed(origin: str, patterns: tuple[str, ...]) -> bool:
    host = urlsplit(origin).hostname or ""
    return any(fnmatch.fnmatch(host, pattern) or pattern == origin for pattern in patterns)


async def _get(url: str, origin: str) -> tuple[int, str, str]:
    """GET the URL, following redirects only within `origin`; return (status, type, text)."""
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as web:
        for _ in range(MAX_REDIRECTS + 1):
            async with web.stream("GET", url, headers={"User-Agent": "assistant"}) as response:
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("location", ""))
                    try:
                        same = _origin(target) == origin
                    except ValueError:
                        same = False
                    if not same:
                        raise ToolError(f"the page redirects to another destination: {target}")
                    url = target
                    continue
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_BYTES:
                        break
                kind = response.headers.get("content-type", "")
                return (
                    response.status_code,
                    kind,
                    bytes(data[:MAX_BYTES]).decode("utf-8", "replace"),
                )
    raise ToolError(f"too many redirects fetching {url}")


def _origin(url: str) -> str:
    """Return scheme://host:port of a URL (ValueError for a malformed one)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Return the readable text of an HTML page: no scripts or styles, blank runs collapsed."""
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
