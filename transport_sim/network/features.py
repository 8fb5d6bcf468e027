"""Features snapped to the road graph: service areas, points of interest, bus routes.

* Service areas (``highway=services|rest_area``, nodes or areas; same-named areas within
  ``service_area_merge_m`` are one site) get one node per carriageway direction: the
  nearest expressway node, then the nearest expressway node whose direction of travel
  differs by more than 120 degrees (the other carriageway), both within
  ``service_area_radius_m``.  Main carriageways are preferred over ramps.  A node on a
  two-way expressway serves both directions alone.
* Points of interest and bus stops snap to the nearest node that touches a road other
  than an expressway (a bus cannot stop on a motorway) within ``poi_snap_max_m``.
* Bus routes keep their ``stop`` members in order (else ``platform`` members, else any
  node members), snapped like stops, with consecutive repeats removed.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from transport_sim.codes import ROAD_CLASSES
from transport_sim.network import tags as osm_tags
from transport_sim.network.geo import NodeSnapper, bearing_deg, haversine_m
from transport_sim.network.osm_read import OsmExtract, RawFeature
from transport_sim.network.records import BuildOptions, BusRoute, PointOfInterest, ServiceArea
from transport_sim.network.roads import RoadBuild

__all__ = ["access_snapper", "snap_bus_routes", "snap_pois", "snap_service_areas"]

_EXPRESSWAY: Final = ROAD_CLASSES.index("expressway")
_OPPOSITE_DEG: Final = 120.0


def _angle_between(a: float, b: float) -> float:
    """Smallest absolute difference of two compass bearings, in degrees."""
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def access_snapper(roads: RoadBuild) -> NodeSnapper:
    """Snapper over nodes that touch a non-expressway road (all nodes if there are none)."""
    g = roads.graph
    local = g.edge_class != _EXPRESSWAY
    nodes = np.unique(np.concatenate([g.edge_tail[local], g.edge_head[local]]))
    return NodeSnapper(g.node_lon, g.node_lat, nodes if nodes.size else None)


def _node_bearings(roads: RoadBuild, edge_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direction of travel (degrees) at each node along the masked edges, and two-way flags.

    A node's bearing is that of its first outgoing masked edge (else its first incoming
    one); ``two_way`` marks nodes with outgoing masked edges in opposite directions.
    """
    g = roads.graph
    bearing = np.full(g.n_nodes, np.nan)
    edges = np.flatnonzero(edge_mask)
    b = bearing_deg(
        g.node_lon[g.edge_tail[edges]],
        g.node_lat[g.edge_tail[edges]],
        g.node_lon[g.edge_head[edges]],
        g.node_lat[g.edge_head[edges]],
    )
    heads, first_in = np.unique(g.edge_head[edges], return_index=True)
    bearing[heads] = b[first_in]
    tails, first_out = np.unique(g.edge_tail[edges], return_index=True)
    bearing[tails] = b[first_out]
    two_way = np.zeros(g.n_nodes, dtype=bool)
    for tail, first in zip(tails, first_out, strict=True):
        stop = first
        while stop < edges.size and g.edge_tail[edges[stop]] == tail:
            stop += 1
        own = b[first:stop]
        if own.size > 1 and max(_angle_between(own[0], x) for x in own[1:]) > _OPPOSITE_DEG:
            two_way[tail] = True
    return bearing, two_way


def _merge_service_areas(
    extract: OsmExtract, merge_m: float
) -> list[tuple[str, str, float, float, str, str]]:
    """Service areas grouped by name and distance: ``(name, kind, lon, lat, ref, name_en)``."""
    groups: list[list[tuple[RawFeature, str, str]]] = []
    for feature in extract.features:
        kind = osm_tags.service_area_kind(feature.tags)
        if kind is None:
            continue
        name = osm_tags.feature_name(feature.tags, f"unnamed {kind} {feature.osm_ref}")
        for group in groups:
            first = group[0][0]
            if (
                group[0][2] == name
                and float(haversine_m(first.lon, first.lat, feature.lon, feature.lat)) <= merge_m
            ):
                group.append((feature, kind, name))
                break
        else:
            groups.append([(feature, kind, name)])
    merged = []
    for group in groups:
        kinds = {kind for _, kind, _ in group}
        merged.append(
            (
                group[0][2],
                "services" if "services" in kinds else "rest_area",
                float(np.mean([f.lon for f, _, _ in group])),
                float(np.mean([f.lat for f, _, _ in group])),
                group[0][0].osm_ref,
                group[0][0].tags.get("name:en", ""),
            )
        )
    return merged


def snap_service_areas(
    extract: OsmExtract, roads: RoadBuild, options: BuildOptions
) -> tuple[tuple[ServiceArea, ...], tuple[str, ...]]:
    """Snap every service / parking area to a node on each expressway carriageway.

    Returns
    -------
    service_areas, unsnapped
        The snapped sites and the names of those with no expressway node in reach.
    """
    g = roads.graph
    expressway = g.edge_class == _EXPRESSWAY
    tiers = []
    for mask in (expressway & ~roads.edge_is_link, expressway & roads.edge_is_link):
        nodes = np.unique(np.concatenate([g.edge_tail[mask], g.edge_head[mask]]))
        if nodes.size:
            bearing, two_way = _node_bearings(roads, mask)
            tiers.append((NodeSnapper(g.node_lon, g.node_lat, nodes), bearing, two_way))
    sites: list[ServiceArea] = []
    unsnapped: list[str] = []
    radius_m = options.service_area_radius_m
    merged = _merge_service_areas(extract, options.service_area_merge_m)
    for name, kind, lon, lat, ref, name_en in merged:
        chosen: list[tuple[int, float, float]] = []
        for snapper, bearing, two_way in tiers:
            nodes, dist_m = snapper.within(lon, lat, radius_m)
            if not nodes.size:
                continue
            first = int(nodes[0])
            chosen = [(first, float(dist_m[0]), float(bearing[first]))]
            if not two_way[first]:
                for node, d in zip(nodes[1:], dist_m[1:], strict=True):
                    if _angle_between(bearing[node], bearing[first]) > _OPPOSITE_DEG:
                        chosen.append((int(node), float(d), float(bearing[node])))
                        break
            break
        if not chosen:
            unsnapped.append(name)
            continue
        sites.append(
            ServiceArea(
                name=name,
                kind=kind,
                lon=lon,
                lat=lat,
                nodes=tuple(c[0] for c in chosen),
                snap_m=tuple(round(c[1], 1) for c in chosen),
                bearing_deg=tuple(round(c[2], 1) for c in chosen),
                osm_ref=ref,
                name_en=name_en,
            )
        )
    return tuple(sites), tuple(unsnapped)


def snap_pois(
    extract: OsmExtract, snapper: NodeSnapper, options: BuildOptions
) -> tuple[tuple[PointOfInterest, ...], int]:
    """Snap every point of interest to the road graph.

    Returns
    -------
    pois, dropped
        The snapped points and how many lay farther than ``poi_snap_max_m`` from a road.
    """
    found = []
    for feature in extract.features:
        kind = osm_tags.poi_kind(feature.tags)
        if kind is not None:
            found.append((feature, kind))
    if not found:
        return (), 0
    lon = np.array([f.lon for f, _ in found])
    lat = np.array([f.lat for f, _ in found])
    nodes, dist_m = snapper.nearest_many(lon, lat)
    pois = []
    dropped = 0
    for (feature, (kind, subkind)), node, d in zip(found, nodes, dist_m, strict=True):
        if d > options.poi_snap_max_m:
            dropped += 1
            continue
        name = osm_tags.feature_name(feature.tags, "")
        pois.append(
            PointOfInterest(
                name,
                kind,
                subkind,
                feature.lon,
                feature.lat,
                int(node),
                round(float(d), 1),
                feature.osm_ref,
                feature.tags.get("name:en", ""),
            )
        )
    return tuple(pois), dropped


def snap_bus_routes(
    extract: OsmExtract, snapper: NodeSnapper, options: BuildOptions
) -> tuple[tuple[BusRoute, ...], int]:
    """Turn bus route relations into ordered stop node lists.

    Returns
    -------
    routes, dropped
        The routes with at least two distinct stops, and how many had fewer.
    """
    routes = []
    dropped = 0
    lonlat = extract.node_lonlat
    for raw in extract.bus_routes:
        members = raw.stop_nodes or raw.platform_nodes or raw.other_nodes
        points = [lonlat[m] for m in members if m in lonlat]
        stops: list[int] = []
        if points:
            nodes, dist_m = snapper.nearest_many(
                np.array([p[0] for p in points]), np.array([p[1] for p in points])
            )
            for node, d in zip(nodes, dist_m, strict=True):
                if d <= options.poi_snap_max_m and (not stops or stops[-1] != int(node)):
                    stops.append(int(node))
        if len(set(stops)) < 2:
            dropped += 1
            continue
        ref = raw.tags.get("ref", "")
        name = raw.tags.get("name") or (f"bus {ref}" if ref else f"bus route {raw.osm_id}")
        routes.append(
            BusRoute(name, ref, tuple(stops), f"relation/{raw.osm_id}", raw.tags.get("name:en", ""))
        )
    return tuple(routes), dropped
