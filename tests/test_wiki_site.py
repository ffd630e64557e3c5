"""The wiki as a web site: safe HTML from hostile pages, the code view's refusals, the loopback
server's checks and headers, and the static export."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import ConfigError, PathOutsideRepository, WorkspaceError
from assistant.wiki.export import export_site
from assistant.wiki.serve import WikiServer
from assistant.wiki.site import Site, SiteLinks
from tests.wiki_site_support import DIAGRAM, HOSTILE_DIAGRAM, make_wiki

REFUSED_PATHS = [
    ".git/config",
    ".env",
    "../outside.py",
    "pkg/secret_link.py",
    "pkg/outside_link.py",
    "/etc/passwd",
    "pkg",
    "pkg/missing.py",
]


@pytest.fixture
def wiki(tmp_path: Path) -> tuple[Path, Path]:
    return make_wiki(tmp_path)


@pytest.fixture
def server(wiki: tuple[Path, Path]) -> Iterator[WikiServer]:
    root, folder = wiki
    with WikiServer(root, folder) as running:
        yield running


def get(
    server: WikiServer,
    path: str,
    host: str | None = None,
    method: str = "GET",
    key: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request to the server (with its key in the cookie, unless `key` says another);
    return its status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Host": host or f"127.0.0.1:{server.port}"}
    headers["Cookie"] = f"wiki_key={server.key if key is None else key}"
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def main_hrefs(html: str) -> list[str]:
    """Return the link targets in a page's body (not its navigation)."""
    body = html.split("<main>", 1)[1].split("</main>", 1)[0]
    return re.findall(r'<a [^>]*href="([^"]*)"', body)


def test_page_escapes_raw_html_and_keeps_only_safe_links(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    html = Site(root, folder, SiteLinks(root)).page_html("overview")
    assert html is not None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<script>") == 1  # the site's own search script
    assert main_hrefs(html) == [
        "/code/pkg/store.py#L4",
        "/code/pkg/app.py#L4",
        "/page/store",
        "/page/request-flow#steps",
        "https://example.com/docs",
    ]
    assert 'rel="noopener noreferrer"' in html and 'title="the docs"' in html
    for dropped in ("javascript:", "data:text", "file:", ".git/config", ".env", "outside.py"):
        assert dropped not in html.split("<main>", 1)[1]
    assert re.findall(r'<img [^>]*src="([^"]*)"', html) == ["/overview.svg"]
    assert "cfg" in html and "evil" in html  # a dropped link or image keeps its text


def test_navigation_groups_done_pages_by_kind(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    html = Site(root, folder, SiteLinks(root)).page_html("store") or ""
    nav = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert re.findall(r"<h2>(\w+)</h2>", nav) == ["Overview", "Areas", "Flows"]
    assert 'href="/page/store" class="current"' in nav
    assert "Draft" not in nav  # a pending page is not shown, and links to it are dropped
    assert Site(root, folder, SiteLinks(root)).page_html("draft") is None
    assert '<td style="text-align:right">4</td>' in html


def test_code_links_open_the_editor_when_one_is_set(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    links = SiteLinks(root, editor_link="vscode://file/{path}:{line}")
    html = Site(root, folder, links).page_html("store") or ""
    assert f"vscode://file/{root.resolve().as_posix()}/pkg/store.py:4" in main_hrefs(html)
    with pytest.raises(ConfigError):
        SiteLinks(root, editor_link="javascript:alert('{path}{line}')")


def test_code_view_numbers_and_escapes_lines(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    html = Site(root, folder, SiteLinks(root)).code_html("pkg/store.py")
    assert '<span class="line" id="L4"><a class="ln" href="#L4">4</a>def save(row):' in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; done" in html and "<b>" not in html


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_code_view_refuses_git_secrets_links_and_outside(
    wiki: tuple[Path, Path], path: str
) -> None:
    root, folder = wiki
    with pytest.raises(WorkspaceError):
        Site(root, folder, SiteLinks(root)).code_html(path)


def test_search_index_lists_done_pages_with_their_words(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    index = Site(root, folder, SiteLinks(root)).search_index()
    assert [p["slug"] for p in index["pages"]] == ["overview", "store", "request-flow"]
    store = index["pages"][1]
    assert store["title"] == "The store" and store["url"] == "/page/store"
    assert store["summary"] == "Saving rows in the store."
    assert {"store", "rows", "save", "pkg"} <= set(store["words"])
    assert "the" not in store["words"]


def test_server_serves_pages_diagram_search_and_code(server: WikiServer) -> None:
    status, headers, body = get(server, "/")
    assert status == 200 and b'<h1 id="overview">Overview</h1>' in body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert get(server, "/page/request-flow")[0] == 200
    status, headers, body = get(server, "/overview.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml" and body.startswith(b"<svg")
    assert "sandbox" in headers["Content-Security-Policy"]
    status, headers, body = get(server, "/search.json")
    assert status == 200 and len(json.loads(body)["pages"]) == 3
    status, _, body = get(server, "/code/pkg/store.py")
    assert status == 200 and b'id="L4"' in body
    for missing in ("/page/draft", "/page/nope", "/draft.svg", "/store.svg", "/x", "/code/"):
        assert get(server, missing)[0] == 404, missing


@pytest.mark.parametrize("path", REFUSED_PATHS[:-3])
def test_server_code_view_refuses_with_403(server: WikiServer, path: str) -> None:
    status, _, body = get(server, f"/code/{path}")
    assert status == 403 and b"sk-live" not in body and b"print(" not in body


def test_server_refuses_other_hosts(server: WikiServer) -> None:
    assert get(server, "/", host="evil.com")[0] == 403
    assert get(server, "/", host=f"evil.com:{server.port}")[0] == 403
    assert get(server, "/code/pkg/store.py", host="127.0.0.1.evil.com")[0] == 403
    assert get(server, "/", host=f"localhost:{server.port}")[0] == 200


def test_another_local_user_without_the_key_reads_nothing(server: WikiServer) -> None:
    for path in ("/", "/page/store", "/code/pkg/store.py", "/search.json", "/overview.svg"):
        status, _, body = get(server, path, key="")
        assert status == 403 and b"def save" not in body
        assert get(server, path, key="guessed-" + server.key[8:])[0] == 403
    status, headers, _ = get(server, f"/page/store?key={server.key}", key="")
    assert status == 303 and headers["Location"] == "/page/store"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"wiki_key={server.key};") and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


def test_every_answer_has_the_security_headers(server: WikiServer) -> None:
    answers = [
        get(server, "/"),
        get(server, "/search.json"),
        get(server, "/nope"),
        get(server, "/code/.env"),
        get(server, "/", host="evil.com"),
        get(server, "/", method="POST"),
    ]
    for _, headers, _ in answers:
        policy = headers["Content-Security-Policy"]
        assert policy.startswith("default-src 'none'") and "'sha256-" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert answers[-1][0] == 405


def test_server_shows_a_rebuilt_page_without_restart(
    server: WikiServer, wiki: tuple[Path, Path]
) -> None:
    _, folder = wiki
    assert b"Rows are saved" in get(server, "/page/store")[2]
    (folder / "store.md").write_text("# Store\n\nRewritten.\n")
    assert b"Rewritten." in get(server, "/page/store")[2]


def test_server_without_a_wiki_says_how_to_build_one(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    with WikiServer(root, root / ".assistant" / "wiki") as running:
        status, _, body = get(running, "/")
    assert status == 200 and b"assistant wiki build" in body


def test_export_writes_a_site_that_works_from_files(
    wiki: tuple[Path, Path], tmp_path: Path
) -> None:
    root, folder = wiki
    dest = tmp_path / "site"
    assert export_site(root, folder, dest) == 3
    names = sorted(p.name for p in dest.iterdir())
    assert names == ["index.html", "overview.html", "overview.svg", "request-flow.html",
                     "store.html"]  # fmt: skip
    html = (dest / "store.html").read_text()
    code, page = main_hrefs(html)
    assert code == "../repo/pkg/store.py#L4" and page == "overview.html"
    assert (dest / code.split("#")[0]).resolve() == (root / "pkg/store.py").resolve()
    assert '<meta http-equiv="Content-Security-Policy"' in html
    inline = re.search(r'<script type="application/json" id="Wiki-index"[^>]*>(.*?)</script>', html)
    assert inline is not None
    assert [p["url"] for p in json.loads(inline.group(1))["pages"]] == [
        "overview.html", "store.html", "request-flow.html"
    ]  # fmt: skip
    assert 'src="overview.svg"' in (dest / "index.html").read_text()


def test_export_refuses_git_internals_and_the_wiki_folder(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    for dest in (root / ".git" / "site", root / ".git", folder):
        with pytest.raises(WorkspaceError):
            export_site(root, folder, dest)
    assert not (root / ".git" / "site").exists()


def test_export_uses_the_editor_link(wiki: tuple[Path, Path], tmp_path: Path) -> None:
    root, folder = wiki
    export_site(root, folder, tmp_path / "out", editor_link="vscode://file/{path}:{line}")
    html = (tmp_path / "out" / "store.html").read_text()
    assert main_hrefs(html)[0] == f"vscode://file/{root.resolve().as_posix()}/pkg/store.py:4"


def test_code_view_path_outside_is_refused_as_outside(wiki: tuple[Path, Path]) -> None:
    root, folder = wiki
    with pytest.raises(PathOutsideRepository):
        Site(root, folder, SiteLinks(root)).code_html("../outside.py")


@pytest.mark.parametrize(
    "svg",
    [
        HOSTILE_DIAGRAM,
        DIAGRAM.replace("<rect", '<rect onload="alert(1)"'),
        DIAGRAM.replace("</svg>", '<a href="javascript:alert(1)"><text>x</text></a></svg>'),
        DIAGRAM.replace("</svg>", "<foreignObject><p>x</p></foreignObject></svg>"),
        '<!DOCTYPE svg [<!ENTITY a "b">]>' + DIAGRAM,
        DIAGRAM.replace("</svg>", '<image href="https://evil.example/x.png"/></svg>'),
    ],
)
def test_a_diagram_that_could_run_or_load_anything_is_neither_served_nor_exported(
    wiki: tuple[Path, Path], tmp_path: Path, svg: str
) -> None:
    root, folder = wiki
    (folder / "overview.svg").write_text(svg)
    with WikiServer(root, folder) as running:
        assert get(running, "/overview.svg")[0] == 404
    export_site(root, folder, tmp_path / "site")
    assert not (tmp_path / "site" / "overview.svg").exists()


def test_an_export_never_links_to_a_page_the_browser_would_run(
    wiki: tuple[Path, Path], tmp_path: Path
) -> None:
    root, folder = wiki
    (root / "docs").mkdir()
    (root / "docs" / "evil.html").write_text("<script>alert(1)</script>\n")
    page = folder / "store.md"
    page.write_text(page.read_text() + "\nSee [the page](../../docs/evil.html#L1).\n")
    export_site(root, folder, tmp_path / "site")
    html = (tmp_path / "site" / "store.html").read_text()
    assert "the page" in html and "evil.html" not in html
    linked = export_site(
        root, folder, tmp_path / "site2", editor_link="vscode://file/{path}:{line}"
    )
    assert linked and "vscode://file/" in (tmp_path / "site2" / "store.html").read_text()
