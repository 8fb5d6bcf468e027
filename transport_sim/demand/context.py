"""Everything a run computes once and every representative day shares.

:func:`build_context` turns a loaded network into the kernel graph (roads and water
merged), registers every node vehicles drive toward, computes the next-hop tables toward
them, and derives the places demand uses: bus lines, taxi demand points, freight origins
and destinations, ship routes and charger-site candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.charging.sites import SiteCandidate
from transport_sim.codes import ROAD_CLASS_WATER
from transport_sim.demand.generators import BusLine, TargetRegistry, inbound_stops, round_trip_s
from transport_sim.errors import UnreachableError, describe
from transport_sim.kernels.state import KernelGraph, Targets
from transport_sim.network.geo import haversine_m
from transport_sim.units import KPH_TO_MPS, M_PER_KM

if TYPE_CHECKING:
    from transport_sim.fleets.specs import BusOperation
    from transport_sim.kernels.dispatch import DispatchIndex
    from transport_sim.network import Network
    from transport_sim.network.arrays import GraphArrays

#: Water edges get this speed in the kernel graph so that each vessel's own service
#: speed (``max_speed_mps``) is what limits it.
WATER_EDGE_SPEED_KPH = 100.0
#: At most this many taxi demand points (spread evenly over the city).
MAX_TAXI_POINTS = 240
#: Kinds of truck origin-destination pairs (``RunContext.truck_od_kind``): long haul
#: between a gateway and a place in the city, regional inside the city, through traffic
#: from gateway to gateway, drayage between a rail freight yard and a place in the city.
OD_LONG_HAUL, OD_REGIONAL, OD_THROUGH, OD_DRAYAGE = 0, 1, 2, 3


@dataclass
class RunContext:
    """Precomputed, read-only inputs shared by every day of a run.

    Attributes
    ----------
    graph
        Merged road + water graph for the kernels (water nodes start at ``water_offset``).
    arrays
        The merged :class:`GraphArrays` (coordinates, names) matching ``graph``.
    targets
        Next-hop tables toward every registered target.
    """

    network: Network
    arrays: GraphArrays
    graph: KernelGraph
    water_offset: int
    registry: TargetRegistry
    targets: Targets
    bus_lines: list[BusLine]
    taxi_targets: np.ndarray
    taxi_nodes: np.ndarray
    taxi_weights: np.ndarray
    node_zone: np.ndarray
    truck_od_origin: np.ndarray
    truck_od_dest: np.ndarray
    truck_od_weight: np.ndarray
    truck_od_start_node: np.ndarray
    truck_od_kind: np.ndarray  # OD_LONG_HAUL, OD_REGIONAL, OD_THROUGH or OD_DRAYAGE
    hub_targets: np.ndarray  # logistics hubs and plants: bases of urban delivery tours
    hub_nodes: np.ndarray
    yard_nodes: np.ndarray  # rail freight yards (drayage origins and destinations)
    port_targets: np.ndarray
    port_nodes: np.ndarray
    port_names: tuple[str, ...]
    dispatch_index: DispatchIndex | None = None
    sites: dict[str, list[SiteCandidate]] = field(default_factory=dict)
    depot_lines: np.ndarray | None = None  # bus-hours of the lines ending at each depot
    service_area_distances_km: np.ndarray | None = None  # areas then gateways


def kernel_graph(arrays: GraphArrays) -> KernelGraph:
    """Return the kernels' view of a merged graph (speeds in m/s, water edges uncapped)."""
    speed_kph = np.array(arrays.edge_speed_kph, np.float64)
    speed_kph[np.asarray(arrays.edge_class) == ROAD_CLASS_WATER] = WATER_EDGE_SPEED_KPH
    return KernelGraph(
        indptr=np.ascontiguousarray(arrays.indptr, np.int32),
        edge_head=np.ascontiguousarray(arrays.edge_head, np.int32),
        edge_tail=np.ascontiguousarray(arrays.edge_tail, np.int32),
        edge_length_m=np.ascontiguousarray(arrays.edge_length_m, np.float64),
        edge_speed_mps=speed_kph * KPH_TO_MPS,
        edge_class=np.ascontiguousarray(arrays.edge_class, np.int8),
    )


def _unique(seq: list[int]) -> list[int]:
    seen: set[int] = set()
    out = []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def _spread(lon: np.ndarray, lat: np.ndarray, k: int) -> np.ndarray:
    """Pick ``k`` indices spread out over the points (farthest-point sampling, deterministic)."""
    n = lon.shape[0]
    if n <= k:
        return np.arange(n)
    chosen = [int(np.argmin(lon + lat))]
    dist = haversine_m(lon, lat, lon[chosen[0]], lat[chosen[0]])
    for _ in range(k - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, haversine_m(lon, lat, lon[nxt], lat[nxt]))
    return np.sort(np.asarray(chosen))


def check_line_connected(
    name: str,
    stop_nodes: np.ndarray,
    stop_targets: np.ndarray,
    time_s: np.ndarray,
    source: object,
) -> None:
    """Raise :class:`UnreachableError` unless each stop reaches the next in both directions.

    Parameters
    ----------
    name
        Line name (for the message).
    stop_nodes, stop_targets
        Graph nodes and target indices of the stops, in order.
    time_s
        ``Targets.time_s`` (target x node), seconds; ``inf`` means no route.
    source
        The network file (for the message).
    """
    legs = np.concatenate(
        [time_s[stop_targets[1:], stop_nodes[:-1]], time_s[stop_targets[:-1], stop_nodes[1:]]]
    )
    if not np.all(np.isfinite(legs)):
        bad = int(np.flatnonzero(~np.isfinite(legs))[0]) % max(1, len(stop_nodes) - 1)
        raise UnreachableError(
            describe(
                source,
                f"bus line {name!r} stops",
                [int(stop_nodes[bad]), int(stop_nodes[bad + 1])],
                "consecutive stops are not connected by roads (both directions needed)",
            )
        )


def check_site_reachable(
    name: str, access_targets: np.ndarray, from_node: int, time_s: np.ndarray, source: object
) -> None:
    """Raise :class:`UnreachableError` when no access node of a site can be reached."""
    if not np.any(np.isfinite(time_s[access_targets, from_node])):
        raise UnreachableError(
            describe(
                source,
                f"charger site {name!r}",
                [int(a) for a in access_targets],
                "cannot be reached from the road network",
            )
        )


def depot_weight(
    depots: list[SiteCandidate], lines: list[BusLine], line_stops: list[tuple[str, np.ndarray]]
) -> np.ndarray:
    """Share of the bus fleet that lays over at each depot/terminal candidate.

    A line needs buses in proportion to its round-trip time (at a common headway); half
    of them lay over at each end.  Returns one weight per depot candidate.
    """
    weight = np.zeros(len(depots))
    node_of = {c.nodes[0]: i for i, c in enumerate(depots)}
    for line, (_, stops) in zip(lines, line_stops, strict=True):
        for end in (int(stops[0]), int(stops[-1])):
            if end in node_of:
                weight[node_of[end]] += line.round_trip_s / 2.0
    return weight


def freight_pairs(  # noqa: PLR0912
    gates: list, industry: list[int], logistics: list[int], towns: list[int],
    yards: list[int], weights: Mapping[str, float],
) -> list[tuple[int, int, float, int, int]]:
    """Truck origin-destination pairs with their weights and kinds.

    Parameters
    ----------
    gates
        Gateways (``node_in``: where trucks enter, ``node_out``: where they leave).
    industry, logistics, towns, yards
        Graph nodes of plants, logistics hubs, towns and rail freight yards.
    weights
        The calibration file's ``[freight_od]`` weights; each is spread evenly over the
        pairs of its kind (per gateway, hub or plant).

    Returns
    -------
    list of tuple
        ``(return node, destination node, weight, start node, kind)`` per pair; kinds
        :data:`OD_LONG_HAUL`, :data:`OD_REGIONAL`, :data:`OD_THROUGH` (every ordered pair
        of gateways, weight 1) and :data:`OD_DRAYAGE` (yard to plants and logistics hubs,
        weight 1 per yard: rail freight is loaded and unloaded there, not in the towns).
    """
    od: list[tuple[int, int, float, int, int]] = []
    hubs = industry + logistics
    for g in gates:  # long haul: gateway <-> plants / logistics hubs / towns
        for d in hubs:
            od.append((g.node_out, d, weights["gateway_hub"] / max(1, len(hubs)), g.node_in,
                       OD_LONG_HAUL))
        for d in towns:
            od.append((g.node_out, d, weights["gateway_town"] / max(1, len(towns)), g.node_in,
                       OD_LONG_HAUL))
        for h in gates:  # through traffic: enters at one gateway, leaves at another
            if h.node_in != g.node_in:
                od.append((g.node_out, h.node_out, 1.0 / max(1, len(gates) - 1), g.node_in,
                           OD_THROUGH))
    for a in logistics:  # regional distribution: logistics -> towns and industry
        for d in towns + industry:
            if d != a:
                od.append((a, d, weights["hub_local"] / max(1, len(towns) + len(industry)), a,
                           OD_REGIONAL))
    for a in industry:  # supply chain between plants
        for d in industry:
            if d != a:
                od.append((a, d, weights["plant_plant"] / max(1, len(industry)), a,
                           OD_REGIONAL))
    places = _unique(hubs)
    for y in yards:  # drayage: rail yard <-> plants and logistics hubs
        for d in places:
            if d != y:
                od.append((y, d, 1.0 / max(1, len(places)), y, OD_DRAYAGE))
    return od


def build_context(  # noqa: PLR0912
    network: Network,
    op: BusOperation,
    ship_port_limit: int = 64,
    *,
    taxi_area_radius_m: float,
    taxi_zone_weight: float,
    od_weights: Mapping[str, float],
) -> RunContext:
    """Build the shared inputs of a run from a loaded network.

    Parameters
    ----------
    network
        Roads, water, service areas, ports, points of interest, bus routes, gateways.
    op
        Bus timetable parameters (dwell per stop, layover) used for round-trip times.
    ship_port_limit
        At most this many ports are used for ship routes.
    taxi_area_radius_m, taxi_zone_weight
        Taxi demand points farther than this from the city centre are not served; zone
        centres weigh this many ordinary points (calibration file ``[demand]``).
    od_weights
        Freight OD weights (calibration file ``[freight_od]``, :func:`freight_pairs`).

    Raises
    ------
    UnreachableError
        When a bus line's consecutive stops are not connected, or a site has no access.
    """
    from transport_sim.network.arrays import merge_graph_arrays
    from transport_sim.network.routing import shortest_path_trees

    roads = network.roads
    if network.water is not None and network.water.n_nodes > 0:
        arrays, water_offset = merge_graph_arrays(roads, network.water)
    else:
        arrays, water_offset = roads, roads.n_nodes
    graph = kernel_graph(arrays)
    registry = TargetRegistry()
    lon, lat = np.asarray(arrays.node_lon), np.asarray(arrays.node_lat)

    pois = list(network.pois)
    by_kind: dict[str, list] = {}
    for poi in pois:
        by_kind.setdefault(poi.kind, []).append(poi)

    # --- bus lines (stops as targets) and depots --------------------------------------
    routes = [r for r in network.bus_routes if len(_unique(list(r.stops))) >= 2]
    stations = by_kind.get("bus_station", [])
    line_stops: list[tuple[str, np.ndarray]] = []
    for route in routes:
        stops = np.asarray(
            [s for i, s in enumerate(route.stops) if i == 0 or s != route.stops[i - 1]], np.int32
        )
        line_stops.append((route.ref or route.name, stops))
        registry.add_many(stops)
    depot_nodes = _unique([p.node for p in stations])
    for node in depot_nodes:
        registry.add(node)

    # --- taxi demand points -------------------------------------------------------------
    stop_nodes = np.asarray(_unique([int(s) for _, st in line_stops for s in st]), np.int64)
    zone_nodes = np.asarray(_unique([p.node for p in by_kind.get("zone", [])]), np.int64)
    if stop_nodes.size:
        centre = (float(np.median(lon[stop_nodes])), float(np.median(lat[stop_nodes])))
    elif zone_nodes.size:
        centre = (float(np.median(lon[zone_nodes])), float(np.median(lat[zone_nodes])))
    else:
        centre = (float(np.median(lon[: roads.n_nodes])), float(np.median(lat[: roads.n_nodes])))
    cand = np.asarray(_unique([*zone_nodes.tolist(), *stop_nodes.tolist()]), np.int64)
    if cand.size < 4:  # no stops or zones: use road nodes near the centre
        cand = np.arange(roads.n_nodes, dtype=np.int64)
    near = cand[haversine_m(lon[cand], lat[cand], *centre) <= taxi_area_radius_m]
    if near.size < 4:
        near = cand
    pick = near[_spread(lon[near], lat[near], MAX_TAXI_POINTS)]
    taxi_nodes = pick.astype(np.int32)
    taxi_targets = registry.add_many(taxi_nodes)
    zone_set = set(zone_nodes.tolist())
    taxi_weights = np.where(np.isin(taxi_nodes, list(zone_set)), taxi_zone_weight, 1.0)

    # --- freight origins and destinations ----------------------------------------------
    industry = _unique([p.node for p in by_kind.get("industry", [])])
    rail = by_kind.get("rail", [])
    yards = _unique([p.node for p in rail if p.subkind in ("yard", "landuse")]) or _unique(
        [p.node for p in rail])
    logistics = _unique([p.node for p in by_kind.get("logistics", [])])
    towns = _unique([p.node for p in by_kind.get("zone", []) if p.subkind in ("town", "city")])
    gates = list(network.gateways)
    if not industry:
        industry = taxi_nodes[:: max(1, len(taxi_nodes) // 8)].tolist()
    if not logistics:
        logistics = yards[:2] or industry[:2]
    if not towns:
        towns = taxi_nodes[:: max(1, len(taxi_nodes) // 4)].tolist()
    od = freight_pairs(gates, industry, logistics, towns, yards, od_weights)
    if not od:
        msg = describe(network.source, "network", network.source.name, "no freight origins")
        raise UnreachableError(msg)
    od_arr = np.asarray(od, np.float64)
    truck_od_origin = registry.add_many(od_arr[:, 0].astype(np.int32))
    truck_od_dest = registry.add_many(od_arr[:, 1].astype(np.int32))
    hub_nodes = np.asarray(_unique(logistics + industry), np.int32)
    yard_nodes = np.asarray(yards, np.int32)
    hub_targets = registry.add_many(hub_nodes)

    # --- ports (water side) --------------------------------------------------------------
    ports = list(network.ports)[:ship_port_limit]
    port_nodes = np.asarray([p.water_node + water_offset for p in ports], np.int32)
    port_targets = registry.add_many(port_nodes)

    # --- charger-site candidates -----------------------------------------------------
    sites: dict[str, list[SiteCandidate]] = {
        "depot": [],
        "urban": [],
        "service_area": [],
        "port": [],
        "logistics": [],
    }
    terminal_nodes = _unique(
        [int(st[0]) for _, st in line_stops] + [int(st[-1]) for _, st in line_stops]
    )
    station_name = {p.node: p.name for p in stations}
    for node in _unique(depot_nodes + terminal_nodes):
        registry.add(node)
        name = station_name.get(node, f"bus terminal {node}")
        sites["depot"].append(
            SiteCandidate(name, (node,), float(lon[node]), float(lat[node]), 1.0, f"depot:{node}")
        )
    for i, sa in enumerate(network.service_areas):
        nodes = tuple(int(n) for n in sa.nodes)
        for n in nodes:
            registry.add(n)
        sites["service_area"].append(
            SiteCandidate(sa.name, nodes, sa.lon, sa.lat, 0.0, f"service_area:{i}:{sa.name}")
        )
    for i, (p, node) in enumerate(zip(ports, port_nodes, strict=True)):
        sites["port"].append(
            SiteCandidate(p.name, (int(node),), p.lon, p.lat, 1.0, f"port:{i}:{p.name}")
        )
    gate_in = [int(g.node_in) for g in gates]
    for node in gate_in:
        registry.add(node)

    # --- next-hop tables toward every target ---------------------------------------------
    target_nodes = registry.nodes()
    trees = shortest_path_trees(arrays, target_nodes)
    targets = Targets(
        node=np.ascontiguousarray(trees.targets, np.int32),
        next_edge=trees.next_hop,
        dist_m=np.ascontiguousarray(trees.dist_m, np.float32),
        time_s=np.ascontiguousarray(trees.time_s, np.float32),
    )

    # urban hubs: taxi points spread over the city, weighted by demand around them
    hub_pick = _spread(lon[taxi_nodes], lat[taxi_nodes], 64)
    near_s = np.asarray(targets.time_s[np.ix_(taxi_targets, taxi_nodes[hub_pick])], np.float64)
    demand = (taxi_weights[:, None] * (near_s < 600.0)).sum(axis=0)  # demand within 10 min
    for j, i in enumerate(hub_pick):
        node = int(taxi_nodes[i])
        sites["urban"].append(
            SiteCandidate(
                f"urban hub {len(sites['urban']) + 1}",
                (node,),
                float(lon[node]),
                float(lat[node]),
                float(demand[j]),
                f"urban:{node}",
            )
        )
    # logistics hubs and plants: charging for the delivery trucks based there
    for node in hub_nodes:
        sites["logistics"].append(
            SiteCandidate(f"logistics depot {int(node)}", (int(node),), float(lon[node]),
                          float(lat[node]), float("inf"), f"logistics:{int(node)}")
        )
    # service areas: traffic = weight of freight OD paths through an access node
    od_o = od_arr[:, 3].astype(np.int64)
    od_d = truck_od_dest
    direct = targets.time_s[od_d, od_o].astype(np.float64)
    for k, cand in enumerate(sites["service_area"]):
        passing = np.zeros(len(od_o), bool)
        for u in cand.nodes:
            via = targets.time_s[registry.add(u), od_o].astype(np.float64) + targets.time_s[od_d, u]
            passing |= np.abs(via - direct) <= 1.0
        w = float(od_arr[passing, 2].sum())
        sites["service_area"][k] = SiteCandidate(
            cand.name, cand.nodes, cand.lon, cand.lat, w, cand.site_id
        )
    # distances (km) between service areas and gateways, for the "gap" coverage order
    points = [c.nodes[0] for c in sites["service_area"]] + gate_in
    pt_targets = np.array([registry.add(u) for u in points], np.int64)
    sa_dist = (
        np.asarray(targets.dist_m[np.ix_(pt_targets, np.asarray(points, np.int64))], np.float64).T
        / M_PER_KM
    )

    # --- bus lines with round-trip times; check stops are connected ----------------------
    bus_lines: list[BusLine] = []
    for name, stops in line_stops:
        st = registry.add_many(stops)
        check_line_connected(name, stops, st, targets.time_s, network.source)
        if depot_nodes:
            times = np.array([targets.time_s[registry.add(d), stops[0]] for d in depot_nodes])
            depot = int(depot_nodes[int(np.argmin(times))])
        else:
            depot = int(stops[0])
        # stops on a one-way carriageway are served outbound only (no U-turn detours)
        back = inbound_stops(st, stops, targets.dist_m)
        bus_lines.append(
            BusLine(
                name=name,
                stop_targets=st,
                depot_target=registry.add(depot),
                depot_node=depot,
                round_trip_s=round_trip_s(st, stops, targets.time_s, op, back),
                back_targets=np.asarray(st, np.int32)[back],
            )
        )
    # sites at service areas must be reachable from the rest of the road network
    for s in sites["service_area"]:
        access = np.array([registry.add(n) for n in s.nodes], np.int64)
        check_site_reachable(s.name, access, int(taxi_nodes[0]), targets.time_s, network.source)

    if len(registry) != targets.n_targets:  # every target must be in the next-hop tables
        msg = "a target was registered after the next-hop tables were computed"
        raise AssertionError(msg)
    # nearest taxi point of every node (zone map for dispatch pruning)
    from transport_sim.kernels.dispatch import build_dispatch_index, zones_by_nearest_target

    node_zone = zones_by_nearest_target(targets, taxi_targets)
    dispatch_index = build_dispatch_index(targets, node_zone, len(taxi_targets))

    return RunContext(
        network=network,
        arrays=arrays,
        graph=graph,
        water_offset=water_offset,
        registry=registry,
        targets=targets,
        bus_lines=bus_lines,
        taxi_targets=taxi_targets,
        taxi_nodes=taxi_nodes,
        taxi_weights=taxi_weights,
        node_zone=node_zone,
        truck_od_origin=truck_od_origin,
        truck_od_dest=truck_od_dest,
        truck_od_weight=od_arr[:, 2],
        truck_od_start_node=od_arr[:, 3].astype(np.int32),
        truck_od_kind=od_arr[:, 4].astype(np.int8),
        hub_targets=hub_targets,
        hub_nodes=hub_nodes,
        yard_nodes=yard_nodes,
        port_targets=port_targets,
        port_nodes=port_nodes,
        port_names=tuple(p.name for p in ports),
        dispatch_index=dispatch_index,
        sites=sites,
        depot_lines=depot_weight(sites["depot"], bus_lines, line_stops),
        service_area_distances_km=sa_dist,
    )
