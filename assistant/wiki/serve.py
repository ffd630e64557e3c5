"""`assistant wiki serve`: the wiki as a local web site, on loopback only.

URLs: `/` (the overview, or the first page), `/page/SLUG`, `/SLUG.svg`, `/search.json` and
`/code/PATH` (the code view). Every request builds its answer from the folder again, so a
rebuilt wiki shows without a restart.

The server binds 127.0.0.1 and answers only requests whose Host is 127.0.0.1:PORT or
localhost:PORT: a web page elsewhere that points a name of its own at 127.0.0.1 (DNS
rebinding) gets 403, never the code. Loopback is shared with every user of the machine, so
the server also wants its key: the address it prints carries it once (`/?key=...`), the
answer keeps it in a cookie (HttpOnly, SameSite=Strict) and drops it from the address; a
request with neither gets 403. Only GET is served. Every answer carries a strict
Content-Security-Policy (the page's one script allowed by hash; diagrams sandboxed) and
`X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from assistant.errors import AssistantError, ConfigError, PathOutsideRepository
from assistant.wiki.manifest import SLUG
from assistant.wiki.site import Site
from assistant.wiki.site_assets import DIAGRAM_POLICY, PAGE_POLICY
from assistant.wiki.site_markdown import SiteLinks

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
COOKIE = "wiki_key"


class WikiServer:
    """The wiki's web server on 127.0.0.1; `start()` runs it in a thread, `serve_forever()` here."""

    def __init__(self, root: Path, folder: Path, *, port: int = 0, editor_link: str = "") -> None:
        links = SiteLinks(Path(root), editor_link=editor_link)  # checks the editor link
        self.key = secrets.token_urlsafe(24)
        handler = _handler(Path(root), Path(folder), links, self.key)
        try:
            self._httpd = ThreadingHTTPServer((HOST, port), handler)
        except OSError as error:
            raise ConfigError(
                f"cannot serve the wiki on {HOST}:{port}: {error.strerror or error}",
                hint="choose another port with --port, or 0 for any free one",
            ) from error
        self._httpd.daemon_threads = True
        handler.port = self.port
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Return the site's address (a browser needs `entry_url` once, for the key)."""
        return f"http://{HOST}:{self.port}/"

    @property
    def entry_url(self) -> str:
        """Return the address to open first: the site's, with its key."""
        return f"{self.url}?key={self.key}"

    def start(self) -> None:
        """Serve in a background thread until `stop()`."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="wiki-server", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` is called from another (or KeyboardInterrupt)."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> WikiServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_wiki(
    root: Path,
    folder: Path,
    *,
    port: int = 0,
    editor_link: str = "",
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the wiki in `folder` on 127.0.0.1:`port` (0: any free port) until Ctrl+C; `ready`
    is called with the site's address once it listens."""
    server = WikiServer(root, folder, port=port, editor_link=editor_link)
    try:
        if ready is not None:
            ready(server.entry_url)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


class _Handler(BaseHTTPRequestHandler):
    """Answers one request from a fresh Site; the class attributes are set per server."""

    root: Path
    folder: Path
    links: SiteLinks
    key: str = ""
    port: int = 0
    server_version = "assistant-wiki"
    sys_version = ""
    _policy = PAGE_POLICY

    def do_GET(self) -> None:
        """Answer a GET: check the Host, then route the path."""
        self._policy = PAGE_POLICY
        if self.headers.get("Host", "") not in {f"{HOST}:{self.port}", f"localhost:{self.port}"}:
            self._send_text(HTTPStatus.FORBIDDEN, "This server answers only on its own address.")
            return
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        given = parse_qs(parts.query).get("key", [""])[0]
        if given and hmac.compare_digest(given, self.key):
            self._let_in(parts.path)
            return
        if not hmac.compare_digest(self._cookie_key(), self.key):
            self._send_text(
                HTTPStatus.FORBIDDEN,
                "Open the address `assistant wiki serve` printed (it carries this server's key).",
            )
            return
        try:
            self._route(path, Site(self.root, self.folder, self.links))
        except PathOutsideRepository as error:
            self._send_text(HTTPStatus.FORBIDDEN, str(error))
        except AssistantError as error:
            self._send_text(HTTPStatus.NOT_FOUND, error.one_line())

    def _route(self, path: str, site: Site) -> None:
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", site.home_html().encode())
        elif path.startswith("/page/") and SLUG.fullmatch(path[6:]):
            html = site.page_html(path[6:])
            self._send_html_or_missing(html)
        elif path == "/search.json":
            self._send(HTTPStatus.OK, "application/json", site.search_json().encode())
        elif path.startswith("/code/") and len(path) > 6:
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", site.code_html(path[6:]).encode())
        elif path.endswith(".svg") and SLUG.fullmatch(path[1:-4]):
            svg = site.diagram(path[1:-4])
            if svg is None:
                self._send_text(HTTPStatus.NOT_FOUND, "No such diagram.")
            else:
                self._policy = DIAGRAM_POLICY
                self._send(HTTPStatus.OK, "image/svg+xml", svg)
        else:
            self._send_text(HTTPStatus.NOT_FOUND, "No such page.")

    def _cookie_key(self) -> str:
        cookies = SimpleCookie()
        try:
            cookies.load(self.headers.get("Cookie", ""))
        except CookieError:
            return ""
        found = cookies.get(COOKIE)
        return found.value if found is not None else ""

    def _let_in(self, path: str) -> None:
        """Keep the key in a cookie and send the browser on to the same page without it."""
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", path if path.startswith("/") else "/")
        self.send_header("Set-Cookie", f"{COOKIE}={self.key}; Path=/; HttpOnly; SameSite=Strict")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_html_or_missing(self, html: str | None) -> None:
        if html is None:
            self._send_text(HTTPStatus.NOT_FOUND, "No such page.")
        else:
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", html.encode())

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", f"{text}\n".encode())

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        """Add the security headers every answer carries (errors too), then end them."""
        self.send_header("Content-Security-Policy", self._policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")  # no embedding elsewhere
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _refuse(self) -> None:
        body = b"Only GET is served.\n"
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def log_message(self, format: str, *args: object) -> None:
        """Log requests at debug level instead of printing them."""
        log.debug("wiki server: " + format, *args)


def _handler(root: Path, folder: Path, links: SiteLinks, key: str) -> type[_Handler]:
    """Return a handler class bound to this wiki (http.server makes one object per request)."""
    bound = {"root": root, "folder": folder, "links": links, "key": key}
    return type("WikiHandler", (_Handler,), bound)
