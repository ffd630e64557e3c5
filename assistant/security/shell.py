"""Parse a shell command line, with tree-sitter-bash, into the simple commands bash would run.

Each `SimpleCommand` carries its argv after quote removal, its redirections, the words bash
expands against the disk (globs, as patterns with their quoted parts escaped), and why it is not
fully known when it is not (parameter expansion, command substitution, a wrapper such as `sudo`
whose real command is an argument). The `CommandLine` lists every simple command, including
the ones inside substitutions, here-documents, function bodies, `bash -c` strings and wrapped
commands, so that a policy can look for a destructive one anywhere; and the constructs that make
the line not statically knowable (`problems`). A parse error makes a line not understood.

Where tree-sitter and bash disagree, bash wins: words that tree-sitter hangs on a redirection
(`ls >out -l`) go back to the command, redirections bind to the last simple command of a
pipeline or list, backtick substitutions are re-parsed after bash's backslash rules, and a
backslash-newline inside a word (which bash joins) makes the line not understood.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from functools import cache

import tree_sitter
import tree_sitter_bash

from assistant.security.globs import escape, has_pattern
from assistant.security.shell_words import ansi_c, unquote_double, unquote_word
from assistant.security.wrappers import Inner, inner_commands

MAX_DEPTH = 6  # nested `bash -c`, eval and wrappers beyond this are not looked into
TOO_DEEP = "nested too deep"  # the problem of a line whose commands were not all looked into

# Node types that take nothing away from knowing what runs; any other one is a problem.
_PLAIN = frozenset({"program", "list", "pipeline", "command", "redirected_statement", "comment",
                    "negated_command", "file_redirect", "herestring_redirect"})  # fmt: skip
# Parts of words: under a construct that is already a problem, they add nothing to say.
_QUIET = frozenset({"word", "number", "string", "raw_string", "string_content", "ansi_c_string",
                    "concatenation", "command_name", "variable_name", "special_variable_name",
                    "file_descriptor", "heredoc_start", "heredoc_body", "heredoc_content",
                    "heredoc_end", "test_operator", "do_group", "elif_clause", "else_clause",
                    "case_item"})  # fmt: skip
_DESCRIBED = {
    "subshell": "subshell",
    "compound_statement": "command group",
    "function_definition": "function definition",
    "if_statement": "control flow",
    "while_statement": "control flow",
    "for_statement": "control flow",
    "c_style_for_statement": "control flow",
    "case_statement": "control flow",
    "test_command": "test expression",
    "declaration_command": "variable declaration",
    "unset_command": "unset",
    "variable_assignment": "variable assignment",
    "variable_assignments": "variable assignment",
    "heredoc_redirect": "here-document",
}
_SEPARATOR_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_JOINED_LINE = re.compile(r"(?<=\S)\\\r?\n(?=\S)")
_BRACES = re.compile(r"\{[^{}\s]*(,|\.\.)[^{}\s]*\}")


@dataclass(frozen=True)
class Redirect:
    """One redirection: `op` as written (`>`, `2>&1` has op `>&`), its target and fd."""

    op: str
    target: str = ""
    fd: int | None = None
    dynamic: bool = False  # the target is not statically known


@dataclass(frozen=True)
class SimpleCommand:
    """A simple command as bash would run it."""

    argv: tuple[str, ...]
    redirects: tuple[Redirect, ...] = ()
    dynamic: frozenset[int] = frozenset()  # argv positions not statically known
    # argv positions bash expands against the disk, with the pattern it matches (quoted parts
    # escaped by a backslash): `ls "a b"*` has ((1, "a b*"),)
    globs: tuple[tuple[int, str], ...] = ()
    unknown: tuple[str, ...] = ()  # why this command is not fully known
    nested: bool = False  # inside a substitution, wrapper, function or `bash -c` string
    extra_args: bool = False  # more arguments come at run time (`xargs CMD`)

    @property
    def name(self) -> str:
        """Return the program name without its folder (`/bin/rm` -> `rm`)."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    @property
    def text(self) -> str:
        """Return the argv joined by spaces, the form allow and deny patterns match."""
        return " ".join(self.argv)


@dataclass(frozen=True)
class CommandLine:
    """Every simple command of a command line, and what keeps it from being known statically."""

    source: str
    commands: tuple[SimpleCommand, ...]
    problems: tuple[str, ...] = ()

    @property
    def understood(self) -> bool:
        """Return whether what runs is statically known: no problem, no unknown command."""
        return not self.problems and not any(c.unknown for c in self.commands)


def parse_command_line(source: str) -> CommandLine:
    """Parse `source` into its simple commands; see the module docstring."""
    walker = _Walker(depth=0, nested=False)
    try:
        walker.script(source)
    except RecursionError:
        walker.problems.append(TOO_DEEP)
    problems = tuple(dict.fromkeys(walker.problems))
    return CommandLine(source, tuple(walker.commands), problems)


@cache
def _language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_bash.language())


_local = threading.local()
# tree-sitter-bash 0.25 can crash on `{` then a character beyond the BMP (its issue #337): the
# parser sees such a character as `____` (same byte length, so spans index the real text; both
# are word characters to bash, and `$😀` reads as a variable: more cautious, never less).
_FOUR_BYTE_CHAR = re.compile(rb"[\xf0-\xf7][\x80-\xbf]{3}")


def _parse(source: str) -> tuple[tree_sitter.Tree, bytes]:
    # A Parser is not safe to share between threads; one per thread, made once.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(_language())
    data = source.encode("utf-8", "surrogatepass")
    return parser.parse(_FOUR_BYTE_CHAR.sub(b"____", data)), data


@dataclass
class _Value:
    text: str
    dynamic: bool = False
    pattern: str | None = None  # the glob bash expands this word as, if it does


@dataclass
class _Walker:
    depth: int
    nested: bool
    commands: list[SimpleCommand] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    data: bytes = b""
    pending: dict[int, list[tree_sitter.Node]] = field(default_factory=dict)

    def script(self, source: str) -> None:
        """Walk a whole script (a command line, a `bash -c` string, a substitution)."""
        if _SEPARATOR_CHARS.search(source):
            self.problems.append("control characters")
        if _JOINED_LINE.search(source):
            # bash joins `r\<newline>m` into `rm`; tree-sitter does not: look at both readings.
            self.problems.append("line continuation inside a word")
            self.sub(re.sub(r"\\\r?\n", "", source), nested=self.nested)
        tree, data = _parse(source)
        saved, self.data = self.data, data
        if tree.root_node.has_error:
            self.problems.append("parse error")
        self.visit(tree.root_node)
        self.data = saved

    def sub(self, source: str, *, nested: bool = True) -> None:
        """Walk `source` as its own script (backticks, `bash -c`, eval) one level deeper."""
        if self.depth >= MAX_DEPTH:
            self.problems.append(TOO_DEEP)
            return
        inner = _Walker(depth=self.depth + 1, nested=nested)
        inner.script(source)
        self.commands.extend(inner.commands)
        self.problems.extend(inner.problems)

    def text(self, node: tree_sitter.Node) -> str:
        """Return the source text of `node`."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")

    def visit(self, node: tree_sitter.Node) -> None:
        """Collect the commands under `node` and the problems it has."""
        kind = node.type
        if node.is_error or node.is_missing:
            self.problems.append("parse error")
        elif kind in _DESCRIBED:
            self.problems.append(_DESCRIBED[kind])
        elif node.is_named and kind not in _PLAIN and kind not in _QUIET:
            self.problems.append(kind.replace("_", " "))
        if kind == "command":
            self.command(node)
        elif kind == "redirected_statement":
            self.redirected(node)
        elif kind in ("command_substitution", "process_substitution"):
            self.substitution(node)
        elif kind not in ("comment", "heredoc_start", "heredoc_end", "heredoc_content"):
            for child in node.named_children:
                self.visit(child)

    def substitution(self, node: tree_sitter.Node) -> None:
        """Walk the commands of `$(...)`, `` `...` ``, `<(...)`; they run, nested."""
        raw = self.text(node)
        if raw.startswith("`"):
            # Inside backticks bash drops the backslash before $, ` and \ and parses again.
            self.sub(re.sub(r"\\([$`\\])", r"\1", raw[1:-1] if raw.endswith("`") else raw[1:]))
            return
        saved, self.nested = self.nested, True
        for child in node.named_children:
            self.visit(child)
        self.nested = saved

    def redirected(self, node: tree_sitter.Node) -> None:
        """Walk `body > target`: the redirections bind to the last simple command of the body."""
        body = node.child_by_field_name("body")
        redirects = [c for c in node.named_children if c.type.endswith("_redirect")]
        target = body
        while target is not None and target.type in ("pipeline", "list", "negated_command"):
            named = [c for c in target.named_children if c.type != "comment"]
            target = named[-1] if named else None
        while target is not None and target.type == "redirected_statement":
            target = target.child_by_field_name("body")
        if target is not None and target.type == "command":
            self.pending.setdefault(target.id, []).extend(redirects)
            if body is not None:
                self.visit(body)
            return
        start = len(self.commands)
        if body is not None:
            self.visit(body)
        words: list[_Value] = []
        found = [r for each in redirects for r in self.redirect(each, words)]
        for each in redirects:
            self.visit_problems(each)
        if words:
            self.problems.append("words after a compound command's redirection")
        if len(self.commands) == start:  # `> file` alone truncates the file
            self.commands.append(SimpleCommand((), nested=self.nested))
        for index in range(start, len(self.commands)):
            cmd = self.commands[index]
            self.commands[index] = replace(cmd, redirects=cmd.redirects + tuple(found))

    def command(self, node: tree_sitter.Node) -> None:
        """Turn a `command` node into a SimpleCommand, then look into what it runs."""
        words: list[_Value] = []
        redirects: list[Redirect] = []
        last_end = -1
        for child in node.children:
            if child.type.endswith("_redirect"):
                redirects.extend(self.redirect(child, words))
                self.visit_problems(child)
                continue
            if child.type in ("variable_assignment", "comment"):
                self.visit(child)
                continue
            if child.is_named:
                value = self.word(
                    child.named_children[0] if child.type == "command_name" else child
                )
            elif child.type == "$":  # `$"x"`, a translated string, comes as `$` then "x"
                value = _Value("$", True)
            else:  # `==` and `=~`, operators of `[[ ]]`, are plain words to a command
                value = _Value(self.text(child))
            if child.start_byte == last_end and words:
                words[-1] = _Value(words[-1].text + value.text, True)
            else:
                words.append(value)
            last_end = child.end_byte
        for pending in self.pending.pop(node.id, []):
            redirects.extend(self.redirect(pending, words))
            self.visit_problems(pending)
        self.add(words, redirects)

    def visit_problems(self, redirect: tree_sitter.Node) -> None:
        """Note what a redirection node adds: a here-document, commands written after it."""
        if redirect.type == "heredoc_redirect":
            self.problems.append("here-document")
            for child in redirect.named_children:
                if not child.type.endswith("_redirect"):
                    self.visit(child)

    def add(self, words: list[_Value], redirects: list[Redirect]) -> None:
        """Record one simple command and the commands it runs through its arguments."""
        if not words:
            if redirects:
                self.commands.append(SimpleCommand((), tuple(redirects), nested=self.nested))
            return
        dynamic = frozenset(i for i, w in enumerate(words) if w.dynamic)
        argv = tuple(w.text for w in words)
        globs = tuple(
            (i, w.pattern) for i, w in enumerate(words) if w.pattern is not None and not w.dynamic
        )
        inners = inner_commands(argv, dynamic)
        reasons = [*(["expansion"] if dynamic else []), *(i.reason for i in inners)]
        unknown = tuple(dict.fromkeys(reasons))
        command = SimpleCommand(argv, tuple(redirects), dynamic, globs, unknown, self.nested)
        self.commands.append(command)
        if inners and self.depth >= MAX_DEPTH:
            self.problems.append(TOO_DEEP)
            return
        for inner in inners:
            self.inner(command, inner)

    def inner(self, outer: SimpleCommand, inner: Inner) -> None:
        """Walk one command run by `outer` (a wrapper, `bash -c`, find -exec), one level deeper."""
        if inner.script is not None:
            if inner.script_dynamic:
                self.problems.append("command string not statically known")
            self.sub(inner.script)
            return
        if not inner.argv:
            return
        walker = _Walker(depth=self.depth + 1, nested=True)
        # The outer command's words were expanded before it ran the inner one: an unchanged
        # word keeps its glob (find -exec changes `{}` into `START/{}`).
        patterns = dict(outer.globs)
        walker.add(
            [
                _Value(w, (inner.start + i) in outer.dynamic, _kept(patterns, outer, inner, i))
                for i, w in enumerate(inner.argv)
            ],
            [],
        )
        for command in walker.commands:
            self.commands.append(
                replace(command, extra_args=command.extra_args or inner.extra_args)
            )
        self.problems.extend(walker.problems)

    def redirect(self, node: tree_sitter.Node, words: list[_Value]) -> list[Redirect]:
        """Return the redirections of `node`; words bash would give the command go to `words`."""
        if node.type == "heredoc_redirect":
            return [
                r for c in node.named_children if c.type.endswith("_redirect")
                for r in self.redirect(c, words)
            ] + [Redirect("<<")]  # fmt: skip
        fd_node = node.child_by_field_name("descriptor")
        fd_text = self.text(fd_node) if fd_node is not None else ""
        fd = int(fd_text) if fd_text.isdigit() else None
        op = next((c.type for c in node.children if not c.is_named), "")
        targets = [
            c for c in node.children_by_field_name("destination")
            if c.type != "file_descriptor"
        ]  # fmt: skip
        if node.type == "herestring_redirect":
            op, targets = "<<<", list(node.named_children)
        if not targets:
            return [Redirect(op, "", fd)]
        value = self.word(targets[0])
        words.extend(self.word(extra) for extra in targets[1:])
        return [Redirect(op, value.text, fd, value.dynamic)]

    def word(self, node: tree_sitter.Node) -> _Value:
        """Return the value of a word after quote removal, or its text marked dynamic."""
        kind, raw = node.type, self.text(node)
        if kind == "word":
            # `~+` and `~-` are $PWD and $OLDPWD; braces expand into several words.
            dynamic = bool(_BRACES.search(raw)) or raw.startswith(("~+", "~-"))
            pattern = raw if has_pattern(raw) else None
            return _Value(unquote_word(raw), dynamic, pattern)
        if kind == "number":
            return _Value(raw)
        if kind == "raw_string":
            return _Value(raw[1:-1])
        if kind == "ansi_c_string":
            return _Value(ansi_c(raw[2:-1]))
        if kind == "string":
            plain = all(c.type == "string_content" for c in node.named_children)
            for child in node.named_children:
                if child.type != "string_content":
                    self.visit(child)
            # Dynamic or not, the text without its quotes: a `sh -c "rm -rf $HOME"` string is
            # parsed again as the inner shell will, with its expansions still unknown.
            return _Value(unquote_double(raw[1:-1]), not plain)
        if kind == "concatenation":
            parts = [self.word(child) for child in node.named_children]
            text = "".join(p.text for p in parts)
            unquoted = "".join(self.text(c) for c in node.named_children if c.type == "word")
            dynamic = any(p.dynamic for p in parts) or bool(_BRACES.search(unquoted))
            globbed = any(p.pattern is not None for p in parts)
            pattern = "".join(escape(p.text) if p.pattern is None else p.pattern for p in parts)
            return _Value(text, dynamic, pattern if globbed else None)
        self.visit(node)  # expansions, substitutions, brace expressions: commands inside run
        return _Value(raw, True)


def _kept(patterns: dict[int, str], outer: SimpleCommand, inner: Inner, index: int) -> str | None:
    """Return the glob of the inner command's word `index` when it is the outer word unchanged."""
    position = inner.start + index
    if position < len(outer.argv) and outer.argv[position] == inner.argv[index]:
        return patterns.get(position)
    return None
