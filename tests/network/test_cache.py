"""The network cache: hits, keys, corrupt entries."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from osm_samples import dual_carriageway_with_service_area

from transport_sim.network import BuildOptions, Network, load_network, read_network_file
from transport_sim.network.cache import cache_entry_path, file_sha256


@pytest.fixture
def sample(write_osm: Callable[[str, str], Path]) -> Path:
    return write_osm("sample.osm", dual_carriageway_with_service_area())


def same_network(a: Network, b: Network) -> None:
    for name in ("node_osm_id", "node_lon", "indptr", "edge_head", "edge_travel_time_s"):
        np.testing.assert_array_equal(getattr(a.roads, name), getattr(b.roads, name))
    np.testing.assert_array_equal(a.roads.edge_name, b.roads.edge_name)
    assert a.service_areas == b.service_areas
    assert a.pois == b.pois
    assert a.gateways == b.gateways
    assert a.dropped == b.dropped
    assert a.sha256 == b.sha256
    assert a.schematic == b.schematic


def test_second_load_comes_from_the_cache(sample: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_network(sample, cache_dir=cache)
    assert not first.from_cache
    entries = list(cache.glob("network-*.npz"))
    assert len(entries) == 1
    assert entries[0] == cache_entry_path(cache, file_sha256(sample), BuildOptions())
    second = load_network(sample, cache_dir=cache)
    assert second.from_cache
    same_network(first, second)
    assert not list(cache.glob("*.tmp"))  # written atomically


def test_embedded_network_cache_hit(embedded: Network, network_cache: Path) -> None:
    again = load_network(None, cache_dir=network_cache)
    assert again.from_cache
    same_network(embedded, again)
    assert again.water is not None
    assert embedded.water is not None
    np.testing.assert_array_equal(again.water.edge_length_m, embedded.water.edge_length_m)
    assert again.ports == embedded.ports
    assert again.bus_routes == embedded.bus_routes


def test_same_content_elsewhere_hits_the_cache_with_its_own_path(
    sample: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    load_network(sample, cache_dir=cache)
    copy = tmp_path / "elsewhere" / "copy.osm"
    copy.parent.mkdir()
    shutil.copyfile(sample, copy)
    net = load_network(copy, cache_dir=cache)
    assert net.from_cache
    assert net.source == copy


def test_changing_the_file_or_the_options_changes_the_key(sample: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_network(sample, cache_dir=cache)
    sample.write_text(sample.read_text(encoding="utf-8") + "<!-- edited -->\n", encoding="utf-8")
    edited = load_network(sample, cache_dir=cache)
    assert not edited.from_cache
    unsimplified = load_network(sample, cache_dir=cache, options=BuildOptions(simplify=False))
    assert not unsimplified.from_cache
    assert unsimplified.roads.n_nodes > edited.roads.n_nodes
    assert len(list(cache.glob("network-*.npz"))) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncate", "empty"])
def test_corrupt_entry_is_rebuilt(sample: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    good = load_network(sample, cache_dir=cache)
    entry = cache_entry_path(cache, good.sha256, BuildOptions())
    data = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(b"not a zip file at all" * 10)
    elif damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    else:
        entry.write_bytes(b"")
    rebuilt = load_network(sample, cache_dir=cache)
    assert not rebuilt.from_cache
    same_network(good, rebuilt)
    assert load_network(sample, cache_dir=cache).from_cache
    read_network_file(entry)  # the rebuilt entry is valid again


def test_entry_of_another_file_is_not_trusted(
    sample: Path, tmp_path: Path, write_osm: Callable[[str, str], Path]
) -> None:
    cache = tmp_path / "cache"
    other = write_osm("other.osm", dual_carriageway_with_service_area(as_area=True))
    load_network(other, cache_dir=cache)
    other_entry = cache_entry_path(cache, file_sha256(other), BuildOptions())
    entry = cache_entry_path(cache, file_sha256(sample), BuildOptions())
    shutil.copyfile(other_entry, entry)  # a valid file under the wrong key
    net = load_network(sample, cache_dir=cache)
    assert not net.from_cache
    assert net.sha256 == file_sha256(sample)


def test_no_cache_writes_nothing(sample: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    net = load_network(sample, cache_dir=cache, use_cache=False)
    assert not net.from_cache
    assert not cache.exists()


def test_default_cache_dir_follows_the_environment(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSPORT_SIM_CACHE", str(tmp_path / "env_cache"))
    load_network(sample)
    assert len(list((tmp_path / "env_cache").glob("network-*.npz"))) == 1
