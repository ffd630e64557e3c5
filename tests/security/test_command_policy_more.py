"""Attacks a red team found on the command policy: globs that expand to files named like options,
history commands that print committed secrets, and plumbing that overwrites unstaged work.

Each attack is checked twice where it can be: bash and git really do what the attack says, in
a real repository, and the policy does not let it run unasked.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assistant.agent.permissions import DEFAULT_ALLOW, Decision
from assistant.security.command_policy import Verdict, judge_command
from assistant.security.globs import MAX_MATCHES, MAX_NAMES, Budget, expand_pattern
from assistant.security.shell import parse_command_line
from assistant.testing import commit_files, git_env, run_git

A, Q, D = Decision.ALLOW, Decision.ASK, Decision.DENY
ALLOW = (*DEFAULT_ALLOW, "uniq *", "cd *")
CANARY = "CANARYHISTORYKEY0000"
PRIVATE_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n-----END OPENSSH PRIVATE KEY-----\n"


def bash(root: Path, line: str) -> str:
    """Run `line` with bash in `root`, as the run_command tool does; return stdout and stderr."""
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", line], cwd=root, env=git_env(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def judge(line: str, root: Path | None, mode: str = "ask", headless: bool = False) -> Verdict:
    """Judge `line` run in `root` with the default allow list and a few user patterns."""
    return judge_command(line, allow=ALLOW, root=root, mode=mode, headless=headless)


# --- 1. A file named like an option turns a glob into a write ------------------------------


@pytest.fixture
def options_repo(tmp_path: Path) -> Path:
    """Return a repository that ships files named `--output=app.py` and `-oapp.py`."""
    root = commit_files(tmp_path / "repo", {"app.py": "print('hi')\n", "b.py": "zzz\n"})
    (root / "--output=app.py").write_text("")
    (root / "-oapp.py").write_text("")
    (root / "src").mkdir()
    (root / "src" / "x.py").write_text("")
    return root


def test_the_option_named_files_really_overwrite_app_py(tmp_path):
    root = commit_files(tmp_path / "a", {"app.py": "print('hi')\n"})
    (root / "--output=app.py").write_text("")
    bash(root, "git log *")
    assert (root / "app.py").read_text().startswith("commit ")
    (root / "--output=app.py").unlink()
    (root / "-oapp.py").write_text("")
    (root / "b.py").write_text("zzz\n")
    bash(root, "sort *.py")
    assert "zzz" in (root / "app.py").read_text()


@pytest.mark.parametrize(
    "line",
    ["git log *", "git diff *", "sort *.py", "git log -- *", "ls *", "cat ?oapp.py",
     "wc [-]*", "grep x *", "git show --stat *", "ls && sort *.py", "git log ./src *"],
)  # fmt: skip
def test_a_glob_that_expands_to_an_option_is_not_understood(options_repo, line):
    verdict = judge(line, options_repo)
    assert verdict.decision is Q and not verdict.understood
    assert any("reads as an option" in reason for reason in verdict.reasons), verdict.reasons
    assert judge(line, options_repo, headless=True).decision is D


@pytest.mark.parametrize(
    "line",
    ["sort ./*.py", "grep -n '*' app.py", 'grep -rn "x*" src', "ls src/*", "ls \\*",
     "git log --oneline -- src/*.py", "ls src"],
)  # fmt: skip
def test_quoted_globs_and_globs_that_cannot_start_with_a_dash_still_run(options_repo, line):
    assert judge(line, options_repo).decision is A


def test_the_glob_is_expanded_where_cd_leads(tmp_path):
    root = commit_files(tmp_path / "repo", {"app.py": "", "sub/keep.txt": ""})
    (root / "sub" / "-onotes.txt").write_text("")
    assert judge("sort *", root).decision is A
    verdict = judge("cd sub && sort *", root)
    assert verdict.decision is Q and not verdict.understood
    assert any("-onotes.txt" in reason for reason in verdict.reasons)


def test_cd_through_a_glob_that_matches_the_parent_is_seen(tmp_path):
    # Before bash 5.2 `.[.]` matches `..`: `rm -rf work` then removes the neighbour's work.
    root = commit_files(tmp_path / "repo", {"app.py": ""})
    (tmp_path / "work").mkdir()
    assert judge("rm -rf work", root, mode="yolo", headless=True).decision is A
    verdict = judge("cd .[.] && rm -rf work", root, mode="yolo", headless=True)
    assert verdict.decision is D and verdict.destructive


def test_destructive_rules_run_on_the_expanded_words_in_yolo(tmp_path):
    root = commit_files(tmp_path / "repo", {"work.txt": "committed\n"})
    (root / "work.txt").write_text("unstaged work\n")
    (root / "checkout").write_text("")
    assert bash(root, "echo git *").strip() == "git checkout work.txt"
    verdict = judge("git *", root, mode="yolo")
    assert verdict.decision is Q and verdict.destructive
    assert judge("git *", root, mode="yolo", headless=True).decision is D


def test_uniq_of_a_glob_that_matches_two_files_writes_the_second(tmp_path):
    root = commit_files(tmp_path / "repo", {"a.txt": "a\n", "b.txt": "precious\n"})
    assert judge("uniq a.txt", root).decision is A
    bash(root, "uniq *")
    assert (root / "b.txt").read_text() == "a\n"
    (root / "b.txt").write_text("precious\n")
    verdict = judge("uniq *", root)
    assert verdict.decision is Q and verdict.writes


def test_the_names_a_glob_becomes_are_checked_for_secrets(tmp_path):
    root = commit_files(tmp_path / "repo", {"app.py": "", "id_rsa": "key\n", ".env": "K=v\n"})
    (root / "HEAD:.env").write_text("")
    assert "names a secrets file: id_rsa" in judge("cat *", root).reasons
    assert judge("cat *.pem", root).decision is Q  # no match: the word itself names a key file
    verdict = judge("git diff [H]*", root)
    assert verdict.decision is Q
    assert "names a secrets file: HEAD:.env" in verdict.reasons


def test_a_glob_over_more_names_than_the_caps_is_not_understood(tmp_path):
    for folder, count in (("many", MAX_NAMES + 1), ("few", MAX_MATCHES + 1)):
        (tmp_path / folder).mkdir()
        for index in range(count):
            (tmp_path / folder / f"f{index:04}").write_text("")
    assert judge("ls many few", tmp_path).decision is A
    assert judge("ls few/f000*", tmp_path).decision is A
    for line in ("ls many/x*", "ls few/*", "ls few/f00* few/f01* few/f02*"):
        verdict = judge(line, tmp_path)
        assert verdict.decision is Q and not verdict.understood, line
    assert expand_pattern("many/x*", str(tmp_path), Budget()) is None


def test_a_character_class_is_not_understood_when_the_folder_is_known(options_repo):
    verdict = judge("sort [[:punct:]]*", options_repo)
    assert verdict.decision is Q and not verdict.understood


def test_without_a_root_a_glob_is_judged_as_written():
    # Nothing on disk to expand against: the rules see `sort *.py`, as the module docstring says.
    assert judge("sort *.py", None).decision is A


# --- 2. Committed secrets leak through history commands ------------------------------------


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Return a repository whose first commit holds a private key, and names for its objects."""
    root = commit_files(
        tmp_path_factory.mktemp("history"),
        {"app.py": "print(1)\n", "config/id_ecdsa": PRIVATE_KEY, "src/lib.py": "x = 1\n"},
    )
    (root / "app.py").write_text("print(2)\n")
    run_git(root, "commit", "-qam", "second")
    names = {
        "blob": run_git(root, "rev-parse", "--short", "HEAD:config/id_ecdsa").strip(),
        "other": run_git(root, "rev-parse", "--short", "HEAD:app.py").strip(),
        "first": run_git(root, "rev-parse", "--short", "HEAD~1").strip(),
    }
    return root, names


PRINTS_THE_KEY = [
    "git show HEAD~1", "git show {first}", "git log -p", "git log --patch",
    "git log -u", "git log -U1", "git log --stat -p", "git log --patch-with-stat",
    "git log -p --word-diff", "git log --pretty -p", "git log --binary",
    "git log -p -- config", "git -C . log -p", "git --no-pager log -p", "git log -m -p",
    "git show --oneline HEAD~1", "git show --stat -p HEAD~1", "git show --stat {blob}",
    "git show -s {blob}", "git show --stat {blob}^{{}}", "git show --stat :0:config/id_ecdsa",
    "git show --stat HEAD~1:config/id_ecdsa", "git diff {blob} -- app.py",
    "git diff {blob} {other}", "git diff {blob}..{other}",
    "git diff HEAD:config/id_ecdsa HEAD:app.py", "git show HEAD:config/id_ecdsa",
    "git diff --no-index /dev/null config/id_ecdsa", "git show --stat --indexed-objects",
]  # fmt: skip
ASKS_WITHOUT_PRINTING_HERE = [
    "git show", "git show HEAD", "git log -L1,1:app.py", "git log --full-diff -- app.py",
    "git log --cc", "git log -c", "git log -m", "git log -W", "git log --check",
    "git log --remerge-diff", "git show --summary --patch-with-stat", "git log --pa",
    "git log --pat", "git log --word-diff", "git log --color-words",
    "git show --stat HEAD:app.py", "git diff HEAD~1 HEAD", "git diff HEAD~1..HEAD",
    "git show --stat HEAD:config", "git diff -- config/id_ecdsa", "git diff HEAD~1 HEAD -- src",
]  # fmt: skip
STAYS_ALLOWED = [
    "git log", "git log --oneline", "git log --stat", "git log --raw", "git log --oneline -5",
    "git log --format=%H%n%B", "git log --stat -- config", "git log --color --oneline",
    "git show --stat HEAD", "git show --stat", "git show -s HEAD~1", "git show --no-patch",
    "git show --name-only HEAD~1", "git show --name-status {first}~0", "git show --raw HEAD",
    "git show --numstat HEAD^", "git show --shortstat HEAD", "git show --summary HEAD~1",
    "git show --oneline -s HEAD", "git show --stat --format=%B HEAD", "git diff",
    "git diff HEAD~1 -- src", "git diff --stat HEAD~1", "git diff app.py", "git diff --cached",
]  # fmt: skip


@pytest.mark.parametrize("line", PRINTS_THE_KEY)
def test_a_history_command_that_prints_the_committed_key_asks(history, line):
    root, names = history
    line = line.format(**names)
    assert CANARY in bash(root, line), "the attack does not print the key: fix the test"
    verdict = judge(line, root)
    assert verdict.decision is Q, verdict.reasons
    assert judge(line, root, headless=True).decision is D


@pytest.mark.parametrize("line", ASKS_WITHOUT_PRINTING_HERE)
def test_history_commands_that_may_print_file_contents_ask(history, line):
    root, names = history
    assert judge(line.format(**names), root).decision is Q


@pytest.mark.parametrize("line", STAYS_ALLOWED)
def test_history_commands_that_print_no_file_content_stay_allowed(history, line):
    root, names = history
    line = line.format(**names)
    assert CANARY not in bash(root, line)
    verdict = judge(line, root)
    assert verdict.decision is A, verdict.reasons


def test_the_reason_says_how_to_see_history_without_file_contents(history):
    root, _ = history
    [reason] = judge("git show HEAD", root).reasons
    assert "--stat" in reason


# --- 3. Plumbing that overwrites or deletes unstaged work ----------------------------------

OVERWRITES_WORK = [
    "git checkout-index -f -a", "git checkout-index -f -- app.py", "git checkout-index -fa",
    "git checkout-index -af", "git checkout-index --force --all", "git checkout-index --for -a",
    "git checkout-index -qfa", "git -C . checkout-index -f app.py", "git checkout-index -uf app.py",
    "git read-tree --reset -u HEAD", "git read-tree --index-output=app.py HEAD",
]  # fmt: skip
# These refuse to overwrite a changed file, or reset the index only; they still ask.
ALSO_DESTRUCTIVE = [
    "git read-tree -u HEAD", "git read-tree -m -u HEAD~1", "git read-tree -mu HEAD",
    "git read-tree --reset HEAD", "git read-tree --res HEAD", "git read-tree -u --prefix=x/ HEAD",
    "git restore --staged app.py", "git restore -SW app.py", "git restore -s HEAD -- .",
    "git restore --source=HEAD~1 app.py", "git rm -f app.py", "git rm --forc app.py",
    "git rm -rf src", "bash -c 'git checkout-index -fa'", "sudo git read-tree -u HEAD",
    "git checkout-index -f $F", "git read-tree -u $T", "echo $(git checkout-index -f -a)",
]  # fmt: skip


@pytest.mark.parametrize("line", OVERWRITES_WORK)
def test_plumbing_that_overwrites_unstaged_work_asks_in_yolo(tmp_path, line):
    root = commit_files(tmp_path / "repo", {"app.py": "committed\n"})
    (root / "app.py").write_text("unstaged work\n")
    bash(root, line)
    assert (root / "app.py").read_bytes() != b"unstaged work\n"
    verdict = judge(line, root, mode="yolo")
    assert verdict.decision is Q and verdict.destructive, verdict.reasons
    assert judge(line, root, mode="yolo", headless=True).decision is D


@pytest.mark.parametrize("line", ALSO_DESTRUCTIVE)
def test_every_spelling_of_work_losing_git_asks_in_yolo(history, line):
    root, _ = history
    verdict = judge(line, root, mode="yolo")
    assert verdict.decision is Q and verdict.destructive, verdict.reasons
    assert judge(line, root, mode="yolo", headless=True).decision is D


@pytest.mark.parametrize(
    "line",
    ["git checkout-index -a", "git checkout-index --prefix=out/ -a", "git read-tree HEAD",
     "git read-tree -m HEAD", "git checkout-index --no-force -a"],
)  # fmt: skip
def test_plumbing_that_keeps_existing_files_is_not_destructive(history, line):
    root, _ = history
    assert not judge(line, root, mode="yolo").destructive


# --- 4. The line is judged with bash's grammar ----------------------------------------------


def test_an_ampersand_redirection_is_read_as_bash_reads_it(tmp_path):
    # assistant/tools/run_command.py runs lines with bash: `&>` redirects and the words after
    # its target are arguments. /bin/sh (dash) would run `ls &` in the background and then
    # `>/dev/null rm notes.txt`: if execution ever goes back to sh, this policy is wrong.
    [command] = parse_command_line("ls &>/dev/null rm notes.txt").commands
    assert command.argv == ("ls", "rm", "notes.txt")
    assert [(r.op, r.target) for r in command.redirects] == [("&>", "/dev/null")]
    root = commit_files(tmp_path / "repo", {"notes.txt": "keep\n"})
    bash(root, "ls &>/dev/null rm notes.txt")
    assert (root / "notes.txt").read_text() == "keep\n"
    assert judge("ls &>/dev/null rm notes.txt", root).decision is A
