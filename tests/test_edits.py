"""Safe edits: matching strategies, clear failures, atomic writes, conflicts, path safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import edits
from assistant.errors import EditConflict, EditError, NoMatch, PathOutsideRepository
from assistant.workspace import resolve_repo_path

CODE = """def total(items):
    result = 0
    for item in items:
        result += item.price
    return result


def count(items):
    return len(items)
"""


def test_exact_match_replaces_the_one_region():
    result = edits.apply_search_replace(
        CODE, "    return len(items)", "    return sum(1 for _ in items)"
    )
    assert result.strategy == "exact"
    assert "sum(1 for _ in items)" in result.text
    assert result.start_line == 9


def test_whitespace_tolerant_match_reindents_the_replacement():
    search = "for item in items:\n    result += item.price"  # the model lost the indentation
    replace = "for item in items:\n    result += item.price * item.quantity"
    result = edits.apply_search_replace(CODE, search, replace)
    assert result.strategy == "whitespace"
    assert "        result += item.price * item.quantity\n" in result.text
    assert "    for item in items:\n" in result.text


def test_fuzzy_match_tolerates_spacing_and_punctuation_slips():
    search = (
        "    result = 0\n    for item in items :\n        result+=item.price\n    return result;"
    )
    result = edits.apply_search_replace(CODE, search, "    return sum(i.price for i in items)")
    assert result.strategy == "fuzzy"
    assert result.text.startswith("def total(items):\n    return sum(i.price for i in items)\n")


def test_fuzzy_match_never_accepts_another_name_or_number():
    # 90% alike, but `prices` is not `price`: the model copied something that is not there.
    search = (
        "    result = 0\n    for item in items:\n        result += item.prices\n    return result"
    )
    with pytest.raises(NoMatch):
        edits.apply_search_replace(CODE, search, "    return 0")
    code = "x = compute(2)\ny = compute(3)\nz = 1\n"
    with pytest.raises(NoMatch):
        edits.apply_search_replace(code, "x = compute(9)\ny = compute(3)", "gone")


def test_a_failed_match_names_the_closest_region():
    with pytest.raises(NoMatch) as caught:
        edits.apply_search_replace(CODE, "def count(things):\n    return len(things) + 1", "x")
    message = caught.value.one_line()
    assert "closest region" in message and "lines 8-9" in message
    assert "def count(items):" in message


def test_an_ambiguous_search_is_refused_with_line_numbers():
    text = "x = 1\ny = 2\nx = 1\n"
    with pytest.raises(EditError, match="matches 2 places"):
        edits.apply_search_replace(text, "x = 1", "x = 3")


def test_empty_search_on_empty_file_writes_the_replacement():
    assert edits.apply_search_replace("", "", "new\n").text == "new\n"
    with pytest.raises(EditError, match="empty"):
        edits.apply_search_replace("content", " ", "x")


def test_read_and_write_keep_crlf_bom_and_mode(tmp_path: Path):
    path = tmp_path / "win.txt"
    path.write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    os.chmod(path, 0o755)
    content = edits.read_text(path)
    assert content.text == "line one\nline two\n"
    assert (content.newline, content.bom) == ("\r\n", True)
    edits.write_atomic(path, content.text.replace("two", "2"), like=content)
    assert path.read_bytes() == b"\xef\xbb\xbfline one\r\nline 2\r\n"
    assert path.stat().st_mode & 0o777 == 0o755


def test_latin1_file_round_trips(tmp_path: Path):
    path = tmp_path / "old.txt"
    path.write_bytes("café\n".encode("latin-1"))
    content = edits.read_text(path)
    assert content.encoding == "latin-1"
    edits.write_atomic(path, content.text, like=content)
    assert path.read_bytes() == "café\n".encode("latin-1")


def test_binary_files_are_refused(tmp_path: Path):
    path = tmp_path / "image.py"
    path.write_bytes(b"\x89PNG\x00\x00binary")
    with pytest.raises(EditError, match="binary"):
        edits.read_text(path)


def test_a_failed_rename_leaves_the_original_whole(tmp_path: Path, monkeypatch):
    path = tmp_path / "keep.txt"
    path.write_text("original\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        edits.write_atomic(path, "new content\n")
    assert path.read_text() == "original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]  # no temp file left behind


def test_ledger_refuses_an_edit_of_a_file_changed_since_it_was_read(tmp_path: Path):
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    ledger = edits.ReadLedger()
    with pytest.raises(EditConflict, match="not been read"):
        ledger.check(path)
    ledger.remember(path, edits.read_text(path))
    assert ledger.check(path).text == "x = 1\n"
    path.write_text("x = 2\n")
    with pytest.raises(EditConflict, match="changed on disk"):
        ledger.check(path)


def test_unified_diff_shows_the_change():
    diff = edits.unified_diff("a.py", "x = 1\n", "x = 2\n")
    assert "--- a/a.py" in diff and "-x = 1" in diff and "+x = 2" in diff


@pytest.mark.parametrize("name", ["../outside.py", "/etc/passwd", "sub/../../x", "\x00"])
def test_paths_outside_the_repository_are_refused(tmp_path: Path, name: str):
    with pytest.raises(PathOutsideRepository):
        resolve_repo_path(tmp_path, name)


def test_a_symlink_leading_outside_is_refused(tmp_path: Path):
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    (repo / "link").symlink_to(outside)
    with pytest.raises(PathOutsideRepository):
        resolve_repo_path(repo, "link/secret.txt")
    assert resolve_repo_path(repo, "sub/new.py") == (repo / "sub" / "new.py").resolve()


def test_a_character_the_files_encoding_lacks_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path,
):
    path = tmp_path / "old.txt"
    path.write_bytes("café\n".encode("latin-1"))
    content = edits.read_text(path)
    with pytest.raises(EditError, match="encoding"):
        edits.write_atomic(path, "café ☕\n", like=content)
    assert path.read_bytes() == "café\n".encode("latin-1")


def test_replacing_a_link_does_not_lend_it_the_targets_mode(tmp_path):
    import stat

    from assistant.edits.atomic import user_umask, write_atomic

    target = tmp_path / "shared"
    target.write_text("x")
    target.chmod(0o2777)
    link = tmp_path / "page.md"
    link.symlink_to(target)
    write_atomic(link, b"page\n")
    assert not link.is_symlink() and link.read_text() == "page\n"
    assert target.read_text() == "x"  # replaced, not written through
    assert stat.S_IMODE(os.lstat(link).st_mode) == 0o666 & ~user_umask()
