"""The road graph: drivable ways → osmnx → largest strongly connected part → CSR arrays.

The drivable ways read by :mod:`transport_sim.network.osm_read` (already trimmed to the
nodes present in the file) are written to a small filtered OSM XML file that osmnx loads
with ``graph_from_xml(bidirectional=False)``, so one-way handling (``oneway=yes/-1``,
roundabouts) is osmnx's.  With ``simplify`` the graph is simplified keeping every node
where the road class or speed limit changes, every ``highway=bus_stop`` node, and the road
node nearest to each point of interest, port and bus-route stop (so that features do not
snap to a junction kilometres away along a long simplified edge).  Only
the largest strongly connected component is kept (every node can reach every other);
what is cut off is reported.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np

from transport_sim.codes import OSM_HIGHWAY_CLASS, ROAD_CLASSES
from transport_sim.errors import NetworkDataError, describe
from transport_sim.network import tags as osm_tags
from transport_sim.network.arrays import GraphArrays, graph_arrays_from_edges
from transport_sim.network.gateways import find_gateways
from transport_sim.network.geo import NodeSnapper
from transport_sim.network.osm_read import OsmExtract
from transport_sim.network.records import BuildOptions, EdgeGeometry, Gateway
from transport_sim.network.speeds import edge_speed_kph
from transport_sim.units import M_PER_KM

__all__ = ["RoadBuild", "build_roads"]


@dataclass(frozen=True, eq=False)
class RoadBuild:
    """The road graph and what the feature snapping needs beside it.

    Attributes
    ----------
    graph
        CSR arrays of the kept strongly connected component.
    geometry
        Polyline of each edge of ``graph`` (for plots).
    edge_is_link
        bool[n_edges]: ``*_link`` ramps (service areas prefer main carriageways).
    gateways
        Open ends of expressways and national roads.
    nodes_dropped, edges_dropped, km_dropped
        What lay outside the kept component.
    """

    graph: GraphArrays
    geometry: EdgeGeometry
    edge_is_link: np.ndarray
    gateways: tuple[Gateway, ...]
    nodes_dropped: int
    edges_dropped: int
    km_dropped: float


def _first(value: object) -> str:
    """Return a scalar attribute, or the first item of osmnx's merged list, as ``str``."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def feature_access_nodes(extract: OsmExtract) -> set[int]:
    """OSM ids of the non-expressway road nodes nearest to each feature and route stop."""
    lonlat = extract.node_lonlat
    local = sorted(
        {
            node
            for way in extract.road_ways
            if not way.tags.get("highway", "").startswith("motorway")
            for node in way.nodes
        }
    )
    points = [
        (f.lon, f.lat)
        for f in extract.features
        if osm_tags.poi_kind(f.tags) is not None or osm_tags.port_kind(f.tags) is not None
    ]
    for route in extract.bus_routes:
        for node in (*route.stop_nodes, *route.platform_nodes):
            if node in lonlat:
                points.append(lonlat[node])
    if not local or not points:
        return set()
    ids = np.array(local, dtype=np.int64)
    snapper = NodeSnapper(
        np.array([lonlat[n][0] for n in local]), np.array([lonlat[n][1] for n in local])
    )
    nearest, _ = snapper.nearest_many(
        np.array([p[0] for p in points]), np.array([p[1] for p in points])
    )
    return {int(n) for n in ids[nearest]}


def write_filtered_xml(extract: OsmExtract, out: Path) -> None:
    """Write the drivable ways of ``extract`` (and their nodes) as OSM XML for osmnx.

    Bus stops carry ``highway=bus_stop`` and the access nodes of features an internal
    ``highway=keep`` marker, so that simplification keeps them as graph nodes.
    """
    nodes = sorted({node for way in extract.road_ways for node in way.nodes})
    lonlat = extract.node_lonlat
    stops = extract.bus_stop_nodes
    keep = feature_access_nodes(extract)
    with out.open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        handle.write('<osm version="0.6" generator="transport_sim road filter">\n')
        for node in nodes:
            lon, lat = lonlat[node]
            if node in stops or node in keep:
                marker = "bus_stop" if node in stops else "keep"
                handle.write(
                    f'<node id="{node}" lat="{lat:.7f}" lon="{lon:.7f}">'
                    f'<tag k="highway" v="{marker}"/></node>\n'
                )
            else:
                handle.write(f'<node id="{node}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for number, way in enumerate(extract.road_ways, start=1):
            refs = "".join(f'<nd ref="{node}"/>' for node in way.nodes)
            tag_xml = "".join(
                f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in way.tags.items()
            )
            handle.write(f'<way id="{number}">{refs}{tag_xml}</way>\n')
        handle.write("</osm>\n")


def _load_osmnx(extract: OsmExtract, options: BuildOptions) -> nx.MultiDiGraph:
    """Load the drivable ways with osmnx (optionally simplified)."""
    import osmnx as ox

    with tempfile.TemporaryDirectory(prefix="transport_sim_roads_") as tmp:
        xml_path = Path(tmp) / "roads.osm"
        write_filtered_xml(extract, xml_path)
        graph = ox.graph_from_xml(xml_path, bidirectional=False, simplify=False, retain_all=True)
    if options.simplify and graph.number_of_edges():
        graph = ox.simplify_graph(
            graph, node_attrs_include=["highway"], edge_attrs_differ=["highway", "maxspeed"]
        )
    return graph


def _edge_geometry(graph: nx.MultiDiGraph, u: int, v: int, data: dict) -> tuple:
    """Return ``(lon, lat)`` arrays of an edge's polyline."""
    geom = data.get("geometry")
    if geom is not None:
        coords = np.asarray(geom.coords, dtype=np.float64)
        return coords[:, 0], coords[:, 1]
    nu, nv = graph.nodes[u], graph.nodes[v]
    return np.array([nu["x"], nv["x"]]), np.array([nu["y"], nv["y"]])


def build_roads(extract: OsmExtract, options: BuildOptions) -> RoadBuild:
    """Build the road graph of an OSM extract.

    Raises
    ------
    NetworkDataError
        If the file holds no drivable roads, or none survive (no strongly connected part
        with at least two nodes).
    """
    path = extract.path
    if not extract.road_ways:
        raise NetworkDataError(
            describe(
                path,
                "network file",
                path.name,
                "holds no drivable roads (no way tagged highway="
                + "|".join(sorted(OSM_HIGHWAY_CLASS))
                + "); supply an extract that contains the road network",
            )
        )
    graph = _load_osmnx(extract, options)
    graph.remove_edges_from([(u, v, k) for u, v, k in graph.edges(keys=True) if u == v])
    components = list(nx.strongly_connected_components(graph))
    scc = max(components, key=len) if components else set()
    if len(scc) < 2:
        raise NetworkDataError(
            describe(
                path,
                "network file",
                path.name,
                "holds no connected drivable road network (no two nodes can reach each "
                "other); supply a larger extract",
            )
        )
    class_code = {h: ROAD_CLASSES.index(c) for h, c in OSM_HIGHWAY_CLASS.items()}
    node_ids = np.array(sorted(scc), dtype=np.int64)
    index = {int(osm): i for i, osm in enumerate(node_ids)}
    tails, heads, lengths, speeds, classes, names, links = [], [], [], [], [], [], []
    lons, lats = [], []
    edges_dropped, km_dropped = 0, 0.0
    for u, v, data in graph.edges(data=True):
        if u not in index or v not in index:
            edges_dropped += 1
            km_dropped += float(data.get("length", 0.0)) / M_PER_KM
            continue
        highway = _first(data.get("highway"))
        tails.append(index[u])
        heads.append(index[v])
        lengths.append(float(data["length"]))
        speeds.append(edge_speed_kph(highway, data.get("maxspeed")))
        classes.append(class_code.get(highway, ROAD_CLASSES.index("local")))
        names.append(_first(data.get("name")) or _first(data.get("ref")))
        links.append(highway.endswith("_link"))
        lon, lat = _edge_geometry(graph, u, v, data)
        lons.append(lon)
        lats.append(lat)
    node_lon = np.array([graph.nodes[int(n)]["x"] for n in node_ids], dtype=np.float64)
    node_lat = np.array([graph.nodes[int(n)]["y"] for n in node_ids], dtype=np.float64)
    arrays, order = graph_arrays_from_edges(
        node_ids, node_lon, node_lat, tails, heads, lengths, speeds, classes, names
    )
    geometry = EdgeGeometry.from_lists(lons, lats).reordered(order)
    gateways = find_gateways(graph, scc, index, options.gateway_pair_m)
    return RoadBuild(
        graph=arrays,
        geometry=geometry,
        edge_is_link=np.asarray(links, dtype=bool)[order],
        gateways=gateways,
        nodes_dropped=graph.number_of_nodes() - len(scc),
        edges_dropped=edges_dropped,
        km_dropped=km_dropped,
    )
