"""The wiki site's own style, search script and Content-Security-Policy, all inline: no CDN.

The one script is allowed by its hash, so nothing else can run even if a page's Markdown ever
slipped an element through; styles may be inline (the table renderer aligns cells with `style`).
SVG diagrams get a policy of their own with `sandbox`: opened on their own they run nothing.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff; --muted: #59636e;
  --line: #d1d9e0; --side: #f6f8fa; --link: #0969da; --mark: #fff8c5; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #3d444d; --side: #151b23; --link: #4493f8; --mark: #3b2e00; } }
* { box-sizing: border-box; }
body { margin: 0; display: flex; min-height: 100vh; color: var(--fg); background: var(--bg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
nav { width: 290px; flex: none; padding: 16px; background: var(--side);
  border-right: 1px solid var(--line); position: sticky; top: 0; height: 100vh;
  overflow-y: auto; }
nav .home { font-weight: 600; font-size: 17px; color: var(--fg); }
nav h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); margin: 18px 0 4px; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li a { display: block; padding: 3px 8px; border-radius: 6px; color: var(--fg); }
nav li a.current { background: var(--line); font-weight: 600; }
#Wiki-search { width: 100%; margin: 12px 0 4px; padding: 6px 8px; font: inherit;
  border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
#Wiki-results { border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
#Wiki-results li { padding: 6px 8px; border-bottom: 1px solid var(--line); }
#Wiki-results li:last-child { border-bottom: none; }
#Wiki-results a { padding: 0; font-weight: 600; }
#Wiki-results small { display: block; color: var(--muted); font-size: 12px; }
main { flex: 1; min-width: 0; max-width: 980px; padding: 24px 40px 80px; }
main img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
  background: #fff; padding: 8px; }
code, pre { font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
:not(pre) > code { background: var(--side); padding: 1px 5px; border-radius: 4px; }
pre { background: var(--side); padding: 12px; border-radius: 6px; overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: 4px 10px; }
.note { color: var(--muted); }
pre.code { padding: 8px 0; }
pre.code .line { display: block; padding-right: 12px; }
pre.code .line:target { background: var(--mark); }
pre.code .ln { display: inline-block; width: 5em; padding-right: 1em; text-align: right;
  color: var(--muted); user-select: none; }
"""

SCRIPT = """
(function () {
  "use strict";
  var box = document.getElementById("Wiki-search");
  var list = document.getElementById("Wiki-results");
  var data = document.getElementById("Wiki-index");
  if (!box || !list || !data) { return; }
  var pages = null;
  function load(then) {
    if (pages !== null) { then(); return; }
    var text = data.textContent.trim();
    if (text) { pages = JSON.parse(text).pages; then(); return; }
    fetch(data.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) { pages = j.pages; then(); })
      .catch(function () { pages = []; then(); });
  }
  function score(page, terms) {
    var total = 0;
    var title = page.title.toLowerCase();
    var summary = page.summary.toLowerCase();
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], s = 0;
      if (title.indexOf(t) >= 0) { s += 5; }
      if (summary.indexOf(t) >= 0) { s += 2; }
      for (var k = 0; k < page.words.length; k++) {
        if (page.words[k].indexOf(t) === 0) { s += page.words[k] === t ? 2 : 1; break; }
      }
      if (s === 0) { return 0; }
      total += s;
    }
    return total;
  }
  function show() {
    var terms = box.value.toLowerCase().match(/[a-z0-9]+/g) || [];
    list.replaceChildren();
    if (terms.length === 0) { list.hidden = true; return; }
    var hits = [];
    pages.forEach(function (p) { var s = score(p, terms); if (s > 0) { hits.push([s, p]); } });
    hits.sort(function (a, b) { return b[0] - a[0]; });
    hits.slice(0, 12).forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = hit[1].url;
      link.textContent = hit[1].title;
      var small = document.createElement("small");
      small.textContent = hit[1].summary;
      item.append(link, small);
      list.append(item);
    });
    if (hits.length === 0) {
      var none = document.createElement("li");
      none.className = "note";
      none.textContent = "No page matches.";
      list.append(none);
    }
    list.hidden = false;
  }
  box.addEventListener("input", function () { load(show); });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = list.querySelector("a");
      if (first) { window.location.href = first.href; }
    } else if (event.key === "Escape") {
      box.value = ""; show();
    }
  });
})();
"""

SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()

PAGE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    f"script-src '{SCRIPT_HASH}'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# A static export is opened from files, where 'self' is not a dependable origin: its pages
# allow images from the export's folder by scheme, and fetch nothing (the index is inline).
EXPORT_POLICY = (
    "default-src 'none'; img-src 'self' file:; style-src 'unsafe-inline'; "
    f"script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)
DIAGRAM_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
