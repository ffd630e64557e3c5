"""Fill-in-the-middle: the exact prompt sent, stop sequences, max tokens, output cutting."""

from __future__ import annotations

import pytest

from assistant.llm import ContextFile, ModelClient
from assistant.llm.fim import build_prompt, cut_middle
from assistant.testing import settings_for


async def test_file_level_fim_request_shape(scripted_server):
    server = scripted_server({"completions": [{"text": "a + b\n"}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        result = await client.complete_fim("def add(a, b):\n    return ", "\n", max_tokens=32)
    assert result.text == "a + b\n"
    body = server.completion_requests[0].body
    assert (
        body["prompt"] == "<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n<|fim_middle|>"
    )
    assert body["max_tokens"] == 32
    assert "suffix" not in body
    assert "<|file_sep|>" in body["stop"] and "<|endoftext|>" in body["stop"]


async def test_repository_level_fim_puts_context_files_first(scripted_server):
    server = scripted_server({"completions": [{"text": "total()"}]})
    context = [ContextFile("shop/cart.py", "class Cart:\n    def total(self): ...")]
    async with ModelClient(settings_for(server.base_url)) as client:
        await client.complete_fim(
            "cart.",
            "\n",
            repo_name="shop",
            context_files=context,
            path="shop/app.py",
            stop=["\n\n"],
        )
    body = server.completion_requests[0].body
    assert body["prompt"] == (
        "<|repo_name|>shop\n"
        "<|file_sep|>shop/cart.py\nclass Cart:\n    def total(self): ...\n"
        "<|file_sep|>shop/app.py\n<|fim_prefix|>cart.<|fim_suffix|>\n<|fim_middle|>"
    )
    assert body["stop"][0] == "\n\n"  # the caller's stops first: servers take four at most
    assert len(body["stop"]) == 4 and "<|file_sep|>" in body["stop"]


async def test_completion_output_is_cut_at_the_next_file(scripted_server):
    server = scripted_server({"completions": [{"text": "x = 1\n<|file_sep|>other.py\njunk"}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        result = await client.complete_fim("", "")
    assert result.text == "x = 1\n"


def test_build_prompt_without_repository_is_file_level():
    assert build_prompt("a", "b") == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"


def test_cut_middle_keeps_clean_text():
    assert cut_middle("return x") == "return x"
    assert cut_middle("return x<|endoftext|>more") == "return x"


@pytest.mark.parametrize("backend", ["openai", "llamacpp", "chat"])
async def test_separate_completion_model_is_used(scripted_server, backend):
    server = scripted_server(
        {"models": ["chat-m", "fim-m"], "completions": [{"text": "ok"}], "turns": [{"text": "ok"}]}
    )
    settings = settings_for(
        server.base_url, model="chat-m", completion_model="fim-m", completion_backend=backend
    )
    async with ModelClient(settings) as client:
        result = await client.complete_fim("x = ", "\n", max_tokens=4)
    assert result.text == "ok"
    (request,) = server.requests
    assert request.body["model"] == "fim-m"
    assert request.path == ("/v1/chat/completions" if backend == "chat" else "/v1/completions")


async def test_chat_backend_wraps_the_middle_in_a_chat_request(scripted_server):
    server = scripted_server({"turns": [{"text": "```python\na + b\n```"}]})
    settings = settings_for(server.base_url, completion_backend="chat")
    async with ModelClient(settings) as client:
        result = await client.complete_fim("def add(a, b):\n    return ", "\n", stop=["\n\n"])
    assert result.text == "a + b"
    body = server.chat_requests[0].body
    assert body["messages"][0]["role"] == "system"
    assert "    return <CURSOR>\n" in body["messages"][-1]["content"]
    assert body["stop"] == ["\n\n"]  # FIM's control tokens mean nothing to a chat model
