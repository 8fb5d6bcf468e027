"""The reservoir water graph: ports connected by fairways and ferry routes."""

from __future__ import annotations

import numpy as np

from transport_sim.codes import ROAD_CLASS_WATER
from transport_sim.network import Network, merge_graph_arrays, shortest_path_trees
from transport_sim.network.speeds import DEFAULT_SHIP_SPEED_KPH


def test_every_port_reaches_every_other_port(embedded: Network) -> None:
    water = embedded.water
    assert water is not None
    assert len(embedded.ports) >= 10
    nodes = np.array([p.water_node for p in embedded.ports])
    assert len(set(nodes.tolist())) == len(nodes)
    trees = shortest_path_trees(water, nodes)
    times = trees.time_s[:, nodes]
    assert np.isfinite(times).all()
    assert (trees.dist_m[:, nodes][~np.eye(len(nodes), dtype=bool)] > 500.0).all()


def test_water_edges_are_water_class_at_the_default_ship_speed(embedded: Network) -> None:
    water = embedded.water
    assert water is not None
    assert (water.edge_class == ROAD_CLASS_WATER).all()
    assert (water.edge_speed_kph == DEFAULT_SHIP_SPEED_KPH).all()
    # every fairway / ferry edge is navigable both ways
    pairs = set(zip(water.edge_tail.tolist(), water.edge_head.tolist(), strict=True))
    assert all((v, u) in pairs for u, v in pairs)
    assert water.total_length_m() / 2000.0 > 150.0  # km of fairways


def test_ports_have_landside_road_access(embedded: Network) -> None:
    names = {p.name for p in embedded.ports}
    assert {"丹江口港", "龙山码头", "凉水河码头", "习家店码头", "均县码头", "宋岗码头"} <= names
    assert any("郧阳港" in n for n in names)
    for port in embedded.ports:
        assert 0 <= port.road_node < embedded.roads.n_nodes
        assert port.road_snap_m < 300.0
        assert port.water_snap_m < 300.0


def test_roads_and_water_merge_for_the_kernels(embedded: Network) -> None:
    assert embedded.water is not None
    merged, offset = merge_graph_arrays(embedded.roads, embedded.water)
    port = embedded.ports[0]
    assert merged.node_lon[offset + port.water_node] == embedded.water.node_lon[port.water_node]
    assert (merged.edge_class[embedded.roads.n_edges :] == ROAD_CLASS_WATER).all()
