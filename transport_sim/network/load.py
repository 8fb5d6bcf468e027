"""Build a :class:`~transport_sim.network.core.Network` from an OSM file, with caching."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Final

from transport_sim.network.cache import (
    cache_entry_path,
    default_cache_dir,
    file_sha256,
    try_read_cache,
    write_network_file,
)
from transport_sim.network.core import Network
from transport_sim.network.features import (
    access_snapper,
    snap_bus_routes,
    snap_pois,
    snap_service_areas,
)
from transport_sim.network.osm_read import check_file, read_osm
from transport_sim.network.records import BuildOptions, DroppedReport
from transport_sim.network.roads import build_roads
from transport_sim.network.water import build_water

__all__ = ["EMBEDDED_NETWORK_FILE", "build_network", "embedded_network_path", "load_network"]

#: File name of the embedded schematic Shiyan network in the repository's ``networks/``.
EMBEDDED_NETWORK_FILE: Final = "shiyan_schematic.osm"


def embedded_network_path() -> Path:
    """Path of the embedded schematic Shiyan network (``networks/shiyan_schematic.osm``)."""
    return Path(__file__).resolve().parents[2] / "networks" / EMBEDDED_NETWORK_FILE


def build_network(source: Path, options: BuildOptions | None = None) -> Network:
    """Build a network from an OSM file without touching the cache.

    Raises
    ------
    NetworkDataError
        If the file is missing, empty, corrupt, not OSM, or holds no drivable roads.
    """
    options = options or BuildOptions()
    source = Path(source)
    check_file(source)
    sha256 = file_sha256(source)
    extract = read_osm(source)
    roads = build_roads(extract, options)
    snapper = access_snapper(roads)
    water = build_water(extract, options, snapper)
    service_areas, sa_unsnapped = snap_service_areas(extract, roads, options)
    pois, pois_dropped = snap_pois(extract, snapper, options)
    bus_routes, routes_dropped = snap_bus_routes(extract, snapper, options)
    dropped = DroppedReport(
        road_nodes_outside_scc=roads.nodes_dropped,
        road_edges_outside_scc=roads.edges_dropped,
        road_km_outside_scc=round(roads.km_dropped, 3),
        ways_trimmed=extract.stats.ways_trimmed,
        ways_dropped=extract.stats.ways_dropped,
        node_refs_missing=extract.stats.node_refs_missing,
        water_nodes_outside_component=water.nodes_dropped,
        water_km_outside_component=round(water.km_dropped, 3),
        service_areas_unsnapped=sa_unsnapped,
        ports_unsnapped=water.ports_unsnapped,
        pois_unsnapped=pois_dropped,
        bus_routes_without_stops=routes_dropped,
    )
    return Network(
        source=source,
        sha256=sha256,
        schematic=extract.schematic,
        roads=roads.graph,
        water=water.graph,
        service_areas=service_areas,
        ports=water.ports,
        pois=pois,
        bus_routes=bus_routes,
        gateways=roads.gateways,
        dropped=dropped,
        road_geometry=roads.geometry,
        water_geometry=water.geometry,
        options=options,
    )


def load_network(
    path: str | Path | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    options: BuildOptions | None = None,
) -> Network:
    """Load a network from an OSM file, from the cache when it was built before.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file; ``None`` loads the embedded
        schematic Shiyan network (:func:`embedded_network_path`).
    cache_dir
        Cache directory (default :func:`~transport_sim.network.cache.default_cache_dir`).
    use_cache
        Read and write the cache (set ``False`` to always rebuild and write nothing).
    options
        Build options (part of the cache key).

    Returns
    -------
    Network
        With ``from_cache`` telling whether it came from the cache.

    Raises
    ------
    NetworkDataError
        If the file is missing, empty, corrupt, not OSM, or holds no drivable roads.
    """
    options = options or BuildOptions()
    source = embedded_network_path() if path is None else Path(path)
    if not use_cache:
        return build_network(source, options)
    check_file(source)
    sha256 = file_sha256(source)
    entry = cache_entry_path(cache_dir or default_cache_dir(), sha256, options)
    cached = try_read_cache(entry, sha256, options, source)
    if cached is not None:
        return dataclasses.replace(cached, from_cache=True)
    network = build_network(source, options)
    if network.sha256 != sha256:  # the file changed while it was being built
        return network
    try:
        write_network_file(network, entry)
    except OSError as exc:
        warnings.warn(f"could not write the network cache entry {entry}: {exc}", stacklevel=2)
    return network
