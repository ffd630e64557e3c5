"""The reference graph and personalised PageRank over a real indexed repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.context import rank
from assistant.context.graph import build_graph, graph_from_pairs
from assistant.context.names import name_weight
from assistant.context.rank import Focus, rank_definitions, rank_files
from assistant.index import open_index
from assistant.testing import commit_files

CORE = '''"""The core engine."""


class Engine:
    """Runs jobs."""

    def run(self, job):
        return job()


def make_engine():
    return Engine()
'''

USER = """from core import Engine, make_engine


def job_{n}():
    engine = make_engine()
    return Engine.run(engine, lambda: {n})
"""

LEAF = """def lonely_helper(value):
    return value * 2
"""

CALLS_LEAF = """from leaf import lonely_helper


def twice():
    return lonely_helper(2)
"""


@pytest.fixture
def store(tmp_path: Path):
    root = tmp_path / "repo"
    files = {"core.py": CORE, "leaf.py": LEAF, "calls_leaf.py": CALLS_LEAF}
    files.update({f"user_{n}.py": USER.format(n=n) for n in range(6)})
    commit_files(root, files, "initial")
    with open_index(root, Settings(cache_dir=tmp_path / "cache")) as opened:
        yield opened


def test_file_used_by_many_outranks_a_leaf(store):
    ranking = rank_files(build_graph(store))
    assert ranking.top(1)[0][0] == "core.py"
    assert ranking.score("core.py") > ranking.score("leaf.py")
    assert ranking.score("core.py") > 3 * ranking.score("user_0.py")


def test_focus_files_move_the_ranking_toward_them(store):
    graph = build_graph(store)
    plain = rank_files(graph)
    focused = rank_files(graph, Focus(files=("calls_leaf.py",)))
    assert focused.score("leaf.py") > plain.score("leaf.py")
    assert focused.score("calls_leaf.py") > plain.score("calls_leaf.py")
    assert focused.score("leaf.py") > focused.score("core.py")


def test_mentioned_identifiers_move_the_ranking_toward_their_definers(store):
    graph = build_graph(store)
    plain = rank_files(graph)
    mentioned = rank_files(graph, Focus(identifiers=("lonely_helper",)))
    assert mentioned.score("leaf.py") > plain.score("leaf.py")


def test_graph_edges_point_from_user_to_definer(store):
    graph = build_graph(store)
    edges = {
        (graph.paths[s], graph.paths[d], graph.names[n])
        for s, d, n, _ in zip(*(a.tolist() for a in graph.edges), strict=True)
    }
    assert ("user_0.py", "core.py", "Engine") in edges
    assert ("calls_leaf.py", "leaf.py", "lonely_helper") in edges
    assert not any(src == dst for src, dst, _ in edges)


def test_a_definition_used_by_many_files_outranks_one_used_by_one(store):
    ranking = rank_files(build_graph(store))
    flow = rank_definitions(ranking)
    graph = ranking.graph
    many = flow[(graph.nodes["core.py"], graph.name_ids["make_engine"])]
    one = flow[(graph.nodes["leaf.py"], graph.name_ids["lonely_helper"])]
    assert many > 2 * one


def test_common_private_and_ambiguous_names_weigh_less():
    assert name_weight("parse_response", 1) > name_weight("parse", 1)
    assert name_weight("_private_helper", 1) < name_weight("private_helper", 1)
    assert name_weight("get", 8) < name_weight("get", 1) / 10
    assert name_weight("id", 1) < name_weight("ident", 1)
    assert name_weight("write", 1, member=True) < name_weight("write", 1)


def test_a_name_defined_in_two_files_links_to_both():
    graph = graph_from_pairs(
        ["a.py", "b.py", "c.py"],
        [("b.py", "Shared", False), ("c.py", "Shared", False)],
        [("a.py", "Shared")],
    )
    _, dst, _, weight = graph.edges
    assert sorted(dst.tolist()) == [1, 2]
    assert weight[0] == pytest.approx(weight[1])


def test_empty_graph_ranks_nothing():
    ranking = rank_files(graph_from_pairs([], [], []))
    assert ranking.top() == []


def textbook_pagerank(size, src, dst, weight, restart, damping=0.85):
    """PageRank over an explicit edge list by the power iteration, run to convergence: the
    reference. A file with no way out hands its rank to the restart distribution."""
    out_weight = np.bincount(src, weights=weight, minlength=size)
    share = weight / np.where(out_weight[src] > 0, out_weight[src], 1.0)
    dangling = out_weight == 0
    p = np.full(size, 1.0 / size) if restart is None else restart / restart.sum()
    rank = p.copy()
    for _ in range(2000):
        flow = np.bincount(dst, weights=rank[src] * share, minlength=size)
        new = (1 - damping) * p + damping * (flow + rank[dangling].sum() * p)
        if np.abs(new - rank).sum() < 1e-15:
            return new
        rank = new
    return rank


def test_the_factored_walk_equals_pagerank_over_the_expanded_edges(store):
    from assistant.context.rank import _restart_vector

    graph = build_graph(store)
    src, dst, _, weight = graph.edges
    for focus in (Focus(), Focus(files=("leaf.py",)), Focus(identifiers=("make_engine",))):
        restart = _restart_vector(graph, focus)
        if focus.identifiers:
            boosted = [graph.name_ids[name] for name in focus.identifiers]
            weight = weight * np.where(np.isin(graph.edges[2], boosted), 10.0, 1.0)
        expected = textbook_pagerank(graph.size, src, dst, weight, restart)
        assert rank_files(graph, focus).scores == pytest.approx(expected, abs=1e-9)


def test_the_solver_matches_the_power_iteration_on_a_large_graph_with_dead_ends():
    """GMRES replaced the power iteration: on a random graph of 400 files, some using nothing
    (their rank restarts) and some defining names many files share, every focus gives the
    textbook walk's scores."""
    rng = np.random.default_rng(7)
    paths = [f"pkg{i % 9}/m{i}.py" for i in range(400)]
    definitions = [
        (paths[int(rng.integers(400))], f"name_{n}", bool(rng.integers(2))) for n in range(900)
    ]
    definitions += [(paths[i], "shared_everywhere", False) for i in range(0, 400, 13)]
    users = [path for path in paths if rng.random() > 0.15]  # the rest: dead ends
    uses = [
        (users[int(rng.integers(len(users)))], f"name_{int(rng.integers(900))}")
        for _ in range(6000)
    ] + [(path, "shared_everywhere") for path in users[::5]]
    graph = graph_from_pairs(paths, definitions, uses)
    src, dst, _, weight = graph.edges
    assert (np.bincount(src, minlength=graph.size) == 0).sum() >= 40  # dead ends are there
    from assistant.context.rank import _restart_vector

    for focus in (Focus(), Focus(files=(paths[5],)), Focus(files=(paths[1], paths[300]))):
        expected = textbook_pagerank(graph.size, src, dst, weight, _restart_vector(graph, focus))
        scores = rank_files(graph, focus).scores
        assert scores.sum() == pytest.approx(1.0)
        # as close as the power iteration it replaced came (it stopped at an L1 step of 1e-6)
        assert np.abs(scores - expected).sum() < 1e-5
        best = [graph.paths[i] for i in np.argsort(-expected, kind="stable")[:10]]
        assert [path for path, _ in rank_files(graph, focus).top(10)] == best


def test_solving_for_the_files_that_send_and_receive_alone_gives_the_whole_solution():
    """Files that define nothing used (they only send), use nothing (they only receive) or
    neither lie outside the walk's core: no file outside it both sends and receives, and
    solved for the core alone, every score is as close to the exact solution as a solve of the
    whole system's."""
    from assistant.context.rank import _plain_walk, _restart_vector
    from assistant.context.solver import solve_pagerank

    rng = np.random.default_rng(5)
    paths = [f"m{i}.py" for i in range(300)]
    definers, users = paths[:200], paths[100:280]  # the last 20: neither
    definitions = [(definers[int(rng.integers(200))], f"n{k}", False) for k in range(400)]
    uses = [(users[int(rng.integers(180))], f"n{int(rng.integers(400))}") for _ in range(2000)]
    graph = graph_from_pairs(paths, definitions, uses)
    walk = _plain_walk(graph)
    core = set(walk.core.tolist())
    flow = np.stack([walk.step(column) for column in np.eye(graph.size)], axis=1)
    for node in set(range(graph.size)) - core:
        assert not flow[node].any() or not flow[:, node].any()
    assert 150 in core and not {0, 250, 290} & core  # both; only receives, sends, neither
    for focus in (Focus(), Focus(files=(paths[150],)), Focus(files=(paths[0], paths[250]))):
        restart = _restart_vector(graph, focus)
        p = np.full(graph.size, 1 / graph.size) if restart is None else restart / restart.sum()
        exact = np.linalg.solve(np.eye(graph.size) - 0.85 * flow, p)
        exact /= exact.sum()
        for scores in (rank_files(graph, focus).scores, solve_pagerank(300, walk.step, restart)):
            assert np.abs(scores - exact).max() < 1e-7 * exact.max()  # as GMRES's residual allows


def test_gmres_solves_a_walk_system_and_survives_a_singular_one():
    from assistant.context.solver import _gmres

    rng = np.random.default_rng(3)
    walk = rng.random((60, 60)) * (rng.random((60, 60)) < 0.1)
    walk /= np.maximum(walk.sum(axis=0), 1e-12)  # columns sum to 1 (or 0: dead ends)
    system = np.eye(60) - 0.85 * walk
    b = rng.random(60)
    y = _gmres(lambda v: system @ v, b, 1e-10 * float(np.linalg.norm(b)))
    assert y == pytest.approx(np.linalg.solve(system, b), rel=1e-7)
    nothing = _gmres(lambda v: 0.0 * v, b, 1e-6 * float(np.linalg.norm(b)))
    assert not nothing.any()  # nothing to find, and no error


def test_a_ranking_depends_on_the_graph_and_focus_alone():
    """Ranking the same focus again, after others, gives the very same scores: nothing a
    process ranked before changes the answer (or the map it caches on disk)."""
    rng = np.random.default_rng(11)
    paths = [f"m{i}.py" for i in range(300)]
    definitions = [(paths[int(rng.integers(300))], f"n{k}", False) for k in range(600)]
    uses = [(paths[int(rng.integers(300))], f"n{int(rng.integers(600))}") for _ in range(3000)]
    graph = graph_from_pairs(paths, definitions, uses)
    focus, mentioned = Focus(files=(paths[7],)), Focus(files=(paths[7],), identifiers=("n5",))
    first = rank_files(graph, focus).scores
    first_mentioned = rank_files(graph, mentioned).scores
    for other in (Focus(), Focus(files=(paths[8],)), Focus(identifiers=("n3",))):
        rank_files(graph, other)
    assert rank_files(graph, focus).scores.tolist() == first.tolist()
    # a walk with mentioned names is the plain walk reweighed: the same whoever made that
    rank._last_walk.clear()
    assert rank_files(graph, mentioned).scores.tolist() == first_mentioned.tolist()
    assert rank_files(graph, focus).scores.tolist() == first.tolist()
