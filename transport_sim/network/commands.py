"""``transport-sim network info|build|plot``: plain functions the CLI wires up."""

from __future__ import annotations

import json
from pathlib import Path

from transport_sim.codes import ROAD_CLASSES
from transport_sim.errors import NetworkDataError, describe
from transport_sim.io import output_problem, write_text_atomic
from transport_sim.network.cache import (
    cache_entry_path,
    default_cache_dir,
    write_network_file,
)
from transport_sim.network.core import Network
from transport_sim.network.load import load_network
from transport_sim.network.plot import draw_network
from transport_sim.network.tags import POI_KINDS
from transport_sim.units import M_PER_KM

__all__ = ["network_build", "network_info", "network_plot", "network_summary"]


def _names(items: list[str], limit: int = 30) -> str:
    """Comma-separated names, shortened after ``limit`` items."""
    shown = ", ".join(items[:limit])
    return shown + (f", ... (+{len(items) - limit} more)" if len(items) > limit else "")


def _stem(path: Path) -> str:
    """File name without OSM suffixes (``Helsinki.osm.pbf`` -> ``Helsinki``)."""
    name = path.name
    for suffix in (".osm.pbf", ".osm.bz2", ".osm.gz", ".pbf", ".osm", ".xml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def network_summary(network: Network) -> dict:
    """JSON-able summary of a network (counts, features, what was dropped)."""
    km = network.road_km_by_class()
    return {
        "source": str(network.source),
        "sha256": network.sha256,
        "schematic": network.schematic,
        "road_nodes": network.roads.n_nodes,
        "road_edges": network.roads.n_edges,
        "road_km_by_class": {k: round(v, 1) for k, v in km.items() if k != "water"},
        "water_nodes": network.water.n_nodes if network.water is not None else 0,
        "water_edges": network.water.n_edges if network.water is not None else 0,
        "water_km": round(network.water.total_length_m() / 2000.0, 1)
        if network.water is not None
        else 0.0,
        "service_areas": [s.name for s in network.service_areas],
        "ports": [p.name for p in network.ports],
        "pois": {kind: len(network.pois_of_kind(kind)) for kind in POI_KINDS},
        "bus_routes": len(network.bus_routes),
        "gateways": [g.name for g in network.gateways],
        "dropped": network.dropped.to_dict(),
        "options": network.options.to_dict(),
    }


def network_info(path: Path | None) -> str:
    """Describe a network file (``None``: the embedded schematic network) as text."""
    net = load_network(path)
    g = net.roads
    lines = [f"network: {net.source}"]
    if net.schematic:
        lines.append(
            "kind: SCHEMATIC network built from public coordinates — not real OSM geometry "
            "(see networks/PROVENANCE.md)"
        )
    else:
        lines.append("kind: OpenStreetMap extract (data © OpenStreetMap contributors, ODbL 1.0)")
    lines.append(f"sha256: {net.sha256}")
    lines.append(f"loaded from cache: {'yes' if net.from_cache else 'no (built now)'}")
    lines.append(
        f"roads: {g.n_nodes:,} nodes, {g.n_edges:,} directed edges, "
        f"{g.total_length_m() / M_PER_KM:,.1f} km of directed edges"
    )
    km = net.road_km_by_class()
    for name in ROAD_CLASSES:
        if name != "water" and km[name] > 0:
            lines.append(f"  {name:<11} {km[name]:9,.1f} km")
    if net.water is not None:
        lines.append(
            f"water: {net.water.n_nodes:,} nodes, {net.water.n_edges:,} directed edges, "
            f"{net.water.total_length_m() / 2000:,.1f} km of fairways and ferry routes"
        )
    else:
        lines.append("water: none (no route=ferry or waterway=fairway ways)")
    lines.append(
        f"service areas ({len(net.service_areas)}): "
        + _names([f"{s.name} [{len(s.nodes)} carriageway node(s)]" for s in net.service_areas])
    )
    lines.append(f"ports ({len(net.ports)}): " + _names([p.name for p in net.ports]))
    counts = ", ".join(f"{kind} {len(net.pois_of_kind(kind))}" for kind in POI_KINDS)
    lines.append(f"points of interest: {counts}")
    lines.append(
        f"bus routes ({len(net.bus_routes)}): "
        + _names([r.ref or r.name for r in net.bus_routes], limit=40)
    )
    lines.append(
        f"gateways ({len(net.gateways)}): "
        + _names([f"{gw.name} ({gw.road_class})" for gw in net.gateways])
    )
    d = net.dropped
    lines.append(
        f"dropped: {d.road_nodes_outside_scc:,} road nodes / {d.road_edges_outside_scc:,} "
        f"edges / {d.road_km_outside_scc:,.2f} km outside the largest strongly connected "
        f"component; {d.ways_trimmed} ways trimmed at the file's edge "
        f"({d.node_refs_missing} missing node references, {d.ways_dropped} ways dropped); "
        f"water: {d.water_nodes_outside_component} nodes / "
        f"{d.water_km_outside_component:,.2f} km outside the main component; "
        f"{len(d.service_areas_unsnapped)} service areas and {len(d.ports_unsnapped)} ports "
        f"out of reach; {d.pois_unsnapped} points of interest far from roads; "
        f"{d.bus_routes_without_stops} bus routes with fewer than two stops"
    )
    return "\n".join(lines)


def network_build(path: Path | None, out_dir: Path | None = None) -> Path:
    """Build (or load from the cache) a network and return where it is stored.

    With ``out_dir`` the arrays are also written there as ``<name>.npz`` (arrays plus
    embedded metadata, readable with :func:`transport_sim.network.read_network_file`) and
    ``<name>.json`` (a readable summary), and the ``.npz`` path is returned; otherwise
    the cache entry's path is returned.
    """
    if out_dir is not None:  # before the (possibly long) build
        problem = output_problem(Path(out_dir), folder=True)
        if problem is not None:
            raise NetworkDataError(describe(None, "--out", str(out_dir), problem))
    net = load_network(path)
    if out_dir is None:
        return cache_entry_path(default_cache_dir(), net.sha256, net.options)
    out_dir = Path(out_dir)
    try:
        out = write_network_file(net, out_dir / f"{_stem(net.source)}.npz")
        write_text_atomic(
            out_dir / f"{_stem(net.source)}.json",
            json.dumps(network_summary(net), ensure_ascii=False, indent=2) + "\n",
        )
    except OSError as exc:
        problem = f"cannot write: {exc}"
        raise NetworkDataError(describe(None, "--out", str(out_dir), problem)) from None
    return out


def plot_target(path: Path | None, out: Path) -> Path:
    """Return the PNG file ``network plot --out OUT`` writes, or raise a one-line error.

    An existing folder gets ``<network name>.png`` inside it; a name without a suffix
    gets ``.png``; any other suffix than ``.png`` is refused (the map is a PNG).  The
    file's folder must be writable; this is checked before the network is loaded.
    """
    out = Path(out)
    if out.is_dir():
        stem = _stem(path) if path is not None else "shiyan_schematic"
        out = out / f"{stem}.png"
    elif out.suffix == "":
        out = out.with_name(out.name + ".png")
    elif out.suffix.lower() != ".png":
        raise NetworkDataError(describe(None, "--out", str(out),
                                        "the map is written as PNG: give a .png file or a folder"))
    problem = output_problem(out, folder=False)
    if problem is not None:
        raise NetworkDataError(describe(None, "--out", str(out), problem))
    return out


def network_plot(path: Path | None, out_png: Path) -> Path:
    """Draw a network map (150 dpi) and return the PNG file written (see :func:`plot_target`)."""
    target = plot_target(path, Path(out_png))
    try:
        return draw_network(load_network(path), target)
    except OSError as exc:
        problem = f"cannot write: {exc}"
        raise NetworkDataError(describe(None, "--out", str(target), problem)) from None
