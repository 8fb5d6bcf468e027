"""GraphArrays: CSR layout, id maps, merging."""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.codes import ROAD_CLASS_WATER, ROAD_CLASSES
from transport_sim.network.arrays import GraphArrays, graph_arrays_from_edges, merge_graph_arrays


def small_graph(osm_ids: tuple[int, ...] = (30, 10, 20)) -> GraphArrays:
    graph, _ = graph_arrays_from_edges(
        node_osm_id=np.array(osm_ids),
        node_lon=np.array([110.0, 110.01, 110.02]),
        node_lat=np.array([32.0, 32.0, 32.0]),
        edge_tail=np.array([2, 0, 1, 0]),
        edge_head=np.array([0, 1, 2, 2]),
        edge_length_m=np.array([1000.0, 500.0, 250.0, 2000.0]),
        edge_speed_kph=np.array([36.0, 18.0, 36.0, 72.0]),
        edge_class=np.array([5, 4, 3, 0]),
        edge_name=["c", "a", "b", ""],
    )
    return graph


def test_edges_are_sorted_by_tail_and_indptr_agrees() -> None:
    g = small_graph()
    assert g.n_nodes == 3
    assert g.n_edges == 4
    assert g.indptr.dtype == np.int32
    assert g.edge_tail.dtype == np.int32
    assert g.edge_class.dtype == np.int8
    assert list(g.edge_tail) == [0, 0, 1, 2]
    assert list(g.indptr) == [0, 2, 3, 4]
    for u in range(g.n_nodes):
        assert set(g.edge_tail[g.out_edges(u)]) <= {u}
    # travel time = length / speed
    np.testing.assert_allclose(g.edge_travel_time_s, g.edge_length_m / (g.edge_speed_kph / 3.6))
    assert list(g.edge_name) == ["a", "", "b", "c"]


def test_arrays_are_read_only() -> None:
    g = small_graph()
    with pytest.raises(ValueError, match="read-only"):
        g.edge_length_m[0] = 1.0


def test_osm_id_maps_round_trip() -> None:
    g = small_graph()
    for i in range(g.n_nodes):
        assert g.osm_to_index(g.index_to_osm(i)) == i
    assert g.osm_to_index(20) == 2
    with pytest.raises(KeyError, match="99"):
        g.osm_to_index(99)
    with pytest.raises(IndexError):
        g.index_to_osm(3)


def test_inconsistent_csr_is_rejected() -> None:
    g = small_graph()
    with pytest.raises(ValueError, match="indptr"):
        GraphArrays(
            g.node_osm_id,
            g.node_lon,
            g.node_lat,
            np.array([0, 1, 3, 4]),
            g.edge_tail,
            g.edge_head,
            g.edge_length_m,
            g.edge_speed_kph,
            g.edge_travel_time_s,
            g.edge_class,
            g.edge_name,
        )
    with pytest.raises(ValueError, match="edge_class"):
        GraphArrays(
            g.node_osm_id,
            g.node_lon,
            g.node_lat,
            g.indptr,
            g.edge_tail,
            g.edge_head,
            g.edge_length_m,
            g.edge_speed_kph,
            g.edge_travel_time_s,
            np.full(4, len(ROAD_CLASSES)),
            g.edge_name,
        )


def test_merge_offsets_the_second_graph() -> None:
    a = small_graph()
    b, _ = graph_arrays_from_edges(
        np.array([7, 8]),
        np.array([111.0, 111.1]),
        np.array([32.5, 32.5]),
        np.array([0, 1]),
        np.array([1, 0]),
        np.array([9000.0, 9000.0]),
        np.array([15.0, 15.0]),
        np.full(2, ROAD_CLASS_WATER),
        ["ferry", "ferry"],
    )
    merged, offset = merge_graph_arrays(a, b)
    assert offset == a.n_nodes
    assert merged.n_nodes == a.n_nodes + b.n_nodes
    assert merged.n_edges == a.n_edges + b.n_edges
    np.testing.assert_array_equal(merged.edge_tail[a.n_edges :], b.edge_tail + offset)
    np.testing.assert_array_equal(merged.edge_head[a.n_edges :], b.edge_head + offset)
    np.testing.assert_array_equal(merged.edge_head[: a.n_edges], a.edge_head)
    assert merged.osm_to_index(8) == offset + 1
    assert merged.edge_class[-1] == ROAD_CLASS_WATER
