"""The command policy judges parsed commands: attacks that got past the patterns are caught."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.agent.permissions import DEFAULT_ALLOW, Decision, PermissionPolicy
from assistant.security.command_policy import judge_command
from assistant.testing import init_repo

A, Q, D = Decision.ALLOW, Decision.ASK, Decision.DENY
USER_ALLOW = ("pytest*", "npm test", "make", "sed *")
ALLOW = (*DEFAULT_ALLOW, *USER_ALLOW)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a real git repository with a secrets file, a link to it and a build folder."""
    root = tmp_path_factory.mktemp("repo")
    init_repo(root)
    (root / "app.py").write_text("print('hi')\n")
    (root / "notes.txt").write_text("notes\n")
    (root / ".env").write_text("API_KEY=sk-not-a-real-key-000000000000\n")
    (root / "src").mkdir()
    (root / "build").mkdir()
    os.symlink(".env", root / "notes-link")
    return root


# (command, ask mode, yolo mode, headless yolo). Headless ask is ask with ASK turned into DENY.
CASES = [
    # one allowed command smuggling another through a separator the old regex split missed
    ("ls\nrm -f notes.txt", Q, A, A),
    ("ls;rm -f notes.txt", Q, A, A),
    ("ls && rm -f notes.txt", Q, A, A),
    ("ls || rm -f notes.txt", Q, A, A),
    ("ls & rm -f notes.txt", Q, A, A),
    ("ls\r\nrm -f notes.txt", Q, A, A),
    ("ls | sh", Q, A, A),
    ("ls $(rm -f notes.txt)", Q, A, A),
    ("ls `rm -f notes.txt`", Q, A, A),
    ("cat <(rm -f notes.txt)", Q, A, A),
    ("cat <<EOF\n$(rm -f notes.txt)\nEOF", Q, A, A),
    ("cat <<'EOF'\nplain text\nEOF", Q, A, A),
    ("ls | xargs rm", Q, Q, D),
    # prefixes of allowed commands are other programs
    ("lsblk", Q, A, A),
    ("lsof -i", Q, A, A),
    ("catalog app.py", Q, A, A),
    ("git status-all", Q, A, A),
    # redirections that write, in every form
    ("cat a > app.py", Q, A, A),
    ("cat app.py >> notes.txt", Q, A, A),
    ("echo hi >| app.py", Q, A, A),
    ("ls &> out.txt", Q, A, A),
    ("ls &>> out.txt", Q, A, A),
    ("ls 2> err.log", Q, A, A),
    ("ls >& out.txt", Q, A, A),
    ("echo hi 1>app.py", Q, A, A),
    ("> app.py", Q, A, A),
    (">app.py ls", Q, A, A),
    ("ls > $(echo app.py)", Q, A, A),
    ("ls >'app.py'", Q, A, A),
    ("echo x | tee app.py", Q, A, A),
    ("cat < .env", Q, A, A),
    # options that make a read-only command write or run programs
    ("git log --output=app.py", Q, A, A),
    ("git log --output app.py", Q, A, A),
    ("git log --out=app.py", Q, A, A),
    ("git diff --output=app.py HEAD", Q, A, A),
    ("git show --ext-diff HEAD", Q, A, A),
    ("git diff --textconv", Q, A, A),
    ("git -c core.pager=sh log", Q, A, A),
    ("git --config-env=core.pager=X log", Q, A, A),
    ("git --exec-path=/tmp status", Q, A, A),
    ("git branch newbranch", Q, A, A),
    ("sed -i s/a/b/ app.py", Q, A, A),
    ("sed -ni 1p app.py", Q, A, A),
    ("sed --in-place=.bak s/a/b/ app.py", Q, A, A),
    ("sed 'w out.txt' app.py", Q, A, A),
    ("sed 's/a/b/w out.txt' app.py", Q, A, A),
    ("sed -n '1e rm -f notes.txt' app.py", Q, A, A),
    ("sort -o app.py notes.txt", Q, A, A),
    ("sort -ro app.py notes.txt", Q, A, A),
    ("sort --out=app.py notes.txt", Q, A, A),
    ("find . -name '*.pyc' -delete", Q, A, A),
    ("find . -exec cat {} +", Q, A, A),
    ("find . -fprint out.txt", Q, A, A),
    ("rg --pre ./x foo", Q, A, A),
    # secrets files named as arguments, however spelled
    ("cat .env", Q, A, A),
    ("cat ./src/../.env", Q, A, A),
    ("grep -r KEY .env", Q, A, A),
    ("cat ~/.ssh/id_rsa", Q, A, A),
    ("cat notes-link", Q, A, A),
    ("cat .e*", Q, A, A),
    ("head -n 3 '.env'", Q, A, A),
    ("git show HEAD:.env", Q, A, A),
    ("grep --file=.env src", Q, A, A),
    ("cat /proc/self/environ", Q, A, A),
    # a program from the repository is not the allowed one
    ("./ls", Q, A, A),
    ("src/../ls -la", Q, A, A),
    # destructive git in every spelling: asks even in yolo, refused headless
    ("git reset --hard", Q, Q, D),
    ("git -C . reset --hard", Q, Q, D),
    ("git --no-pager -c x=y reset --hard", Q, Q, D),
    ("git --git-dir=.git --work-tree=. reset --hard", Q, Q, D),
    ("git reset --ha HEAD~1", Q, Q, D),
    ("git reset --merge", Q, Q, D),
    ("git reset --keep", Q, Q, D),
    ("git branch --delete --force topic", Q, Q, D),
    ("git branch -D topic", Q, Q, D),
    ("git branch -df topic", Q, Q, D),
    ("git branch -M old new", Q, Q, D),
    ("git checkout HEAD -- .", Q, Q, D),
    ("git checkout -- app.py", Q, Q, D),
    ("git checkout .", Q, Q, D),
    ("git checkout app.py", Q, Q, D),
    ("git checkout -f main", Q, Q, D),
    ("git restore app.py", Q, Q, D),
    ("git clean -fdx", Q, Q, D),
    ("git switch -f main", Q, Q, D),
    ("git switch --discard-changes main", Q, Q, D),
    ("git push origin +main", Q, Q, D),
    ("git push -f", Q, Q, D),
    ("git push -uf origin main", Q, Q, D),
    ("git push --force-with-lease origin main", Q, Q, D),
    ("git push --for origin main", Q, Q, D),
    ("git push origin :main", Q, Q, D),
    ("git push --delete origin topic", Q, Q, D),
    ("git push --mirror", Q, Q, D),
    ("git stash drop", Q, Q, D),
    ("git stash clear", Q, Q, D),
    ("git update-ref -d refs/heads/topic", Q, Q, D),
    ("git reflog expire --expire=now --all", Q, Q, D),
    ("git gc --prune=now", Q, Q, D),
    ("git worktree remove --force wt", Q, Q, D),
    ("git filter-branch --tree-filter true HEAD", Q, Q, D),
    # ... hidden by quoting, escapes, wrappers, substitutions and shells
    ("'git' \"reset\" --'hard'", Q, Q, D),
    ("g\\it reset --hard", Q, Q, D),
    ("$'git' reset $'--\\x68ard'", Q, Q, D),
    ("git reset 2>/dev/null --hard", Q, Q, D),
    ("ls && git reset --hard", Q, Q, D),
    ("echo $(git reset --hard)", Q, Q, D),
    ("echo `echo \\`git reset --hard\\``", Q, Q, D),
    ("bash -c 'git reset --hard'", Q, Q, D),
    ('sh -lc "git clean -fd"', Q, Q, D),
    ("sudo -u root git clean -fd", Q, Q, D),
    ("env -i PATH=/usr/bin git reset --hard", Q, Q, D),
    ("env -S 'git reset --hard'", Q, Q, D),
    ("timeout -s KILL 5 git push -f", Q, Q, D),
    ("nice -n 10 git reset --hard", Q, Q, D),
    ("command git reset --hard", Q, Q, D),
    ("exec git reset --hard", Q, Q, D),
    ("eval git reset --hard", Q, Q, D),
    ("xargs git branch -D", Q, Q, D),
    ("$G reset --hard", Q, Q, D),
    ("git reset $MODE", Q, Q, D),
    ("cat <<EOF && git reset --hard\nx\nEOF", Q, Q, D),
    ("f() { git reset --hard; }; f", Q, Q, D),
    ("find . -exec git reset --hard \\;", Q, Q, D),
    ("gi\\\nt reset --hard", Q, Q, D),
    ("/usr/bin/gi? reset --hard", Q, Q, D),
    ("git -c alias.x='reset --hard' x", Q, Q, D),
    ("git -c core.pager='rm -rf ~' log", Q, Q, D),
    ("git reset --h*", Q, Q, D),
    ("git clean -n", Q, A, A),
    # rm -r of what is not the repository's to lose
    ("rm -rf /", Q, Q, D),
    ("rm -fr ~", Q, Q, D),
    ("rm -r -f $HOME", Q, Q, D),
    ("rm --recursive --force ..", Q, Q, D),
    ("rm --rec --forc ../other", Q, Q, D),
    ("rm -R ../other", Q, Q, D),
    ("rm -rf .", Q, Q, D),
    ("rm -rf src/..", Q, Q, D),
    ("rm -rf *", Q, Q, D),
    ("rm -rf .git", Q, Q, D),
    ("rm -f .git/index", Q, Q, D),
    ("rm -rf ~-", Q, Q, D),
    ("/bin/r? -rf /", Q, Q, D),
    ('rm -rf "$DIR"', Q, Q, D),
    ("cd .. && rm -rf *", Q, Q, D),
    ("find / -name x -delete", Q, Q, D),
    ("find . -delete", Q, Q, D),
    ("find / -exec rm -rf {} +", Q, Q, D),
    ("rm -rf build", Q, A, A),
    ("rm -rf src/*", Q, A, A),
    ("find . -name __pycache__ -exec rm -rf {} +", Q, A, A),
    # what a developer runs every day
    ("ls -la", A, A, A),
    ("git status", A, A, A),
    ("git   status", A, A, A),
    ("git log --oneline -5", A, A, A),
    ("git diff HEAD~1 -- src", A, A, A),
    ("git diff --text", A, A, A),
    ("git branch -a", A, A, A),
    ("git rev-parse HEAD", A, A, A),
    ("rg foo src | head", A, A, A),
    ("grep -rn 'def main' src | head -20", A, A, A),
    ("grep -f patterns.txt -r src", A, A, A),
    ("cat app.py | wc -l", A, A, A),
    ("ls 2>&1 | head", A, A, A),
    ("ls >/dev/null 2>&1", A, A, A),
    ("sed -n 1,5p app.py", A, A, A),
    ("pytest -q tests/", A, A, A),
    ("pytest -q 2>&1 | tail -5", A, A, A),
    ("npm test", A, A, A),
    ("make", A, A, A),
    ("git stash pop", Q, A, A),
    ("make install", Q, A, A),
]


@pytest.mark.parametrize(("command", "ask", "yolo", "headless"), CASES)
def test_command_decisions_in_every_mode(repo, command, ask, yolo, headless):
    def decide(mode: str, is_headless: bool) -> Decision:
        return judge_command(
            command, allow=ALLOW, root=repo, mode=mode, headless=is_headless
        ).decision

    assert decide("ask", False) is ask
    assert decide("auto-edit", False) is ask
    assert decide("yolo", False) is yolo
    assert decide("yolo", True) is headless
    assert decide("ask", True) is (D if ask is Q else ask)


def test_the_table_covers_at_least_sixty_lines():
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    "command",
    ["ls $(rm -f notes.txt)", "sudo rm x", "bash -c 'rm x'", "pytest; rm -rf build",
     "echo `rm x`", "timeout 5 rm x", "FOO=1 rm x", "cat <<EOF\n$(rm x)\nEOF"],
)  # fmt: skip
def test_a_deny_match_anywhere_refuses_the_line_in_every_mode(repo, command):
    for mode in ("ask", "auto-edit", "yolo"):
        verdict = judge_command(command, allow=ALLOW, deny=("rm *",), root=repo, mode=mode)
        assert verdict.decision is D, (mode, verdict)
        assert any("denied by 'rm *'" in reason for reason in verdict.reasons)


def test_the_verdict_says_why_it_asks(repo):
    policy = PermissionPolicy(mode="ask", root=repo)
    verdict = policy.explain_command("cat .env > app.py; git reset --hard")
    assert verdict.decision is Q
    assert verdict.destructive and verdict.writes and verdict.understood
    assert "names a secrets file: .env" in verdict.reasons
    assert "writes app.py (>)" in verdict.reasons
    assert "git reset: --hard discards changes" in verdict.reasons
    unclear = policy.explain_command("ls $(pwd)")
    assert not unclear.understood and not unclear.destructive
    assert "not understood: command substitution" in unclear.reasons


def test_a_glob_matching_a_file_named_like_an_option_is_destructive(tmp_path):
    # A hostile repository ships a file named `-rf`: `rm *` becomes `rm -rf ...`.
    (tmp_path / "-rf").write_text("")
    (tmp_path / "keep").mkdir()
    verdict = judge_command("rm *", allow=ALLOW, root=tmp_path, mode="yolo", headless=True)
    assert verdict.decision is D and verdict.destructive
    assert "rm *: it matches -rf, which rm reads as options" in verdict.reasons


def test_the_policy_resolves_paths_against_its_root(repo, tmp_path):
    inside = PermissionPolicy(mode="yolo", root=repo)
    elsewhere = PermissionPolicy(mode="yolo", root=tmp_path)
    command = f"rm -rf {repo}/build"
    assert inside.for_command(command) is A
    assert elsewhere.for_command(command) is Q


def test_cd_into_a_folder_of_the_repository_keeps_rm_inside(repo):
    policy = PermissionPolicy(mode="yolo", root=repo, headless=True)
    assert policy.for_command("cd src && rm -rf build") is A
    assert policy.for_command("cd / && rm -rf build") is D
    assert policy.for_command("cd $DIR && rm -rf build") is D
    assert policy.for_command("export CDPATH=/; cd usr && rm -rf local") is D


def test_word_boundary_patterns_keep_default_commands_to_themselves():
    assert "ls" in DEFAULT_ALLOW and "ls *" in DEFAULT_ALLOW
    assert not any(p.endswith("*") and not p.endswith(" *") for p in DEFAULT_ALLOW)


def test_user_patterns_keep_fnmatch_semantics(repo):
    policy = PermissionPolicy(mode="ask", allow=("pytest*",), root=repo, headless=True)
    assert policy.for_command("pytest -q tests/") is A
    assert policy.for_command("pytest-watch") is A
    assert policy.for_command("pytest -q && curl example.org") is D
