"""Fetching from OSM: fails fast offline; the fetched-file writer round-trips."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from osm_samples import dual_carriageway_with_service_area

from transport_sim.errors import NetworkFetchError
from transport_sim.network import fetch_network, load_network


def test_needs_exactly_one_of_place_and_bbox(tmp_path: Path) -> None:
    with pytest.raises(NetworkFetchError, match="exactly one"):
        fetch_network(None, None, tmp_path / "x.osm")
    with pytest.raises(NetworkFetchError, match="exactly one"):
        fetch_network("Shiyan", (110.6, 32.5, 110.9, 32.8), tmp_path / "x.osm")
    with pytest.raises(NetworkFetchError, match="west, south, east, north"):
        fetch_network(None, (110.9, 32.5, 110.6, 32.8), tmp_path / "x.osm")


def test_offline_fails_fast_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> socket.socket:
        raise OSError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(NetworkFetchError) as info:
        fetch_network("Shiyan, Hubei, China", None, tmp_path / "shiyan.osm")
    message = str(info.value)
    assert "\n" not in message
    assert "cannot reach the OSM servers from this machine" in message
    assert "supply an OSM file instead" in message
    assert not (tmp_path / "shiyan.osm").exists()


def test_fetched_file_writer_round_trips(
    write_osm: Callable[[str, str], Path], tmp_path: Path, network_cache: Path
) -> None:
    ox = pytest.importorskip("osmnx")
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import LineString, Point

    from transport_sim.network.fetch import write_fetched_xml

    saved = ox.settings.all_oneway
    ox.settings.all_oneway = True
    try:
        graph = ox.graph_from_xml(
            write_osm("src.osm", dual_carriageway_with_service_area()),
            simplify=False,
            retain_all=True,
        )
    finally:
        ox.settings.all_oneway = saved
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    features = gpd.GeoDataFrame(
        {
            "amenity": ["fuel", None, None],
            "highway": [None, "services", None],
            "route": [None, None, "ferry"],
            "name": ["Fuel 1", "Test SA", "Ferry"],
        },
        geometry=[
            Point(110.5030, 32.5100),
            Point(110.5002, 32.5100),
            LineString([(110.51, 32.51), (110.52, 32.51), (110.53, 32.52)]),
        ],
        crs="EPSG:4326",
    )
    out = write_fetched_xml(graph, features, tmp_path / "fetched.osm")
    assert ox.settings.all_oneway == saved
    net = load_network(out, cache_dir=network_cache)
    assert not net.schematic
    assert net.roads.n_edges >= 4
    assert [p.name for p in net.pois_of_kind("fuel")] == ["Fuel 1"]
    assert [s.name for s in net.service_areas] == ["Test SA"]
    assert net.water is not None
    assert net.water.n_edges == 2
