"""Plain-Python references of the compiled kernels, written for clarity (used by tests).

Each function here does what one kernel does, with loops over Python floats and ints and
without calling any compiled code, so the tests can check that the kernels agree with
an independent reading of the rules.  Arithmetic follows the kernels' order of
operations, so results agree exactly (IEEE double arithmetic is deterministic).

The references work on the same dataclasses as the public wrappers, mutate them the same
way and return the kernel status code instead of raising.  They are slow (3 to 15
microseconds per vehicle and tick, 200-400 times slower than the kernels): never use them
in a model run.
"""

from __future__ import annotations

import math

import numpy as np

from transport_sim.codes import (
    KERNEL_BAD_STATE,
    KERNEL_NO_ROUTE,
    KERNEL_OK,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_OFF,
    STATUS_STRANDED,
)
from transport_sim.kernels.dispatch import (
    REQ_ASSIGNED,
    REQ_OPEN,
    REQ_UNSERVED,
    TaxiRequests,
)
from transport_sim.kernels.movement import (
    ARRIVED_DETOUR,
    ARRIVED_FAULT,
    ARRIVED_LEG,
    DEFAULT_MIN_SPEED_FACTOR,
    END_OF_EDGE_EPS_M,
)
from transport_sim.kernels.state import LEG_TRIP_END, FleetState, KernelGraph, SpecTable, Targets
from transport_sim.units import M_PER_KM

__all__ = [
    "advance_tick_reference",
    "dispatch_tick_reference",
    "totals_by_group_reference",
]


# --------------------------------------------------------------------------------------
# movement
# --------------------------------------------------------------------------------------


def advance_tick_reference(
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
) -> int:
    """Advance every vehicle by one tick; reference of ``movement._advance_tick``.

    Arguments as :func:`transport_sim.kernels.movement.advance_tick`; returns the kernel
    status code (``KERNEL_OK``, ``KERNEL_NO_ROUTE`` or ``KERNEL_BAD_STATE``).
    """
    t_s, dt_s = float(t_s), float(dt_s)
    for v in range(state.n_vehicles):
        arrived[v] = 0
        status = int(state.status[v])
        if status in (STATUS_DWELL, STATUS_IDLE, STATUS_OFF):
            if state.detour_target[v] >= 0 or float(state.wait_until_s[v]) > t_s:
                continue  # waiting for the charging kernel, or still dwelling
            leg = int(state.leg[v])
            if leg >= state.leg_end[v]:
                state.status[v] = STATUS_IDLE if state.dispatchable[v] else STATUS_DONE
                continue
            if not 0 <= leg < len(state.leg_target):
                arrived[v] = ARRIVED_FAULT
                return KERNEL_BAD_STATE
            if float(state.leg_depart_s[leg]) > t_s:
                continue  # not yet time to leave
            state.status[v] = STATUS_MOVING
        elif status != STATUS_MOVING:
            continue  # queued, charging, stranded or done
        code = _drive_reference(
            v,
            state,
            graph,
            targets,
            specs,
            t_s,
            dt_s,
            speed_factors,
            arrived,
            edge_count,
            edge_jam_vehicles,
            float(min_speed_factor),
        )
        if code != KERNEL_OK:
            arrived[v] = ARRIVED_FAULT
            return code
    return KERNEL_OK


def _drive_reference(  # noqa: PLR0911, PLR0912 - one readable story
    v: int,
    state: FleetState,
    graph: KernelGraph,
    targets: Targets,
    specs: SpecTable,
    t_s: float,
    dt_s: float,
    speed_factors: np.ndarray,
    arrived: np.ndarray,
    edge_count: np.ndarray | None,
    edge_jam_vehicles: np.ndarray | None,
    min_speed_factor: float,
) -> int:
    """Drive vehicle ``v`` (status MOVING) for up to ``dt_s`` seconds."""
    on_detour = int(state.detour_target[v]) >= 0
    leg = int(state.leg[v])
    spec = int(state.spec[v])
    if not on_detour and not 0 <= leg < len(state.leg_target):
        return KERNEL_BAD_STATE
    if not 0 <= spec < specs.kwh_per_m.shape[0]:
        return KERNEL_BAD_STATE
    payload_t = 0.0 if on_detour else float(state.leg_payload_t[leg])
    is_bev = bool(specs.is_bev[spec])
    max_speed = float(state.max_speed_mps[v])
    budget_s = dt_s

    while True:
        if state.edge[v] < 0:
            # At a node: arrived?  Otherwise take the next edge toward the target.
            if on_detour:
                target = int(state.detour_target[v])
            elif leg < state.leg_end[v]:
                target = int(state.leg_target[leg])
            else:
                return KERNEL_BAD_STATE
            if not 0 <= target < targets.n_targets:
                return KERNEL_BAD_STATE
            here = int(state.node[v])
            if not 0 <= here < graph.n_nodes:
                return KERNEL_BAD_STATE
            if here == int(targets.node[target]):
                arrival_s = t_s + (dt_s - budget_s)
                state.status[v] = STATUS_DWELL
                if on_detour:
                    arrived[v] = ARRIVED_DETOUR
                    state.wait_until_s[v] = arrival_s
                else:
                    arrived[v] = ARRIVED_LEG
                    if int(state.leg_flags[leg]) & LEG_TRIP_END:
                        state.trips[v] += 1
                    state.wait_until_s[v] = arrival_s + float(state.leg_dwell_s[leg])
                    state.leg[v] = leg + 1
                return KERNEL_OK
            if budget_s <= 0.0:
                return KERNEL_OK
            nxt = targets.next_edge.edge(target, here)
            if nxt < 0:
                return KERNEL_NO_ROUTE
            if nxt >= graph.n_edges:
                return KERNEL_BAD_STATE
            state.edge[v] = nxt
            state.pos_m[v] = 0.0
            if edge_count is not None:
                edge_count[nxt] += 1
        elif state.edge[v] >= graph.n_edges:
            return KERNEL_BAD_STATE

        # On an edge: move toward its head.
        e = int(state.edge[v])
        length = float(graph.edge_length_m[e])
        pos = float(state.pos_m[v])
        road_class = int(graph.edge_class[e])
        if not (0.0 <= pos <= length + END_OF_EDGE_EPS_M):
            return KERNEL_BAD_STATE
        if not 0 <= road_class < len(speed_factors):
            return KERNEL_BAD_STATE
        speed = float(graph.edge_speed_mps[e]) * float(speed_factors[road_class])
        if edge_count is not None and edge_jam_vehicles is not None:
            others = int(edge_count[e]) - 1
            factor = max(min_speed_factor, 1.0 - others / float(edge_jam_vehicles[e]))
            speed = speed * factor
        speed = min(speed, max_speed)
        if not speed > 0.0:
            return KERNEL_BAD_STATE
        remaining = max(length - pos, 0.0)
        step = speed * budget_s
        reaches_head = step >= remaining - END_OF_EDGE_EPS_M
        if reaches_head:
            step = remaining
        kwh_per_m = float(specs.kwh_per_m[spec, road_class]) + payload_t * float(
            specs.payload_slope()[spec]
        )  # empty value + tonnes on board x per-tonne slope
        energy = step * kwh_per_m
        if is_bev and energy > float(state.soc_kwh[v]):
            # Battery empty on this edge: use what is left, stop here for the day.
            energy = float(state.soc_kwh[v])
            step = energy / kwh_per_m
            state.pos_m[v] = min(pos + step, length)
            state.odometer_m[v] += step
            state.energy_kwh[v] += energy
            state.soc_kwh[v] = 0.0
            state.tkm[v] += payload_t * step / M_PER_KM
            state.status[v] = STATUS_STRANDED
            return KERNEL_OK
        state.odometer_m[v] += step
        state.energy_kwh[v] += energy
        if is_bev:
            state.soc_kwh[v] -= energy
        state.tkm[v] += payload_t * step / M_PER_KM
        if not reaches_head:
            state.pos_m[v] = pos + step
            return KERNEL_OK
        budget_s = max(budget_s - step / speed, 0.0)
        state.node[v] = graph.edge_head[e]
        state.edge[v] = -1
        state.pos_m[v] = 0.0
        if edge_count is not None:
            edge_count[e] -= 1


# --------------------------------------------------------------------------------------
# energy totals
# --------------------------------------------------------------------------------------


def totals_by_group_reference(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group sums of per-vehicle values; reference of ``energy._energy_totals``.

    ``values`` is ``float[n]`` or ``float[q, n]``; the result is ``float64[n_groups]`` or
    ``float64[q, n_groups]``, summed in vehicle index order.
    """
    table = np.asarray(values, np.float64)
    one_d = table.ndim == 1
    rows = [list(map(float, table))] if one_d else [list(map(float, row)) for row in table]
    sums = [[0.0] * int(n_groups) for _ in rows]
    for v, g in enumerate(np.asarray(group).tolist()):
        for q, row in enumerate(rows):
            sums[q][g] += row[v]
    out = np.array(sums, np.float64).reshape(len(rows), int(n_groups))
    return out[0] if one_d else out


# --------------------------------------------------------------------------------------
# dispatch
# --------------------------------------------------------------------------------------


def dispatch_tick_reference(
    state: FleetState,
    targets: Targets,
    requests: TaxiRequests,
    t_s: float,
    *,
    max_wait_s: float,
    max_pickup_s: float,
    pickup_dwell_s: float,
    dropoff_dwell_s: float,
    dropoff_payload_t: float = 0.0,
) -> tuple[int, int, int]:
    """Brute-force taxi matching; reference of ``dispatch._dispatch_tick``.

    Scans every vehicle for every open request (no zones).  Returns ``(code, assigned,
    expired)``.
    """
    t_s = float(t_s)
    n_req = requests.n_requests
    assigned = expired = 0
    # release every request whose time has come
    for i in range(n_req):
        if requests.state[i] == 0 and float(requests.time_s[i]) <= t_s:
            requests.state[i] = REQ_OPEN
    # expire those that waited too long
    for i in range(n_req):
        if requests.state[i] == REQ_OPEN and t_s - float(requests.time_s[i]) > max_wait_s:
            requests.state[i] = REQ_UNSERVED
            expired += 1
    # match the open ones, oldest first (the arrays are sorted by time)
    for i in range(n_req):
        if requests.state[i] != REQ_OPEN:
            continue
        origin = int(requests.origin[i])
        best_time, best_taxi = math.inf, -1
        for v in range(state.n_vehicles):
            idle_taxi = (
                state.status[v] == STATUS_IDLE
                and state.dispatchable[v]
                and state.detour_target[v] < 0
                and state.edge[v] < 0
            )
            if not idle_taxi:
                continue
            time = float(targets.time_s[origin, int(state.node[v])])
            if time > max_pickup_s:
                continue
            rank = int(state.dispatch_rank[v])
            # ties go to the lower drawn rank, never to the lower row
            if time < best_time or (
                time == best_time and rank < int(state.dispatch_rank[best_taxi])
            ):
                best_time, best_taxi = time, v
        if best_taxi < 0:
            continue
        first = int(state.leg_begin[best_taxi])
        if not 0 <= first < len(state.leg_target) - 1:
            return KERNEL_BAD_STATE, assigned, expired
        pickup, dropoff = first, first + 1
        state.leg_target[pickup] = origin
        state.leg_depart_s[pickup] = t_s
        state.leg_dwell_s[pickup] = pickup_dwell_s
        state.leg_payload_t[pickup] = 0.0
        state.leg_flags[pickup] = 0
        state.leg_target[dropoff] = int(requests.dest[i])
        state.leg_depart_s[dropoff] = t_s
        state.leg_dwell_s[dropoff] = dropoff_dwell_s
        state.leg_payload_t[dropoff] = dropoff_payload_t
        state.leg_flags[dropoff] = LEG_TRIP_END
        state.leg[best_taxi] = pickup
        state.leg_end[best_taxi] = pickup + 2
        state.status[best_taxi] = STATUS_MOVING
        state.wait_until_s[best_taxi] = t_s
        requests.state[i] = REQ_ASSIGNED
        requests.taxi[i] = best_taxi
        requests.assign_s[i] = t_s
        assigned += 1
    return KERNEL_OK, assigned, expired
