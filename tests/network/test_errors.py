"""Bad network files give one-line NetworkDataError messages naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from osm_samples import node, way

from transport_sim.errors import NetworkDataError, TransportSimError
from transport_sim.network import load_network


def check(path: Path, cache: Path, *fragments: str) -> str:
    with pytest.raises(NetworkDataError) as info:
        load_network(path, cache_dir=cache)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, TransportSimError)
    assert isinstance(info.value, ValueError)
    assert not list(cache.glob("*.npz"))  # nothing cached for a bad file
    return message


def test_missing_file(tmp_path: Path) -> None:
    check(tmp_path / "nowhere.osm", tmp_path / "cache", "does not exist")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.osm"
    folder.mkdir()
    check(folder, tmp_path / "cache", "not a file")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_bytes(b"")
    check(path, tmp_path / "cache", "empty")


def test_truncated_xml(tmp_path: Path, write_osm: Callable[[str, str], Path]) -> None:
    full = write_osm(
        "full.osm", node(1, 110.0, 32.0) + node(2, 110.01, 32.0) + way(3, [1, 2], highway="primary")
    )
    path = tmp_path / "truncated.osm"
    path.write_bytes(full.read_bytes()[:150])
    check(path, tmp_path / "cache", "corrupt, truncated or not OSM")


@pytest.mark.parametrize("name", ["notes.txt", "notes.osm", "notes.osm.pbf"])
def test_text_file_is_not_osm(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("these are my notes, not a map\nsecond line\n", encoding="utf-8")
    check(path, tmp_path / "cache", "not an OSM file")


def test_other_xml_is_not_osm(tmp_path: Path) -> None:
    path = tmp_path / "page.osm"
    path.write_text("<html><body><p>hello</p></body></html>", encoding="utf-8")
    check(path, tmp_path / "cache")


def test_truncated_pbf(tmp_path: Path, pyrosm_data: Path) -> None:
    data = (pyrosm_data / "test.osm.pbf").read_bytes()
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(data[: len(data) // 3])
    check(path, tmp_path / "cache", "corrupt, truncated or not OSM")


def test_only_footways(tmp_path: Path, write_osm: Callable[[str, str], Path]) -> None:
    path = write_osm(
        "footways.osm",
        node(1, 110.0, 32.0)
        + node(2, 110.01, 32.0)
        + node(3, 110.02, 32.0)
        + way(10, [1, 2], highway="footway")
        + way(11, [2, 3], highway="path")
        + way(12, [1, 3], highway="residential", access="private"),
    )
    check(path, tmp_path / "cache", "no drivable roads")


def test_no_connected_roads(tmp_path: Path, write_osm: Callable[[str, str], Path]) -> None:
    path = write_osm(
        "oneway.osm",
        node(1, 110.0, 32.0)
        + node(2, 110.01, 32.0)
        + way(10, [1, 2], highway="primary", oneway="yes"),
    )
    check(path, tmp_path / "cache", "no connected drivable road network")
