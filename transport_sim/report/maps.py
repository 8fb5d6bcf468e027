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
    fig = new_figure(11, map_height_in(extent, 8.0))
    ax = fig.subplots()
    util = 100.0 * day["utilisation"].to_numpy(float)
    vmax = max(50.0, float(np.ceil(util.max() / 10) * 10)) if len(util) else 100.0
    norm = Normalize(vmin=0.0, vmax=vmax)
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
    _city_inset(ax, day, network, norm, extent)
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
#: Inset positions (axes fractions: x, y), in order of preference.
INSET_CORNERS: Final = ((0.0, 0.62), (0.62, 0.62), (0.0, 0.0), (0.62, 0.0))
INSET_SIZE: Final = 0.38
#: The city inset is drawn when the urban sites span less than this share of the map.
INSET_MAX_SPAN: Final = 0.2


def _emptiest_corner(sites: pd.DataFrame,
                     extent: tuple[float, float, float, float, float]) -> tuple[float, float]:
    """Return the corner of :data:`INSET_CORNERS` that covers the fewest sites."""
    x = (sites["lon"].to_numpy(float) - extent[0]) / (extent[1] - extent[0])
    y = (sites["lat"].to_numpy(float) - extent[2]) / (extent[3] - extent[2])
    counts = [int(np.sum((x >= cx) & (x <= cx + INSET_SIZE) & (y >= cy) & (y <= cy + INSET_SIZE)))
              for cx, cy in INSET_CORNERS]
    return INSET_CORNERS[int(np.argmin(counts))]


def _city_inset(ax: Axes, sites: pd.DataFrame, network: Any, norm: Any,
                extent: tuple[float, float, float, float, float]) -> None:
    """Zoomed inset of the urban hubs and depots when they crowd a small part of the map."""
    city = sites[sites["kind"] == "urban"]
    if len(city) < 3:
        return
    lon0, lon1 = np.percentile(city["lon"], [5, 95])
    lat0, lat1 = np.percentile(city["lat"], [5, 95])
    span = max((lon1 - lon0) / (extent[1] - extent[0]), (lat1 - lat0) / (extent[3] - extent[2]))
    if span > INSET_MAX_SPAN:
        return
    pad = 0.3 * max(lon1 - lon0, lat1 - lat0, 0.02)
    inset = ax.inset_axes((*_emptiest_corner(sites, extent), INSET_SIZE, INSET_SIZE))
    draw_sites(inset, sites, network, norm)
    inset.set_xlim(lon0 - pad, lon1 + pad)
    inset.set_ylim(lat0 - pad, lat1 + pad)
    inset.set_aspect(extent[4])
    inset.set_xticks([])
    inset.set_yticks([])
    inset.grid(visible=False)
    inset.set_facecolor("white")
    ax.indicate_inset_zoom(inset, edgecolor="0.3")


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
