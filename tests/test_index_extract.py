"""Extraction per language: definitions (name, kind, lines, parent) and references, exactly."""

from __future__ import annotations

import pytest

from assistant.index.extract import parse_source

CASES = {
    "shop/cart.py": (
        b"import os\nfrom shop.pricing import compute_total\n\nRATE = 0.2\n\n"
        b"class Cart(Base):\n    def total(self, items: list[Item]) -> float:\n"
        b"        return compute_total(items)\n",
        {("RATE", "constant", 4, 4, None), ("Cart", "class", 6, 8, None),
         ("total", "method", 7, 8, "Cart")},
        {("os", "import", 1), ("compute_total", "import", 2), ("Base", "type", 6),
         ("compute_total", "call", 8)},
    ),
    "web/app.js": (
        b"import { render } from './view';\nclass App {\n  start() { render(this); }\n}\n"
        b"function main() { new App().start(); }\n",
        {("App", "class", 2, 4, None), ("start", "method", 3, 3, "App"),
         ("main", "function", 5, 5, None)},
        {("render", "import", 1), ("render", "call", 3), ("App", "type", 5), ("start", "call", 5)},
    ),
    "src/shape.ts": (
        b"export interface Shape {\n  area(): number;\n}\n"
        b"export class Square implements Shape {\n  area(): number { return size(2); }\n}\n",
        {("Shape", "interface", 1, 3, None), ("Square", "class", 4, 6, None),
         ("area", "method", 5, 5, "Square")},
        {("size", "call", 5)},
    ),
    "ui/view.tsx": (
        b"export function View(props: Props) {\n  return <div>{format(props.x)}</div>;\n}\n",
        {("View", "function", 1, 3, None)},
        {("format", "call", 2)},
    ),
    "cmd/main.go": (
        b"package main\n\ntype Server struct{}\n\nfunc (s *Server) Start() error {\n"
        b"\treturn listen()\n}\n\nfunc main() {}\n",
        {("Server", "type", 3, 3, None), ("Start", "method", 5, 7, None),
         ("main", "function", 9, 9, None)},
        {("listen", "call", 6)},
    ),
    "src/lib.rs": (
        b"pub struct Parser;\n\nimpl Parser {\n    pub fn parse(&self) -> u8 { helper() }\n}\n",
        {("Parser", "class", 1, 1, None), ("parse", "method", 4, 4, None)},
        {("helper", "call", 4)},
    ),
    "src/Main.java": (
        b"public class Main {\n  void run() { helper(); }\n}\n",
        {("Main", "class", 1, 3, None), ("run", "method", 2, 2, "Main")},
        {("helper", "call", 2)},
    ),
    "src/util.c": (
        b"#include <stdio.h>\nint add(int a, int b) {\n  return helper(a) + b;\n}\n",
        {("add", "function", 2, 4, None)},
        {("helper", "call", 3)},
    ),
    "src/util.cpp": (
        b"class Counter {\n public:\n  int next();\n};\nint Counter::next() { return bump(); }\n",
        {("Counter", "class", 1, 4, None)},
        {("bump", "call", 5)},
    ),
    "src/App.cs": (
        b"namespace Shop {\n  public class Cart {\n"
        b"    public int Total() { return Sum(); }\n  }\n}\n",
        {("Shop", "module", 1, 5, None), ("Cart", "class", 2, 4, "Shop"),
         ("Total", "method", 3, 3, "Cart")},
        {("Sum", "call", 3)},
    ),
    "lib/cart.rb": (
        b"class Cart\n  def total\n    sum_items\n  end\nend\n",
        {("Cart", "class", 1, 5, None), ("total", "method", 2, 4, "Cart")},
        {("sum_items", "call", 3)},
    ),
    "src/cart.php": (
        b"<?php\nclass Cart {\n  function total() { return sum_all(); }\n}\n",
        {("Cart", "class", 2, 4, None), ("total", "method", 3, 3, "Cart")},
        {("sum_all", "call", 3)},
    ),
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(CASES))
def test_definitions_and_references_with_lines(path):
    source, definitions, references = CASES[path]
    parsed = parse_source(path, source)
    found = {(s.name, s.kind, s.start_line, s.end_line, s.parent) for s in parsed.symbols}
    assert definitions <= found, found
    refs = {(r.name, r.kind, r.line) for r in parsed.references}
    assert references <= refs, refs
    assert parsed.errors == ()


def test_signatures_elide_bodies():
    parsed = parse_source("a.py", b"def total(items, tax=0.2):\n    return sum(items) * tax\n")
    assert parsed.symbols[0].signature == "def total(items, tax=0.2)"


def test_chunks_cover_the_whole_file_and_split_big_classes():
    methods = "".join(f"    def m{n}(self):\n" + "        x = 1\n" * 8 for n in range(20))
    source = f"import os\n\nclass Big:\n{methods}\ndef tail():\n    pass\n".encode()
    parsed = parse_source("big.py", source)
    lines = source.decode().split("\n")
    covered = set()
    for chunk in parsed.chunks:
        covered |= set(range(chunk.start_line, chunk.end_line + 1))
        assert chunk.text == "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
    nonblank = {n for n, line in enumerate(lines, 1) if line.strip()}
    assert nonblank <= covered
    names = {c.symbol for c in parsed.chunks}
    assert {"Big.m0", "Big.m19", "tail"} <= names


def test_syntax_errors_still_yield_what_parses():
    parsed = parse_source("broken.py", b"def good():\n    return 1\n\ndef bad(:\n    pass\n")
    assert "good" in {s.name for s in parsed.symbols}
    assert parsed.errors


def test_invalid_utf8_is_decoded_with_replacement():
    parsed = parse_source("latin.py", b"def caf\xe9():\n    return '\xff'\n")
    assert parsed.chunks and "\ufffd" in parsed.chunks[0].text


def test_unknown_languages_are_chunked_as_text():
    parsed = parse_source("notes.md", b"# Title\n\nSome words about the cart.\n")
    assert parsed.language == "text" and parsed.symbols == ()
    assert "cart" in parsed.chunks[0].text
