"""The completion core the language server uses: context assembly and post-processing."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.completion import Budget, Cursor, assemble, postprocess, wants_multiline
from assistant.completion.backend import FimStream
from assistant.completion.overlay import IndexView, ParseCache
from assistant.index import open_index
from assistant.llm import ContextFile
from tests.support import settings_for

CART = '''"""Shopping carts."""


class Cart:
    """A cart of items."""

    def __init__(self):
        self.items = []

    def add(self, name, price):
        """Add one item."""
        self.items.append((name, price))

    def total(self):
        """Return the sum of the prices."""
        return sum(price for _name, price in self.items)
'''

TAX = '''def tax_for(amount, rate=0.2):
    """Return the tax on an amount."""
    return round(amount * rate, 2)
'''

APP = """from shop.cart import Cart
from shop.tax import tax_for


def checkout(cart: Cart):
    subtotal = cart.total()
    return subtotal + """


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "cart.py").write_text(CART)
    (root / "shop" / "tax.py").write_text(TAX)
    (root / "shop" / "app.py").write_text(APP + "\n")
    return root


def view_of(root: Path, buffers: dict[str, str] | None = None) -> IndexView:
    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=root.parent / "cache")
    store = open_index(root, settings)
    return IndexView(store, root, buffers or {}, ParseCache())


def test_context_carries_definitions_of_imported_and_nearby_names(shop: Path):
    cursor = Cursor("shop/app.py", APP + "\n", len(APP))
    context = assemble(view_of(shop), cursor, Budget())
    shown = {f.path: f.content for f in context.files}
    assert "def tax_for(amount, rate=0.2):" in shown["shop/tax.py"]
    assert "def total(self):" in shown["shop/cart.py"]
    assert context.prefix.endswith("return subtotal + ")
    assert not context.multiline


def test_context_respects_the_token_budget(shop: Path):
    cursor = Cursor("shop/app.py", APP + "\n", len(APP))
    context = assemble(view_of(shop), cursor, Budget(context_tokens=40))
    assert sum(len(f.content) for f in context.files) <= 40 * 4
    assert context.files, "the smallest definition still fits"


def test_unsaved_buffer_replaces_the_indexed_file(shop: Path):
    edited = TAX.replace("tax_for", "vat_for")
    view = view_of(shop, {"shop/tax.py": edited})
    text = APP.replace("tax_for", "vat_for") + "\n"
    context = assemble(view, Cursor("shop/app.py", text, len(text) - 1), Budget())
    shown = "".join(f.content for f in context.files)
    assert "def vat_for(amount" in shown
    assert "def tax_for" not in shown


def test_an_open_secrets_file_is_never_completion_context(shop: Path):
    (shop / "shop" / "keys.env").write_text("TAX_KEY=sk-abcdefghijklmnopqrstuvwxyz012345\n")
    buffers = {".env": "tax_for_key = 'sk-abcdefghijklmnopqrstuvwxyz012345'\ndef tax_for(): 1\n"}
    view = view_of(shop, buffers)
    text = APP + "\n"
    context = assemble(view, Cursor("shop/app.py", text, len(text) - 1), Budget())
    shown = "".join(f.content for f in context.files)
    assert "sk-abcdef" not in shown and "def tax_for(amount" in shown
    assert view.text(".env") is None and view.text("shop/keys.env") is None


async def test_no_completion_is_asked_for_inside_a_secrets_file():
    from assistant.completion import CompletionEngine

    engine = CompletionEngine(FimStream(settings_for("http://127.0.0.1:9/v1")), "repo", None)
    assert await engine.complete(Cursor(".env.production", "API_KEY=", 8)) is None


def test_without_an_index_the_prompt_is_the_file_alone():
    cursor = Cursor("a.py", "x = 1\ny = ", 10)
    context = assemble(None, cursor, Budget())
    assert context.files == ()
    assert context.prefix == "x = 1\ny = "


def test_completion_stops_at_the_end_of_the_method():
    prefix = "class A:\n    def f(self):\n        "
    suffix = "\n\n    def g(self):\n        pass\n"
    raw = "x = 1\n        return x\n\n    def h(self):\n        pass\n"
    assert postprocess(prefix, suffix, raw, path="a.py", multiline=True) == (
        "x = 1\n        return x"
    )


def test_completion_stops_at_the_closing_brace_already_in_the_file():
    prefix = "function f() {\n  "
    suffix = "\n}\n"
    raw = "let a = 1;\n  return a;\n}\n\nfunction g() {}"
    assert postprocess(prefix, suffix, raw, path="a.js", multiline=True) == (
        "let a = 1;\n  return a;"
    )


def test_text_repeating_the_rest_of_the_line_is_dropped():
    assert postprocess("x = foo(", ")\n", "a, b)", path="a.py", multiline=False) == "a, b"


def test_a_closer_that_matches_nothing_cuts_the_suggestion():
    assert postprocess("x = ", "\n", "compute(1)) + 2", path="a.py", multiline=False) == (
        "compute(1)"
    )


def test_a_one_line_suggestion_gets_its_brackets_closed():
    assert postprocess("x = ", "\n", "compute(items[0", path="a.py", multiline=False) == (
        "compute(items[0])"
    )


def test_one_line_unless_the_cursor_opens_a_block():
    assert wants_multiline("def f(x):\n    ", "\n")
    assert wants_multiline("if ready {", "\n}")
    assert not wants_multiline("x = compute(", ")\nprint(x)")
    assert not wants_multiline("total = ", "\n")


def test_a_single_line_suggestion_keeps_only_its_first_line():
    assert postprocess("total = ", "\n", "a + b\nprint(total)", path="a.py", multiline=False) == (
        "a + b"
    )


async def test_chat_backend_asks_for_the_middle_and_drops_code_fences(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "```python\ntax_for(subtotal)\n```\n", "chunk_size": 3}]}
    )
    stream = FimStream(settings_for(server.base_url, completion_backend="chat"))
    pieces = [
        piece
        async for piece in stream.stream(
            "total = ", "\n", repo_name="shop", path="shop/app.py", max_tokens=32,
            context_files=[ContextFile("shop/tax.py", "def tax_for(amount): ...")],
        )
    ]  # fmt: skip
    await stream.aclose()
    assert "".join(pieces) == "tax_for(subtotal)"
    prompt = server.chat_requests[0].body["messages"][-1]["content"]
    assert "shop/tax.py:\n```\ndef tax_for(amount): ...\n```" in prompt
    assert "total = <CURSOR>\n" in prompt


async def test_fim_stream_stops_at_a_control_token(scripted_server):
    server = scripted_server(
        {"completions": [{"text": "a + b<|file_sep|>other.py", "chunk_size": 2}]}
    )
    stream = FimStream(settings_for(server.base_url))
    text = "".join([p async for p in stream.stream(
        "x = ", "\n", repo_name=None, context_files=(), path=None, max_tokens=8)])  # fmt: skip
    await stream.aclose()
    assert text == "a + b"
