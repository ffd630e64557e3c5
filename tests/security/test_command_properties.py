"""Properties of the command policy, checked by hypothesis: allowed prefixes never carry a
second command or a write through, destructive git is never allowed in any spelling, and globs
expand to the names bash gives them."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assistant.agent.permissions import DEFAULT_ALLOW, Decision
from assistant.security.command_policy import judge_command
from assistant.security.globs import Budget, expand_pattern
from assistant.security.shell import parse_command_line
from assistant.testing import init_repo

USER_ALLOW = ("pytest*", "npm test", "make")
ALLOW = (*DEFAULT_ALLOW, *USER_ALLOW)

# Commands each allowed on its own in ask mode (checked below), from both lists.
ALLOWED = [
    "ls", "ls -la", "pwd", "cat app.py", "head -n 5 app.py", "tail app.py", "wc -l app.py",
    "which python", "echo hi", "grep -rn foo src", "rg foo", "find . -name '*.py'",
    "git status", "git diff", "git log --oneline", "git show --stat HEAD", "git branch -a",
    "git rev-parse HEAD", "pytest -q", "pytest tests/", "npm test", "make",
]  # fmt: skip
NOT_ALLOWED = [
    "rm -f notes.txt", "curl example.org", "python -c 'print(1)'", "sh", "touch x",
    "lsblk", "catalog", "git commit -am x", "npm install", "make install", "chmod +x app.py",
    "git stash", "cp app.py b.py", "dd if=/dev/zero of=app.py",
]  # fmt: skip
SEPARATORS = [";", "&&", "||", "|", "&", "\n", "|&"]
WRITES = [">", ">>", ">|", "&>", "&>>", "2>", "1>", ">&", "2>>"]
TARGETS = ["app.py", "out.txt", "'x y'", "src/../app.py", '"$HOME/x"', "notes.txt"]

GIT_GLOBALS = ["-C .", "--no-pager", "-c x=y", "--git-dir=.git", "--work-tree=.", "-p",
               "--namespace=x", "--literal-pathspecs", "-C src"]  # fmt: skip
DESTRUCTIVE_GIT = {
    "reset": ["--hard", "--har", "--hard HEAD~1", "--merge", "--keep", "-q --hard"],
    "branch": ["-D x", "-df x", "-fd x", "--delete --force x", "-d -f x", "-M a b", "-C a b",
               "--force --delete x", "--del --for x"],
    "checkout": ["-- .", "HEAD -- app.py", ".", "-f main", "--force main", "-qf main", "app.py"],
    "switch": ["-f main", "--force main", "--discard-changes main", "--disc main", "-C main"],
    "push": ["-f", "--force", "--for", "--force-with-lease", "--force-if-includes", "--mirror",
             "--delete x", "-d origin x", "origin +main", "origin :x", "-fu origin main",
             "-uf origin main", "origin main --force"],
    "clean": ["-fdx", "-f", "-xfd", "-d -f"],
    "stash": ["drop", "clear"],
    "restore": ["app.py", "--worktree .", "-s HEAD~1 ."],
    "update-ref": ["-d refs/heads/x"],
    "reflog": ["expire --all", "delete HEAD@{1}"],
    "gc": ["--prune=now", "--prune"],
    "worktree": ["remove --force wt", "remove -f wt"],
    "filter-branch": ["--tree-filter true HEAD"],
}  # fmt: skip
WRAPPERS = [
    "{}", "sudo {}", "env {}", "env X=1 {}", "timeout 5 {}", "nice -n 5 {}", "command {}",
    "exec {}", "ls && {}", "ls; {}", "echo $({})", "echo `{}`", "ls | {}", "{} 2>/dev/null",
    "time {}", "nohup {}", "xargs {}", "eval {}",
]  # fmt: skip


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a real git repository with the files the generated commands name."""
    root = tmp_path_factory.mktemp("repo")
    init_repo(root)
    for name in ("app.py", "notes.txt"):
        (root / name).write_text("x\n")
    (root / "src").mkdir()
    return root


def ask(command: str, root: Path) -> Decision:
    """Return the ask-mode decision for `command`."""
    return judge_command(command, allow=ALLOW, root=root, mode="ask").decision


def spaces() -> st.SearchStrategy[str]:
    """Return whitespace as people type it around operators: none, some, tabs."""
    return st.sampled_from(["", " ", "  ", "\t"])


def quoted(word: str) -> st.SearchStrategy[str]:
    """Return spellings of `word` that the shell reads back as `word`."""
    spellings = [word, shlex.quote(word), f"'{word}'", f'"{word}"']
    if word.isprintable() and "'" not in word and "\\" not in word:
        spellings.append(f"$'{word}'")
    if len(word) > 1 and word[0].isalnum():
        spellings.append(f"\\{word}")
        spellings.append(f"{word[:1]}'{word[1:]}'")
        spellings.append(f'"{word[:1]}"{word[1:]}')
    return st.sampled_from(spellings)


def test_the_generated_prefixes_are_allowed_on_their_own(repo):
    assert [c for c in ALLOWED if ask(c, repo) is not Decision.ALLOW] == []


@given(
    st.sampled_from(ALLOWED), st.sampled_from(SEPARATORS), st.sampled_from(NOT_ALLOWED),
    spaces(), spaces(), st.booleans(),
)  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_an_allowed_prefix_never_carries_another_command(repo, allowed, sep, other, s1, s2, flip):
    first, second = (other, allowed) if flip else (allowed, other)
    assert ask(f"{first}{s1}{sep}{s2}{second}", repo) is not Decision.ALLOW


@given(
    st.sampled_from(ALLOWED),
    st.sampled_from(NOT_ALLOWED),
    st.sampled_from(["$({})", "`{}`", "<({})", '"$({})"', "$(ls; {})", "${{x:-$({})}}"]),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_an_allowed_command_never_carries_a_substitution(repo, allowed, other, form, inside):
    substitution = form.format(other)
    line = f"{allowed} {substitution}" if inside else f"{substitution}; {allowed}"
    assert ask(line, repo) is not Decision.ALLOW


@given(
    st.sampled_from(ALLOWED), st.sampled_from(WRITES), st.sampled_from(TARGETS), spaces(),
    st.booleans(),
)  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_an_allowed_command_never_writes_through_a_redirection(
    repo, allowed, op, target, gap, lead
):
    redirect = f"{op}{gap}{target}"
    line = f"{redirect} {allowed}" if lead else f"{allowed} {redirect}"
    assert ask(line, repo) is not Decision.ALLOW


@st.composite
def destructive_git(draw: st.DrawFn) -> str:
    """Draw a destructive git command, spelled any way git and the shell accept."""
    sub = draw(st.sampled_from(sorted(DESTRUCTIVE_GIT)))
    rest = draw(st.sampled_from(DESTRUCTIVE_GIT[sub])).split()
    options = draw(st.lists(st.sampled_from(GIT_GLOBALS), max_size=3))
    words = ["git", *" ".join(options).split(), sub, *rest]
    return " ".join(draw(quoted(word)) for word in words)


@given(destructive_git(), st.sampled_from(WRAPPERS), st.booleans())
@settings(max_examples=500, deadline=None)
def test_destructive_git_is_never_allowed_in_yolo(repo, command, wrapper, through_shell):
    line = wrapper.format(command)
    if through_shell:
        line = f"bash -c {shlex.quote(line)}"
    for headless in (False, True):
        verdict = judge_command(line, allow=ALLOW, root=repo, mode="yolo", headless=headless)
        assert verdict.decision is (Decision.DENY if headless else Decision.ASK), line
        assert verdict.destructive


SHELL_BITS = ["ls", "cat", "rm", "-rf", "git", "reset", "--hard", "$(", ")", "`", "'", '"',
              "\\", "\n", ";", "&&", "|", ">", "<", "<<", "EOF", "$", "${", "}", "(", "*", "~",
              " ", "=", "#", "\x00", "\r", "é", "$'\\x", "<(", "[[", "]]", "if", "then",
              "fi"]  # fmt: skip


@given(st.lists(st.sampled_from(SHELL_BITS) | st.text(max_size=3), max_size=40).map("".join))
@settings(max_examples=400, deadline=None)
def test_any_text_gets_a_verdict_and_only_understood_lines_run_unasked(repo, text):
    verdict = judge_command(text, allow=ALLOW, root=repo, mode="ask")
    assert verdict.decision in (Decision.ALLOW, Decision.ASK)
    assert verdict.understood or verdict.decision is Decision.ASK


GLOB_NAMES = ["-oapp.py", "--output=app.py", "app.py", "b.py", ".env", ".hidden", "a b", "[x]",
              "*star", "]", "!", "^a", "Z", "é.txt", "-", "src/x.py", "src/-n", "src/.h",
              "src/deep/y.py"]  # fmt: skip
GLOB_BITS = ["*", "?", "[", "]", "!", "^", "-", "a", "p", ".", "/", "\\*", "\\[", "o", "x", "s",
             "[!a]", "[a-c]", "[^-]", "[]]", "src/", "*/", "[-]", "y", ":", "="]  # fmt: skip


@pytest.fixture(scope="module")
def glob_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder of names that globs trip on: options, dots, brackets, a non-ASCII one."""
    root = tmp_path_factory.mktemp("globs")
    for name in GLOB_NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return root


def bash_words(root: Path, pattern: str, locale: str) -> list[str]:
    """Return the words bash makes of `pattern` (written unquoted) in `root` under `locale`."""
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", f"printf '%s\\0' {pattern}"],
        cwd=root, env={"LC_ALL": locale, "PATH": "/usr/bin:/bin"}, capture_output=True,
        check=True,
    )  # fmt: skip
    return [os.fsdecode(w) for w in done.stdout.split(b"\0")[:-1]]


def slashes(word: str) -> str:
    """Return `word` with each run of slashes written as one."""
    return re.sub("/+", "/", word)


def through_dots(word: str) -> bool:
    """Return whether `word` goes through `.` or `..`, which bash 5.2 no longer matches."""
    return any(part in (".", "..") for part in word.split("/"))


@given(st.lists(st.sampled_from(GLOB_BITS), min_size=1, max_size=6).map("".join))
@settings(max_examples=150, deadline=None)
def test_glob_expansion_matches_bash(glob_folder, pattern):
    [command] = parse_command_line(f"ls {pattern}").commands
    assume(command.globs)
    [(_, recorded)] = command.globs
    literal = command.argv[1]
    ours = expand_pattern(recorded, str(glob_folder), Budget())
    if ours is None:  # a class, equivalence class or collating symbol; or all of `/` to look at
        marks = ("[.", "[:", "[=")
        assert any(mark in pattern for mark in marks) or pattern.startswith("/"), pattern
        return
    found = set()
    for locale in ("C", "C.UTF-8"):
        words = bash_words(glob_folder, pattern, locale)
        found |= set() if words == [literal] else set(words)
    # Bash keeps `src//x` for `src//*` but prints `src/x` for `*//*`: the same paths.
    found, mine = {slashes(w) for w in found}, {slashes(w) for w in ours}
    assert found <= mine, pattern
    extra = mine - found - ({slashes(literal)} if not found else set())
    assert all(through_dots(word) for word in extra), (pattern, extra)


@given(st.sampled_from(ALLOWED), st.sampled_from(["*", "*.py", "?*", "[-a]*", "-- *", "x *"]))
@settings(max_examples=100, deadline=None)
def test_an_allowed_command_never_runs_with_a_glob_that_expands_to_an_option(
    glob_folder, allowed, glob
):
    verdict = judge_command(f"{allowed} {glob}", allow=ALLOW, root=glob_folder, mode="ask")
    assert verdict.decision is Decision.ASK


def test_a_line_that_crashes_the_bash_grammar_is_judged_without_crashing():
    # tree-sitter-bash 0.25 reads out of bounds on `{` followed by a character beyond the BMP
    # (its issue #337); this line, found by the property test above (seed 33), killed the
    # process within a few hundred parses. Judged in a child process: a crash would kill pytest.
    line = "$\U0009dd29fi\x99fi\U000cf9c3Ç{\U000cf9c3Ç{\x00\x9e\x01Q🏻"
    script = (
        "import sys\n"
        "from assistant.security.shell import parse_command_line\n"
        "line = sys.stdin.read()\n"
        "verdicts = {parse_command_line(line).understood for _ in range(2000)}\n"
        "print(sorted(verdicts))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=line, capture_output=True, text=True,
        encoding="utf-8", errors="surrogatepass", timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[False]"  # never understood: it asks


def test_characters_beyond_the_bmp_keep_their_text_in_the_parsed_words():
    [command] = parse_command_line("echo {🎉,b} '😀 x' $😀").commands
    assert command.argv[:3] == ("echo", "{🎉,b}", "😀 x")
