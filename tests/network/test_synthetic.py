"""Generated synthetic networks load through the normal OSM loader, connected and complete."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from transport_sim.network import load_network
from transport_sim.network.synthetic import SyntheticSpec, write_synthetic_osm
from transport_sim.sim.fleet_needs import missing_features


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_generated_file_loads_connected_with_every_feature_a_run_needs(
    tmp_path: Path, suffix: str
) -> None:
    path = write_synthetic_osm(tmp_path / f"grid{suffix}", 2500)
    net = load_network(path, use_cache=False)
    side = SyntheticSpec(2500).side
    # the grid's junctions plus the expressway nodes; nothing cut off
    assert side * side <= net.roads.n_nodes <= side * side * 1.1
    assert net.dropped.road_nodes_outside_scc == 0
    assert net.dropped.pois_unsnapped == 0
    assert not net.dropped.ports_unsnapped
    g = net.roads
    adj = csr_matrix((np.ones(g.n_edges), (g.edge_tail, g.edge_head)), shape=(g.n_nodes,) * 2)
    n_comp, _ = connected_components(adj, directed=True, connection="strong")
    assert n_comp == 1
    assert len(net.gateways) == 4  # both ends of both expressways
    assert len(net.service_areas) >= 2
    assert len(net.bus_routes) == 33
    assert len(net.ports) == 6
    for fleet in ("bus", "taxi", "truck", "ship"):
        assert missing_features(net, fleet) == []
    classes = {int(c) for c in np.unique(g.edge_class)}
    assert len(classes) >= 4  # expressway, primary/secondary/tertiary, local
    assert not net.schematic


def test_generated_file_is_deterministic(tmp_path: Path) -> None:
    a = write_synthetic_osm(tmp_path / "a.osm", 900)
    b = write_synthetic_osm(tmp_path / "b.osm", 900)
    assert a.read_bytes() == b.read_bytes()
    c = write_synthetic_osm(tmp_path / "c.osm", 900, seed=1)
    assert a.read_bytes() != c.read_bytes()


def test_spec_refuses_tiny_grids() -> None:
    with pytest.raises(ValueError, match="at least 400"):
        SyntheticSpec(100)
