"""Road and water networks from OpenStreetMap: the only package that knows OSM ids.

OSM file → :func:`load_network` → :class:`Network` (road and water
:class:`GraphArrays`, service areas, ports, points of interest, bus routes, gateways) →
:mod:`~transport_sim.network.routing` for fastest paths on the arrays.  With no path,
:func:`load_network` loads the embedded *schematic* Shiyan network.
"""

from __future__ import annotations

from transport_sim.network.arrays import GraphArrays, graph_arrays_from_edges, merge_graph_arrays
from transport_sim.network.cache import default_cache_dir, read_network_file, write_network_file
from transport_sim.network.core import Network
from transport_sim.network.fetch import fetch_network
from transport_sim.network.load import build_network, embedded_network_path, load_network
from transport_sim.network.records import (
    BuildOptions,
    BusRoute,
    DroppedReport,
    EdgeGeometry,
    Gateway,
    PointOfInterest,
    Port,
    ServiceArea,
)
from transport_sim.network.routing import Router, ToTargetTrees, shortest_path, shortest_path_trees
from transport_sim.network.speeds import DEFAULT_SHIP_SPEED_KPH, DEFAULT_SPEED_KPH

__all__ = [
    "DEFAULT_SHIP_SPEED_KPH",
    "DEFAULT_SPEED_KPH",
    "BuildOptions",
    "BusRoute",
    "DroppedReport",
    "EdgeGeometry",
    "Gateway",
    "GraphArrays",
    "Network",
    "PointOfInterest",
    "Port",
    "Router",
    "ServiceArea",
    "ToTargetTrees",
    "build_network",
    "default_cache_dir",
    "embedded_network_path",
    "fetch_network",
    "graph_arrays_from_edges",
    "load_network",
    "merge_graph_arrays",
    "read_network_file",
    "shortest_path",
    "shortest_path_trees",
    "write_network_file",
]
