"""The wiki's SVG diagrams: well-formed, harmless with hostile labels, laid out, deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.wiki.diagram import MAX_NODES, Edge, Node, chain_svg, render_svg

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</text><script>alert(1)</script> & "quoted" ]]> <![CDATA[x]]>'


def parse(svg: str) -> ET.Element:
    """The document's root, checked to be an <svg> with a size and nothing active in it."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") and root.get("height") and root.get("viewBox")
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert not tags & {"script", "foreignObject", "image", "use", "iframe", "style"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on")
            if name in ("href", "{http://www.w3.org/1999/xlink}href"):
                assert ":" not in value and not value.startswith("//")
    return root


Box = tuple[float, float, float, float]


def rect_of(rect: ET.Element) -> Box:
    """A <rect>'s x, y, width and height."""
    x, y, w, h = (float(rect.get(k, "nan")) for k in ("x", "y", "width", "height"))
    return (x, y, w, h)


def boxes(root: ET.Element) -> dict[str, Box]:
    """Each node's box (x, y, width, height), by the full label in its tooltip."""
    found: dict[str, Box] = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title")
        rects = list(group.iter(f"{SVG}rect"))
        assert title is not None and len(rects) == 1
        label = title.text or ""
        assert label not in found
        found[label] = rect_of(rects[0])
    return found


def edges(root: ET.Element) -> list[ET.Element]:
    """The drawn edges."""
    return [p for p in root.iter(f"{SVG}path") if (p.get("class") or "").startswith("edge")]


def overlap(a: Box, b: Box) -> bool:
    """Whether two boxes overlap (touching edges do not count)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_hostile_labels_are_escaped_and_no_script_exists() -> None:
    nodes = [Node("a", HOSTILE), Node("b", "&"), Node("c", '"'), Node("d", "\x00\x1b\ud800 ok")]
    svg = render_svg(nodes, [Edge("a", "b"), Edge("b", "c"), Edge("c", "d")], title=HOSTILE)
    assert "<script" not in svg and "]]>" not in svg and "<![CDATA[" not in svg
    assert "&lt;/text&gt;&lt;script&gt;" in svg
    root = parse(svg)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == HOSTILE
    found = boxes(root)
    assert set(found) == {HOSTILE, "&", '"', "\ufffd\ufffd\ufffd ok"}
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "&" in texts and '"' in texts
    assert all(len(text) <= 28 for text in texts)
    assert any(text.startswith("</text><script>") and text.endswith("…") for text in texts)
    svg.encode("utf-8")  # no lone surrogate left


def test_cycle_lays_out_with_every_node_boxed_and_back_edge_dashed() -> None:
    nodes = [Node("a", "A"), Node("b", "B"), Node("c", "C")]
    cycle = [Edge("a", "b"), Edge("b", "c"), Edge("c", "a")]
    root = parse(render_svg(nodes, cycle, title="cycle"))
    found = boxes(root)
    assert set(found) == {"A", "B", "C"}
    assert found["A"][1] < found["B"][1] < found["C"][1]
    drawn = edges(root)
    assert len(drawn) == 3
    dashed = [p for p in drawn if p.get("stroke-dasharray")]
    assert len(dashed) == 1 and dashed[0].get("marker-start")
    title = dashed[0].find(f"{SVG}title")
    assert title is not None and title.text == "A ← C"  # the arrow stays at its real target


def test_layering_puts_sources_above_their_targets() -> None:
    nodes = [Node(k, k.upper()) for k in "edcba"]  # input order is not the layer order
    dag = [Edge("a", "b"), Edge("b", "c"), Edge("a", "c"), Edge("c", "d"), Edge("a", "e")]
    found = boxes(parse(render_svg(nodes, dag, title="dag")))
    for edge in dag:
        assert found[edge.source.upper()][1] < found[edge.target.upper()][1]
    assert found["B"][1] == found["E"][1]  # longest path: both one step from a
    right = boxes(parse(render_svg(nodes, dag, title="dag", direction="right")))
    for edge in dag:
        assert right[edge.source.upper()][0] < right[edge.target.upper()][0]


def test_unknown_and_self_edges_are_ignored_and_weight_thickens() -> None:
    nodes = [Node("a", "A"), Node("b", "B"), Node("c", "C")]
    graph = [Edge("a", "a"), Edge("a", "zz"), Edge("zz", "b"), Edge("a", "b"), Edge("b", "c", 9)]
    drawn = edges(parse(render_svg(nodes, graph, title="t")))
    assert len(drawn) == 2
    thin, thick = (float(p.get("stroke-width", "0")) for p in drawn)
    assert 1 <= thin < thick <= 5


def test_output_is_deterministic() -> None:
    def make() -> str:
        nodes = [Node(f"k{i}", f"label {i}", f"page-{i}.html") for i in range(12)]
        graph = [Edge(f"k{i}", f"k{(i * 5 + 3) % 12}", i / 3) for i in range(12)]
        graph += [Edge(f"k{i}", f"k{(i + 1) % 12}") for i in range(12)]
        return render_svg(nodes, graph, title="same")

    assert make() == make()
    assert render_svg([], [], title="empty") == render_svg([], [], title="empty")
    parse(render_svg([], [], title="empty"))


def test_cap_keeps_the_heaviest_nodes() -> None:
    nodes = [Node(f"k{i}", f"N{i}") for i in range(MAX_NODES + 10)]
    graph = [Edge(f"k{i}", f"k{i + 1}") for i in range(10, MAX_NODES + 9)]
    graph.append(Edge("k0", "k10", 0.5))  # k0 is light: it goes, and its edge with it
    root = parse(render_svg(nodes, graph, title="cap"))
    found = boxes(root)
    assert len(found) == MAX_NODES
    assert set(found) == {f"N{i}" for i in range(10, MAX_NODES + 10)}
    assert len(edges(root)) == MAX_NODES - 1


def test_only_plain_relative_links_are_emitted() -> None:
    nodes = [
        Node("a", "A", "javascript:alert(1)"),
        Node("b", "B", "area-core.html"),
        Node("c", "C", "//evil.example/x"),
        Node("d", "D", "page/area-core#L3"),
        Node("e", "E", "https://evil.example"),
        Node("f", "F", 'x" onclick="alert(1)'),
    ]
    svg = render_svg(nodes, [], title="links")
    assert "javascript" not in svg and "evil" not in svg and "onclick" not in svg
    root = parse(svg)
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == ["area-core.html", "page/area-core#L3"]


def test_chain_is_a_vertical_flow() -> None:
    steps = [Node("main", "main()"), Node("run", "run()"), Node("step", "step()")]
    root = parse(chain_svg(steps, title="flow"))
    found = boxes(root)
    assert found["main()"][1] < found["run()"][1] < found["step()"][1]
    assert found["main()"][0] == found["run()"][0] == found["step()"][0]
    assert len(edges(root)) == 2


def test_bad_direction_is_refused() -> None:
    with pytest.raises(ValueError):
        render_svg([Node("a", "A")], [], title="t", direction="sideways")


KEYS = st.sampled_from([f"k{i}" for i in range(9)])


@settings(max_examples=150, deadline=None)
@given(
    nodes=st.lists(st.builds(Node, KEYS, st.text(max_size=40), st.text(max_size=12)), max_size=9),
    graph=st.lists(
        st.builds(
            Edge,
            st.one_of(KEYS, st.just("unknown")),
            KEYS,
            st.floats(allow_nan=True, allow_infinity=True),
        ),
        max_size=25,
    ),
    direction=st.sampled_from(["down", "right"]),
)
def test_random_graphs_render_well_formed_without_overlaps(
    nodes: list[Node], graph: list[Edge], direction: str
) -> None:
    svg = render_svg(nodes, graph, title="random", direction=direction)
    root = parse(svg)
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(groups) == len({node.key for node in nodes})
    rects = [rect_of(r) for r in root.iter(f"{SVG}rect")]
    assert len(rects) == len(groups)
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    for i, a in enumerate(rects):
        assert 0 <= a[0] <= a[0] + a[2] <= width
        assert 0 <= a[1] <= a[1] + a[3] <= height
        assert not any(overlap(a, b) for b in rects[i + 1 :])
    assert svg == render_svg(nodes, graph, title="random", direction=direction)
