"""Gateways where expressways and national roads leave the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from osm_samples import node, way

from transport_sim.network import Network, load_network


def test_schematic_gateways_cover_the_expressways(embedded: Network) -> None:
    names = {g.name for g in embedded.gateways}
    assert {"G70", "G7011", "G59", "G4213", "G316", "G209", "G346", "G242"} <= names
    by_class = {g.road_class for g in embedded.gateways}
    assert by_class == {"expressway", "national"}
    for g in embedded.gateways:
        assert 0 <= g.node_in < embedded.roads.n_nodes
        assert 0 <= g.node_out < embedded.roads.n_nodes


def test_clipped_dual_carriageway_is_one_gateway(
    write_osm: Callable[[str, str], Path], network_cache: Path
) -> None:
    """Two one-way carriageways cut by the clip: enter at one junction, leave at another."""
    body = "\n".join(
        [
            # a local loop 1-2-3-4 (two-way), strongly connected
            node(1, 110.00, 32.00),
            node(2, 110.01, 32.00),
            node(3, 110.01, 32.01),
            node(4, 110.00, 32.01),
            way(10, [1, 2, 3, 4, 1], highway="residential"),
            # inbound carriageway from the clip edge (node 5) to junction 2
            node(5, 110.05, 32.0002),
            way(11, [5, 2], highway="motorway", oneway="yes", ref="G9"),
            # outbound carriageway from junction 3 to the clip edge (node 6)
            node(6, 110.05, 32.0006),
            way(12, [3, 6], highway="motorway", oneway="yes", ref="G9"),
        ]
    )
    net = load_network(write_osm("clip.osm", body), cache_dir=network_cache)
    assert net.dropped.road_nodes_outside_scc == 2
    assert len(net.gateways) == 1
    gate = net.gateways[0]
    assert gate.name == "G9"
    assert gate.road_class == "expressway"
    assert net.roads.index_to_osm(gate.node_in) == 2
    assert net.roads.index_to_osm(gate.node_out) == 3
