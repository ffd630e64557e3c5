"""Turn the core's file changes into a WorkspaceEdit the editor applies (and can undo)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from assistant.editor.actions import FileChange

Units = Callable[[str], int]  # the length of a string in the client's position units


def workspace_edit(
    changes: Sequence[FileChange],
    root: Path,
    versions: Mapping[str, int],
    units: Units,
    *,
    document_changes: bool = True,
) -> types.WorkspaceEdit:
    """Return the edit for `changes`; open documents carry the version the action saw."""
    if not document_changes:
        return types.WorkspaceEdit(
            changes={
                _uri(root, c.path): text_edits(c.before or "", c.after, units) for c in changes
            }
        )
    operations: list[types.TextDocumentEdit | types.CreateFile] = []
    for change in changes:
        uri = _uri(root, change.path)
        if change.before is None:
            operations.append(
                types.CreateFile(
                    uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True)
                )
            )
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri, versions.get(uri))
        edits = text_edits(change.before or "", change.after, units)
        operations.append(types.TextDocumentEdit(identifier, list(edits)))
    return types.WorkspaceEdit(document_changes=operations)


def text_edits(before: str, after: str, units: Units) -> list[types.TextEdit]:
    """Return line-level edits that turn `before` into `after` (small edits keep marks)."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = _position(old, i1, units), _position(old, i2, units)
        edits.append(types.TextEdit(types.Range(start, end), "".join(new[j1:j2])))
    return edits


def _position(lines: Sequence[str], index: int, units: Units) -> types.Position:
    """Return the position of the start of line `index` (or the end of the text)."""
    if index < len(lines):
        return types.Position(index, 0)
    if not lines or lines[-1].endswith(("\n", "\r")):
        return types.Position(len(lines), 0)
    return types.Position(len(lines) - 1, units(lines[-1]))


def _uri(root: Path, path: str) -> str:
    return from_fs_path(str(root / path)) or f"file://{root / path}"
