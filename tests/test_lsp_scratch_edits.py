"""Code actions' plumbing: the scratch copy the agent works in, and edits the editor applies."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from assistant.editor.actions import ActionRequest, FileChange, task_for
from assistant.editor.scratch import ScratchTree
from assistant.testing import commit_files
from lsp.edits import text_edits, workspace_edit
from tests.lsp_support import apply_text_edits


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = commit_files(
        tmp_path / "repo", {name: f"# {name}\n" for name in ("a.py", "b.py", "d.py")}
    )
    (root / "b.py").write_text("# b.py changed, not committed\n")
    (root / "c.py").write_text("# untracked\n")
    (root / "d.py").unlink()
    return root


def test_scratch_copy_holds_uncommitted_changes_and_unsaved_buffers(repo: Path, tmp_path: Path):
    scratch = ScratchTree(repo, tmp_path / "cache")
    where = scratch.prepare({"a.py": "# unsaved buffer\n"})
    assert where != repo
    assert (where / "a.py").read_text() == "# unsaved buffer\n"
    assert (where / "b.py").read_text() == "# b.py changed, not committed\n"
    assert (where / "c.py").read_text() == "# untracked\n"
    assert not (where / "d.py").exists()
    assert (repo / "a.py").read_text() == "# a.py\n"  # the user's file is untouched
    assert git.Repo(repo).git.status("--porcelain") == " M b.py\n D d.py\n?? c.py"


def test_scratch_copy_is_reset_for_the_next_action(repo: Path, tmp_path: Path):
    scratch = ScratchTree(repo, tmp_path / "cache")
    where = scratch.prepare({})
    (where / "a.py").write_text("# the agent's edit\n")
    (where / "new.py").write_text("# the agent's new file\n")
    again = scratch.prepare({})
    assert again == where
    assert (again / "a.py").read_text() == "# a.py\n"
    assert not (again / "new.py").exists()


def test_a_directory_without_git_gets_a_plain_copy(tmp_path: Path):
    root = tmp_path / "plain"
    root.mkdir()
    (root / "x.py").write_text("x = 1\n")
    scratch = ScratchTree(root, tmp_path / "cache")
    where = scratch.prepare({})
    (where / "x.py").write_text("x = 2\n")
    assert scratch.read("x.py") == "x = 2\n"
    scratch.release()
    assert not where.exists()
    assert (root / "x.py").read_text() == "x = 1\n"


def test_task_names_the_file_lines_and_selection():
    text = "a = 1\nb = 2\nc = 3\n"
    task = task_for(ActionRequest("refactor", "m.py", 2, 2, instruction="inline b"), text)
    assert "inline b" in task
    assert "File: m.py, lines 2-2" in task
    assert "```\nb = 2\n```" in task


def test_edit_of_a_last_line_without_newline_uses_utf16_columns():
    before = "x = 1\nname = 'h\U0001f600'"
    after = "x = 1\nname = 'hello'\n"
    edits = text_edits(before, after, utf16)
    (edit,) = edits
    assert edit.range.start == types.Position(1, 0)
    assert edit.range.end == types.Position(1, utf16("name = 'h\U0001f600'"))


def test_new_file_becomes_a_create_and_an_insert(tmp_path: Path):
    change = FileChange("tests/test_new.py", None, "def test():\n    pass\n")
    edit = workspace_edit([change], tmp_path, {}, utf16)
    assert edit.document_changes is not None
    create, insert = edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.uri.endswith("/tests/test_new.py")
    assert isinstance(insert, types.TextDocumentEdit)
    assert isinstance(insert.edits[0], types.TextEdit)
    assert insert.edits[0].new_text == "def test():\n    pass\n"


def test_open_documents_carry_their_version(tmp_path: Path):
    uri = (tmp_path / "a.py").as_uri()
    edit = workspace_edit([FileChange("a.py", "a\n", "b\n")], tmp_path, {uri: 7}, utf16)
    assert edit.document_changes is not None
    (change,) = edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 7


lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "dd\n", "\n", "e"]), max_size=12)


@given(lines, lines)
def test_line_edits_turn_any_text_into_any_other(old: list[str], new: list[str]):
    before, after = "".join(old), "".join(new)
    assert apply_text_edits(before, text_edits(before, after, utf16)) == after
