"""The completion core the language server uses: context assembly and post-processing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.editor import (
    Budget,
    CompletionEngine,
    Cursor,
    assemble,
    postprocess,
    wants_multiline,
)
from assistant.editor.overlay import IndexView, ParseCache
from assistant.index import open_index
from assistant.llm import ContextFile, ModelClient
from assistant.llm.fim import FimRequest
from assistant.testing import settings_for

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


async def test_no_completion_is_asked_for_inside_a_secrets_file(scripted_server):
    server = scripted_server({"completions": [{"text": "leaked"}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        engine = CompletionEngine(client, "repo", None)
        assert await engine.complete(Cursor(".env.production", "API_KEY=", 8)) is None
    assert server.requests == []


def test_without_an_index_the_prompt_is_the_file_alone():
    cursor = Cursor("a.py", "x = 1\ny = ", 10)
    context = assemble(None, cursor, Budget())
    assert context.files == ()
    assert context.prefix == "x = 1\ny = "


# (prefix, suffix, raw answer, path, multiline) -> what is worth inserting
POSTPROCESSED = {
    "stops at the end of the method": (
        ("class A:\n    def f(self):\n        ", "\n\n    def g(self):\n        pass\n",
         "x = 1\n        return x\n\n    def h(self):\n        pass\n", "a.py", True),
        "x = 1\n        return x",
    ),
    "stops at the closing brace already in the file": (
        ("function f() {\n  ", "\n}\n", "let a = 1;\n  return a;\n}\n\nfunction g() {}", "a.js",
         True),
        "let a = 1;\n  return a;",
    ),
    "drops text repeating the rest of the line": (
        ("x = foo(", ")\n", "a, b)", "a.py", False), "a, b",
    ),
    "cuts at a closer that matches nothing": (
        ("x = ", "\n", "compute(1)) + 2", "a.py", False), "compute(1)",
    ),
    "closes the brackets a one-line suggestion left open": (
        ("x = ", "\n", "compute(items[0", "a.py", False), "compute(items[0])",
    ),
    "keeps only the first line of a one-line suggestion": (
        ("total = ", "\n", "a + b\nprint(total)", "a.py", False), "a + b",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(POSTPROCESSED))
def test_postprocess_keeps_only_what_belongs_at_the_cursor(case: str):
    (prefix, suffix, raw, path, multiline), expected = POSTPROCESSED[case]
    assert postprocess(prefix, suffix, raw, path=path, multiline=multiline) == expected


def test_one_line_unless_the_cursor_opens_a_block():
    assert wants_multiline("def f(x):\n    ", "\n")
    assert wants_multiline("if ready {", "\n}")
    assert not wants_multiline("x = compute(", ")\nprint(x)")
    assert not wants_multiline("total = ", "\n")


async def streamed(settings, request: FimRequest) -> str:
    """Return the middle the model client streams for `request`."""
    async with ModelClient(settings) as client:
        return "".join([piece async for piece in client.stream_fim(request)])


async def test_chat_backend_asks_for_the_middle_and_drops_code_fences(scripted_server):
    server = scripted_server(
        {"turns": [{"text": "```python\ntax_for(subtotal)\n```\n", "chunk_size": 3}]}
    )
    context = (ContextFile("shop/tax.py", "def tax_for(amount): ..."),)
    request = FimRequest("total = ", "\n", "shop", context, "shop/app.py", max_tokens=32)
    text = await streamed(settings_for(server.base_url, completion_backend="chat"), request)
    assert text == "tax_for(subtotal)"
    prompt = server.chat_requests[0].body["messages"][-1]["content"]
    assert "shop/tax.py:\n```\ndef tax_for(amount): ...\n```" in prompt
    assert "total = <CURSOR>\n" in prompt


async def test_fim_stream_stops_at_a_control_token(scripted_server):
    server = scripted_server(
        {"completions": [{"text": "a + b<|file_sep|>other.py", "chunk_size": 2}]}
    )
    text = await streamed(settings_for(server.base_url), FimRequest("x = ", "\n", max_tokens=8))
    assert text == "a + b"


@pytest.mark.parametrize("backend", ["openai", "llamacpp"])
async def test_fim_backends_send_the_fim_prompt_to_the_completions_endpoint(
    scripted_server, backend
):
    server = scripted_server({"completions": [{"text": "a + b"}]})
    settings = settings_for(server.base_url, completion_backend=backend)
    assert await streamed(settings, FimRequest("x = ", "\n", stop=("\n",))) == "a + b"
    (request,) = server.completion_requests
    assert request.body["prompt"] == "<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>"
    assert request.body["stop"][0] == "\n" and len(request.body["stop"]) <= 4
    assert request.stream


async def test_a_fim_stream_cut_short_is_an_error_not_a_suggestion(scripted_server):
    from assistant.errors import EndpointError

    server = scripted_server({"completions": [{"text": "total = sub", "fault": {"kind": "cut"}}]})
    with pytest.raises(EndpointError, match="cut the answer short"):
        await streamed(settings_for(server.base_url), FimRequest("x = ", "\n"))
    assert len(server.completion_requests) == 1  # a late suggestion is not worth a retry


async def test_the_engine_hangs_up_once_the_line_is_whole(scripted_server):
    line = {"text": "tax_for(subtotal)\nprint('more')\n" * 50, "chunk_size": 4}
    server = scripted_server({"completions": [line], "chunk_delay": 0.005})
    async with ModelClient(settings_for(server.base_url)) as client:
        engine = CompletionEngine(client, "shop", None)
        suggestion = await engine.complete(Cursor("shop/app.py", APP + "\n", len(APP)))
    assert suggestion is not None and suggestion.text == "tax_for(subtotal)"
    record = await asyncio.to_thread(server.wait_for_finish, 0, 5.0)
    assert record.disconnected
