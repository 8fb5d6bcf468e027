"""Fastest paths on the CSR arrays agree with networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_sim.errors import UnreachableError
from transport_sim.network import (
    GraphArrays,
    Network,
    Router,
    graph_arrays_from_edges,
    shortest_path,
    shortest_path_trees,
)


def to_networkx(graph: GraphArrays) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    for e in range(graph.n_edges):
        g.add_edge(
            int(graph.edge_tail[e]),
            int(graph.edge_head[e]),
            key=e,
            time=float(graph.edge_travel_time_s[e]),
        )
    return g


def walk(graph: GraphArrays, next_edge_row: np.ndarray, source: int, target: int) -> list[int]:
    edges, node = [], source
    while node != target:
        edge = int(next_edge_row[node])
        assert edge >= 0
        assert graph.edge_tail[edge] == node
        edges.append(edge)
        node = int(graph.edge_head[edge])
        assert len(edges) <= graph.n_nodes
    return edges


def test_trees_match_networkx_on_the_embedded_network(embedded: Network) -> None:
    graph = embedded.roads
    nxg = to_networkx(graph)
    rng = np.random.default_rng(7)
    sources = rng.integers(0, graph.n_nodes, 50)
    targets = rng.integers(0, graph.n_nodes, 50)
    trees = shortest_path_trees(graph, targets)
    assert trees.next_edge.shape == (50, graph.n_nodes)
    assert trees.next_edge.dtype == np.int32
    assert trees.dist_m.dtype == np.float32
    assert trees.time_s.dtype == np.float32
    for row, (s, t) in enumerate(zip(sources, targets, strict=True)):
        expected_s = nx.shortest_path_length(nxg, int(s), int(t), weight="time")
        assert trees.time_s[row, s] == pytest.approx(expected_s, rel=1e-5, abs=1e-3)
        edges = walk(graph, trees.next_edge[row], int(s), int(t))
        assert graph.edge_travel_time_s[edges].sum() == pytest.approx(
            expected_s, rel=1e-5, abs=1e-3
        )
        assert trees.dist_m[row, s] == pytest.approx(
            graph.edge_length_m[edges].sum(), rel=1e-5, abs=1e-2
        )
        assert trees.next_edge[row, t] == -1
        assert trees.dist_m[row, t] == 0.0
    # the embedded network is strongly connected: every node reaches every target
    assert np.isfinite(trees.time_s).all()


def test_shortest_path_returns_connected_fastest_edges(embedded: Network) -> None:
    graph = embedded.roads
    nxg = to_networkx(graph)
    rng = np.random.default_rng(11)
    for s, t in rng.integers(0, graph.n_nodes, (5, 2)):
        edges = shortest_path(graph, int(s), int(t))
        assert edges.dtype == np.int32
        if s == t:
            assert edges.size == 0
            continue
        assert graph.edge_tail[edges[0]] == s
        assert graph.edge_head[edges[-1]] == t
        np.testing.assert_array_equal(graph.edge_head[edges[:-1]], graph.edge_tail[edges[1:]])
        expected = nx.shortest_path_length(nxg, int(s), int(t), weight="time")
        assert graph.edge_travel_time_s[edges].sum() == pytest.approx(expected, rel=1e-9)


def two_islands() -> GraphArrays:
    """Nodes 0 <-> 1 and 2 -> 3 (no way between the pairs, none from 3 to 2)."""
    graph, _ = graph_arrays_from_edges(
        np.array([100, 101, 102, 103]),
        np.array([110.0, 110.01, 111.0, 111.01]),
        np.full(4, 32.0),
        np.array([0, 1, 2]),
        np.array([1, 0, 3]),
        np.array([1000.0, 1000.0, 500.0]),
        np.full(3, 36.0),
        np.full(3, 5),
        ["", "", ""],
    )
    return graph


def test_unreachable_targets_give_minus_one_and_inf() -> None:
    graph = two_islands()
    trees = shortest_path_trees(graph, np.array([3, 0]))
    assert list(trees.next_edge[0]) == [-1, -1, 2, -1]
    assert np.isinf(trees.time_s[0, [0, 1]]).all()
    assert np.isinf(trees.dist_m[0, [0, 1]]).all()
    assert trees.dist_m[0, 2] == pytest.approx(500.0)
    assert trees.time_s[0, 2] == pytest.approx(50.0)
    assert np.isinf(trees.time_s[1, [2, 3]]).all()


def test_shortest_path_raises_one_line_naming_both_nodes() -> None:
    graph = two_islands()
    with pytest.raises(UnreachableError) as info:
        shortest_path(graph, 3, 2)
    message = str(info.value)
    assert "\n" not in message
    assert "node 3" in message
    assert "node 2" in message
    assert "103" in message


def test_parallel_edges_use_the_fastest() -> None:
    graph, _ = graph_arrays_from_edges(
        np.array([1, 2]),
        np.array([110.0, 110.01]),
        np.full(2, 32.0),
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([1000.0, 1200.0]),
        np.array([10.0, 120.0]),
        np.array([5, 0]),
        ["slow", "fast"],
    )
    trees = shortest_path_trees(graph, np.array([1]))
    fast = int(np.flatnonzero(graph.edge_name == "fast")[0])
    assert trees.next_edge[0, 0] == fast
    assert trees.dist_m[0, 0] == pytest.approx(1200.0)
    assert trees.time_s[0, 0] == pytest.approx(36.0)


def test_router_caches_trees_per_target(embedded: Network) -> None:
    router = Router(embedded.roads)
    targets = np.array([5, 17, 5])
    trees = router.trees(targets)
    assert trees.next_edge.shape == (3, embedded.roads.n_nodes)
    assert set(router.cached_targets) == {5, 17}
    again = router.trees([17])
    np.testing.assert_array_equal(again.next_edge[0], trees.next_edge[1])
    path = router.path(100, 17)
    assert embedded.roads.edge_head[path[-1]] == 17
    assert router.travel_time_s(100, 17) == pytest.approx(
        embedded.roads.edge_travel_time_s[path].sum(), rel=1e-5
    )
    router.clear()
    assert router.cached_targets == ()


@st.composite
def random_graphs(draw: st.DrawFn) -> GraphArrays:
    n = draw(st.integers(2, 7))
    m = draw(st.integers(1, 16))
    tails = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    heads = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    lengths = draw(st.lists(st.floats(1.0, 5000.0), min_size=m, max_size=m))
    speeds = draw(st.lists(st.floats(5.0, 120.0), min_size=m, max_size=m))
    graph, _ = graph_arrays_from_edges(
        np.arange(1, n + 1),
        np.linspace(110.0, 110.1, n),
        np.full(n, 32.0),
        np.array(tails),
        np.array(heads),
        np.array(lengths),
        np.array(speeds),
        np.full(m, 5),
        [""] * m,
    )
    return graph


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_trees_match_networkx_on_random_graphs(graph: GraphArrays) -> None:
    nxg = to_networkx(graph)
    targets = np.arange(graph.n_nodes)
    trees = shortest_path_trees(graph, targets)
    lengths = dict(nx.all_pairs_dijkstra_path_length(nxg, weight="time"))
    for t in targets:
        for u in range(graph.n_nodes):
            expected = lengths[u].get(int(t))
            if expected is None:
                assert trees.next_edge[t, u] == -1
                assert np.isinf(trees.time_s[t, u])
                continue
            assert trees.time_s[t, u] == pytest.approx(expected, rel=1e-5, abs=1e-4)
            edges = walk(graph, trees.next_edge[t], u, int(t))
            assert trees.dist_m[t, u] == pytest.approx(
                graph.edge_length_m[edges].sum(), rel=1e-5, abs=1e-3
            )
