"""A map of a network: roads by class, fairways, service areas, ports, stops, gateways."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np

from transport_sim.codes import ROAD_CLASSES
from transport_sim.io import save_png_atomic
from transport_sim.network.core import Network
from transport_sim.network.records import EdgeGeometry
from transport_sim.units import M_PER_KM

__all__ = ["draw_network"]

#: Line width in points and colour per road class (expressway first).
_WIDTH_PT: Final = (1.8, 1.4, 1.1, 0.9, 0.6, 0.35)
_COLOUR: Final = ("#2b1a3d", "#7b2d8e", "#c0392b", "#e67e22", "#7f7f7f", "#bdbdbd")
_SCHEMATIC_LABEL: Final = "SCHEMATIC network — not real OSM geometry"


def _segments(geometry: EdgeGeometry, edges: np.ndarray) -> list[np.ndarray]:
    """Polylines (n_i x 2 arrays of lon, lat) of the given edges."""
    out = []
    for e in edges:
        lon, lat = geometry.edge(int(e))
        out.append(np.column_stack([lon, lat]))
    return out


def _label(name: str, name_en: str) -> str:
    """Return a label Latin fonts can draw: the English name, else an ASCII name."""
    if name_en:
        return name_en
    return name if name.isascii() else ""


def draw_network(network: Network, out_png: Path, *, dpi: int = 150) -> Path:
    """Draw ``network`` to a PNG file and return its path.

    Uses matplotlib's object API with the Agg canvas, so the global backend and pyplot
    state are never touched.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    roads = network.roads
    fig = Figure(figsize=(12, 9), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # draw minor roads first so that expressways end on top
    for code in reversed(range(len(_WIDTH_PT))):
        edges = np.flatnonzero(roads.edge_class == code)
        if edges.size == 0:
            continue
        ax.add_collection(
            LineCollection(
                _segments(network.road_geometry, edges),
                colors=[_COLOUR[code]],
                linewidths=_WIDTH_PT[code],
                label=f"{ROAD_CLASSES[code]} ({roads.total_length_m(code) / M_PER_KM:.0f} km)",
                zorder=2 + (len(_WIDTH_PT) - code) * 0.1,
            )
        )
    if network.water is not None and network.water_geometry is not None:
        ax.add_collection(
            LineCollection(
                _segments(network.water_geometry, np.arange(network.water.n_edges)),
                colors=["#1f77b4"],
                linewidths=1.2,
                linestyles="dashed",
                label="fairways / ferry routes",
                zorder=3,
            )
        )
    stops = network.pois_of_kind("bus_stop")
    if stops:
        ax.scatter(
            [roads.node_lon[p.node] for p in stops],
            [roads.node_lat[p.node] for p in stops],
            s=2,
            color="0.55",
            alpha=0.5,
            label=f"bus stops ({len(stops)})",
            zorder=4,
        )
    if network.service_areas:
        ax.scatter(
            [s.lon for s in network.service_areas],
            [s.lat for s in network.service_areas],
            s=36,
            marker="s",
            color="#ff7f0e",
            edgecolor="black",
            linewidth=0.5,
            label=f"service areas ({len(network.service_areas)})",
            zorder=6,
        )
    if network.ports:
        ax.scatter(
            [p.lon for p in network.ports],
            [p.lat for p in network.ports],
            s=40,
            marker="v",
            color="#17becf",
            edgecolor="black",
            linewidth=0.5,
            label=f"ports ({len(network.ports)})",
            zorder=6,
        )
        for port in network.ports:
            text = _label(port.name, port.name_en)
            if text:
                ax.annotate(
                    text,
                    (port.lon, port.lat),
                    fontsize=6,
                    color="#0b5563",
                    xytext=(3, -8),
                    textcoords="offset points",
                    zorder=7,
                )
    if network.gateways:
        ax.scatter(
            [g.lon for g in network.gateways],
            [g.lat for g in network.gateways],
            s=30,
            marker="D",
            color="black",
            label=f"gateways ({len(network.gateways)})",
            zorder=6,
        )
    for zone in network.pois_of_kind("zone"):
        text = _label(zone.name, zone.name_en)
        if text and zone.subkind in {"city", "town"}:
            ax.annotate(
                text,
                (zone.lon, zone.lat),
                fontsize=7,
                weight="bold",
                zorder=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    lon, lat = roads.node_lon, roads.node_lat
    pad_lon = max(0.01, 0.03 * float(np.ptp(lon)))
    pad_lat = max(0.01, 0.03 * float(np.ptp(lat)))
    ax.set_xlim(float(lon.min()) - pad_lon, float(lon.max()) + pad_lon)
    ax.set_ylim(float(lat.min()) - pad_lat, float(lat.max()) + pad_lat)
    ax.set_aspect(1.0 / np.cos(np.radians(float(lat.mean()))))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    kind = "schematic" if network.schematic else "OSM extract"
    ax.set_title(
        f"{network.source.name} ({kind}): {roads.n_nodes:,} nodes, {roads.n_edges:,} edges"
    )
    ax.legend(loc="lower left", fontsize=7, framealpha=0.85)
    ax.grid(visible=True, linewidth=0.3, alpha=0.5)
    if network.schematic:
        ax.text(
            0.5,
            0.5,
            _SCHEMATIC_LABEL,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=26,
            color="#d62728",
            alpha=0.35,
            rotation=20,
            weight="bold",
            zorder=10,
        )
    save_png_atomic(fig, out_png, dpi=dpi)  # PNG whatever the suffix; never half a file
    return out_png
