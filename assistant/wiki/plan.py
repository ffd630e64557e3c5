"""Planning the wiki from the index, not from the model: the areas, the key flows, the pages.

Areas are folders. The planner starts with the whole repository as one area and keeps splitting
the largest area into its subfolders (the biggest first, a folder with one subfolder handing
over to it) until the page budget is used or no area can be split; folders with fewer than
MIN_AREA_FILES files stay with their parent. An update keeps the areas of the last build, so a
one-file change regenerates the pages that file belongs to, not a reshuffled plan.

Flows start at entry points (a `main`, the functions of `__main__.py`, `cli.py`, `manage.py`
and the like, and `[project.scripts]` of pyproject.toml) and follow, from each step, the first
call the index resolves to a definition elsewhere (see `flows.py`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.context.graph import FileGraph
from assistant.context.priors import file_kind
from assistant.index import IndexStore
from assistant.index.model import FileRecord
from assistant.security.secrets import is_secret_path
from assistant.security.terminal import without_controls
from assistant.wiki.flows import Flow, find_flows

MIN_AREA_FILES = 3
MAX_FLOWS = 3
OVERVIEW = "overview"


@dataclass(frozen=True)
class Area:
    """A folder of the repository explained on one page (its files below any other area's)."""

    folder: str  # "" for the repository's top level
    files: tuple[str, ...]

    @property
    def title(self) -> str:
        """Return the area's name as a page title (on one line, no control characters: a
        folder's name is repository data, and titles are printed to terminals)."""
        return plain(f"{self.folder}/") if self.folder else "Top-level files"


@dataclass(frozen=True)
class PlannedPage:
    """A page to write: what it explains and the files it is made from."""

    slug: str
    title: str
    kind: str  # "overview" | "area" | "flow"
    files: tuple[str, ...]  # its sources: a change to one of them makes the page stale
    area: str = ""  # the area's folder (area pages)
    flow: Flow | None = None  # the chain of calls (flow pages)


@dataclass(frozen=True)
class WikiPlan:
    """The whole plan: areas, the dependencies between them, and the pages in order."""

    areas: tuple[Area, ...]
    area_links: dict[tuple[str, str], float]  # (user area, used area) -> weight of the uses
    pages: tuple[PlannedPage, ...]
    sha: dict[str, str] = field(default_factory=dict)  # every planned file's content hash

    def page(self, slug: str) -> PlannedPage | None:
        """Return the planned page with this slug."""
        return next((p for p in self.pages if p.slug == slug), None)

    def area_of(self, folder: str) -> Area | None:
        """Return the area of this folder."""
        return next((a for a in self.areas if a.folder == folder), None)


def plan_wiki(
    store: IndexStore,
    graph: FileGraph,
    scores: np.ndarray,
    *,
    pages: int,
    keep_areas: Sequence[str] | None = None,
    known: Collection[str] = (),
    flows: int | None = None,
    readme: str | None = None,
    scripts: Sequence[tuple[str, str]] = (),
) -> WikiPlan:
    """Plan the wiki of an index: at most `pages` pages (an overview, areas, flows).

    `scores` is the PageRank of the graph's files; `keep_areas` the areas of the last build
    (an update), with `known`, the files its pages were made from (a new top-level folder
    gets an area of its own); `readme` the repository's README path, a source of the
    overview; `scripts` its console scripts as (path, function), entry points of flows;
    `flows` how many flows to plan (by default, one per five pages, at most MAX_FLOWS).
    """
    records = [r for r in store.files() if _explained(r)]
    sha = {r.path: r.sha for r in records}
    paths = sorted(sha)
    flow_budget = min(MAX_FLOWS, max(0, (pages - 1) // 5)) if flows is None else flows
    found = find_flows(store, graph, scores, limit=flow_budget, scripts=scripts)
    if keep_areas is not None:
        areas = _assign(paths, [*keep_areas, *_new_folders(paths, keep_areas, known)])
    else:
        areas = split_areas(paths, max(1, pages - 1 - len(found)))
    links = _area_links(graph, areas)
    overview_sources = tuple(p for p in (readme,) if p and p in sha)
    planned = [PlannedPage(OVERVIEW, "Overview", "overview", overview_sources)]
    used = {OVERVIEW}
    for area in areas:
        slug = _unique(used, "area-" + _slugify(area.folder or "top-level"))
        planned.append(PlannedPage(slug, area.title, "area", area.files, area=area.folder))
    for flow in found:
        slug = _unique(used, "flow-" + _slugify(flow.steps[0].name))
        title = plain(f"Flow: {flow.steps[0].name} ({flow.steps[0].path})")
        planned.append(PlannedPage(slug, title, "flow", flow.files, flow=flow))
    return WikiPlan(tuple(areas), links, tuple(planned), sha)


def _explained(record: FileRecord) -> bool:
    """Return whether a file belongs on a page: not vendored or generated, never a secret."""
    return file_kind(record.path) != "vendored" and not is_secret_path(record.path)


def split_areas(paths: Sequence[str], budget: int) -> list[Area]:
    """Split the repository's files into at most `budget` folder areas.

    Each top-level folder with MIN_AREA_FILES files or more (not counting data and config) is
    an area (`src/`, `tests/`, `docs/`). Then the project's own source decides: the area with
    the most source files is split first, and a subfolder becomes an area of its own when it
    holds enough source files (at least MIN_AREA_FILES, and a quarter of an even share of the
    budget): tests, docs and examples are not worth a page per folder, nor is a folder of three
    files in a big project.
    """
    areas: dict[str, list[str]] = {"": list(paths)}

    def sources(files: Sequence[str]) -> int:
        return sum(1 for p in files if file_kind(p) == "source")

    smallest = max(MIN_AREA_FILES, sources(paths) // (4 * budget))
    _split(areas, "", budget, _not_data, MIN_AREA_FILES)
    done: set[str] = set()
    while len(areas) < budget:
        candidates = [f for f in areas if f not in done and sources(areas[f])]
        if not candidates:
            break
        folder = max(candidates, key=lambda f: (sources(areas[f]), f))
        if not _split(areas, folder, budget, sources, smallest):
            done.add(folder)
    return [Area(f, tuple(sorted(files))) for f, files in sorted(areas.items()) if files]


def _not_data(files: Sequence[str]) -> int:
    return sum(1 for p in files if file_kind(p) != "not_code")


def _split(
    areas: dict[str, list[str]],
    folder: str,
    budget: int,
    measure: Callable[[Sequence[str]], int],
    smallest: int,
) -> bool:
    """Split `folder`'s subfolders that measure `smallest` or more into areas of their own,
    the biggest first, as many as the budget allows; return whether any was."""
    own, children = _children(folder, areas[folder])
    size = {c: measure(files) for c, files in children.items()}
    big = sorted((c for c in children if size[c] >= smallest), key=lambda c: (-size[c], c))
    chosen = big
    if len(areas) - 1 + len(big) + (1 if own or len(big) < len(children) else 0) > budget:
        chosen = big[: max(0, budget - len(areas))]  # the rest stays with the folder
    if not chosen:
        return False
    rest = own + [p for c, files in children.items() if c not in chosen for p in files]
    for child in chosen:
        areas[child] = children[child]
    if rest:
        areas[folder] = rest
    else:
        del areas[folder]
    return True


def _children(folder: str, files: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Return a folder's own files and its files grouped by subfolder."""
    prefix = f"{folder}/" if folder else ""
    own: list[str] = []
    children: dict[str, list[str]] = defaultdict(list)
    for path in files:
        rest = path[len(prefix) :]
        head, slash, _ = rest.partition("/")
        if slash:
            children[prefix + head].append(path)
        else:
            own.append(path)
    return own, dict(children)


def _new_folders(paths: Sequence[str], areas: Sequence[str], known: Collection[str]) -> list[str]:
    """Return the top-level folders that are new since the last build (no file of theirs was
    on a page, none is in an area) and big enough for an area of their own."""
    seen = {p.split("/")[0] for p in known if "/" in p} | {a.split("/")[0] for a in areas if a}
    fresh: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        top, slash, _ = path.partition("/")
        if slash and top not in seen:
            fresh[top].append(path)
    return sorted(f for f, files in fresh.items() if _not_data(files) >= MIN_AREA_FILES)


def _assign(paths: Sequence[str], folders: Sequence[str]) -> list[Area]:
    """Put every file in the deepest of these folders holding it (the top level otherwise)."""
    ordered = sorted(set(folders), key=lambda f: -len(f))
    grouped: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        home = next((f for f in ordered if f and path.startswith(f + "/")), "")
        grouped[home].append(path)
    return [Area(f, tuple(sorted(files))) for f, files in sorted(grouped.items()) if files]


def _area_links(graph: FileGraph, areas: Sequence[Area]) -> dict[tuple[str, str], float]:
    """Return how much each area uses each other area (summed weights of the graph's uses).

    A use from the project's source of a name a test or doc also defines is not a dependency
    on the tests: such links are left out."""
    where = np.full(graph.size, -1, dtype=np.int64)
    is_source = np.zeros(graph.size, dtype=bool)
    for number, area in enumerate(areas):
        for path in area.files:
            node = graph.nodes.get(path)
            if node is not None:
                where[node] = number
                is_source[node] = file_kind(path) == "source"
    if not graph.size:
        return {}
    user, definer, _name, weight = graph.edges
    source, target = where[user], where[definer]
    keep = (source >= 0) & (target >= 0) & (source != target)
    keep &= ~is_source[user] | is_source[definer]
    totals: Counter[tuple[str, str]] = Counter()
    for a, b, w in zip(
        source[keep].tolist(), target[keep].tolist(), weight[keep].tolist(), strict=True
    ):
        totals[(areas[a].folder, areas[b].folder)] += w
    return dict(totals)


def plain(text: str, limit: int = 200) -> str:
    """Return `text` on one line, without control characters, at most `limit` characters."""
    return " ".join(without_controls(text).split())[:limit]


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "page"


def _unique(used: set[str], slug: str) -> str:
    found, number = slug, 2
    while found in used:
        found = f"{slug}-{number}"
        number += 1
    used.add(found)
    return found
