"""Where the paths a command names lead: resolved against the repository, through `cd`, `..`,
`~`, globs and links, so that rules can ask "is this outside the repository, a secret, .git?".

Without a repository root, paths resolve lexically against a stand-in root, so that `..`,
`/` and `~` are still seen for what they are.

`expand_globs` gives a command as bash runs it after pathname expansion, once for each folder
it may run in, so that rules see `sort -oapp.py ...` where the line says `sort *.py`.
"""

from __future__ import annotations

import functools
import glob
import itertools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.security.globs import Budget, expand_pattern
from assistant.security.secrets import is_secret_path
from assistant.security.shell import SimpleCommand

_STAND_IN_ROOT = "/nonexistent-repository-root"
_GLOB_CHARS = frozenset("*?[")
_MAX_CWDS = 16
_MAX_MATCHES = 200
# Commands after which `cd` may go somewhere else than its argument says (CDPATH, cdable_vars).
_CD_CHANGERS = frozenset({"export", "declare", "typeset", "local", "readonly", "shopt"})


@dataclass(frozen=True)
class Place:
    """The repository root and the folders a command may run in (several after `cd a || cd b`)."""

    root: str
    on_disk: bool  # the root is a real folder: follow links, expand globs
    cwds: tuple[str, ...] | None  # None: not known (after `cd $DIR` or `cd -`)
    # Real paths of the folders met while judging one line (each line gets a new Place): a
    # glob's names share a few folders, and resolving each name from `/` costs milliseconds.
    folders: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def at(cls, root: Path | None) -> Place:
        """Return the place of a command line run in `root`."""
        if root is None:
            return cls(_STAND_IN_ROOT, False, (_STAND_IN_ROOT,))
        resolved = os.path.realpath(root)
        return cls(resolved, True, (resolved,))

    def lost(self) -> Place:
        """Return this place with the working folder no longer known."""
        return replace(self, cwds=None)

    def join(self, other: Place) -> Place:
        """Return the place where either this place or `other` may be."""
        if self.cwds is None or other.cwds is None:
            return self.lost()
        cwds = tuple(dict.fromkeys((*self.cwds, *other.cwds)))
        return replace(self, cwds=cwds if len(cwds) <= _MAX_CWDS else None)

    def after(self, command: SimpleCommand) -> Place:
        """Return the place after `command`: `cd` adds where it may lead (it may also fail)."""
        if command.name in _CD_CHANGERS:
            return self.lost()
        if command.name not in ("cd", "pushd", "popd") or self.cwds is None:
            return self
        operands = [w for w in command.argv[1:] if not w.startswith("-") or w == "-"]
        if command.name == "popd" or command.dynamic or operands[:1] == ["-"]:
            return self.lost()
        home = os.path.realpath(os.path.expanduser("~"))
        targets = self.resolve(operands[0]) if operands else [home]
        if targets is None:
            return self.lost()
        cwds = tuple(dict.fromkeys((*self.cwds, *targets)))
        return replace(self, cwds=cwds if len(cwds) <= _MAX_CWDS else None)

    def resolve(self, word: str, *, follow: bool = True) -> list[str] | None:
        """Return the absolute paths `word` may name; None when the folder is not known.

        With `follow=False` the last part is not followed when it is a link (what `rm` does).
        """
        if "\x00" in word:
            return None  # no such path: bash would cut the word at the NUL
        path = os.path.expanduser(word) if word.startswith("~") else word
        if os.path.isabs(path):
            return [self._norm(path, follow)]
        if self.cwds is None:
            return None
        if self.on_disk and path and "/" not in path and path not in (".", ".."):
            # A name in a folder of `cwds`, which are real paths: real unless it is a link.
            fulls = [os.path.join(cwd, path) for cwd in self.cwds]
            return [os.path.realpath(f) if follow and os.path.islink(f) else f for f in fulls]
        return list(dict.fromkeys(self._norm(os.path.join(cwd, path), follow) for cwd in self.cwds))

    def expand(self, word: str) -> list[str] | None:
        """Return the paths `word` may name, with a glob expanded against the disk."""
        paths = self.resolve(word)
        if paths is None or not self.on_disk or not has_glob(word):
            return paths
        found: list[str] = []
        for cwd in self.cwds or ():
            names = expand_pattern(word, cwd, Budget())
            if names is None:  # a pattern globs.py does not read, or too many names
                pattern = os.path.expanduser(word) if word.startswith("~") else word
                matches = glob.iglob(pattern, root_dir=None if os.path.isabs(pattern) else cwd)
                names = list(itertools.islice(matches, _MAX_MATCHES))
            found.extend(self._norm(os.path.join(cwd, name), True) for name in names)
        return [*paths, *found]

    def inside(self, path: str) -> bool:
        """Return whether `path` is in the repository (the root itself included)."""
        return path == self.root or path.startswith(self.root.rstrip("/") + "/")

    def relative(self, path: str) -> str:
        """Return `path` (absolute and normalised) relative to the root when inside it."""
        if path == self.root:
            return "."
        prefix = self.root.rstrip("/") + "/"
        return path[len(prefix) :] if path.startswith(prefix) else path

    def is_secret(self, word: str, paths: list[str] | None = None) -> bool:
        """Return whether `word`, as written or resolved, names a secrets file or folder;
        `paths` is what `expand(word)` returned, when the caller has it already."""
        if _secret(word):
            return True
        paths = self.expand(word) if paths is None else paths
        return any(_secret(self.relative(p)) for p in paths or ())

    def _norm(self, path: str, follow: bool) -> str:
        if not self.on_disk:
            return os.path.normpath(path)
        if not follow and not path.endswith("/"):
            head, tail = os.path.split(os.path.normpath(path))
            return os.path.join(self._real(head), tail)
        head, tail = os.path.split(path)
        if tail in ("", ".", ".."):
            return os.path.realpath(path)
        # realpath(head/tail) is realpath(head)/tail unless tail is itself a link.
        full = os.path.join(self._real(head), tail)
        return os.path.realpath(full) if os.path.islink(full) else full

    def _real(self, folder: str) -> str:
        real = self.folders.get(folder)
        if real is None:
            real = self.folders[folder] = os.path.realpath(folder)
        return real


# A pure function of the text, asked about the same names over and over.
_secret = functools.lru_cache(maxsize=4096)(is_secret_path)


def has_glob(word: str) -> bool:
    """Return whether `word` has glob characters the shell would expand."""
    return bool(_GLOB_CHARS.intersection(word))


@dataclass(frozen=True)
class Expansion:
    """A simple command after pathname expansion, once for each folder it may run in."""

    commands: tuple[SimpleCommand, ...]  # without globs to expand: the command as written
    problems: tuple[str, ...] = ()  # why what the globs become is not known or not safe
    expanded: bool = False  # `commands` are expansions, not the command as written


def expand_globs(command: SimpleCommand, place: Place, budget: Budget) -> Expansion:
    """Return `command` with its globs expanded as bash would in each folder of `place`."""
    if not command.globs or not place.on_disk:
        # Without a repository on disk the names are not known: the command is judged as
        # written, and a glob that would match a file named like an option goes unseen.
        return Expansion((command,))
    if place.cwds is None:
        return Expansion((command,), (f"a glob in a folder not known: {command.text}",))
    commands: dict[tuple[str, ...], SimpleCommand] = {}
    problems: list[str] = []
    for cwd in place.cwds:
        expanded = _expand_in(command, cwd, budget, problems)
        commands.setdefault(expanded.argv, expanded)
    return Expansion(tuple(commands.values()), tuple(dict.fromkeys(problems)), expanded=True)


def _expand_in(
    command: SimpleCommand, cwd: str, budget: Budget, problems: list[str]
) -> SimpleCommand:
    """Return `command` with its globs expanded in `cwd`; note what cannot be told."""
    patterns = dict(command.globs)
    argv: list[str] = []
    dynamic: set[int] = set()
    for index, word in enumerate(command.argv):
        names = expand_pattern(patterns[index], cwd, budget) if index in patterns else [word]
        if names is None:
            problems.append(f"a glob whose names are not known: {word} in {command.text}")
        options = [n for n in names or () if n.startswith("-") and index in patterns]
        if options:
            problems.append(f"{word} matches {options[0]}, which reads as an option")
        if index in command.dynamic:
            dynamic.add(len(argv))
        argv.extend(names or [word])
    return replace(command, argv=tuple(argv), dynamic=frozenset(dynamic), globs=())
