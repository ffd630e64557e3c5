"""The next-edit core: edit history, reading the model's answer, checking it, both backends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.editor.history import EditHistory, RecentEdit, common_ends, line_change
from assistant.editor.next_edit import NextEditEngine, NextEditOptions
from assistant.editor.next_edit_prompt import ProposedEdit, parse_answer
from assistant.llm import ModelClient
from assistant.testing import commit_files, settings_for

TAX = 'def tax_for(amount, rate=0.2):\n    """Tax."""\n    return round(amount * rate, 2)\n'
RENAMED = TAX.replace("(amount,", "(total,")
KEY = "sk-abcdefghijklmnopqrstuvwxyz0123456789"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rename_edit(path: str = "shop/tax.py") -> RecentEdit:
    change = line_change(TAX, RENAMED)
    assert change is not None
    return RecentEdit(path, change, 0.0)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    files = {"shop/tax.py": TAX, "shop/app.py": "x = 1\n", ".env": f"KEY={KEY}\n"}
    return commit_files(tmp_path / "repo", files, "shop")


def test_keystrokes_close_together_are_one_edit_and_typing_back_leaves_none():
    clock = Clock()
    history = EditHistory(clock)
    history.opened("a.py", TAX)
    for typed in ("(amoun,", "(amou,", "(t,", "(to,", "(total,"):
        clock.now += 0.3
        history.changed("a.py", TAX.replace("(amount,", typed))
    (edit,) = history.recent("a.py")
    assert edit.change.before == "def tax_for(amount, rate=0.2):\n"
    assert edit.change.after == "def tax_for(total, rate=0.2):\n"
    assert edit.renamed() == [("amount", "total")]
    clock.now += 0.3
    assert history.changed("a.py", TAX) is None and history.recent("a.py") == []


def test_edits_apart_in_time_or_place_stay_apart():
    clock = Clock()
    history = EditHistory(clock)
    history.opened("a.py", TAX)
    history.changed("a.py", RENAMED)
    clock.now += 10
    history.changed("a.py", RENAMED.replace(", 2)", ", 3)"))
    assert [e.change.line for e in history.recent("a.py")] == [0, 2]


@pytest.mark.parametrize(
    "answer",
    [
        "shop/tax.py\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE",
        "File: `shop/tax.py`\n```python\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```",
        "shop/tax.py\n<<<<<<< SEARCH\n  3| old\n=======\n  3| new\n>>>>>>> REPLACE",
    ],
)
def test_the_answer_is_read_with_or_without_fences_and_copied_line_numbers(answer: str):
    assert parse_answer(answer, "other.py") == ProposedEdit("shop/tax.py", "old", "new")


def test_none_or_prose_is_no_edit():
    assert parse_answer("NONE", "a.py") is None
    assert parse_answer("I would rename the variable.", "a.py") is None


def engine(repo: Path) -> NextEditEngine:
    return NextEditEngine(model=None, root=repo, index=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "search"),
    [
        (".git/config", "[core]"),
        ("../outside.py", "x"),
        (".assistant/config.toml", "x"),
        (".env", "KEY"),
        ("shop/tax.py", "    return round(amount * rate, 2)\n    return"),  # applies nowhere
    ],
)
def test_a_hostile_or_wrong_answer_is_refused(repo: Path, path: str, search: str):
    proposal = ProposedEdit(path, search, "anything")
    assert engine(repo).check(proposal, {"shop/tax.py": RENAMED}, [rename_edit()]) is None


def test_no_op_revert_and_broken_syntax_are_refused(repo: Path):
    buffers, edits = {"shop/tax.py": RENAMED}, [rename_edit()]
    line = "    return round(amount * rate, 2)"
    checks = engine(repo).check
    assert checks(ProposedEdit("shop/tax.py", line, line), buffers, edits) is None
    revert = ProposedEdit("shop/tax.py", "def tax_for(total,", "def tax_for(amount,")
    assert checks(revert, buffers, edits) is None
    broken = ProposedEdit("shop/tax.py", line, "    return round(total * rate, 2")
    assert checks(broken, buffers, edits) is None
    good = checks(
        ProposedEdit("shop/tax.py", line, line.replace("amount", "total")), buffers, edits
    )
    assert good is not None and (good.old_text, good.new_text) == ("amount", "total")
    assert good.applied() == RENAMED.replace("round(amount", "round(total")


async def test_a_chat_model_sees_the_edit_but_never_a_secret_near_it(repo: Path, scripted_server):
    answer = (
        "shop/tax.py\n<<<<<<< SEARCH\n    return round(amount * rate, 2)\n=======\n"
        "    return round(total * rate, 2)\n>>>>>>> REPLACE\nand some trailing talk"
    )
    server = scripted_server({"turns": [{"text": answer}]})
    text = RENAMED + f'API_KEY = "{KEY}"\n'
    async with ModelClient(settings_for(server.base_url)) as client:
        found = await NextEditEngine(client, repo, None).suggest(
            "shop/tax.py", text, 10, [rename_edit()], {}
        )
    assert found is not None and found.new_text == "total"
    body = str(server.chat_requests[0].body)
    assert "+def tax_for(total, rate=0.2):" in body and KEY not in body


async def test_a_fim_endpoint_rewrites_the_line_still_using_the_old_name(
    repo: Path, scripted_server
):
    server = scripted_server({"completions": [{"text": "    return round(total * rate, 2)\n"}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        options = NextEditOptions(backend="fim")
        found = await NextEditEngine(client, repo, None, options).suggest(
            "shop/tax.py", RENAMED, 10, [rename_edit()], {}
        )
    assert found is not None and (found.old_text, found.new_text) == ("amount", "total")
    prompt = server.completion_requests[0].body["prompt"]
    assert prompt.endswith("<|fim_middle|>") and "def tax_for(total, rate=0.2):" in prompt
    assert server.chat_requests == []


async def test_a_hard_link_to_a_secrets_file_gets_no_suggestion_and_no_request(
    repo: Path, scripted_server
):
    (repo / "notes.py").hardlink_to(repo / ".env")
    server = scripted_server({"turns": [{"text": "NONE"}]})
    async with ModelClient(settings_for(server.base_url)) as client:
        found = await NextEditEngine(client, repo, None).suggest(
            "notes.py", f"KEY={KEY}\nx = 1\n", 5, [rename_edit("notes.py")], {}
        )
    assert found is None and server.chat_requests == []


def test_a_fifo_or_a_huge_file_named_by_the_model_is_not_read(repo: Path):
    os.mkfifo(repo / "shop" / "pipe.py")
    (repo / "shop" / "huge.py").write_text("x = 1\n" * 300_000)
    checks = engine(repo).check
    for name in ("shop/pipe.py", "shop/huge.py", "shop/" + "a" * 300 + ".py"):
        assert checks(ProposedEdit(name, "x = 1", "x = 2"), {}, [rename_edit()]) is None


def test_a_dotted_path_in_the_answer_keeps_its_dot():
    answer = ".github/ci.yml\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE"
    assert parse_answer(answer, "a.py") == ProposedEdit(".github/ci.yml", "old", "new")


@settings(max_examples=500, deadline=None)
@given(st.text("ab\n", max_size=30), st.text("ab\n", max_size=30))
def test_common_ends_agree_with_a_character_by_character_scan(before: str, after: str):
    limit = min(len(before), len(after))
    start = 0
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    assert common_ends(before, after) == (start, end)
