"""The wiki's pure parts: how files are split into areas, and how a model's citations become
links (or are dropped)."""

from __future__ import annotations

from assistant.wiki.links import check_links, strip_title, summary_of
from assistant.wiki.plan import split_areas


def project(sizes: dict[str, int]) -> list[str]:
    """Return paths: `count` Python files in each folder."""
    return sorted(f"{folder}/m{n}.py" for folder, count in sizes.items() for n in range(count))


def test_tests_and_docs_stay_whole_while_the_source_is_split():
    paths = project(
        {"src/app/db": 40, "src/app/web": 30, "src/app/cli": 12, "src/app/tiny": 2}
        | {f"tests/t{n}": 20 for n in range(10)}
        | {"docs/guide": 8}
    )
    paths.append("setup.py")
    areas = {a.folder: len(a.files) for a in split_areas(paths, 8)}
    assert areas["tests"] == 200 and areas["docs"] == 8  # one page each, however many folders
    assert {"src/app/db", "src/app/web"} <= set(areas)
    assert "src/app/tiny" not in areas  # two files stay with their parent
    assert sum(areas.values()) == len(paths) and len(areas) <= 8


def test_a_folder_with_one_subfolder_hands_over_to_it():
    areas = split_areas(project({"src/pkg/a": 10, "src/pkg/b": 10}), 4)
    assert [a.folder for a in areas] == ["src/pkg/a", "src/pkg/b"]


def test_the_budget_is_never_exceeded():
    paths = project({f"pkg/sub{n}": 5 + n for n in range(30)})
    for budget in (1, 2, 3, 7, 40):
        areas = split_areas(paths, budget)
        assert 1 <= len(areas) <= max(budget, 1)
        assert sorted(p for a in areas for p in a.files) == paths


def href(path: str, line: int) -> str:
    return f"../../{path}#L{line}"


LINES = {"pkg/a.py": 50, "pkg/sub/b.ts": 10}


def test_true_citations_become_links_and_false_ones_go():
    text = (
        "Starts in `pkg/a.py:12`, then pkg/sub/b.ts:3-7 (see pkg/a.py:51), "
        "and [the helper](pkg/a.py#L4) but not [that](pkg/zzz.py:1) or `pkg/gone.py:2`."
    )
    checked = check_links(text, LINES, href)
    assert checked.text == (
        "Starts in [pkg/a.py:12](../../pkg/a.py#L12), then "
        "[pkg/sub/b.ts:3-7](../../pkg/sub/b.ts#L3), and [the helper](../../pkg/a.py#L4) but "
        "not that or."
    )
    assert (checked.kept, checked.dropped) == (3, 3)


def test_code_blocks_are_left_alone_and_other_links_checked():
    text = (
        "```python\nx = 'pkg/a.py:3'\n```\n"
        "[docs](https://example.com/a) [page](area-core.md) [bad](javascript:alert(1)) "
        "[file](file:///etc/passwd) ![d](overview.svg) ![x](http://evil/x.png)"
    )
    checked = check_links(text, LINES, href)
    assert checked.text.startswith("```python\nx = 'pkg/a.py:3'\n```\n")
    assert "[docs](https://example.com/a)" in checked.text
    assert "[page](area-core.md)" in checked.text and "![d](overview.svg)" in checked.text
    assert "javascript" not in checked.text and "file://" not in checked.text
    assert "evil" not in checked.text


def test_a_page_never_keeps_a_secret_or_the_users_key():
    text = "Uses AKIAQ3EXAMPLE7KEYZ9W and my-own-key-1234567890 in pkg/a.py:1."
    checked = check_links(text, LINES, href, secrets=("my-own-key-1234567890",))
    assert "AKIAQ3EXAMPLE7KEYZ9W" not in checked.text
    assert "my-own-key-1234567890" not in checked.text


def test_the_summary_is_the_first_paragraph_of_prose():
    page = "## Heading\n\nThe store keeps [rows](../../a.py#L1) in memory.\nIt is small.\n\nMore."
    assert summary_of(page) == "The store keeps rows in memory. It is small."
    assert strip_title("```markdown\n# Title\nBody\n```") == "Body"
