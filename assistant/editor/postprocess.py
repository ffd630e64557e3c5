"""Clean up a raw fill-in-the-middle answer before an editor shows it.

The model keeps writing past what the user wants: into the next function, over the code that
already follows the cursor, past a bracket it never opened. Each rule here trims one of those;
`postprocess` applies them in order. Whether to offer one line or a block depends on where the
cursor is (`wants_multiline`).
"""

from __future__ import annotations

import tree_sitter

from assistant.index.languages import grammar, language_for

# Text after the cursor that still leaves room for a block: nothing, or only closers.
_CLOSERS_AND_SPACE = " \t)]}>;,\"'`"
# A line ending in one of these opens a block: the next lines belong to the suggestion.
_BLOCK_OPENERS = (":", "{", "=>", " do", " then", "->")
_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = {v: k for k, v in _PAIRS.items()}
_QUOTES = "\"'`"
_PREFIX_SCAN_CHARS = 4_000
# Node types that hold a sequence of statements, across the bundled grammars.
_BLOCK_TYPES = frozenset({
    "block", "statement_block", "compound_statement", "declaration_list", "class_body",
    "field_declaration_list", "enum_body", "interface_body", "body_statement", "do_block",
    "switch_body", "object", "array", "dictionary", "list", "argument_list", "arguments",
    "parameters", "formal_parameters", "template_body",
})  # fmt: skip


def wants_multiline(prefix: str, suffix: str) -> bool:
    """Return whether the cursor is where a block (not just the rest of a line) belongs."""
    line_after = suffix.split("\n", 1)[0]
    if line_after.strip(_CLOSERS_AND_SPACE):
        return False  # real code follows on this line: complete the line only
    line_before = prefix.rsplit("\n", 1)[-1].rstrip()
    return not line_before.strip() or line_before.endswith(_BLOCK_OPENERS)


def postprocess(prefix: str, suffix: str, text: str, *, path: str, multiline: bool) -> str:
    """Return the part of `text` worth inserting at the cursor (possibly empty)."""
    text = text.replace("\r\n", "\n")
    if not multiline:
        text = text.split("\n", 1)[0]
        if not prefix.rsplit("\n", 1)[-1].strip():
            text = text.rstrip()
    else:
        text = stop_at_block_end(prefix, text, suffix, path)
    text = drop_suffix_repeat(text, suffix)
    text = balance_brackets(prefix, text, suffix)
    return text.rstrip() if multiline or "\n" in text else text.rstrip(" \t")


def stop_at_block_end(prefix: str, text: str, suffix: str, path: str) -> str:
    """Cut `text` where the block holding the cursor ends (tree-sitter; indentation otherwise)."""
    text = stop_at_dedent(prefix, text)
    spec = language_for(path)
    if spec is None or not text.strip():
        return text
    language, _ = grammar(spec.name)
    head = prefix.encode("utf-8")
    body = text.encode("utf-8")
    tree = tree_sitter.Parser(language).parse(head + body + suffix.encode("utf-8"))
    start = len(head)
    first = start + len(body) - len(body.lstrip())
    node = tree.root_node.descendant_for_byte_range(first, first)
    container = _enclosing_unit(node, first)
    if container is None or container.end_byte >= start + len(body):
        return text
    kept = body[: max(0, container.end_byte - start)].decode("utf-8", errors="ignore")
    return kept.rstrip()


def stop_at_dedent(prefix: str, text: str) -> str:
    """Cut `text` before the first line indented less than the cursor's line."""
    line_before = prefix.rsplit("\n", 1)[-1]
    base = len(line_before) - len(line_before.lstrip())
    lines = text.split("\n")
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() and len(line) - len(line.lstrip()) < base:
            return "\n".join(lines[:number]).rstrip()
    return text


def drop_suffix_repeat(text: str, suffix: str) -> str:
    """Drop the end of `text` that repeats what already follows the cursor."""
    following = next((line.strip() for line in suffix.split("\n") if line.strip()), "")
    lines = text.split("\n")
    if following and len(lines) > 1:
        for number, line in enumerate(lines[1:], start=1):
            if line.strip() == following:
                text = "\n".join(lines[:number]).rstrip()
                break
    rest_of_line = suffix.split("\n", 1)[0].rstrip()
    if rest_of_line and "\n" not in text:
        for size in range(len(rest_of_line), 0, -1):
            if text.endswith(rest_of_line[:size]) and rest_of_line[:size].strip():
                return text[:-size]
    return text


def balance_brackets(prefix: str, text: str, suffix: str) -> str:
    """Cut `text` at a closer that matches nothing; close what a one-line answer left open."""
    open_before = _unclosed(prefix[-_PREFIX_SCAN_CHARS:])
    stack: list[str] = []
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote and (index == 0 or text[index - 1] != "\\"):
                quote = ""
            continue
        if char in _QUOTES:
            quote = char
        elif char in _OPENERS:
            stack.append(char)
        elif char in _PAIRS:
            if stack and stack[-1] == _PAIRS[char]:
                stack.pop()
            elif not stack and open_before and open_before[-1] == _PAIRS[char]:
                open_before.pop()
            else:
                return text[:index].rstrip()
    rest_of_line = suffix.split("\n", 1)[0]
    if stack and "\n" not in text and not rest_of_line.strip():
        return text + "".join(_OPENERS[c] for c in reversed(stack))
    return text


def _unclosed(code: str) -> list[str]:
    """Return the openers still open at the end of `code` (quotes on one line skipped)."""
    stack: list[str] = []
    quote = ""
    for index, char in enumerate(code):
        if char == "\n":
            quote = ""
        elif quote:
            if char == quote and code[index - 1] != "\\":
                quote = ""
        elif char in _QUOTES:
            quote = char
        elif char in _OPENERS:
            stack.append(char)
        elif char in _PAIRS and stack and stack[-1] == _PAIRS[char]:
            stack.pop()
    return stack


def _enclosing_unit(node: tree_sitter.Node | None, first: int) -> tree_sitter.Node | None:
    """Return the block holding the cursor, or the top-level statement it starts."""
    child = node
    while node is not None:
        started_before = node.start_byte < first or (
            node.parent is not None and node.parent.start_byte < first
        )
        if node.type in _BLOCK_TYPES and started_before:
            return node
        child, node = node, node.parent
    if child is not None and child.parent is None:  # reached the root: use its child
        for top in child.children:
            if top.start_byte <= first < top.end_byte:
                return top
    return None
