"""The embedded schematic Shiyan network and its builder."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from transport_sim.codes import ROAD_CLASSES
from transport_sim.network import Network, Router, embedded_network_path
from transport_sim.network.osm_read import read_osm
from transport_sim.network.tags import POI_KINDS

REPO = Path(__file__).resolve().parents[2]
CITY_BOX = (110.64, 110.90, 32.59, 32.73)  # lon min/max, lat min/max of the urban valley


def builder() -> ModuleType:
    path = REPO / "networks" / "build_shiyan.py"
    spec = importlib.util.spec_from_file_location("build_shiyan_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_embedded_path_is_the_committed_file() -> None:
    path = embedded_network_path()
    assert path == REPO / "networks" / "shiyan_schematic.osm"
    assert path.is_file()
    assert path.stat().st_size < 10_000_000
    head = path.read_text(encoding="utf-8")[:600]
    assert "SCHEMATIC" in head
    assert 'generator="transport_sim schematic builder"' in head


def test_builder_is_deterministic_and_matches_the_committed_file(tmp_path: Path) -> None:
    out = tmp_path / "rebuilt.osm"
    builder().build(out)
    assert out.read_bytes() == embedded_network_path().read_bytes()


def test_schematic_flag_and_sizes(embedded: Network) -> None:
    assert embedded.schematic
    g = embedded.roads
    assert 3_000 <= g.n_nodes <= 8_000
    assert 8_000 <= g.n_edges <= 20_000
    lon0, lon1, lat0, lat1 = CITY_BOX
    inside = (g.node_lon > lon0) & (g.node_lon < lon1) & (g.node_lat > lat0) & (g.node_lat < lat1)
    city_edges = int((inside[g.edge_tail] & inside[g.edge_head]).sum())
    assert city_edges >= 5_000
    assert embedded.dropped.road_nodes_outside_scc < 0.01 * g.n_nodes
    assert embedded.dropped.pois_unsnapped == 0
    km = embedded.road_km_by_class()
    for name in ROAD_CLASSES[:-1]:
        assert km[name] > 50.0, name


def test_city_has_one_way_streets(embedded: Network) -> None:
    g = embedded.roads
    local = np.flatnonzero(g.edge_class >= ROAD_CLASSES.index("collector"))
    pairs = set(zip(g.edge_tail[local].tolist(), g.edge_head[local].tolist(), strict=True))
    oneway = [p for p in pairs if (p[1], p[0]) not in pairs]
    assert len(oneway) > 50


def test_osm_tags_are_those_of_real_osm() -> None:
    extract = read_osm(embedded_network_path())
    refs = {w.tags.get("ref") for w in extract.road_ways if w.tags["highway"] == "motorway"}
    assert {"G70", "G7011", "G59", "G4213"} <= refs
    motorway = [w for w in extract.road_ways if w.tags["highway"] == "motorway"]
    assert sum(w.tags.get("oneway") == "yes" for w in motorway) > 20
    assert all("maxspeed" in w.tags for w in motorway if w.tags.get("oneway") == "yes")
    names = {w.tags.get("name") for w in extract.road_ways}
    assert {"车城路", "人民路", "北京路", "发展大道", "十堰大道", "三峡路", "玄岳大道"} <= names
    assert {"316国道", "209国道", "346国道", "242国道", "环库公路"} <= names
    assert any(w.tags["highway"] == "motorway_link" for w in extract.road_ways)
    kinds = {w.kind for w in extract.water_ways}
    assert kinds == {"ferry", "fairway"}


def test_features(embedded: Network) -> None:
    assert len(embedded.ports) >= 10
    for kind in POI_KINDS:
        assert embedded.pois_of_kind(kind), kind
    assert len(embedded.pois_of_kind("bus_stop")) >= 300
    assert len(embedded.pois_of_kind("bus_station")) >= 12
    plants = {p.name for p in embedded.pois_of_kind("industry")}
    assert any("东风" in name for name in plants)
    logistics = embedded.pois_of_kind("logistics")
    assert logistics[0].name.startswith("十堰生产服务型国家物流枢纽")
    towns = {p.name for p in embedded.pois_of_kind("zone") if p.subkind == "town"}
    assert {"郧阳区", "丹江口市", "郧西县", "竹山县", "竹溪县", "房县", "武当山"} <= towns


def test_bus_lines(embedded: Network) -> None:
    routes = embedded.bus_routes
    assert len(routes) >= 26
    city = [r for r in routes if not r.ref.startswith("K")]
    county = [r for r in routes if r.ref.startswith("K")]
    assert len(city) >= 20
    assert len(county) >= 6
    stops = sorted({s for r in routes for s in r.stops})
    trees = Router(embedded.roads).trees(stops)
    row = {s: i for i, s in enumerate(stops)}

    def length_km(route: tuple[int, ...]) -> float:
        legs = [trees.dist_m[row[b], a] for a, b in itertools.pairwise(route)]
        return float(np.sum(legs)) / 1000.0

    for r in city:
        assert 8.0 <= length_km(r.stops) <= 25.0, (r.ref, length_km(r.stops))
        assert len(r.stops) >= 10
    for r in county:
        assert length_km(r.stops) >= 25.0


@pytest.mark.parametrize(
    ("a", "b", "low_km", "high_km"),
    [
        ("花果公交首末站", "白浪公交首末站", 18.0, 35.0),  # the valley, ~30 km along the road
        ("发展大道公交首末站", "郧阳汽车站", 15.0, 45.0),
    ],
)
def test_distances_between_places_are_plausible(
    embedded: Network, a: str, b: str, low_km: float, high_km: float
) -> None:
    by_name = {p.name: p for p in embedded.pois}
    router = Router(embedded.roads)
    km = router.distance_m(by_name[a].node, by_name[b].node) / 1000.0
    assert low_km <= km <= high_km
