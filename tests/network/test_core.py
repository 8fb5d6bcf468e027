"""The Network object: nearest nodes, pickling, compressed inputs."""

from __future__ import annotations

import bz2
import gzip
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from osm_samples import dual_carriageway_with_service_area

from transport_sim.codes import ROAD_CLASSES
from transport_sim.errors import TransportSimError
from transport_sim.network import Network, load_network


def test_nearest_node_with_and_without_classes(embedded: Network) -> None:
    g = embedded.roads
    wuyan = (110.790, 32.642)
    any_node = embedded.nearest_node(*wuyan)
    assert abs(g.node_lon[any_node] - wuyan[0]) < 0.003
    assert abs(g.node_lat[any_node] - wuyan[1]) < 0.003
    fast = embedded.nearest_node(*wuyan, classes=("expressway",))
    touching = (g.edge_tail == fast) | (g.edge_head == fast)
    assert (g.edge_class[touching] == ROAD_CLASSES.index("expressway")).any()
    assert fast != any_node
    with pytest.raises(TransportSimError, match="unknown"):
        embedded.nearest_node(*wuyan, classes=("motorway",))


def test_network_pickles_for_workers(embedded: Network) -> None:
    embedded.nearest_node(110.79, 32.64)  # builds a snapping index, not pickled
    clone = pickle.loads(pickle.dumps(embedded))
    assert clone.sha256 == embedded.sha256
    np.testing.assert_array_equal(clone.roads.edge_head, embedded.roads.edge_head)
    assert clone.nearest_node(110.79, 32.64) == embedded.nearest_node(110.79, 32.64)


def test_km_by_class_adds_up(embedded: Network) -> None:
    km = embedded.road_km_by_class()
    assert set(km) == set(ROAD_CLASSES)
    assert km["water"] == 0.0
    assert sum(km.values()) == pytest.approx(embedded.roads.total_length_m() / 1000.0)


@pytest.mark.parametrize(("suffix", "opener"), [(".osm.bz2", bz2.open), (".osm.gz", gzip.open)])
def test_compressed_xml_loads(
    write_osm: Callable[[str, str], Path],
    tmp_path: Path,
    network_cache: Path,
    suffix: str,
    opener: Callable,
) -> None:
    plain = write_osm("plain.osm", dual_carriageway_with_service_area())
    packed = tmp_path / f"packed{suffix}"
    with opener(packed, "wb") as handle:
        handle.write(plain.read_bytes())
    a = load_network(plain, cache_dir=network_cache)
    b = load_network(packed, cache_dir=network_cache)
    assert b.roads.n_edges == a.roads.n_edges
    assert [s.name for s in b.service_areas] == ["Test SA"]
