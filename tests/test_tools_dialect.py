"""The built-in tools under Qwen Code's names, argument schemas and answers, on a real git
repository: what the model sends as Qwen3-Coder was trained to, and what ours adds behind
those names (tolerant matching, stale-file checks, secrets refused, older names understood)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.testing import commit_files, settings_for
from assistant.tools import default_tools
from assistant.tools.base import Grant, ToolContext, ToolOutput, run_guarded
from assistant.tools.legacy import legacy_tool

APP = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"
FILES = {
    "app.py": APP,
    "pkg/__init__.py": "",
    "pkg/util.py": "VALUE = 1\nOTHER = 2\nvalue_again = 3\n",
    "web/main.ts": "export const Value = 1;\n",
    "web/view.tsx": "export const value = <b/>;\n",
    ".env": "VALUE=secret-value-123\n",
    "README.md": "# Demo\n",
}
QWEN_SCHEMAS = {  # Qwen Code v0.12.2, packages/core/src/tools/: name -> (properties, required)
    "read_file": ({"absolute_path", "offset", "limit"}, ["absolute_path"]),
    "write_file": ({"file_path", "content"}, ["file_path", "content"]),
    "edit": ({"file_path", "old_string", "new_string", "replace_all"},
             ["file_path", "old_string", "new_string"]),
    "run_shell_command": ({"command", "description", "directory", "timeout"}, ["command"]),
    "list_directory": ({"path", "ignore"}, ["path"]),
    "glob": ({"pattern", "path"}, ["pattern"]),
    "grep_search": ({"pattern", "glob", "path", "limit"}, ["pattern"]),
    "todo_write": ({"todos"}, ["todos"]),
    "save_memory": ({"fact", "scope"}, ["fact"]),
    "web_fetch": ({"url", "prompt"}, ["url", "prompt"]),
}  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", FILES)


def tool_context(root: Path, tmp_path: Path, grant: Grant = Grant.POLICY) -> ToolContext:
    async def authorize(kind: str, summary: str, detail: str) -> Grant:
        return grant

    settings = settings_for("http://127.0.0.1:9/v1", cache_dir=tmp_path / "cache", sandbox="off")
    return ToolContext(root, settings, authorize)


async def use(ctx: ToolContext, name: str, **args: object) -> ToolOutput:
    """Call a tool by name as the agent does (a failure becomes an "error: ..." output)."""
    tools = {tool.spec.name: tool for tool in default_tools()}
    tool = tools.get(name) or legacy_tool(name, tools)
    assert tool is not None, name
    return await run_guarded(tool, args, ctx)


def test_the_tools_offer_qwen_codes_names_arguments_and_required_fields():
    specs = {tool.spec.name: tool.spec.parameters for tool in default_tools()}
    for name, (properties, required) in QWEN_SCHEMAS.items():
        assert set(specs[name]["properties"]) == properties, name
        assert specs[name]["required"] == required, name
    assert {"search_code", "find_symbol", "git_status", "git_diff"} <= set(specs)
    assert not {"edit_file", "run_command", "list_files"} & set(specs)  # older names: unoffered


async def test_read_file_takes_absolute_or_relative_paths_and_pages_as_qwen_code(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    whole = await use(ctx, "read_file", absolute_path=str(repo / "app.py"))
    relative = await use(ctx, "read_file", absolute_path="app.py")
    page = await use(ctx, "read_file", absolute_path=str(repo / "app.py"), offset=1, limit=2)
    assert whole.text == relative.text == APP.rstrip("\n")
    assert page.text == (
        "Showing lines 2-3 of 6 total lines. Read on with offset=3.\n\n---\n\n    return a - b\n"
    )
    secret = await use(ctx, "read_file", absolute_path=str(repo / ".env"))
    outside = await use(ctx, "read_file", absolute_path=str(tmp_path / "elsewhere.py"))
    missing = await use(ctx, "read_file", absolute_path="nope.py")
    assert not secret.ok and "secrets file" in secret.text and "secret-value" not in secret.text
    assert not outside.ok and "outside the repository" in outside.text
    assert not missing.ok and missing.text.startswith("error: File not found: nope.py")


async def test_edit_replaces_one_place_and_shows_the_edited_lines(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    unread = await use(ctx, "edit", file_path="app.py", old_string="a - b", new_string="a + b")
    assert not unread.ok and "has not been read" in unread.text  # read before you edit
    await use(ctx, "read_file", absolute_path="app.py")
    old, new = "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b"
    done = await use(ctx, "edit", file_path=str(repo / "app.py"), old_string=old, new_string=new)
    assert done.ok and done.edit is not None and done.edit.path == "app.py"
    assert done.text.startswith("The file: app.py has been updated. Showing lines 1-6 of 6")
    assert (repo / "app.py").read_text().startswith("def add(a, b):\n    return a + b\n")


async def test_edit_tolerates_indentation_slips_but_not_other_names(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    await use(ctx, "read_file", absolute_path="app.py")
    slip, fixed = "def sub(a, b):\n  return a + b", "def sub(a, b):\n    return a - b"
    slipped = await use(ctx, "edit", file_path="app.py", old_string=slip, new_string=fixed)
    assert slipped.ok, slipped.text
    assert (repo / "app.py").read_text().endswith("def sub(a, b):\n    return a - b\n")
    other = "def mul(x, y):\n    return x * y"
    wrong = await use(ctx, "edit", file_path="app.py", old_string=other, new_string="pass")
    assert not wrong.ok and wrong.text.startswith("error: Failed to edit, 0 occurrences found")
    assert "closest region" in wrong.text


async def test_edit_counts_occurrences_as_qwen_code_does(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    await use(ctx, "read_file", absolute_path="app.py")
    twice = await use(ctx, "edit", file_path="app.py", old_string="(a, b)", new_string="(x, y)")
    assert not twice.ok and twice.text.startswith(
        "error: Failed to edit. Found 2 occurrences for old_string in app.py but replace_all"
    )
    miscounted = await use(ctx, "edit", file_path="app.py", old_string="(a, b)",
                           new_string="(x, y)", expected_replacements=3)  # fmt: skip
    assert "Expected 3 occurrence(s) but found 2" in miscounted.text
    everywhere = await use(ctx, "edit", file_path="app.py", old_string="(a, b)",
                           new_string="(x, y)", replace_all=True)  # fmt: skip
    assert everywhere.ok and (repo / "app.py").read_text().count("(x, y)") == 2


async def test_an_empty_old_string_creates_a_file_and_never_overwrites_one(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    made = await use(ctx, "edit", file_path="pkg/new.py", old_string="", new_string="X = 1\n")
    again = await use(ctx, "edit", file_path="app.py", old_string="", new_string="gone\n")
    assert made.ok and made.text == "Created new file: pkg/new.py with provided content."
    assert (repo / "pkg/new.py").read_text() == "X = 1\n"
    assert not again.ok and "File already exists, cannot create: app.py" in again.text
    assert (repo / "app.py").read_text() == APP


async def test_write_file_creates_and_replaces_only_what_was_read(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    made = await use(ctx, "write_file", file_path=str(repo / "docs/notes.md"), content="hi\n")
    blind = await use(ctx, "write_file", file_path="README.md", content="# Mine\n")
    assert made.ok and made.text == "Successfully created and wrote to new file: docs/notes.md."
    assert not blind.ok and (repo / "README.md").read_text() == "# Demo\n"
    await use(ctx, "read_file", absolute_path="README.md")
    replaced = await use(ctx, "write_file", file_path="README.md", content="# Mine\n")
    assert replaced.ok and replaced.text == "Successfully overwrote file: README.md."
    git_dir = await use(ctx, "write_file", file_path=".git/hooks/pre-commit", content="x")
    assert not git_dir.ok and "git" in git_dir.text


async def test_run_shell_command_answers_qwen_codes_block_in_the_folder_asked(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    out = await use(ctx, "run_shell_command", command="ls", directory=str(repo / "pkg"),
                    description="List the package")  # fmt: skip
    assert out.text.splitlines()[:5] == [
        "Command: cd -- pkg && ls", "Directory: pkg", "Output: __init__.py", "util.py",
        "Error: (none)",
    ]  # fmt: skip
    assert out.text.splitlines()[5] == "Exit Code: 0"
    failed = await use(ctx, "run_shell_command", command="exit 3")
    assert not failed.ok and "Exit Code: 3" in failed.text and "Output: (empty)" in failed.text
    slow = await use(ctx, "run_shell_command", command="sleep 5", timeout=200)
    assert slow.text.startswith("Command timed out after 200ms before it could complete.")
    background = await use(ctx, "run_shell_command", command="sleep 100", is_background=True)
    assert not background.ok and "background commands are not supported" in background.text
    outside = await use(ctx, "run_shell_command", command="ls", directory=str(tmp_path))
    assert not outside.ok and "outside the repository" in outside.text


async def test_a_command_in_a_subfolder_is_judged_where_it_runs(repo, tmp_path):
    asked: list[str] = []

    async def authorize(kind: str, summary: str, detail: str) -> Grant:
        asked.append(summary)
        return Grant.REFUSED

    ctx = tool_context(repo, tmp_path)
    ctx.authorize = authorize
    out = await use(ctx, "run_shell_command", command="rm -rf ..", directory="pkg")
    assert out.refused and asked == ["cd -- pkg && rm -rf .."]
    assert (repo / "pkg" / "util.py").exists()


async def test_list_directory_and_glob_see_the_files_git_sees(repo, tmp_path):
    (repo / "build.log").write_text("x\n")
    (repo / ".gitignore").write_text("*.log\n")
    ctx = tool_context(repo, tmp_path)
    top = await use(ctx, "list_directory", path=str(repo))
    assert top.text.splitlines()[0].startswith("Listed ")
    entries = top.text.split("---\n", 1)[1].splitlines()
    assert entries[:2] == ["[DIR] pkg", "[DIR] web"] and "app.py" in entries
    assert "build.log" not in entries  # ignored by git
    ignored = await use(ctx, "list_directory", path="pkg", ignore=["__*"])
    assert ignored.text.endswith("---\nutil.py")
    os.utime(repo / "web/view.tsx", (1, 1))  # changed long ago: after the recent ones
    found = await use(ctx, "glob", pattern="**/*.ts*")
    assert found.text.split("---\n", 1)[1].splitlines() == ["web/main.ts", "web/view.tsx"]
    os.utime(repo / "web/main.ts", (2, 2))  # both old: in alphabetical order
    under = await use(ctx, "glob", pattern="*.TS*", path="web")
    assert under.text.split("---\n", 1)[1].splitlines() == ["web/main.ts", "web/view.tsx"]
    nothing = await use(ctx, "glob", pattern="*.rs")
    assert nothing.text == 'No files found matching pattern "*.rs" in the repository'


async def test_grep_search_is_case_insensitive_filters_and_never_reads_secrets(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    found = await use(ctx, "grep_search", pattern=r"value\b")
    lines = found.text.split("---\n", 1)[1].splitlines()
    assert found.text.startswith('Found 3 match(es) for pattern "value\\b" in the repository:')
    assert "pkg/util.py:1:VALUE = 1" in lines and "web/main.ts:1:export const Value = 1;" in lines
    assert not any(line.startswith(".env") for line in lines)  # secrets are never searched
    braces = await use(ctx, "grep_search", pattern="value", glob="*.{ts,tsx}", limit=1)
    assert braces.text.splitlines()[-1] == "[1 lines truncated] ..."
    in_file = await use(ctx, "grep_search", pattern="other", path="pkg/util.py")
    assert in_file.text.endswith("---\npkg/util.py:2:OTHER = 2")
    bad = await use(ctx, "grep_search", pattern="(unclosed")
    assert not bad.ok and bad.text.startswith(
        "error: Invalid regular expression pattern: (unclosed"
    )


async def test_older_names_work_only_where_their_new_tool_is_offered(repo, tmp_path):
    ctx = tool_context(repo, tmp_path)
    await use(ctx, "read_file", path="app.py", start_line=2, end_line=2)  # our older arguments
    blocks = await use(ctx, "edit_file", path="app.py",
                       blocks=[{"search": "return a - b", "replace": "return a + b"}])  # fmt: skip
    assert blocks.ok and "return a + b" in (repo / "app.py").read_text().split("\n")[1]
    ran = await use(ctx, "run_command", command="echo hi", timeout=5)
    assert ran.ok and "Output: hi" in ran.text
    listed = await use(ctx, "list_files", pattern="*.py")
    assert "pkg/util.py" in listed.text
    grep = await use(ctx, "search_file_content", pattern="OTHER", include="*.py")
    assert "pkg/util.py:2:OTHER = 2" in grep.text
    read_only = {t.spec.name: t for t in default_tools() if t.spec.name == "read_file"}
    assert legacy_tool("edit_file", read_only) is None
    assert legacy_tool("run_command", read_only) is None
