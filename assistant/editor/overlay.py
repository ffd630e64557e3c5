"""The index as the editor sees it: unsaved buffers laid over what is on disk.

An editor's open, modified buffers differ from the files the index parsed. `IndexView` answers
the same questions as the index store, but for each modified buffer it answers from a fresh
parse of the buffer's text instead of the stale rows. Parses are cached by text, so a buffer is
parsed again only after it changed, and then incrementally from its last tree.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.editor.imports import resolve_module
from assistant.errors import IndexStoreError
from assistant.index.extract import parse_as_text, parse_source
from assistant.index.faults import store_errors
from assistant.index.model import Chunk, ParsedFile, Reference, Symbol
from assistant.index.reparse import TreeCache
from assistant.index.tokens import code_tokens
from assistant.security.secrets import is_secret_path
from assistant.workspace import is_secret_file

if TYPE_CHECKING:
    from assistant.index import IndexStore

log = logging.getLogger(__name__)
PARSE_CACHE_SIZE = 32
TEXT_CACHE_SIZE = 64
KNOWN_FILES_SIZE = 100_000


class ParseCache:
    """Parsed buffers by (path, text digest) and files read from disk by modification time."""

    def __init__(self, size: int = PARSE_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], ParsedFile] = OrderedDict()
        self._texts: OrderedDict[tuple[Path, int], str] = OrderedDict()
        self.known: dict[str, bool] = {}  # path -> whether the index holds it
        self.modules: dict[tuple[str, str], str | None] = {}  # (folder, import) -> file
        self.trees = TreeCache()  # a buffer's next version re-parses from its last tree

    def parsed(self, path: str, text: str) -> ParsedFile:
        """Return the parse of `text` as file `path`, parsing it if it is new."""
        key = (path, hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest())
        found = self._items.get(key)
        if found is None:
            data = text.encode("utf-8")
            try:
                found = parse_source(path, data, self.trees)
            except (ValueError, RecursionError) as error:
                log.info("unsaved %s does not parse (%s); kept as text", path, error)
                found = parse_as_text(path, data, str(error))
            self._items[key] = found
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return found

    def forget_files(self) -> None:
        """Forget which files the index holds (after it added or dropped some)."""
        self.known.clear()
        self.modules.clear()

    def read(self, path: Path) -> str | None:
        """Return a file's text, cached by modification time (None when unreadable)."""
        try:
            key = (path, path.stat().st_mtime_ns)
        except OSError:
            return None
        text = self._texts.get(key)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            self._texts[key] = text
            while len(self._texts) > TEXT_CACHE_SIZE:
                self._texts.popitem(last=False)
        return text


class IndexView:
    """Read the index with modified buffers (`buffers`: path -> text) laid over it."""

    def __init__(
        self,
        store: IndexStore | None,
        root: Path,
        buffers: Mapping[str, str],
        cache: ParseCache,
    ) -> None:
        self.store = store
        self.root = Path(root)
        # An open secrets file is never context for anything (see assistant/security/secrets).
        self.buffers = {p: t for p, t in buffers.items() if not is_secret_path(p)}
        self.cache = cache
        self._by_path: dict[str, list[Symbol]] = {}  # a view lives for one request

    def symbols(self, path: str | None = None, name: str | None = None) -> list[Symbol]:
        """Return definitions, as the buffers have them where they are modified."""
        if path is not None and path in self.buffers:
            found = list(self._parsed(path).symbols)
            return [s for s in found if name is None or s.name == name]
        if path is not None:
            if path not in self._by_path and self.store is not None:
                self._by_path[path] = self.store.symbols(path=path)
            return [s for s in self._by_path.get(path, []) if name in (None, s.name)]
        stored = self.store.symbols(path=path, name=name) if self.store is not None else []
        result = [s for s in stored if s.path not in self.buffers]
        if path is None:
            for buffer in self.buffers:
                result += [s for s in self._parsed(buffer).symbols if name in (None, s.name)]
        return result

    def references(self, name: str) -> list[Reference]:
        """Return the uses of `name`: the index's, with modified buffers parsed afresh."""
        stored = self.store.references(name=name) if self.store is not None else []
        found = [r for r in stored if r.path not in self.buffers]
        for buffer in self.buffers:
            found += [r for r in self._parsed(buffer).references if r.name == name]
        return found

    def search_chunks(self, query: str, limit: int = 50) -> list[tuple[Chunk, float]]:
        """Return chunks matching `query`: the index's, then the buffers' by shared tokens."""
        stored = self.store.search_chunks(query, limit) if self.store is not None else []
        result = [(c, s) for c, s in stored if c.path not in self.buffers]
        wanted = set(code_tokens(query))
        if wanted:
            extra = []
            for buffer in self.buffers:
                for chunk in self._parsed(buffer).chunks:
                    shared = len(wanted & set(code_tokens(chunk.text)))
                    if shared:
                        extra.append((chunk, float(shared)))
            extra.sort(key=lambda item: -item[1])
            result += extra
        return result[:limit]

    def rare_terms(self, tokens: list[str], limit: int) -> list[str]:
        """Return up to `limit` of `tokens` that few chunks hold, rarest first (without an
        index to count them, or when it cannot, the longest tokens)."""
        if self.store is not None:
            try:
                with store_errors(self.store.db_path):
                    return self.store.rare_terms(tokens, limit)
            except IndexStoreError as error:
                log.info("no term statistics from the index (%s)", error)
        wanted = dict.fromkeys(t for t in tokens if len(t) > 2)
        return sorted(wanted, key=len, reverse=True)[:limit]

    def user_counts(self, names: list[str]) -> dict[str, int]:
        """Return how many indexed files use each name (nothing without an index)."""
        if self.store is None or not names:
            return {}
        try:
            with store_errors(self.store.db_path):
                return self.store.user_counts(names)
        except IndexStoreError as error:
            log.info("no use counts from the index (%s)", error)
            return {}

    def resolve(self, path: str, module: str) -> str | None:
        """Return the repository file that `module`, imported from `path`, names."""
        key = (path.rpartition("/")[0] + path[path.rfind(".") :], module)
        if key in self.cache.modules:
            return self.cache.modules[key]
        found = resolve_module(self, path, module)
        if found not in self.buffers:  # an unsaved new file may not stay
            if len(self.cache.modules) >= KNOWN_FILES_SIZE:
                self.cache.modules.clear()
            self.cache.modules[key] = found
        return found

    def has_file(self, path: str) -> bool:
        """Return whether `path` is an open buffer or a file the index holds."""
        if path in self.buffers:
            return True
        known = self.cache.known.get(path)
        if known is None:
            known = self.store is not None and self.store.file(path) is not None
            if len(self.cache.known) >= KNOWN_FILES_SIZE:
                self.cache.known.clear()
            self.cache.known[path] = known
        return known

    def text(self, path: str) -> str | None:
        """Return the buffer's text if it is modified, else the file's text on disk."""
        if path in self.buffers:
            return self.buffers[path]
        if is_secret_path(path):
            return None
        full = self.root / path
        if full.is_symlink() and not _link_is_safe(self.root, full):
            return None  # a link to a secret, into .git or out of the repository
        return self.cache.read(full)

    def _parsed(self, path: str) -> ParsedFile:
        return self.cache.parsed(path, self.buffers[path])


def _link_is_safe(root: Path, link: Path) -> bool:
    """Return whether a link leads to a file of the repository that may be read."""
    try:
        target = link.resolve()
        inside = target.relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):
        return False
    return ".git" not in inside.parts and not is_secret_file(root, target)
