"""Where the paths a command names lead: resolved against the repository, through `cd`, `..`,
`~`, globs and links, so that rules can ask "is this outside the repository, a secret, .git?".

Without a repository root, paths resolve lexically against a stand-in root, so that `..`,
`/` and `~` are still seen for what they are.
"""

from __future__ import annotations

import glob
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

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

    @classmethod
    def at(cls, root: Path | None) -> Place:
        """Return the place of a command line run in `root`."""
        if root is None:
            return cls(_STAND_IN_ROOT, False, (_STAND_IN_ROOT,))
        resolved = os.path.realpath(root)
        return cls(resolved, True, (resolved,))

    def lost(self) -> Place:
        """Return this place with the working folder no longer known."""
        return Place(self.root, self.on_disk, None)

    def after(self, command: SimpleCommand) -> Place:
        """Return the place after `command`: `cd` adds where it may lead (it may also fail)."""
        if command.name in _CD_CHANGERS:
            return self.lost()
        if command.name not in ("cd", "pushd", "popd") or self.cwds is None:
            return self
        operands = [w for w in command.argv[1:] if not w.startswith("-") or w == "-"]
        if command.name == "popd" or command.dynamic or operands[:1] == ["-"]:
            return self.lost()
        targets = self.resolve(operands[0]) if operands else [os.path.expanduser("~")]
        if targets is None:
            return self.lost()
        cwds = tuple(dict.fromkeys((*self.cwds, *targets)))
        return Place(self.root, self.on_disk, cwds if len(cwds) <= _MAX_CWDS else None)

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
        return list(dict.fromkeys(self._norm(os.path.join(cwd, path), follow) for cwd in self.cwds))

    def expand(self, word: str) -> list[str] | None:
        """Return the paths `word` may name, with a glob expanded against the disk."""
        paths = self.resolve(word)
        if paths is None or not self.on_disk or not has_glob(word):
            return paths
        found: list[str] = []
        for cwd in self.cwds or ():
            pattern = os.path.expanduser(word) if word.startswith("~") else word
            matches = glob.iglob(pattern, root_dir=None if os.path.isabs(pattern) else cwd)
            for match in itertools.islice(matches, _MAX_MATCHES):
                found.append(os.path.realpath(os.path.join(cwd, match)))
        return [*paths, *found]

    def inside(self, path: str) -> bool:
        """Return whether `path` is in the repository (the root itself included)."""
        return path == self.root or path.startswith(self.root.rstrip("/") + "/")

    def relative(self, path: str) -> str:
        """Return `path` relative to the root when inside it, else as it is."""
        return os.path.relpath(path, self.root) if self.inside(path) else path

    def is_secret(self, word: str) -> bool:
        """Return whether `word`, as written or resolved, names a secrets file or folder."""
        if is_secret_path(word):
            return True
        paths = self.expand(word)
        return any(is_secret_path(self.relative(p)) for p in paths or ())

    def _norm(self, path: str, follow: bool) -> str:
        if not self.on_disk:
            return os.path.normpath(path)
        if follow or path.endswith("/"):
            return os.path.realpath(path)
        head, tail = os.path.split(os.path.normpath(path))
        return os.path.join(os.path.realpath(head), tail)


def has_glob(word: str) -> bool:
    """Return whether `word` has glob characters the shell would expand."""
    return bool(_GLOB_CHARS.intersection(word))
