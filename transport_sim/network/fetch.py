"""Fetch an OSM extract over the internet with osmnx (only where the machine is online).

``fetch_network`` downloads the drivable roads of a place or bounding box
(``graph_from_place`` / ``graph_from_bbox``) plus the features the network needs (service
areas, ferry routes, fairways, piers, points of interest, via ``features_from_*``), and
writes them as one OSM XML file that :func:`~transport_sim.network.load.load_network`
reads like any other extract.  Offline, it fails fast with one clear line.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlparse
from xml.etree import ElementTree as ET

from transport_sim.errors import NetworkFetchError, describe
from transport_sim.network.tags import FEATURE_TAG_KEYS

__all__ = ["FETCH_FEATURE_TAGS", "fetch_network"]

#: OSM tags requested from Overpass for the features (besides the drivable roads).
FETCH_FEATURE_TAGS: Final = MappingProxyType(
    {
        "highway": ["services", "rest_area", "bus_stop"],
        "route": ["ferry"],
        "waterway": ["fairway"],
        "man_made": ["pier", "works"],
        "amenity": ["ferry_terminal", "bus_station", "fuel", "charging_station"],
        "harbour": True,
        "leisure": ["marina"],
        "landuse": ["harbour", "industrial", "railway"],
        "industrial": ["logistics"],
        "railway": ["yard", "station"],
        "place": ["city", "town", "suburb", "quarter", "neighbourhood", "village"],
    }
)
_OFFLINE_HINT: Final = "supply an OSM file instead (.osm, .osm.bz2 or .osm.pbf)"


def _check_reachable(url: str, timeout_s: float) -> None:
    """Fail fast with :class:`NetworkFetchError` when ``url``'s host cannot be reached."""
    host = urlparse(url).hostname or url
    try:
        with socket.create_connection((host, 443), timeout=timeout_s):
            pass
    except OSError as exc:
        msg = (
            f"cannot reach the OSM servers from this machine ({host}: "
            f"{' '.join(str(exc).split())}); {_OFFLINE_HINT}"
        )
        raise NetworkFetchError(msg) from exc


def _feature_elements(features: Any, node_id: int, way_id: int) -> list[ET.Element]:
    """OSM XML elements for a GeoDataFrame of features (points/centroids, ferry lines).

    New nodes and ways get ascending ids from ``node_id`` and ``way_id`` (above those of
    the roads, so that the file stays sorted as OSM tools expect).
    """
    nodes: list[ET.Element] = []
    ways: list[ET.Element] = []
    keys = [*FEATURE_TAG_KEYS, "waterway", "route"]
    for _, row in features.iterrows():
        tags = {k: str(row[k]) for k in keys if k in row.index and isinstance(row[k], str)}
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type in {"LineString", "MultiLineString"} and (
            tags.get("route") == "ferry" or tags.get("waterway") == "fairway"
        ):
            lines = [geom] if geom.geom_type == "LineString" else list(geom.geoms)
            for line in lines:
                way = ET.Element("way", id=str(way_id))
                way_id += 1
                for lon, lat in line.coords:
                    nodes.append(
                        ET.Element("node", id=str(node_id), lat=f"{lat:.7f}", lon=f"{lon:.7f}")
                    )
                    ET.SubElement(way, "nd", ref=str(node_id))
                    node_id += 1
                for k, v in tags.items():
                    ET.SubElement(way, "tag", k=k, v=v)
                ways.append(way)
            continue
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        element = ET.Element("node", id=str(node_id), lat=f"{point.y:.7f}", lon=f"{point.x:.7f}")
        node_id += 1
        for k, v in tags.items():
            ET.SubElement(element, "tag", k=k, v=v)
        nodes.append(element)
    return nodes + ways


def write_fetched_xml(graph: Any, features: Any, out: Path) -> Path:
    """Write an unsimplified osmnx graph plus features as one OSM XML file (atomically)."""
    import osmnx as ox

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="transport_sim_fetch_") as tmp:
        roads_xml = Path(tmp) / "roads.osm"
        saved = ox.settings.all_oneway
        ox.settings.all_oneway = True  # only silences osmnx's warning; restored below
        try:
            ox.io.save_graph_xml(graph, roads_xml)
        finally:
            ox.settings.all_oneway = saved
        tree = ET.parse(roads_xml)
    root = tree.getroot()
    root.set("generator", "transport_sim fetch (osmnx)")
    if features is not None and len(features):
        node_ids = [int(c.get("id", 0)) for c in root if c.tag == "node"]
        way_ids = [int(c.get("id", 0)) for c in root if c.tag == "way"]
        new = _feature_elements(features, max(node_ids, default=0) + 1, max(way_ids, default=0) + 1)
        nodes_end = sum(1 for child in root if child.tag in {"bounds", "node"})
        new_nodes = [e for e in new if e.tag == "node"]
        for offset, element in enumerate(new_nodes):
            root.insert(nodes_end + offset, element)
        root.extend(e for e in new if e.tag == "way")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        tree.write(tmp_name, encoding="utf-8", xml_declaration=True)
        Path(tmp_name).replace(out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out


def fetch_network(
    place: str | None,
    bbox: tuple[float, float, float, float] | None,
    out: Path,
    *,
    timeout_s: float = 10.0,
) -> Path:
    """Download roads and features of a place or bounding box into an OSM XML file.

    Parameters
    ----------
    place
        A place name osmnx can geocode (for example ``"Shiyan, Hubei, China"``).
    bbox
        ``(west, south, east, north)`` in degrees; give exactly one of ``place``/``bbox``.
    out
        The OSM XML file to write.
    timeout_s
        Timeout of the connectivity check in seconds.

    Raises
    ------
    NetworkFetchError
        When the OSM servers cannot be reached or return nothing usable.
    """
    if (place is None) == (bbox is None):
        raise NetworkFetchError(
            describe(None, "fetch", (place, bbox), "give exactly one of a place name or a bbox")
        )
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise NetworkFetchError(
                describe(None, "bbox", bbox, "must be (west, south, east, north) in degrees")
            )
    import osmnx as ox
    import requests

    _check_reachable(ox.settings.overpass_url, timeout_s)
    if place is not None:
        _check_reachable(ox.settings.nominatim_url, timeout_s)
    saved = (ox.settings.all_oneway, ox.settings.use_cache)
    try:
        # save_graph_xml needs graphs built with all_oneway; no osmnx response cache
        # is written into the working directory.  Both settings are restored below.
        ox.settings.all_oneway = True
        ox.settings.use_cache = False
        common = {"network_type": "drive", "simplify": False, "retain_all": True}
        if place is not None:
            graph = ox.graph_from_place(place, **common)
            features = ox.features_from_place(place, tags=dict(FETCH_FEATURE_TAGS))
        else:
            graph = ox.graph_from_bbox((west, south, east, north), **common)
            features = ox.features_from_bbox(
                (west, south, east, north), tags=dict(FETCH_FEATURE_TAGS)
            )
    except (requests.RequestException, OSError) as exc:
        msg = (
            "cannot reach the OSM servers from this machine "
            f"({' '.join(str(exc).split())[:160]}); {_OFFLINE_HINT}"
        )
        raise NetworkFetchError(msg) from exc
    except ValueError as exc:  # osmnx's InsufficientResponseError is a ValueError
        msg = f"OSM returned no usable data for {place or bbox}: {exc}"
        raise NetworkFetchError(" ".join(msg.split())) from exc
    finally:
        ox.settings.all_oneway, ox.settings.use_cache = saved
    return write_fetched_xml(graph, features, out)
