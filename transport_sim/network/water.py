"""The water graph: ferry routes and fairways, with ports snapped onto it.

Ways tagged ``route=ferry`` or ``waterway=fairway`` are navigable in both directions.  The
largest connected part is kept.  Piers, ferry terminals, harbours and marinas within
``port_snap_max_m`` of it become ports at their nearest water node; each port also gets its
nearest road node (landside access).  Chains of way nodes are merged into one edge between
way ends, junctions and port nodes; lengths are great-circle sums along the way geometry.
Ship speeds do not come from OSM (see :data:`transport_sim.network.speeds`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from transport_sim.codes import ROAD_CLASS_WATER
from transport_sim.network import tags as osm_tags
from transport_sim.network.arrays import GraphArrays, graph_arrays_from_edges
from transport_sim.network.geo import NodeSnapper, haversine_m
from transport_sim.network.osm_read import OsmExtract, RawFeature
from transport_sim.network.records import BuildOptions, EdgeGeometry, Port
from transport_sim.units import M_PER_KM

__all__ = ["WaterBuild", "build_water"]


@dataclass(frozen=True, eq=False)
class WaterBuild:
    """The water graph (``None`` when the file has no ferry routes or fairways) and ports."""

    graph: GraphArrays | None
    geometry: EdgeGeometry | None
    ports: tuple[Port, ...]
    ports_unsnapped: tuple[str, ...]
    nodes_dropped: int
    km_dropped: float


def _port_candidates(extract: OsmExtract) -> list[tuple[RawFeature, str, str]]:
    """Features that are ports: ``(feature, kind, name)``."""
    out = []
    for feature in extract.features:
        kind = osm_tags.port_kind(feature.tags)
        if kind is not None:
            out.append((feature, kind, osm_tags.feature_name(feature.tags, feature.osm_ref)))
    return out


def build_water(
    extract: OsmExtract, options: BuildOptions, road_snapper: NodeSnapper
) -> WaterBuild:
    """Build the water graph and the ports of an OSM extract.

    Parameters
    ----------
    extract
        The OSM data read by :func:`transport_sim.network.osm_read.read_osm`.
    options
        Build options (port snapping distance, ship speed).
    road_snapper
        Nearest road node for the landside access of each port.
    """
    candidates = _port_candidates(extract)
    ways = extract.water_ways
    if not ways:
        return WaterBuild(None, None, (), tuple(c[2] for c in candidates), 0, 0.0)
    lonlat = extract.node_lonlat
    osm_ids = np.array(sorted({n for way in ways for n in way.nodes}), dtype=np.int64)
    local = {int(osm): i for i, osm in enumerate(osm_ids)}
    lon = np.array([lonlat[int(n)][0] for n in osm_ids])
    lat = np.array([lonlat[int(n)][1] for n in osm_ids])
    way_idx = [np.array([local[n] for n in way.nodes], dtype=np.int64) for way in ways]
    seg_a = np.concatenate([w[:-1] for w in way_idx])
    seg_b = np.concatenate([w[1:] for w in way_idx])
    seg_len = haversine_m(lon[seg_a], lat[seg_a], lon[seg_b], lat[seg_b])
    n = osm_ids.size
    adjacency = coo_matrix((np.ones(seg_a.size), (seg_a, seg_b)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=False)
    sizes = np.bincount(labels)
    main = int(np.argmax(sizes))
    in_main = labels == main
    seg_out = ~in_main[seg_a]
    nodes_dropped = int((~in_main).sum())
    km_dropped = float(seg_len[seg_out].sum()) / M_PER_KM

    # ports: nearest water node of the main component
    snapper = NodeSnapper(lon, lat, np.flatnonzero(in_main))
    ports_raw: list[tuple[str, str, float, float, int, float, str, str]] = []
    unsnapped: list[str] = []
    for feature, kind, name in candidates:
        node, dist_m = snapper.nearest(feature.lon, feature.lat)
        if dist_m > options.port_snap_max_m:
            unsnapped.append(name)
            continue
        if any(p[0] == name and p[4] == node for p in ports_raw):
            continue  # the same port mapped twice (pier way + terminal node)
        ports_raw.append(
            (
                name,
                kind,
                feature.lon,
                feature.lat,
                node,
                dist_m,
                feature.osm_ref,
                feature.tags.get("name:en", ""),
            )
        )

    # keep way ends, junctions and port nodes; merge the chains between them
    occurrences = np.bincount(np.concatenate(way_idx), minlength=n)
    keep = occurrences >= 2
    for w in way_idx:
        keep[w[0]] = keep[w[-1]] = True
    for port in ports_raw:
        keep[port[4]] = True
    tails, heads, lengths, names, geo_lon, geo_lat = [], [], [], [], [], []
    for way, w in zip(ways, way_idx, strict=True):
        if not in_main[w[0]]:
            continue
        cuts = np.flatnonzero(keep[w])
        label = way.name or way.kind
        for a, b in itertools.pairwise(cuts):
            piece = w[a : b + 1]
            if piece[0] == piece[-1]:
                continue
            length_m = float(
                haversine_m(lon[piece[:-1]], lat[piece[:-1]], lon[piece[1:]], lat[piece[1:]]).sum()
            )
            for forward in (True, False):
                ordered = piece if forward else piece[::-1]
                tails.append(ordered[0])
                heads.append(ordered[-1])
                lengths.append(length_m)
                names.append(label)
                geo_lon.append(lon[ordered])
                geo_lat.append(lat[ordered])
    kept_nodes = np.flatnonzero(keep & in_main)
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[kept_nodes] = np.arange(kept_nodes.size)
    speed = np.full(len(tails), options.ship_speed_kph)
    graph, order = graph_arrays_from_edges(
        osm_ids[kept_nodes],
        lon[kept_nodes],
        lat[kept_nodes],
        new_index[np.asarray(tails, dtype=np.int64)],
        new_index[np.asarray(heads, dtype=np.int64)],
        np.asarray(lengths),
        speed,
        np.full(len(tails), ROAD_CLASS_WATER, dtype=np.int8),
        names,
    )
    geometry = EdgeGeometry.from_lists(geo_lon, geo_lat).reordered(order)
    ports = []
    for name, kind, plon, plat, node, dist_m, ref, name_en in ports_raw:
        road_node, road_m = road_snapper.nearest(plon, plat)
        ports.append(
            Port(
                name,
                kind,
                plon,
                plat,
                int(new_index[node]),
                round(dist_m, 1),
                road_node,
                round(road_m, 1),
                ref,
                name_en,
            )
        )
    return WaterBuild(graph, geometry, tuple(ports), tuple(unsnapped), nodes_dropped, km_dropped)
