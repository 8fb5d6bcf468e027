"""Service areas snap to a node on each carriageway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from osm_samples import dual_carriageway_with_service_area

from transport_sim.codes import ROAD_CLASSES
from transport_sim.network import Network, load_network
from transport_sim.network.geo import haversine_m

EXPRESSWAY = ROAD_CLASSES.index("expressway")


def angle(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def on_expressway(net: Network, node: int) -> bool:
    g = net.roads
    touching = (g.edge_tail == node) | (g.edge_head == node)
    return bool((g.edge_class[touching] == EXPRESSWAY).any())


def test_every_schematic_service_area_reaches_both_carriageways(embedded: Network) -> None:
    assert 15 <= len(embedded.service_areas) <= 25
    assert not embedded.dropped.service_areas_unsnapped
    radius = embedded.options.service_area_radius_m
    g = embedded.roads
    for sa in embedded.service_areas:
        assert sa.kind in {"services", "rest_area"}
        assert len(sa.nodes) == 2, sa.name
        a, b = sa.nodes
        assert a != b
        assert angle(*sa.bearing_deg) > 120.0, sa.name
        for node, snap_m in zip(sa.nodes, sa.snap_m, strict=True):
            assert on_expressway(embedded, node)
            assert snap_m <= radius
            d = float(haversine_m(sa.lon, sa.lat, g.node_lon[node], g.node_lat[node]))
            assert d == pytest.approx(snap_m, abs=0.2)
    names = {sa.name for sa in embedded.service_areas}
    assert {"武当山服务区", "沧浪山服务区", "青曲停车区", "郧西服务区", "房县服务区"} <= names


@pytest.mark.parametrize("as_area", [False, True])
def test_synthetic_service_area_snaps_to_both_oneway_motorways(
    write_osm: Callable[[str, str], Path], network_cache: Path, as_area: bool
) -> None:
    path = write_osm("sa.osm", dual_carriageway_with_service_area(as_area=as_area))
    net = load_network(path, cache_dir=network_cache)
    assert len(net.service_areas) == 1
    sa = net.service_areas[0]
    assert sa.name == "Test SA"
    assert sa.kind == "services"
    assert len(sa.nodes) == 2
    east = net.roads.node_lon[list(sa.nodes)] > 110.5
    assert east.sum() == 1  # one node on each carriageway
    assert sorted(round(b) % 360 for b in sa.bearing_deg) == [0, 180]
    assert all(0 < d <= 1500.0 for d in sa.snap_m)
    assert sa.osm_ref.startswith("way/" if as_area else "node/")


def test_service_area_out_of_reach_is_reported(
    write_osm: Callable[[str, str], Path], network_cache: Path
) -> None:
    body = dual_carriageway_with_service_area().replace(
        'lat="32.5100000" lon="110.5002000"', 'lat="32.6000000" lon="110.6000000"'
    )
    net = load_network(write_osm("far.osm", body), cache_dir=network_cache)
    assert net.service_areas == ()
    assert net.dropped.service_areas_unsnapped == ("Test SA",)
    assert np.isfinite(net.roads.edge_travel_time_s).all()
