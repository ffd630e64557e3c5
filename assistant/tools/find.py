"""list_directory, glob and grep_search: finding files and text, under Qwen Code's names and
arguments, over the files git sees (ignored files and folders of vendored code left out).

Paths may be absolute or relative to the repository; answers name files relative to it.
grep_search reads only the files the index would (no secrets files, nothing binary or too
large), matches case-insensitively as Qwen Code's does, and runs the model's pattern with a
time-out per file (the `regex` module), so a pathological pattern costs seconds, not the session.
"""

from __future__ import annotations

import asyncio
import bisect
import fnmatch
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import regex

from assistant.tools.base import ToolContext, ToolError, ToolOutput, ToolSpec, optional_int
from assistant.workspace import list_files, relative_posix, resolve_repo_path

MAX_ENTRIES = 100  # list_directory and glob, as Qwen Code caps them
MAX_GREP_LINES = 1_000
GREP_CHARS = 25_000
GREP_LINE_CHARS = 500
PATTERN_SECONDS = 1.0  # per file
# Files git sees that the index leaves out yet a listing should show.
LISTED_SKIPS = ("generated", "data", "too large")


def repository_files(ctx: ToolContext, *, searchable: bool = False) -> list[str]:
    """Return the repository's files as git sees them (relative POSIX paths); `searchable`:
    only those whose text may be searched (what the index reads)."""
    listing = list_files(ctx.root, ctx.settings.max_file_bytes, sniff=searchable)
    if searchable:
        return sorted(listing.files)
    extra = [path for reason in LISTED_SKIPS for path in listing.skipped.get(reason, [])]
    return sorted({*listing.files, *extra})


def folder_arg(ctx: ToolContext, value: object, *, files_too: bool = False) -> str:
    """Return the folder (or file, with `files_too`) a search is limited to, relative to the
    repository root ("" for all of it)."""
    if value in (None, "", "."):
        return ""
    if not isinstance(value, str):
        raise ToolError("argument 'path' must be a string")
    path = resolve_repo_path(ctx.root, value)
    if not path.exists():
        raise ToolError(f"Path does not exist: {value}")
    if not path.is_dir() and not files_too:
        raise ToolError(f"Path is not a directory: {value}")
    rel = relative_posix(ctx.root, path)
    return "" if rel == "." else rel


def _inside(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


class ListDirectory:
    """List what a folder of the repository holds, folders first."""

    spec = ToolSpec(
        name="list_directory",
        description=(
            "Lists the names of files and subdirectories directly within a specified "
            "directory path. Can optionally ignore entries matching provided glob patterns."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "The directory to list (absolute, or relative to the "
                    "repository root)",
                },
                "ignore": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "List of glob patterns to ignore",
                },
            },
            "required": ["path"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Return the folder's entries, `[DIR] ` before folders."""
        folder = folder_arg(ctx, args.get("path"))
        ignore = args.get("ignore") or []
        if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
            raise ToolError("argument 'ignore' must be a list of glob patterns")
        files = await asyncio.to_thread(repository_files, ctx)
        prefix = f"{folder}/" if folder else ""
        dirs: set[str] = set()
        names: set[str] = set()
        for path in files:
            if not path.startswith(prefix):
                continue
            head, sep, _ = path[len(prefix) :].partition("/")
            (dirs if sep else names).add(head)
        entries = [f"[DIR] {d}" for d in sorted(dirs)] + sorted(names - dirs)
        entries = [
            e
            for e in entries
            if not any(fnmatch.fnmatch(e.removeprefix("[DIR] "), p) for p in ignore)
        ]
        where = folder or "."
        if not entries:
            return ToolOutput(f"Directory {where} is empty.")
        shown = entries[:MAX_ENTRIES]
        more = (
            f"\n---\n[{len(entries) - len(shown)} items truncated] ..."
            if len(entries) > len(shown)
            else ""
        )
        return ToolOutput(
            f"Listed {len(entries)} item(s) in {where}:\n---\n" + "\n".join(shown) + more
        )


class Glob:
    """Find files by a glob pattern, the most recently changed first."""

    spec = ToolSpec(
        name="glob",
        description=(
            'Fast file pattern matching: finds files by glob patterns like "**/*.js" or '
            '"src/**/*.ts" and returns their paths, files changed in the last 24 hours '
            "first (newest first), then the rest in alphabetical order."
        ),
        parameters={
            "type": "object",
            "properties": {
                "pattern": {
                    "type": "string",
                    "description": "The glob pattern to match files against",
                },
                "path": {
                    "type": "string",
                    "description": "The directory to search in (default: the repository root).",
                },
            },
            "required": ["pattern"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Return the files matching the pattern under the folder."""
        pattern = args.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise ToolError("The 'pattern' parameter cannot be empty.")
        folder = folder_arg(ctx, args.get("path"))
        matched = await asyncio.to_thread(_glob, ctx, pattern, folder)
        where = f"within {folder}" if folder else "in the repository"
        if not matched:
            return ToolOutput(f'No files found matching pattern "{pattern}" {where}')
        shown = matched[:MAX_ENTRIES]
        more = (
            f"\n---\n[{len(matched) - len(shown)} files truncated] ..."
            if len(matched) > len(shown)
            else ""
        )
        head = (
            f'Found {len(matched)} file(s) matching "{pattern}" {where}, '
            "sorted by modification time (newest first):"
        )
        return ToolOutput(f"{head}\n---\n" + "\n".join(shown) + more)


def _glob(ctx: ToolContext, pattern: str, folder: str) -> list[str]:
    prefix = f"{folder}/" if folder else ""
    wanted = pattern.lower().removeprefix("./")
    hits = []
    for path in repository_files(ctx):
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :].lower()
        if (
            fnmatch.fnmatch(rel, wanted)
            or fnmatch.fnmatch(rel, f"**/{wanted}")
            or (wanted.startswith("**/") and fnmatch.fnmatch(rel, wanted[3:]))
        ):
            hits.append(path)
    return _recent_first(ctx.root, hits)


def _recent_first(root: Path, paths: list[str]) -> list[str]:
    """Order paths as Qwen Code's glob does: changed in the last day (newest first), then A-Z."""
    day_ago = time.time() - 86_400
    stamped = []
    for path in paths:
        try:
            stamped.append((os.stat(root / path).st_mtime, path))
        except OSError:
            stamped.append((0.0, path))
    recent = sorted((p for p in stamped if p[0] >= day_ago), key=lambda p: -p[0])
    return [p for _, p in recent] + sorted(p for m, p in stamped if m < day_ago)


class GrepSearch:
    """Search the repository's files for a regular expression."""

    spec = ToolSpec(
        name="grep_search",
        description=(
            "Searches file contents for a regular expression (case-insensitive) and returns "
            "the matching lines as path:line:text. Filter files with `glob`; limit the search "
            "to a folder or file with `path`. For a question about code rather than a text, "
            "search_code ranks whole files and symbols."
        ),
        parameters={
            "type": "object",
            "properties": {
                "pattern": {
                    "type": "string",
                    "description": "The regular expression pattern to search for in file contents",
                },
                "glob": {
                    "type": "string",
                    "description": 'Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}")',
                },
                "path": {
                    "type": "string",
                    "description": "File or directory to search in (default: the repository).",
                },
                "limit": {"type": "number", "description": "Limit output to first N lines."},
            },
            "required": ["pattern"],
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Return the matching lines, path:line:text, at most `limit` (1,000) of them."""
        pattern = args.get("pattern") or args.get("query")
        if not isinstance(pattern, str) or not pattern:
            raise ToolError("The 'pattern' parameter cannot be empty.")
        try:
            compiled = regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)
        except regex.error as error:
            raise ToolError(
                f"Invalid regular expression pattern: {pattern}. Error: {error}"
            ) from None
        file_glob = args.get("glob") or args.get("include")
        if file_glob is not None and not isinstance(file_glob, str):
            raise ToolError("argument 'glob' must be a string")
        folder = folder_arg(ctx, args.get("path"), files_too=True)
        limit = min(optional_int(args, "limit", MAX_GREP_LINES) or MAX_GREP_LINES, MAX_GREP_LINES)
        lines, total, slow = await asyncio.to_thread(_grep, ctx, compiled, file_glob, folder, limit)
        where = f'in path "{folder}"' if folder else "in the repository"
        filtered = f' (filter: "{file_glob}")' if file_glob else ""
        note = (
            f"\n[the pattern took too long on {', '.join(slow[:5])}: not searched]" if slow else ""
        )
        if not lines:
            return ToolOutput(f'No matches found for pattern "{pattern}" {where}{filtered}.{note}')
        more = f"\n---\n[{total - len(lines)} lines truncated] ..." if total > len(lines) else ""
        head = f'Found {total} match(es) for pattern "{pattern}" {where}{filtered}:'
        return ToolOutput(f"{head}\n---\n" + "\n".join(lines) + more + note)


def _grep(
    ctx: ToolContext, compiled: Any, file_glob: str | None, folder: str, limit: int
) -> tuple[list[str], int, list[str]]:
    """Return (lines shown, matches in all, files the pattern timed out on)."""
    globs = _expand_braces(file_glob) if file_glob else []
    lines: list[str] = []
    total, size, slow = 0, 0, []
    for path in repository_files(ctx, searchable=True):
        if not _inside(path, folder):
            continue
        name = path.rsplit("/", 1)[-1]
        if globs and not any(fnmatch.fnmatch(name, g) or fnmatch.fnmatch(path, g) for g in globs):
            continue
        try:
            text = (ctx.root / path).read_text("utf-8", errors="replace")
        except OSError:
            continue
        try:
            for number, line in _matching_lines(compiled, text):
                total += 1
                entry = f"{path}:{number}:{line[:GREP_LINE_CHARS]}"
                if len(lines) < limit and size + len(entry) <= GREP_CHARS:
                    lines.append(entry)
                    size += len(entry) + 1
        except TimeoutError:
            slow.append(path)
    return lines, total, slow


def _matching_lines(compiled: Any, text: str) -> list[tuple[int, str]]:
    """Return (line number, line) of every line the pattern matches, within PATTERN_SECONDS."""
    found: list[tuple[int, str]] = []
    starts: list[int] | None = None
    for match in compiled.finditer(text, timeout=PATTERN_SECONDS):
        if starts is None:
            starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        number = _line_of(starts, match.start())
        if found and found[-1][0] == number:
            continue
        end = text.find("\n", starts[number - 1])
        found.append((number, text[starts[number - 1] : end if end >= 0 else len(text)]))
    return found


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def _expand_braces(pattern: str) -> list[str]:
    """Return `*.{ts,tsx}` as ["*.ts", "*.tsx"] (one level of braces, as globs are written)."""
    open_at, close_at = pattern.find("{"), pattern.find("}")
    if open_at < 0 or close_at < open_at:
        return [pattern]
    head, body, tail = pattern[:open_at], pattern[open_at + 1 : close_at], pattern[close_at + 1 :]
    return [g for part in body.split(",") for g in _expand_braces(head + part + tail)]
