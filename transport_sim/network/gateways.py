"""Gateways: where expressways and national roads leave the road network.

Freight enters and leaves the study area through these.  The rule, applied to the full
drivable graph before the largest strongly connected component is taken:

1. An *open end* is a node touching an expressway or national road (``motorway*``,
   ``trunk*``) that has exactly one distinct neighbour: the road stops there.  In a clipped
   extract this is where the road crosses the clip; in the embedded schematic network
   it is the end of the two-way stub at the administrative boundary.
2. An open end inside the kept component is its own entry and exit node.  An open end
   outside it (a one-way carriageway cut by the clip) is followed along expressway /
   national edges — forward from a carriageway start for the entry node, backward from
   a carriageway end for the exit node — to the first node of the kept component.
3. Open ends of the same road (same ``ref``, else ``name``) closer than
   ``gateway_pair_m`` are one gateway: the two carriageways of one expressway.
"""

from __future__ import annotations

from collections import deque
from typing import Final

import networkx as nx
import numpy as np

from transport_sim.codes import OSM_HIGHWAY_CLASS
from transport_sim.network.geo import haversine_m
from transport_sim.network.records import Gateway

__all__ = ["find_gateways"]

_MAIN_CLASSES: Final = ("expressway", "national")
_MAX_WALK_NODES: Final = 20_000


def _value(data: dict, key: str) -> str:
    """Return an edge attribute as a string (the first item of an osmnx list)."""
    value = data.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value)


def _road_class(data: dict) -> str:
    """Road class name of an osmnx edge."""
    return OSM_HIGHWAY_CLASS.get(_value(data, "highway"), "local")


def _walk(graph: nx.MultiDiGraph, start: int, scc: set, *, forward: bool) -> int | None:
    """Breadth-first search along main-road edges to the nearest node of ``scc``."""
    seen = {start}
    queue = deque([start])
    while queue and len(seen) < _MAX_WALK_NODES:
        node = queue.popleft()
        edges = graph.out_edges(node, data=True) if forward else graph.in_edges(node, data=True)
        for u, v, data in edges:
            if _road_class(data) not in _MAIN_CLASSES:
                continue
            nxt = v if forward else u
            if nxt in seen:
                continue
            if nxt in scc:
                return nxt
            seen.add(nxt)
            queue.append(nxt)
    return None


def find_gateways(  # noqa: PLR0912  (the documented rule, step by step)
    graph: nx.MultiDiGraph, scc: set, index: dict[int, int], pair_m: float
) -> tuple[Gateway, ...]:
    """Return the gateways of a road graph (see the module docstring for the rule).

    Parameters
    ----------
    graph
        The full drivable osmnx graph (nodes keyed by OSM id).
    scc
        OSM ids of the kept strongly connected component.
    index
        OSM id -> node index in the kept graph.
    pair_m
        Open ends of the same road within this distance form one gateway.
    """
    main_nodes: dict[int, dict] = {}
    for u, v, data in graph.edges(data=True):
        if _road_class(data) in _MAIN_CLASSES:
            main_nodes.setdefault(u, data)
            main_nodes.setdefault(v, data)
    ends = []
    for node in sorted(main_nodes):
        neighbours = set(graph.successors(node)) | set(graph.predecessors(node))
        neighbours.discard(node)
        if len(neighbours) != 1:
            continue
        data = main_nodes[node]
        if node in scc:
            node_in = node_out = node
        else:
            node_in = _walk(graph, node, scc, forward=True) if graph.out_degree(node) else None
            node_out = _walk(graph, node, scc, forward=False) if graph.in_degree(node) else None
        if node_in is None and node_out is None:
            continue
        key = _value(data, "ref") or _value(data, "name")
        ends.append(
            (
                key,
                _road_class(data),
                graph.nodes[node]["x"],
                graph.nodes[node]["y"],
                node_in,
                node_out,
            )
        )
    # group the open ends of one road (two carriageways) with a small union-find
    parent = list(range(len(ends)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(ends)):
        for j in range(i + 1, len(ends)):
            if ends[i][0] != ends[j][0]:
                continue
            if float(haversine_m(ends[i][2], ends[i][3], ends[j][2], ends[j][3])) <= pair_m:
                parent[root(j)] = root(i)
    groups: dict[int, list[tuple]] = {}
    for i, end in enumerate(ends):
        groups.setdefault(root(i), []).append(end)
    gateways: dict[tuple[int, int], Gateway] = {}
    for members in groups.values():
        ins = [index[m[4]] for m in members if m[4] is not None]
        outs = [index[m[5]] for m in members if m[5] is not None]
        node_in = ins[0] if ins else outs[0]
        node_out = outs[0] if outs else node_in
        classes = [m[1] for m in members]
        road_class = "expressway" if "expressway" in classes else "national"
        name = members[0][0] or f"unnamed {road_class} end"
        lon = float(np.mean([m[2] for m in members]))
        lat = float(np.mean([m[3] for m in members]))
        gateways.setdefault(
            (node_in, node_out), Gateway(name, road_class, lon, lat, node_in, node_out)
        )
    return tuple(sorted(gateways.values(), key=lambda g: (g.name, g.lon, g.lat)))
