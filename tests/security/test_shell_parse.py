"""The shell parser gives each simple command's argv as bash would see it, and finds them all."""

from __future__ import annotations

import pytest

from assistant.security.shell import Redirect, parse_command_line


def argvs(source: str) -> list[tuple[str, ...]]:
    """Return the argv of every simple command of `source`, in order."""
    return [c.argv for c in parse_command_line(source).commands]


@pytest.mark.parametrize(
    ("source", "argv"),
    [
        ("ls   -la", ("ls", "-la")),
        ("echo 'a b' \"c d\" e\\ f", ("echo", "a b", "c d", "e f")),
        ('echo "a\\"b" "c\\\\d" "\\$x" \'\\n\'', ("echo", 'a"b', "c\\d", "$x", "\\n")),
        ("g\\it 're'\"set\" --har'd'", ("git", "reset", "--hard")),
        ("$'\\x72m' $'a\\tb' $'\\101'", ("rm", "a\tb", "A")),
        ("ls \\\n  -l", ("ls", "-l")),
        ("git reset 2>/dev/null --hard", ("git", "reset", "--hard")),
        ('echo "multi\nline"', ("echo", "multi\nline")),
        ("git branch == x =~ y", ("git", "branch", "==", "x", "=~", "y")),
    ],
)
def test_argv_is_the_words_after_quote_removal(source, argv):
    line = parse_command_line(source)
    assert [c.argv for c in line.commands] == [argv]
    assert line.understood


def test_every_separator_splits_commands():
    source = "a 1; b 2 && c 3 || d 4 | e 5 & f 6\ng 7 |& h 8"
    assert argvs(source) == [(n, str(i)) for i, n in enumerate("abcdefgh", start=1)]


def test_redirections_carry_operator_target_and_descriptor():
    [command] = parse_command_line("cat a > out 2>&1 2>>err <in &>/dev/null").commands
    assert command.argv == ("cat", "a")
    assert command.redirects == (
        Redirect(">", "out"),
        Redirect(">&", "1", 2),
        Redirect(">>", "err", 2),
        Redirect("<", "in"),
        Redirect("&>", "/dev/null"),
    )


def test_a_redirection_after_a_pipeline_binds_to_its_last_command():
    first, second = parse_command_line("ls | rm -f x > out y").commands
    assert first.redirects == () and second.redirects == (Redirect(">", "out"),)
    assert second.argv == ("rm", "-f", "x", "y")


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("ls $(pwd)", "command substitution"),
        ("ls `pwd`", "command substitution"),
        ("diff <(ls) <(ls src)", "process substitution"),
        ("echo $HOME", "simple expansion"),
        ("echo ${HOME:-x}", "expansion"),
        ("echo $((1 + 2))", "arithmetic expansion"),
        ("cat <<EOF\nx\nEOF", "here-document"),
        ("(ls)", "subshell"),
        ("{ ls; }", "command group"),
        ("f() { ls; }", "function definition"),
        ("if true; then ls; fi", "control flow"),
        ("for f in *; do ls $f; done", "control flow"),
        ("X=1 ls", "variable assignment"),
        ("export X=1", "variable declaration"),
        ('ls "unterminated', "parse error"),
        ("ls &&", "parse error"),
        ("ls <> file", "parse error"),
        ("r\\\nm -rf x", "line continuation inside a word"),
        ("ls\x00rm", "control characters"),
    ],
)
def test_what_is_not_statically_known_is_a_problem(source, problem):
    line = parse_command_line(source)
    assert problem in line.problems
    assert not line.understood


def test_a_word_that_tree_sitter_splits_at_an_operator_is_kept_whole_and_not_understood():
    [command] = parse_command_line("uniq ==[!a] b").commands
    assert command.argv == ("uniq", "==[!a]", "b")
    assert command.dynamic == frozenset({1})


def test_brace_expansion_and_globs_differ():
    [brace] = parse_command_line("rm {a,b}").commands
    [glob] = parse_command_line("ls *.py").commands
    assert brace.dynamic == frozenset({1}) and glob.dynamic == frozenset()


@pytest.mark.parametrize(
    ("source", "inner"),
    [
        ("echo $(git reset --hard)", ("git", "reset", "--hard")),
        ("echo `echo \\`rm x\\``", ("rm", "x")),
        ("cat <<EOF\n$(rm x)\nEOF", ("rm", "x")),
        ('cat <<< "$(rm x)"', ("rm", "x")),
        ("echo ${x:-$(rm x)}", ("rm", "x")),
        ("bash -lc 'ls; rm x'", ("rm", "x")),
        ("sh -c \"sh -c 'rm x'\"", ("rm", "x")),
        ("sudo -u bob env X=1 timeout -s KILL 5 rm x", ("rm", "x")),
        ("nice -n 5 nohup rm x", ("rm", "x")),
        ("xargs -n 1 rm", ("rm",)),
        ("eval rm x", ("rm", "x")),
        ("env -S 'rm x'", ("rm", "x")),
        ("find src -exec rm {} ;", ("rm", "src/{}")),
        ("f() { rm x; }", ("rm", "x")),
        ("x=$(rm x)", ("rm", "x")),
        ("if ls; then rm x; fi", ("rm", "x")),
        ("uv run rm x", ("rm", "x")),
    ],
)
def test_commands_inside_are_extracted(source, inner):
    assert inner in argvs(source)


def test_a_wrapper_is_not_understood_but_command_v_is_plain():
    assert not parse_command_line("timeout 5 ls").understood
    assert parse_command_line("command -v ls").understood


def test_xargs_marks_the_command_it_runs_with_more_arguments():
    commands = parse_command_line("ls | xargs rm -f").commands
    assert [c.extra_args for c in commands] == [False, False, True]


def test_globs_bash_expands_are_recorded_with_their_quoted_parts_escaped():
    [command] = parse_command_line("""ls *.py '*' "a"* \\*x [ab]c x "q?"? ~/*.md""").commands
    assert command.argv == ("ls", "*.py", "*", "a*", "*x", "[ab]c", "x", "q??", "~/*.md")
    assert command.globs == ((1, "*.py"), (3, "a*"), (5, "[ab]c"), (7, "q\\??"), (8, "~/*.md"))


def test_a_wrapped_command_keeps_the_globs_of_its_words():
    commands = parse_command_line("sudo -u bob sort * && bash -c 'ls -- ?'").commands
    globs = {c.argv: c.globs for c in commands}
    assert globs[("sort", "*")] == ((1, "*"),)
    assert globs[("ls", "--", "?")] == ((2, "?"),)
    assert parse_command_line("ls $x*").commands[0].globs == ()


def test_an_ampersand_redirection_gives_the_words_after_it_to_the_command():
    # bash reads `&>` as a redirection: the command is `ls rm notes.txt`, writing to /dev/null.
    # /bin/sh (dash) would run `ls` in the background, then `rm notes.txt`. The policy follows
    # bash because assistant/tools/run_command.py runs lines with bash; if it ever goes back to
    # /bin/sh, this parse (and the policy built on it) is wrong.
    [command] = parse_command_line("ls &>/dev/null rm notes.txt").commands
    assert command.argv == ("ls", "rm", "notes.txt")
    assert command.redirects == (Redirect("&>", "/dev/null"),)
