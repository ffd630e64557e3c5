"""Properties of search/replace and atomic writes, checked by hypothesis."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assistant import edits
from assistant.errors import NoMatch

line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=30,
)
lines = st.lists(line, min_size=1, max_size=30)


def occurrences(text: str, part: str) -> int:
    """Count occurrences, overlapping ones included."""
    return sum(1 for i in range(len(text)) if text.startswith(part, i))


@given(lines, st.data())
@settings(max_examples=200, deadline=None)
def test_apply_then_inverse_restores_the_text(file_lines, data):
    text = "\n".join(file_lines)
    start = data.draw(st.integers(0, len(file_lines) - 1))
    end = data.draw(st.integers(start + 1, len(file_lines)))
    search = "\n".join(file_lines[start:end])
    assume(search.strip() and occurrences(text, search) == 1)
    replace = data.draw(lines.map("\n".join))
    assume(replace.strip())
    forward = edits.apply_search_replace(text, search, replace)
    assume(occurrences(forward.text, replace) == 1)
    back = edits.apply_search_replace(forward.text, replace, search)
    assert back.text == text


@given(lines, st.lists(st.text(alphabet="§¤", min_size=1, max_size=20), min_size=1, max_size=5))
@settings(max_examples=200, deadline=None)
def test_a_block_that_matches_nothing_never_changes_the_file(file_lines, search_lines):
    text = "\n".join(file_lines)
    assume("§" not in text and "¤" not in text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.txt"
        path.write_text(text, encoding="utf-8")
        before = path.read_bytes()
        try:
            apply_to_file(path, "\n".join(search_lines), "REPLACED")
        except NoMatch:
            pass
        else:
            raise AssertionError("a block of characters absent from the file matched")
        assert path.read_bytes() == before


def apply_to_file(path: Path, search: str, replace: str) -> None:
    """Read, apply one block, write atomically: the path every edit takes."""
    content = edits.read_text(path)
    result = edits.apply_search_replace(content.text, search, replace)
    edits.write_atomic(path, result.text, like=content)


@given(st.binary(max_size=2000).filter(lambda b: b"\x00" not in b))
@settings(max_examples=100, deadline=None)
def test_atomic_write_round_trips_bytes(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.bin"
        edits.write_atomic(path, data)
        assert path.read_bytes() == data


@given(lines, st.booleans(), st.booleans())
@settings(max_examples=100, deadline=None)
def test_read_then_write_keeps_line_endings_and_bom(file_lines, crlf, bom):
    newline = "\r\n" if crlf else "\n"
    raw = newline.join(file_lines).encode("utf-8")
    raw = (b"\xef\xbb\xbf" + raw) if bom else raw
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.txt"
        path.write_bytes(raw)
        content = edits.read_text(path)
        edits.write_atomic(path, content.text, like=content)
        assert path.read_bytes() == raw
