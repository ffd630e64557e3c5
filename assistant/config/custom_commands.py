"""Custom slash commands: Markdown prompt templates the user (or a trusted project) keeps.

The user's commands are the `*.md` files in their commands folder (the assistant's config
folder's `commands/`, or the `commands_dir` setting); a project's are `.assistant/commands/*.md`
in the repository, read only when the user trusted the folder (`assistant trust`): a
repository is data, and a hostile one must not add commands. A file's stem is the command's
name (`sub/name.md` is `sub:name`, as in Claude Code); optional YAML front matter gives the
description. Built-in names always win, then the user's commands, then the project's.
Templates are read fresh on every use; an oversized or non-UTF-8 file, or a link that leads
out of its folder, is skipped with a notice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.config.trust import PROJECT_COMMANDS
from assistant.errors import ConfigError

Scope = Literal["user", "project"]

MAX_TEMPLATE_BYTES = 64 * 1024
MAX_DESCRIPTION = 60
ARGUMENTS = "$ARGUMENTS"
_NAME_PART = re.compile(r"[a-z0-9_-]+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)


@dataclass(frozen=True)
class CustomCommand:
    """One template command: its name, what it does, where it lives and whose it is."""

    name: str
    description: str
    path: Path
    scope: Scope


@dataclass(frozen=True)
class CommandSet:
    """The custom commands found, the lines the user should know, and whether a project's
    commands were left out because the folder is not trusted."""

    commands: tuple[CustomCommand, ...] = ()
    notices: tuple[str, ...] = ()
    untrusted_project: bool = False

    def get(self, name: str) -> CustomCommand | None:
        """Return the command called `name`, or None."""
        return next((c for c in self.commands if c.name == name), None)


def untrusted_notice(root: Path) -> str:
    """Return the line saying that the project's commands are ignored until it is trusted."""
    return (
        f"ignored the project's commands in {Path(root) / PROJECT_COMMANDS}: the folder is "
        "not trusted (`assistant trust` lets this repository add commands)"
    )


def discover_commands(
    root: Path, trusted: bool, user_folder: Path, reserved: Collection[str] = ()
) -> CommandSet:
    """Return the user's commands (from `user_folder`), then the trusted project's, minus
    `reserved` names."""
    found: dict[str, CustomCommand] = {}
    notices: list[str] = []
    sources: list[tuple[Path, Scope]] = [(user_folder, "user")]
    project = Path(root) / PROJECT_COMMANDS
    untrusted = not trusted and any(_template_files(project))
    if untrusted:
        notices.append(untrusted_notice(Path(root)))
    if trusted:
        sources.append((project, "project"))
    for folder, scope in sources:
        for path, name in _named_templates(folder, scope, Path(root), notices):
            if name in reserved:
                notices.append(f"ignored {path}: /{name} is a built-in command")
                continue
            if name in found:
                continue  # the user's command wins over the project's
            try:
                description = describe(read_template(path, folder))
            except ConfigError as error:
                notices.append(error.one_line())
                continue
            found[name] = CustomCommand(name, description, path, scope)
    return CommandSet(tuple(found.values()), tuple(notices), untrusted)


def read_template(path: Path, folder: Path) -> str:
    """Return a template's text, read now; refuse an oversized, non-UTF-8 or escaping file."""
    if not _inside(path, folder):
        raise ConfigError(f"skipped {path}: it is a link that leads outside {folder}")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"skipped {path}: cannot read it ({error.strerror})") from error
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ConfigError(
            f"skipped {path}: larger than {MAX_TEMPLATE_BYTES // 1024} KB",
            hint="a command template must be smaller",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"skipped {path}: not UTF-8 text", hint="save it as UTF-8") from error


def load_command(command: CustomCommand, root: Path, user_folder: Path) -> str:
    """Return the command's template body as it is on disk now (front matter removed)."""
    folder = user_folder if command.scope == "user" else Path(root) / PROJECT_COMMANDS
    return split_front_matter(read_template(command.path, folder))[1]


def render(body: str, arguments: str) -> str:
    """Return the message a template makes: `$ARGUMENTS` replaced by `arguments`, or the
    arguments appended after a blank line when the template does not place them."""
    body, arguments = body.strip(), arguments.strip()
    if ARGUMENTS in body:
        return body.replace(ARGUMENTS, arguments)
    return f"{body}\n\n{arguments}" if arguments else body


def describe(text: str) -> str:
    """Return a template's description: its front matter's, else its first non-empty line."""
    meta, body = split_front_matter(text)
    description = meta.get("description", "")
    if not description:
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        description = first.lstrip("#").strip()
    return _shorten(" ".join(description.split()))


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Return the front matter's string values and the body after it."""
    text = text.removeprefix("\ufeff")
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        data = None  # not YAML after all: keep the body, describe it from its first line
    meta = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return meta, text[match.end() :]


def _named_templates(
    folder: Path, scope: Scope, root: Path, notices: list[str]
) -> Iterator[tuple[Path, str]]:
    """Yield each template file under `folder` with its command name, in name order."""
    if scope == "project" and folder.is_symlink():
        # The trust hash covers the real folder only: a link could bring in files it never saw.
        notices.append(f"ignored {folder}: a project's commands folder must not be a link")
        return
    if scope == "project" and folder.exists() and not _inside(folder, root):
        notices.append(f"ignored {folder}: it leads outside the repository")
        return
    for path in sorted(_template_files(folder)):
        parts = [*path.relative_to(folder).parent.parts, path.stem]
        if all(_NAME_PART.fullmatch(part) for part in parts):
            yield path, ":".join(parts)
        else:
            notices.append(
                f"ignored {path}: a command's name (and folder) is lowercase letters, "
                "digits, - and _"
            )


def _template_files(folder: Path) -> Iterator[Path]:
    """Yield the `*.md` files under `folder`, not descending into linked folders."""
    if not folder.is_dir():
        return
    for directory, subdirs, files in os.walk(folder, followlinks=False):
        subdirs.sort()
        for name in sorted(files):
            if name.endswith(".md"):
                yield Path(directory) / name


def _inside(path: Path, folder: Path) -> bool:
    """Say whether `path`, links followed, stays inside `folder` (links followed too)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
