"""The wiki's diagrams as standalone SVG, drawn from the reference graph with no model or script.

A diagram is boxes (Node) joined by weighted arrows (Edge). The layout is a simplified Sugiyama:
cycles are broken by reversing the back edges of a depth-first search (in input order), nodes go
into layers by longest path (an edge that spans several layers passes through narrow dummy slots
in the layers between), each layer is ordered by a few barycenter sweeps (the order with the
fewest crossings is kept), and the boxes are packed along their layers, each layer centred; a
wide layer just makes the picture wider. A reversed edge (one that closes a cycle) is drawn
dashed, its arrow still at its real target; edges both ways between two boxes are one line with
two arrows.

Everything shown may come from a hostile repository (file paths, symbol names): text is escaped,
characters XML cannot hold are replaced, a link is kept only when it is a plain relative path
(HREF, no scheme, not `//host`), and the document has no script, no foreignObject and no
external reference. The same input gives byte-identical output.

A graph of more than MAX_NODES nodes is cut to the MAX_NODES nodes with the most edge weight
(the sum of the weights of the edges touching each; ties go to the earlier node); edges to the
dropped nodes are dropped with them.
"""

from __future__ import annotations

import hashlib
import math
import re
from bisect import bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from xml.etree import ElementTree
from xml.sax.saxutils import escape

MAX_NODES = 40
LABEL_CHARS = 28  # longer labels are cut, with the full text in the box's tooltip
TOOLTIP_CHARS = 300
HREF = re.compile(r"^[A-Za-z0-9._/#-]+$")
DIRECTIONS = ("down", "right")
SWEEPS = 4
BOX_W, BOX_H = 200.0, 36.0
MARGIN = 20.0
BOX_GAP = 30.0  # between two boxes of a layer
DUMMY_GAP = 12.0  # between a dummy slot (a long edge passing through) and its neighbour
LAYER_GAP = {"down": 56.0, "right": 72.0}
FONT_SIZE = 12
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR = {'"': "&quot;", "'": "&apos;"}


@dataclass(frozen=True)
class Node:
    """A box: a unique key, the text shown, and an optional relative link."""

    key: str
    label: str
    href: str = ""


@dataclass(frozen=True)
class Edge:
    """An arrow from one node's key to another's; a heavier edge is drawn thicker."""

    source: str
    target: str
    weight: float = 1.0


@dataclass(frozen=True)
class _Path:
    """One line of the drawing: its SVG path, ends (original direction) and how it is drawn."""

    d: str
    source: int
    target: int
    weight: float
    forward: bool  # an edge in the layout's direction (arrow at the end)
    backward: bool  # a reversed edge (arrow at the start)


@dataclass(frozen=True)
class _Layout:
    """Where the boxes and lines go, and the size of the picture."""

    boxes: list[tuple[float, float]]
    paths: list[_Path]
    width: float
    height: float


def _weight(value: float) -> float:
    """A weight as a finite number >= 0 (NaN and negatives count as 0)."""
    value = float(value)
    if math.isnan(value) or value <= 0:
        return 0.0
    return min(value, 1e12)


def _clean(
    nodes: Sequence[Node], edges: Sequence[Edge]
) -> tuple[list[Node], list[tuple[int, int, float]]]:
    """The nodes kept (unique keys, at most MAX_NODES) and the edges between them, merged."""
    known: dict[str, Node] = {}
    for node in nodes:
        known.setdefault(node.key, node)
    pairs: dict[tuple[str, str], float] = {}
    for edge in edges:
        if edge.source != edge.target and edge.source in known and edge.target in known:
            pair = (edge.source, edge.target)
            pairs[pair] = min(pairs.get(pair, 0.0) + _weight(edge.weight), 1e12)
    kept = list(known.values())
    if len(kept) > MAX_NODES:
        score = dict.fromkeys(known, 0.0)
        for (source, target), weight in pairs.items():
            score[source] += weight
            score[target] += weight
        ranked = sorted(range(len(kept)), key=lambda i: (-score[kept[i].key], i))
        kept = [kept[i] for i in sorted(ranked[:MAX_NODES])]
    index = {node.key: i for i, node in enumerate(kept)}
    return kept, [
        (index[s], index[t], w) for (s, t), w in pairs.items() if s in index and t in index
    ]


def _break_cycles(
    n: int, edges: list[tuple[int, int, float]]
) -> tuple[list[int], dict[tuple[int, int], tuple[float, bool, bool]]]:
    """A topological order and the acyclic edges: (u, v) -> (weight, forward, reversed)."""
    out: list[list[int]] = [[] for _ in range(n)]
    for source, target, _ in edges:
        out[source].append(target)
    state = [0] * n  # 0: not seen, 1: on the DFS stack, 2: done
    finished: list[int] = []
    back: set[tuple[int, int]] = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, todo = stack[-1]
            for nxt in todo:
                if state[nxt] == 0:
                    state[nxt] = 1
                    stack.append((nxt, iter(out[nxt])))
                    break
                if state[nxt] == 1:
                    back.add((node, nxt))
            else:
                state[node] = 2
                finished.append(node)
                stack.pop()
    merged: dict[tuple[int, int], tuple[float, bool, bool]] = {}
    for source, target, weight in edges:
        flip = (source, target) in back
        key = (target, source) if flip else (source, target)
        old_weight, forward, reversed_ = merged.get(key, (0.0, False, False))
        merged[key] = (old_weight + weight, forward or not flip, reversed_ or flip)
    return finished[::-1], merged  # every acyclic edge goes from a later finish to an earlier


def _by_barycenter(layer: list[int], fixed: list[int], near: list[list[int]]) -> list[int]:
    """`layer` sorted by the mean position of each item's neighbours in the `fixed` layer."""
    pos = {item: i for i, item in enumerate(fixed)}

    def key(entry: tuple[int, int]) -> tuple[float, int]:
        i, item = entry
        spots = [pos[other] for other in near[item]]
        return (sum(spots) / len(spots) if spots else float(i), i)

    return [item for _, item in sorted(enumerate(layer), key=key)]


def _crossings(layers: list[list[int]], down: list[list[int]]) -> int:
    """How many pairs of edges cross between adjacent layers."""
    total = 0
    for upper, lower in pairwise(layers):
        pos = {item: i for i, item in enumerate(lower)}
        ends = sorted((i, pos[other]) for i, item in enumerate(upper) for other in down[item])
        seen: list[int] = []
        for _, end in ends:
            total += len(seen) - bisect_right(seen, end)
            insort(seen, end)
    return total


def _order(layers: list[list[int]], up: list[list[int]], down: list[list[int]]) -> list[list[int]]:
    """The layers after a few barycenter sweeps down and up, keeping the fewest crossings."""
    best, fewest = [list(layer) for layer in layers], _crossings(layers, down)
    current = [list(layer) for layer in layers]
    for _ in range(SWEEPS):
        for k in range(1, len(current)):
            current[k] = _by_barycenter(current[k], current[k - 1], up)
        for k in range(len(current) - 2, -1, -1):
            current[k] = _by_barycenter(current[k], current[k + 1], down)
        count = _crossings(current, down)
        if count < fewest:
            best, fewest = [list(layer) for layer in current], count
    return best


def _num(value: float) -> str:
    """A coordinate as short, stable text."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _layout(n: int, edges: list[tuple[int, int, float]], direction: str) -> _Layout:
    """Place n boxes and the edges between them; `a` runs across layers, `b` along one."""
    topo, merged = _break_cycles(n, edges)
    succ: list[list[int]] = [[] for _ in range(n)]
    for source, target in merged:
        succ[source].append(target)
    layer_of = [0] * n
    for node in topo:  # longest path: one layer below the lowest predecessor
        for target in succ[node]:
            layer_of[target] = max(layer_of[target], layer_of[node] + 1)
    chains: list[list[int]] = []
    for source, target in merged:
        chain = [source]
        for k in range(layer_of[source] + 1, layer_of[target]):
            layer_of.append(k)  # a dummy slot for the long edge
            chain.append(len(layer_of) - 1)
        chains.append([*chain, target])
    up: list[list[int]] = [[] for _ in layer_of]
    down: list[list[int]] = [[] for _ in layer_of]
    for chain in chains:
        for upper, lower in pairwise(chain):
            down[upper].append(lower)
            up[lower].append(upper)
    layers: list[list[int]] = [[] for _ in range(max(layer_of, default=-1) + 1)]
    for item in [*topo, *range(n, len(layer_of))]:
        layers[layer_of[item]].append(item)
    layers = _order(layers, up, down)

    size_a, size_b = (BOX_H, BOX_W) if direction == "down" else (BOX_W, BOX_H)
    step_a = size_a + LAYER_GAP[direction]
    start_b = [0.0] * len(layer_of)
    widths: list[float] = []
    for layer in layers:
        b = 0.0
        for i, item in enumerate(layer):
            if i:
                b += BOX_GAP if item < n and layer[i - 1] < n else DUMMY_GAP
            start_b[item] = b
            b += size_b if item < n else 0.0
        widths.append(b)
    span_b = max(widths, default=0.0)
    for layer, width in zip(layers, widths, strict=True):
        for item in layer:
            start_b[item] += MARGIN + (span_b - width) / 2
    span_a = len(layers) * step_a - LAYER_GAP[direction] if layers else 0.0

    def point(a: float, b: float) -> str:
        x, y = (b, a) if direction == "down" else (a, b)
        return f"{_num(x)},{_num(y)}"

    def mid_b(item: int) -> float:
        return start_b[item] + (size_b / 2 if item < n else 0.0)

    paths: list[_Path] = []
    for chain, ((source, target), (weight, forward, backward)) in zip(
        chains, merged.items(), strict=True
    ):
        a, b = MARGIN + layer_of[source] * step_a + size_a, mid_b(source)
        d = f"M{point(a, b)}"
        for item in chain[1:]:
            next_a, next_b = MARGIN + layer_of[item] * step_a, mid_b(item)
            half = (a + next_a) / 2
            d += f" C{point(half, b)} {point(half, next_b)} {point(next_a, next_b)}"
            a, b = next_a, next_b
            if item >= n:
                a += size_a
                d += f" L{point(a, b)}"
        paths.append(_Path(d, source, target, weight, forward, backward))
    boxes = [(start_b[i], MARGIN + layer_of[i] * step_a) for i in range(n)]
    if direction == "right":
        boxes = [(a, b) for b, a in boxes]
        return _Layout(boxes, paths, span_a + 2 * MARGIN, span_b + 2 * MARGIN)
    return _Layout(boxes, paths, span_b + 2 * MARGIN, span_a + 2 * MARGIN)


def _text(value: str, limit: int) -> str:
    """Text that XML can hold, whitespace collapsed, cut to `limit` characters with an ellipsis."""
    value = " ".join(_NOT_XML.sub("\ufffd", value).split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _safe_href(href: str) -> str:
    """The link if it is a plain relative path (no scheme, no `//host`), else ''."""
    return href if HREF.match(href) and not href.startswith("//") else ""


def _stroke(weight: float) -> float:
    """The stroke width for an edge's weight: grows with the weight's log, within [1, 5]."""
    return min(5.0, max(1.0, 0.75 + math.log2(1.0 + weight)))


def render_svg(
    nodes: Sequence[Node], edges: Sequence[Edge], *, title: str, direction: str = "down"
) -> str:
    """A standalone SVG document of the graph, layers running `down` or `right`.

    Edges to unknown nodes and self-edges are ignored; more than MAX_NODES nodes are cut to the
    heaviest (see the module's docstring).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    kept, weighted = _clean(nodes, edges)
    layout = _layout(len(kept), weighted, direction)
    digest = repr((title, direction, [(n.key, n.label, n.href) for n in kept], weighted))
    marker = "arrow-" + hashlib.sha256(digest.encode("utf-8", "backslashreplace")).hexdigest()[:12]
    width, height = _num(layout.width), _num(layout.height)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" '
        f'font-size="{FONT_SIZE}">',
        f"<title>{escape(_text(title, TOOLTIP_CHARS))}</title>",
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        '<g class="edges" fill="none" stroke="#555">',
    ]
    for path in layout.paths:
        names = [_text(kept[end].label, TOOLTIP_CHARS) for end in (path.source, path.target)]
        arrow = "↔" if path.forward and path.backward else "→" if path.forward else "←"
        attrs = f'd="{path.d}" stroke-width="{_num(_stroke(path.weight))}"'
        if path.backward:
            attrs += f' stroke-dasharray="6 4" marker-start="url(#{marker})"'
        if path.forward:
            attrs += f' marker-end="url(#{marker})"'
        kind = "edge" if not path.backward else "edge back"
        tip = escape(f"{names[0]} {arrow} {names[1]}")
        lines.append(f'<path class="{kind}" {attrs}><title>{tip}</title></path>')
    lines.append("</g>")
    lines.append('<g class="nodes">')
    for node, (x, y) in zip(kept, layout.boxes, strict=True):
        box = (
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(BOX_W)}" height="{_num(BOX_H)}" '
            'rx="6" fill="#eef2fb" stroke="#4a5a85"/>'
            f'<text x="{_num(x + BOX_W / 2)}" y="{_num(y + BOX_H / 2 + FONT_SIZE / 3)}" '
            f'text-anchor="middle" fill="#1c2333">{escape(_text(node.label, LABEL_CHARS))}</text>'
        )
        href = _safe_href(node.href)
        if href:
            box = f'<a href="{escape(href, _ATTR)}">{box}</a>'
        tip = escape(_text(node.label, TOOLTIP_CHARS))
        lines.append(f'<g class="node"><title>{tip}</title>{box}</g>')
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def chain_svg(steps: Sequence[Node], *, title: str) -> str:
    """A call chain (entry point, what it calls, ...) as a vertical flow of arrows.

    A step that repeats an earlier key (recursion) reuses that box, so the flow shows a cycle.
    """
    edges = [Edge(a.key, b.key) for a, b in pairwise(steps)]
    return render_svg(steps, edges, title=title, direction="down")


LOCAL_URL = re.compile(r"url\(\s*#[\w.-]+\s*\)")
ACTIVE_TAGS = frozenset(
    {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener", "animate",
     "set", "animatemotion", "animatetransform", "style", "image", "use", "feimage"}
)  # fmt: skip


def svg_is_safe(data: bytes) -> bool:
    """Return whether an SVG file is one a wiki may show as it is: well-formed, no DTD, and
    nothing that runs or loads (scripts, event handlers, animations, foreign content, links
    with a scheme). The diagrams `render_svg` draws always are; one committed to a repository
    by someone else may not be, and an export would copy it next to the pages."""
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return False
    try:
        tree = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError):
        return False
    for element in tree.iter():
        if element.tag.rpartition("}")[2].lower() in ACTIVE_TAGS:
            return False
        for name, value in element.attrib.items():
            local = name.rpartition("}")[2].lower()
            outside = LOCAL_URL.sub("", value.lower())  # url(#arrow) points inside the file
            if local.startswith("on") or "url(" in outside or "javascript:" in outside:
                return False
            if local == "href" and not (HREF.match(value) and not value.startswith("//")):
                return False
    return True
