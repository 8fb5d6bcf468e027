"""Movement kernel: advance every vehicle along its route for one tick ``[t_s, t_s + dt_s)``.

The public :func:`advance_tick` validates its arguments and calls the compiled
:func:`_advance_tick`, which takes a few typed bundles (:mod:`transport_sim.kernels.bundles`)
and scalars so that other compiled code (the fused multi-tick loop) can call it directly.

Rules of one tick, vehicle by vehicle in index order
----------------------------------------------------
* ``STATUS_MOVING``: drive toward the current target (``detour_target[v]`` if >= 0, else
  ``leg_target[leg[v]]``) with a time budget of ``dt_s`` seconds, following
  ``next_edge[target, node]`` and crossing as many edges as the budget allows.  On an
  edge the speed is ``min(edge_speed_mps * speed_factors[class] [* congestion factor],
  max_speed_mps[v])``.  Energy is ``distance * (kwh_per_m[spec, class] + payload_t *
  kwh_per_m_per_t[spec])``; a BEV whose
  battery cannot cover a step drives until the battery is empty and becomes
  ``STATUS_STRANDED`` where it stops (on the edge).
* Arrival at the target node at ``t_arr = t_s + (dt_s - budget_left)``: on a detour,
  ``arrived[v] = 2``, ``STATUS_DWELL`` with ``wait_until_s = t_arr`` (the charging
  kernel takes over and clears the detour); otherwise ``arrived[v] = 1``, ``trips`` +1 if
  the leg has ``LEG_TRIP_END``, ``STATUS_DWELL`` until ``t_arr + leg_dwell_s[leg]`` and
  ``leg`` +1.  The rest of the tick's budget is not used.
* ``STATUS_DWELL`` / ``STATUS_IDLE`` / ``STATUS_OFF`` without a detour and with
  ``wait_until_s <= t_s``: with legs left and ``leg_depart_s[leg] <= t_s`` the vehicle
  becomes ``STATUS_MOVING`` and drives with the full ``dt_s`` budget in this same tick;
  with no legs left it becomes ``STATUS_IDLE`` (dispatchable vehicles) or
  ``STATUS_DONE``.  Departure is therefore quantised to tick starts: a vehicle leaves at
  the first tick start at or after its departure time (never early, late by less than
  one tick).  Arrival times inside a tick are exact.
* Everything else (queued, charging, stranded, done, dwelling on a detour) is left alone.

Optional congestion: with per-edge vehicle counts (maintained incrementally here as
vehicles enter and leave edges) the speed on edge ``e`` is also multiplied by
``max(min_speed_factor, 1 - others / edge_jam_vehicles[e])`` where ``others`` is the
number of *other* vehicles on the edge at that moment (vehicles earlier in index order
have already moved this tick).  A lone vehicle therefore drives at free-flow speed.

Units: metres, seconds, m/s, kWh, kWh/m, tonnes, tonne-km.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numba import njit

from transport_sim.codes import (
    KERNEL_BAD_STATE,
    KERNEL_NO_ROUTE,
    KERNEL_OK,
    KERNEL_STATUS_NAMES,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_NAMES,
    STATUS_OFF,
    STATUS_STRANDED,
)
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import (
    COMPILED_ONLY,
    PYTHON_ENTRY,
    FleetBundle,
    LegBundle,
    NetBundle,
    SpecBundle,
    TrafficBundle,
    fleet_bundle,
    leg_bundle,
    net_bundle,
)
from transport_sim.kernels.energy import battery_limited_distance_m, energy_for_distance_kwh
from transport_sim.kernels.nexthop import NextHop, next_hop
from transport_sim.kernels.state import LEG_TRIP_END, FleetState, KernelGraph, SpecTable, Targets
from transport_sim.units import M_PER_KM

__all__ = [
    "ARRIVED_DETOUR",
    "ARRIVED_FAULT",
    "ARRIVED_LEG",
    "ARRIVED_NONE",
    "DEFAULT_MIN_SPEED_FACTOR",
    "END_OF_EDGE_EPS_M",
    "JAM_SPACING_M",
    "advance_tick",
    "check_array",
    "check_network",
    "count_vehicles_on_edges",
    "jam_vehicles",
]

#: Distance (m) short of the edge's end at which a vehicle counts as at the head node.
END_OF_EDGE_EPS_M: Final = 1e-6
#: Length of road (m) one vehicle occupies per lane at jam density (133 vehicles/km/lane).
JAM_SPACING_M: Final = 7.5
#: Default lower bound of the congestion speed factor (keeps jammed edges passable).
DEFAULT_MIN_SPEED_FACTOR: Final = 0.05

#: ``arrived`` codes written by the movement kernel.
ARRIVED_NONE: Final = 0  # no arrival this tick
ARRIVED_LEG: Final = 1  # reached the current leg's target
ARRIVED_DETOUR: Final = 2  # reached the detour target (a charger site)
ARRIVED_FAULT: Final = -1  # the vehicle at which the kernel stopped with a bad status


# --------------------------------------------------------------------------------------
# compiled kernels
# --------------------------------------------------------------------------------------


@njit(cache=True, nogil=True, **COMPILED_ONLY)
def _advance_tick(  # noqa: PLR0912 - one flat loop over flat arrays
    vehicles: FleetBundle,
    legs: LegBundle,
    net: NetBundle,
    specs: SpecBundle,
    traffic: TrafficBundle,
    t_s: float,
    dt_s: float,
    speed_factors: np.ndarray,
    arrived: np.ndarray,
) -> int:
    """Advance every vehicle by one tick ``[t_s, t_s + dt_s)`` (the compiled body).

    Parameters
    ----------
    vehicles, legs, net, specs, traffic
        Bundles (:mod:`transport_sim.kernels.bundles`); the fields the kernel uses are
        unpacked at its top under the names below (``congestion`` is
        ``traffic.enabled``).
    status : int8[n]
        ``STATUS_*`` code per vehicle (mutated).
    node : int32[n]
        Node the vehicle stands at, or the tail of its edge (mutated).
    edge : int32[n]
        Current edge, -1 when standing at ``node`` (mutated).
    pos_m : float64[n]
        Metres travelled along ``edge`` (mutated).
    leg : int32[n]
        Current leg, an index into the ``leg_*`` arrays (mutated).
    leg_end : int32[n]
        One past the vehicle's last leg.
    wait_until_s : float64[n]
        End of the current dwell, s since midnight (mutated).
    detour_target : int32[n]
        Target index of a charger detour, or -1 (read only here).
    soc_kwh : float64[n]
        Battery state of charge, kWh (mutated for BEVs).
    odometer_m, energy_kwh, tkm : float64[n]
        Day counters: metres driven, kWh drawn, tonne-km carried (mutated).
    trips : int32[n]
        Revenue trips completed (mutated).
    spec : int16[n]
        Row of the spec table.
    max_speed_mps : float64[n]
        Speed cap of the vehicle, m/s.
    dispatchable : bool[n]
        True for taxis: ``STATUS_IDLE`` instead of ``STATUS_DONE`` when legs run out.
    leg_target : int32[n_legs]
        Target index of each leg.
    leg_depart_s : float64[n_legs]
        Earliest departure of each leg, s since midnight.
    leg_dwell_s : float64[n_legs]
        Stay at the target after arrival, s.
    leg_payload_t : float64[n_legs]
        Tonnes carried on the leg.
    leg_flags : int8[n_legs]
        ``LEG_*`` bits.
    edge_head : int32[n_edges]
        Head node of each edge.
    edge_length_m : float64[n_edges]
        Edge length, m.
    edge_speed_mps : float64[n_edges]
        Free-flow speed, m/s.
    edge_class : int8[n_edges]
        Road class index.
    target_node : int32[n_targets]
        Graph node of each target.
    next_edge : NextHop
        Compact next-hop tables [n_targets, n_nodes], read with :func:`next_hop`: the
        first edge from each node toward each target, -1 at the target / unreachable.
    kwh_per_m : float64[n_specs, n_classes]
        Energy drawn per metre when empty, kWh/m.
    is_bev : bool[n_specs]
        True when the spec draws from a battery.
    kwh_per_m_per_t : float64[n_specs]
        Extra energy per metre and tonne of the leg's payload, kWh/(m t) (0 on detours).
    t_s : float
        Tick start, s since midnight.
    dt_s : float
        Tick length, s (> 0).
    speed_factors : float64[n_classes]
        Time-of-day speed factor per road class for this tick's hour (> 0).
    congestion : bool
        Apply the density-dependent speed factor and maintain ``edge_count``; when False
        ``edge_count`` and ``edge_jam_vehicles`` are not touched (may be empty).
    edge_count : int32[n_edges]
        Vehicles currently on each edge (mutated when ``congestion``).
    edge_jam_vehicles : float64[n_edges]
        Vehicles on the edge at jam density (``length_m * lanes / 7.5``), > 0.
    min_speed_factor : float
        Lower bound of the congestion factor, in (0, 1].
    arrived : int8[n]
        Output, overwritten: ``ARRIVED_NONE`` (0), ``ARRIVED_LEG`` (1) or
        ``ARRIVED_DETOUR`` (2); ``ARRIVED_FAULT`` (-1) marks the vehicle at which a
        non-OK status was returned.

    Returns
    -------
    int
        ``KERNEL_OK``; ``KERNEL_NO_ROUTE`` when a next-hop lookup found no edge;
        ``KERNEL_BAD_STATE`` on an out-of-range index, a position beyond its edge's
        length, or a non-positive speed.  After a non-OK code the state is partially
        updated and must be discarded.
    """
    status, node, edge, pos_m = vehicles.status, vehicles.node, vehicles.edge, vehicles.pos_m
    leg, leg_end, wait_until_s = vehicles.leg, vehicles.leg_end, vehicles.wait_until_s
    detour_target, soc_kwh = vehicles.detour_target, vehicles.soc_kwh
    odometer_m = vehicles.odometer_m
    energy_kwh, tkm, trips, spec = vehicles.energy_kwh, vehicles.tkm, vehicles.trips, vehicles.spec
    max_speed_mps, dispatchable = vehicles.max_speed_mps, vehicles.dispatchable
    leg_target, leg_depart_s, leg_dwell_s = legs.leg_target, legs.leg_depart_s, legs.leg_dwell_s
    leg_payload_t, leg_flags = legs.leg_payload_t, legs.leg_flags
    edge_head, edge_length_m = net.edge_head, net.edge_length_m
    edge_speed_mps, edge_class = net.edge_speed_mps, net.edge_class
    target_node, next_edge = net.target_node, net.next_edge
    kwh_per_m, is_bev, kwh_per_m_per_t = specs.kwh_per_m, specs.is_bev, specs.kwh_per_m_per_t
    congestion, min_speed_factor = traffic.enabled, traffic.min_speed_factor
    edge_count, edge_jam_vehicles = traffic.edge_count, traffic.edge_jam_vehicles
    n_legs = leg_target.shape[0]
    n_targets = target_node.shape[0]
    n_specs = kwh_per_m.shape[0]
    n_classes = speed_factors.shape[0]
    n_edges = edge_head.shape[0]
    n_nodes = next_edge.slot.shape[1]
    for v in range(status.shape[0]):
        arrived[v] = ARRIVED_NONE
        st = status[v]
        if st != STATUS_MOVING:
            # waiting vehicles: depart, finish the day, or keep waiting
            if st not in (STATUS_DWELL, STATUS_IDLE, STATUS_OFF):
                continue
            if detour_target[v] >= 0 or wait_until_s[v] > t_s:
                continue
            lv = leg[v]
            if lv >= leg_end[v]:
                status[v] = STATUS_IDLE if dispatchable[v] else STATUS_DONE
                continue
            if lv < 0 or lv >= n_legs:
                arrived[v] = ARRIVED_FAULT
                return KERNEL_BAD_STATE
            if leg_depart_s[lv] > t_s:
                continue
            status[v] = STATUS_MOVING

        # ---- drive vehicle v for dt_s seconds --------------------------------------
        # Its leg and target stay fixed (reaching the target ends the drive); the target
        # node is looked up only when the vehicle stands at a node.  The vehicle's
        # dynamic fields live in locals during the drive and are written back once.
        budget_s = dt_s
        detour = detour_target[v]
        lv = leg[v]
        sp = spec[v]
        if (detour < 0 and (lv < 0 or lv >= n_legs)) or sp < 0 or sp >= n_specs:
            arrived[v] = ARRIVED_FAULT
            return KERNEL_BAD_STATE
        payload_t = leg_payload_t[lv] if detour < 0 else 0.0
        bev = is_bev[sp]
        vmax_mps = max_speed_mps[v]
        e = edge[v]
        u = node[v]
        p_m = pos_m[v]
        odo_m = odometer_m[v]
        drawn_kwh = energy_kwh[v]
        soc = soc_kwh[v]
        carried_tkm = tkm[v]
        new_status = STATUS_MOVING
        code = KERNEL_OK
        k = -1
        goal = -1
        while True:
            if e < 0:
                # standing at node u: arrive, or enter the next edge toward the target
                if k < 0:
                    if detour >= 0:
                        k = detour
                    elif lv < leg_end[v]:
                        k = leg_target[lv]
                    if k < 0 or k >= n_targets:
                        code = KERNEL_BAD_STATE
                        break
                    goal = target_node[k]
                if u < 0 or u >= n_nodes:
                    code = KERNEL_BAD_STATE
                    break
                if u == goal:
                    t_arr_s = t_s + (dt_s - budget_s)
                    new_status = STATUS_DWELL
                    if detour >= 0:
                        arrived[v] = ARRIVED_DETOUR
                        wait_until_s[v] = t_arr_s
                    else:
                        arrived[v] = ARRIVED_LEG
                        if leg_flags[lv] & LEG_TRIP_END:
                            trips[v] += 1
                        wait_until_s[v] = t_arr_s + leg_dwell_s[lv]
                        leg[v] = lv + 1
                    break
                if budget_s <= 0.0:
                    break
                e = next_hop(next_edge, k, u)
                if e < 0:
                    code = KERNEL_NO_ROUTE
                    break
                if e >= n_edges:
                    code = KERNEL_BAD_STATE
                    break
                p_m = 0.0
                if congestion:
                    edge_count[e] += 1
            elif e >= n_edges:
                code = KERNEL_BAD_STATE
                break

            # on edge e: one step, to its head or until the budget or the battery ends
            length_m = edge_length_m[e]
            c = edge_class[e]
            if (
                not (p_m >= 0.0 and p_m <= length_m + END_OF_EDGE_EPS_M)
                or c < 0
                or (c >= n_classes)
            ):
                code = KERNEL_BAD_STATE
                break
            speed_mps = edge_speed_mps[e] * speed_factors[c]
            if congestion:
                factor = max(1.0 - (edge_count[e] - 1) / edge_jam_vehicles[e], min_speed_factor)
                speed_mps = speed_mps * factor
            speed_mps = min(speed_mps, vmax_mps)
            if not speed_mps > 0.0:
                code = KERNEL_BAD_STATE
                break
            rem_m = max(length_m - p_m, 0.0)
            d_m = speed_mps * budget_s
            reached = d_m >= rem_m - END_OF_EDGE_EPS_M
            if reached:
                d_m = rem_m
            k_kwh_per_m = kwh_per_m[sp, c] + payload_t * kwh_per_m_per_t[sp]
            e_kwh = energy_for_distance_kwh(d_m, k_kwh_per_m)
            if bev and e_kwh > soc:
                # the battery runs out on this edge: drive what it allows, then strand
                e_kwh = soc
                d_m = battery_limited_distance_m(e_kwh, k_kwh_per_m)
                p_m = min(p_m + d_m, length_m)
                odo_m += d_m
                drawn_kwh += e_kwh
                soc = 0.0
                carried_tkm += payload_t * d_m / M_PER_KM
                new_status = STATUS_STRANDED
                break
            odo_m += d_m
            drawn_kwh += e_kwh
            if bev:
                soc -= e_kwh
            carried_tkm += payload_t * d_m / M_PER_KM
            if not reached:
                p_m = p_m + d_m
                break
            # at the head node; keep the unused budget for the next edge
            budget_s = max(budget_s - d_m / speed_mps, 0.0)
            if congestion:
                edge_count[e] -= 1
            u = edge_head[e]
            e = -1
            p_m = 0.0

        status[v] = new_status
        edge[v] = e
        node[v] = u
        pos_m[v] = p_m
        odometer_m[v] = odo_m
        energy_kwh[v] = drawn_kwh
        soc_kwh[v] = soc
        tkm[v] = carried_tkm
        if code != KERNEL_OK:
            arrived[v] = ARRIVED_FAULT
            return code
    return KERNEL_OK


# --------------------------------------------------------------------------------------
# validation helpers (shared by the kernel wrappers)
# --------------------------------------------------------------------------------------


def check_array(
    name: str,
    array: object,
    dtype: type | np.dtype,
    shape: tuple[int | None, ...],
    *,
    writeable: bool = False,
) -> np.ndarray:
    """Check that ``array`` is a C-contiguous ndarray of exactly ``dtype`` and ``shape``.

    Parameters
    ----------
    name
        Name used in the error message (e.g. ``"state.pos_m"``).
    array
        The object to check.
    dtype
        Required dtype (exact: kernels are compiled for one signature and mutate in place,
        so no silent conversion is done).
    shape
        Required shape; ``None`` entries accept any length.
    writeable
        Also require the array to be writeable (the kernel mutates it).

    Returns
    -------
    numpy.ndarray
        ``array`` itself.

    Raises
    ------
    TypeError
        If ``array`` is not an ndarray or has another dtype.
    ValueError
        If the shape differs, or the array is not C-contiguous or not writeable.
    """
    if not isinstance(array, np.ndarray):
        msg = f"{name} must be a numpy array, got {type(array).__name__}"
        raise TypeError(msg)
    if array.dtype != dtype:
        msg = f"{name} must have dtype {np.dtype(dtype)}, got {array.dtype}"
        raise TypeError(msg)
    got = array.shape
    ok = len(got) == len(shape)
    if ok:
        for have, want in zip(got, shape, strict=True):
            if want is not None and have != want:
                ok = False
    if not ok:
        shown = tuple("*" if s is None else s for s in shape)
        msg = f"{name} must have shape {shown}, got {got}"
        raise ValueError(msg)
    flags = array.flags
    if not flags.c_contiguous:
        msg = f"{name} must be C-contiguous"
        raise ValueError(msg)
    if writeable and not flags.writeable:
        msg = f"{name} must be writeable"
        raise ValueError(msg)
    return array


def _check_tick(t_s: float, dt_s: float) -> tuple[float, float]:
    """Return ``(t_s, dt_s)`` as floats after checking they are finite and ``dt_s > 0``."""
    t, dt = float(t_s), float(dt_s)
    if not np.isfinite(t):
        msg = f"t_s must be finite, got {t_s}"
        raise ValueError(msg)
    if not (np.isfinite(dt) and dt > 0.0):
        msg = f"dt_s must be finite and > 0, got {dt_s}"
        raise ValueError(msg)
    return t, dt


def _check_graph_arrays(graph: KernelGraph) -> tuple[int, int]:
    """Check the dtypes and shapes of ``graph``; return ``(n_nodes, n_edges)``."""
    n_nodes, n_edges = graph.n_nodes, graph.n_edges
    check_array("graph.indptr", graph.indptr, np.int32, (n_nodes + 1,))
    check_array("graph.edge_head", graph.edge_head, np.int32, (n_edges,))
    check_array("graph.edge_tail", graph.edge_tail, np.int32, (n_edges,))
    check_array("graph.edge_length_m", graph.edge_length_m, np.float64, (n_edges,))
    check_array("graph.edge_speed_mps", graph.edge_speed_mps, np.float64, (n_edges,))
    check_array("graph.edge_class", graph.edge_class, np.int8, (n_edges,))
    return n_nodes, n_edges


def _check_targets_arrays(targets: Targets, n_nodes: int) -> int:
    """Check the dtypes and shapes of ``targets``; return ``n_targets``."""
    n_targets = targets.n_targets
    check_array("targets.node", targets.node, np.int32, (n_targets,))
    if not isinstance(targets.next_edge, NextHop):
        msg = f"targets.next_edge must be a NextHop, got {type(targets.next_edge).__name__}"
        raise TypeError(msg)
    slot = targets.next_edge.slot
    if slot.dtype not in (np.uint8, np.uint16):
        msg = f"targets.next_edge.slot must have dtype uint8 or uint16, got {slot.dtype}"
        raise TypeError(msg)
    check_array("targets.next_edge.slot", slot, slot.dtype, (n_targets, n_nodes))
    check_array("targets.next_edge.first_edge", targets.next_edge.first_edge, np.int32,
                (n_nodes,))
    check_array("targets.dist_m", targets.dist_m, np.float32, (n_targets, n_nodes))
    check_array("targets.time_s", targets.time_s, np.float32, (n_targets, n_nodes))
    return n_targets


def _check_state_arrays(state: FleetState) -> tuple[int, int]:
    """Check the dtypes and shapes of the arrays of ``state``; return ``(n, n_legs)``."""
    n = state.n_vehicles
    n_legs = int(np.shape(state.leg_target)[0])
    for name, dtype, writeable in (
        ("status", np.int8, True),
        ("node", np.int32, True),
        ("edge", np.int32, True),
        ("pos_m", np.float64, True),
        ("leg", np.int32, True),
        ("leg_begin", np.int32, False),
        ("leg_end", np.int32, True),
        ("wait_until_s", np.float64, True),
        ("detour_target", np.int32, False),
        ("soc_kwh", np.float64, True),
        ("odometer_m", np.float64, True),
        ("energy_kwh", np.float64, True),
        ("tkm", np.float64, True),
        ("trips", np.int32, True),
        ("spec", np.int16, False),
        ("max_speed_mps", np.float64, False),
        ("dispatchable", np.bool_, False),
    ):
        check_array(f"state.{name}", getattr(state, name), dtype, (n,), writeable=writeable)
    for name, dtype in (
        ("leg_target", np.int32),
        ("leg_depart_s", np.float64),
        ("leg_dwell_s", np.float64),
        ("leg_payload_t", np.float64),
        ("leg_flags", np.int8),
    ):
        check_array(f"state.{name}", getattr(state, name), dtype, (n_legs,), writeable=True)
    return n, n_legs


def check_network(graph: KernelGraph, targets: Targets, specs: SpecTable) -> None:
    """Check the values of the static tables once (at model build, not every tick).

    :func:`advance_tick` checks dtypes and shapes on every call and the compiled kernel
    checks every index it follows; this function checks the rest: a consistent CSR
    layout, positive finite speeds, non-negative finite lengths, road classes in range,
    next-hop edges that leave the node they are listed for, and non-negative finite
    energy factors.

    Parameters
    ----------
    graph, targets, specs
        The run's tables (see :mod:`transport_sim.kernels.state`).

    Raises
    ------
    TypeError
        If an array has the wrong dtype.
    ValueError
        If an array has the wrong shape, or naming every field whose values fail.
    """
    n_nodes, _ = _check_graph_arrays(graph)
    _check_targets_arrays(targets, n_nodes)
    check_array("specs.kwh_per_m", specs.kwh_per_m, np.float64, (None, None))
    check_array("specs.is_bev", specs.is_bev, np.bool_, (specs.n_specs,))
    problems = _graph_problems(graph, int(specs.kwh_per_m.shape[1]))
    problems += _targets_problems(targets, graph)
    if not np.all(np.isfinite(specs.kwh_per_m) & (specs.kwh_per_m >= 0.0)):
        problems.append("specs.kwh_per_m must be finite and >= 0")
    if problems:
        raise ValueError("; ".join(problems))


def _graph_problems(graph: KernelGraph, n_classes: int) -> list[str]:
    """Return what is wrong with the values of ``graph`` (empty when nothing)."""
    n_nodes, n_edges = graph.n_nodes, graph.n_edges
    problems = []
    rows = np.diff(graph.indptr)
    if graph.indptr[0] != 0 or graph.indptr[-1] != n_edges or np.any(rows < 0):
        problems.append("graph.indptr must rise from 0 to n_edges")
    elif np.any(graph.edge_tail != np.repeat(np.arange(n_nodes), rows)):
        problems.append("graph.edge_tail must match the CSR rows of graph.indptr")
    for name, arr in (("edge_head", graph.edge_head), ("edge_tail", graph.edge_tail)):
        if n_edges and (arr.min() < 0 or arr.max() >= n_nodes):
            problems.append(f"graph.{name} must lie in [0, {n_nodes})")
    if not np.all(np.isfinite(graph.edge_length_m) & (graph.edge_length_m >= 0.0)):
        problems.append("graph.edge_length_m must be finite and >= 0")
    if not np.all(np.isfinite(graph.edge_speed_mps) & (graph.edge_speed_mps > 0.0)):
        problems.append("graph.edge_speed_mps must be finite and > 0")
    if n_edges and (graph.edge_class.min() < 0 or graph.edge_class.max() >= n_classes):
        problems.append(f"graph.edge_class must lie in [0, {n_classes})")
    return problems


def _targets_problems(targets: Targets, graph: KernelGraph) -> list[str]:
    """Return what is wrong with the values of ``targets`` (empty when nothing)."""
    n_nodes = graph.n_nodes
    problems = []
    if targets.n_targets and (targets.node.min() < 0 or targets.node.max() >= n_nodes):
        problems.append(f"targets.node must lie in [0, {n_nodes})")
    if not np.array_equal(targets.next_edge.first_edge, graph.indptr[:-1]):
        problems.append("targets.next_edge.first_edge must equal graph.indptr[:-1]")
        return problems
    # with first_edge = indptr[:-1], a slot in 1..degree(u) is an edge leaving u (row by
    # row: no full-size temporaries on large graphs)
    degree = np.diff(graph.indptr)
    if any(np.any(row > degree) for row in targets.next_edge.slot):
        problems.append("targets.next_edge[k, u] must be an edge leaving node u")
    return problems


def jam_vehicles(
    length_m: np.ndarray, lanes: np.ndarray | float, spacing_m: float = JAM_SPACING_M
) -> np.ndarray:
    """Return the number of vehicles on each edge at jam density (``float64[n_edges]``).

    Parameters
    ----------
    length_m
        Edge lengths, m.
    lanes
        Lanes per edge (scalar or per edge), >= 1.
    spacing_m
        Road length one stopped vehicle occupies per lane, m (default 7.5).

    Returns
    -------
    numpy.ndarray
        ``max(length_m * lanes / spacing_m, 1)``: at least one vehicle, so that a very
        short edge never divides by zero.
    """
    jam = np.asarray(length_m, np.float64) * np.asarray(lanes, np.float64) / float(spacing_m)
    return np.ascontiguousarray(np.maximum(jam, 1.0))


def count_vehicles_on_edges(state: FleetState, n_edges: int) -> np.ndarray:
    """Return the number of vehicles on each edge (``int32[n_edges]``).

    Use it to initialise the congestion counts before the first tick; afterwards
    :func:`advance_tick` maintains them.
    """
    on_edge = state.edge[state.edge >= 0]
    return np.bincount(on_edge, minlength=int(n_edges)).astype(np.int32)


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _advance_tick_py(
    vehicles: FleetBundle,
    legs: LegBundle,
    net: NetBundle,
    specs: SpecBundle,
    traffic: TrafficBundle,
    t_s: float,
    dt_s: float,
    speed_factors: np.ndarray,
    arrived: np.ndarray,
) -> int:
    """:func:`_advance_tick` callable from Python (the kernel has no CPython wrapper)."""
    return _advance_tick(vehicles, legs, net, specs, traffic, t_s, dt_s, speed_factors, arrived)


# --------------------------------------------------------------------------------------
# public wrapper
# --------------------------------------------------------------------------------------


def advance_tick(
    state: FleetState,
    graph: KernelGraph,
    targets: Targets,
    specs: SpecTable,
    t_s: float,
    dt_s: float,
    speed_factors: np.ndarray,
    arrived: np.ndarray,
    *,
    edge_count: np.ndarray | None = None,
    edge_jam_vehicles: np.ndarray | None = None,
    min_speed_factor: float = DEFAULT_MIN_SPEED_FACTOR,
) -> None:
    """Advance every vehicle by one tick ``[t_s, t_s + dt_s)`` (see the module docstring).

    Parameters
    ----------
    state
        Fleet state; its dynamic arrays are updated in place.
    graph, targets, specs
        The run's tables; check their values once with :func:`check_network`.
    t_s
        Tick start, s since midnight.
    dt_s
        Tick length, s (> 0).
    speed_factors
        ``float64[n_road_classes]`` time-of-day speed factors of this tick's hour (> 0),
        e.g. ``time_of_day_factors()[hour]``.
    arrived
        ``int8[n_vehicles]`` output: 1 where a vehicle reached its leg target this tick,
        2 where it reached its detour target, else 0.
    edge_count
        ``int32[n_edges]`` vehicles on each edge; passing it (with ``edge_jam_vehicles``)
        switches congestion on, and it is then updated in place.  Initialise it with
        :func:`count_vehicles_on_edges`.
    edge_jam_vehicles
        ``float64[n_edges]`` vehicles at jam density, > 0 (see :func:`jam_vehicles`).
    min_speed_factor
        Lower bound of the congestion speed factor, in (0, 1].

    Raises
    ------
    TypeError, ValueError
        If an array has the wrong dtype or shape, or a scalar is out of range.
    KernelError
        If the kernel reports no route or an inconsistent state.  The state is then
        partially updated and must be discarded.
    """
    t, dt = _check_tick(t_s, dt_s)
    n_nodes, n_edges = _check_graph_arrays(graph)
    _check_targets_arrays(targets, n_nodes)
    n, _ = _check_state_arrays(state)
    check_array("specs.kwh_per_m", specs.kwh_per_m, np.float64, (None, None))
    n_classes = specs.kwh_per_m.shape[1]
    check_array("specs.is_bev", specs.is_bev, np.bool_, (specs.n_specs,))
    slope = specs.payload_slope()
    check_array("specs.kwh_per_m_per_t", slope, np.float64, (specs.n_specs,))
    if not np.all(np.isfinite(slope) & (slope >= 0.0)):
        msg = "specs.kwh_per_m_per_t must be finite and >= 0"
        raise ValueError(msg)
    check_array("speed_factors", speed_factors, np.float64, (n_classes,))
    if not np.all(speed_factors > 0.0) or not np.all(np.isfinite(speed_factors)):
        msg = f"speed_factors must be finite and > 0, got {speed_factors}"
        raise ValueError(msg)
    check_array("arrived", arrived, np.int8, (n,), writeable=True)
    if (edge_count is None) != (edge_jam_vehicles is None):
        msg = "congestion needs both edge_count and edge_jam_vehicles (or neither)"
        raise ValueError(msg)
    congestion = edge_count is not None
    if congestion:
        check_array("edge_count", edge_count, np.int32, (n_edges,), writeable=True)
        check_array("edge_jam_vehicles", edge_jam_vehicles, np.float64, (n_edges,))
        if not (0.0 < float(min_speed_factor) <= 1.0):
            msg = f"min_speed_factor must lie in (0, 1], got {min_speed_factor}"
            raise ValueError(msg)
    else:
        edge_count = np.zeros(0, np.int32)
        edge_jam_vehicles = np.zeros(0, np.float64)
    traffic = TrafficBundle(congestion, edge_count, edge_jam_vehicles, float(min_speed_factor))
    code = _advance_tick_py(
        fleet_bundle(state),
        leg_bundle(state),
        net_bundle(graph, targets),
        SpecBundle(specs.kwh_per_m, specs.is_bev, slope),
        traffic,
        t,
        dt,
        speed_factors,
        arrived,
    )
    if code != KERNEL_OK:
        raise KernelError(_fault_message("advance_tick", code, state, arrived, t))


def _fault_message(
    kernel: str, code: int, state: FleetState, arrived: np.ndarray, t_s: float
) -> str:
    """Describe the vehicle at which a kernel stopped with status ``code``."""
    what = KERNEL_STATUS_NAMES[code] if 0 <= code < len(KERNEL_STATUS_NAMES) else str(code)
    faulty = np.flatnonzero(arrived == ARRIVED_FAULT)
    if faulty.size == 0:
        return f"{kernel} at t_s={t_s}: {what}"
    v = int(faulty[0])
    st = int(state.status[v])
    st_name = STATUS_NAMES[st] if 0 <= st < len(STATUS_NAMES) else str(st)
    return (
        f"{kernel} at t_s={t_s}: {what} at vehicle {v} (status {st_name}, "
        f"node {int(state.node[v])}, edge {int(state.edge[v])}, pos_m {float(state.pos_m[v])}, "
        f"leg {int(state.leg[v])} of [{int(state.leg_begin[v])}, {int(state.leg_end[v])}), "
        f"detour_target {int(state.detour_target[v])})"
    )
