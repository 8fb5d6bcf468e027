"""Tiny networks, targets and fleets for the kernel tests (built with numpy and scipy only).

Nothing here uses the kernels: the next-hop tables come from scipy's Dijkstra on the
reversed graph, so the tests check the kernels against an independent routing.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from transport_sim.codes import (
    N_ROAD_CLASSES,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_OFF,
)
from transport_sim.kernels.dispatch import (
    DispatchIndex,
    build_dispatch_index,
    zones_by_nearest_target,
)
from transport_sim.kernels.nexthop import compact_next_hop
from transport_sim.kernels.state import (
    LEG_CHARGE_OK,
    LEG_TRIP_END,
    FleetState,
    KernelGraph,
    SpecTable,
    Targets,
)


def build_graph(
    n_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    lengths_m: np.ndarray,
    speeds_mps: np.ndarray,
    classes: np.ndarray,
) -> KernelGraph:
    """Return a CSR :class:`KernelGraph`; edges are renumbered in (tail, given order)."""
    tails = np.asarray(tails, np.int64)
    order = np.argsort(tails, kind="stable")
    counts = np.bincount(tails, minlength=n_nodes)
    indptr = np.zeros(n_nodes + 1, np.int32)
    indptr[1:] = np.cumsum(counts)
    return KernelGraph(
        indptr=indptr,
        edge_head=np.asarray(heads, np.int32)[order].copy(),
        edge_tail=tails[order].astype(np.int32),
        edge_length_m=np.asarray(lengths_m, np.float64)[order].copy(),
        edge_speed_mps=np.asarray(speeds_mps, np.float64)[order].copy(),
        edge_class=np.asarray(classes, np.int8)[order].copy(),
    )


def build_targets(graph: KernelGraph, target_nodes: np.ndarray) -> Targets:
    """Return next-hop tables toward ``target_nodes`` (fastest free-flow paths).

    Travel times come from scipy's Dijkstra on the reversed graph (parallel edges reduced
    to their fastest); the next edge from ``u`` is the out-edge minimising
    ``edge time + time(head)``, lowest edge index on ties.
    """
    n = graph.n_nodes
    t_edge = graph.edge_length_m / graph.edge_speed_mps
    best: dict[tuple[int, int], float] = {}
    for e in range(graph.n_edges):
        key = (int(graph.edge_head[e]), int(graph.edge_tail[e]))  # reversed
        if graph.edge_head[e] != graph.edge_tail[e]:
            best[key] = min(best.get(key, np.inf), float(t_edge[e]))
    rows = np.array([k[0] for k in best], np.int64)
    cols = np.array([k[1] for k in best], np.int64)
    rev = csr_matrix((np.array(list(best.values())), (rows, cols)), shape=(n, n))
    target_nodes = np.asarray(target_nodes, np.int32)
    time_from = np.atleast_2d(dijkstra(rev, directed=True, indices=target_nodes))
    n_t = target_nodes.shape[0]
    next_edge = np.full((n_t, n), -1, np.int32)
    dist = np.full((n_t, n), np.inf)
    for k in range(n_t):
        tk = time_from[k]
        for u in range(n):
            if u == target_nodes[k] or not np.isfinite(tk[u]):
                continue
            lo, hi = graph.indptr[u], graph.indptr[u + 1]
            cand = [(float(t_edge[e] + tk[graph.edge_head[e]]), e) for e in range(lo, hi)]
            cand = [c for c in cand if np.isfinite(c[0]) and graph.edge_head[c[1]] != u]
            next_edge[k, u] = min(cand)[1]
        for u in range(n):
            if not np.isfinite(tk[u]):
                continue
            d, w = 0.0, u
            while w != target_nodes[k]:
                e = next_edge[k, w]
                d += graph.edge_length_m[e]
                w = graph.edge_head[e]
            dist[k, u] = d
    return Targets(
        node=target_nodes.copy(),
        next_edge=compact_next_hop(next_edge, graph.indptr),
        dist_m=dist.astype(np.float32),
        time_s=time_from.astype(np.float32),
    )


def route_edges(graph: KernelGraph, targets: Targets, k: int, u: int) -> list[int]:
    """Return the edges of the next-hop path from node ``u`` to target ``k``."""
    out = []
    while u != targets.node[k]:
        e = targets.next_edge.edge(k, u)
        out.append(e)
        u = int(graph.edge_head[e])
    return out


def grid_graph(
    nx: int, ny: int, spacing_m: float = 100.0, rng: np.random.Generator | None = None
) -> KernelGraph:
    """Return a two-way ``nx`` x ``ny`` street grid; random speeds and classes if ``rng``."""
    tails, heads = [], []
    for y in range(ny):
        for x in range(nx):
            u = y * nx + x
            if x + 1 < nx:
                tails += [u, u + 1]
                heads += [u + 1, u]
            if y + 1 < ny:
                tails += [u, u + nx]
                heads += [u + nx, u]
    m = len(tails)
    if rng is None:
        speeds = np.full(m, 13.9)
        classes = np.full(m, 5)
    else:
        speeds = rng.uniform(8.0, 25.0, m)
        classes = rng.integers(0, N_ROAD_CLASSES - 1, m)
    return build_graph(nx * ny, tails, heads, np.full(m, spacing_m), speeds, classes)


def random_graph(rng: np.random.Generator, n_nodes: int, n_extra: int) -> KernelGraph:
    """Return a strongly connected random graph: a ring plus random (parallel) edges.

    Lengths span 0.5 m to 300 m so that a vehicle sometimes crosses several edges in a
    tick; speeds 2 to 30 m/s; random road classes.
    """
    tails = list(range(n_nodes)) + list(rng.integers(0, n_nodes, n_extra))
    heads = [(u + 1) % n_nodes for u in range(n_nodes)] + list(rng.integers(0, n_nodes, n_extra))
    keep = [i for i in range(len(tails)) if tails[i] != heads[i]]
    tails = [tails[i] for i in keep]
    heads = [heads[i] for i in keep]
    m = len(tails)
    lengths = np.where(rng.random(m) < 0.3, rng.uniform(0.5, 5.0, m), rng.uniform(5.0, 300.0, m))
    speeds = rng.uniform(2.0, 30.0, m)
    classes = rng.integers(0, N_ROAD_CLASSES, m)
    return build_graph(n_nodes, tails, heads, lengths, speeds, classes)


def random_specs(rng: np.random.Generator, n_specs: int) -> SpecTable:
    """Return random specs: per-class consumption 0.0002-0.003 kWh/m, half of them BEVs."""
    kwh = rng.uniform(0.0002, 0.003, (n_specs, N_ROAD_CLASSES))
    is_bev = np.zeros(n_specs, np.bool_)
    is_bev[::2] = True
    # payload slopes up to 0.05 kWh/(km t) (heavy trucks ~0.02-0.05)
    slope = rng.uniform(0.0, 5e-5, n_specs)
    return SpecTable(kwh_per_m=kwh, is_bev=is_bev, kwh_per_m_per_t=slope)


def random_fleet(
    rng: np.random.Generator,
    graph: KernelGraph,
    targets: Targets,
    specs: SpecTable,
    n_vehicles: int,
    max_legs: int = 4,
    horizon_s: float = 600.0,
) -> FleetState:
    """Return a random, consistent fleet state.

    Vehicles start off, idle, dwelling or moving (at a node or part-way along an edge),
    some on a charger detour, some BEVs with a nearly empty battery, some dispatchable
    with no legs left.
    """
    n_legs_each = rng.integers(0, max_legs + 1, n_vehicles)
    n_legs = int(n_legs_each.sum())
    s = FleetState.allocate(n_vehicles, n_legs)
    s.leg_begin[:] = np.concatenate([[0], np.cumsum(n_legs_each)[:-1]]).astype(np.int32)
    s.leg_end[:] = s.leg_begin + n_legs_each
    n_t = targets.n_targets
    s.leg_target[:] = rng.integers(0, n_t, n_legs)
    s.leg_depart_s[:] = rng.uniform(-60.0, horizon_s, n_legs)
    s.leg_dwell_s[:] = np.where(rng.random(n_legs) < 0.3, 0.0, rng.uniform(0.0, 90.0, n_legs))
    s.leg_payload_t[:] = np.where(rng.random(n_legs) < 0.5, 0.0, rng.uniform(0.0, 30.0, n_legs))
    s.leg_flags[:] = rng.choice([0, LEG_TRIP_END, LEG_CHARGE_OK, LEG_TRIP_END | 2], n_legs)
    s.spec[:] = rng.integers(0, specs.n_specs, n_vehicles)
    s.max_speed_mps[:] = rng.uniform(5.0, 40.0, n_vehicles)
    s.dispatchable[:] = rng.random(n_vehicles) < 0.3
    bev = specs.is_bev[s.spec]
    s.battery_kwh[:] = np.where(bev, 50.0, 0.0)
    low = rng.random(n_vehicles) < 0.4
    soc = np.where(low, rng.uniform(0.0, 0.3, n_vehicles), rng.uniform(0.0, 50.0, n_vehicles))
    s.soc_kwh[:] = np.where(bev, soc, 0.0)
    s.node[:] = rng.integers(0, graph.n_nodes, n_vehicles)
    for v in range(n_vehicles):
        has_legs = n_legs_each[v] > 0
        s.leg[v] = s.leg_begin[v] + (rng.integers(0, n_legs_each[v]) if has_legs else 0)
        roll = rng.random()
        if (roll < 0.15 and has_legs) or roll < 0.05:
            s.detour_target[v] = rng.integers(0, n_t)
        moving = (has_legs or s.detour_target[v] >= 0) and rng.random() < 0.5
        if moving:
            s.status[v] = STATUS_MOVING
            if rng.random() < 0.5:
                e = int(rng.integers(0, graph.n_edges))
                s.edge[v] = e
                s.node[v] = graph.edge_tail[e]
                s.pos_m[v] = rng.uniform(0.0, graph.edge_length_m[e])
        else:
            s.status[v] = rng.choice([STATUS_OFF, STATUS_IDLE, STATUS_DWELL])
            s.wait_until_s[v] = rng.uniform(-30.0, horizon_s / 2)
    return s


def assert_same_state(a: FleetState, b: FleetState) -> None:
    """Assert that two fleet states are identical, array by array (floats bit for bit)."""
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype, f.name
        np.testing.assert_array_equal(x, y, err_msg=f"FleetState.{f.name} differs")


def planned_fleet(plans: list[list[tuple[int, float, float, float, int]]]) -> FleetState:
    """Return a fleet of vehicles standing at node 0, OFF, with the given leg plans.

    Each plan is a list of ``(target, depart_s, dwell_s, payload_t, flags)`` legs.  All
    vehicles use spec 1 (set ``spec``/``soc_kwh``/``node`` afterwards as needed).
    """
    n_legs = sum(len(p) for p in plans)
    s = FleetState.allocate(len(plans), n_legs)
    i = 0
    for v, plan in enumerate(plans):
        s.leg_begin[v] = s.leg[v] = i
        for target, depart_s, dwell_s, payload_t, flags in plan:
            s.leg_target[i] = target
            s.leg_depart_s[i] = depart_s
            s.leg_dwell_s[i] = dwell_s
            s.leg_payload_t[i] = payload_t
            s.leg_flags[i] = flags
            i += 1
        s.leg_end[v] = i
    s.spec[:] = 1
    return s


def taxi_fleet(
    rng: np.random.Generator, graph: KernelGraph, targets: Targets, n_taxis: int, n_others: int
) -> FleetState:
    """Return ``n_taxis`` taxis (two reserved leg slots each) followed by other vehicles.

    Most taxis stand idle at a random node; some are busy (driving a pickup leg), some
    dwell, some are on a charger detour.  The others are non-dispatchable vehicles idle at
    a node with one leg in the future (never candidates).
    """
    n = n_taxis + n_others
    s = FleetState.allocate(n, 2 * n)
    s.leg_begin[:] = 2 * np.arange(n, dtype=np.int32)
    s.leg[:] = s.leg_end[:] = s.leg_begin
    s.dispatchable[:n_taxis] = True
    s.node[:] = rng.integers(0, graph.n_nodes, n)
    s.status[:] = STATUS_IDLE
    s.max_speed_mps[:] = rng.uniform(5.0, 30.0, n)
    s.leg_target[:] = rng.integers(0, targets.n_targets, 2 * n)
    s.leg_depart_s[:] = 1e9
    for v in range(n_taxis):
        roll = rng.random()
        if roll < 0.15:  # busy with a pickup
            s.status[v] = STATUS_MOVING
            s.leg_end[v] = s.leg_begin[v] + 2
            s.leg_depart_s[s.leg_begin[v] : s.leg_end[v]] = 0.0
        elif roll < 0.25:  # dwelling at a drop-off
            s.status[v] = STATUS_DWELL
            s.wait_until_s[v] = rng.uniform(0.0, 100.0)
        elif roll < 0.3:  # driving to a charger
            s.status[v] = STATUS_MOVING
            s.detour_target[v] = rng.integers(0, targets.n_targets)
    s.leg_end[n_taxis:] = s.leg_begin[n_taxis:] + 1
    return s


def random_dispatch_world(
    rng: np.random.Generator, *, max_nodes: int, max_zones: int, max_taxis: int
) -> tuple[KernelGraph, Targets, DispatchIndex, FleetState]:
    """A random graph, its targets, a dispatch index (random or nearest-target zones) and
    a taxi fleet on it: the world of the dispatch kernels' random cases.

    ``max_*`` are exclusive upper bounds of the numbers of nodes, zones and taxis drawn.
    """
    n_nodes = int(rng.integers(2, max_nodes))
    graph = random_graph(rng, n_nodes, int(rng.integers(0, 3 * n_nodes)))
    n_targets = int(rng.integers(1, n_nodes + 1))
    targets = build_targets(graph, rng.choice(n_nodes, n_targets, replace=False))
    if rng.random() < 0.5:
        n_zones = int(rng.integers(1, max_zones))
        index = build_dispatch_index(targets, rng.integers(0, n_zones, n_nodes), n_zones)
    else:
        centres = rng.choice(n_targets, int(rng.integers(1, n_targets + 1)), replace=False)
        index = build_dispatch_index(targets, zones_by_nearest_target(targets, centres))
    n_taxis, n_other = int(rng.integers(0, max_taxis)), int(rng.integers(0, 3))
    return graph, targets, index, taxi_fleet(rng, graph, targets, n_taxis, n_other)
