"""Dispatch kernel: match open taxi requests to the nearest idle taxi, one tick at a time.

Requests are drawn by the caller (from the run's numpy Generator), sorted by request time
and held in :class:`TaxiRequests`.  Each tick at ``t_s``:

1. release the requests with ``time_s <= t_s`` (state ``REQ_OPEN``);
2. expire open requests that waited longer than ``max_wait_s`` (``t_s - time_s >
   max_wait_s``; state ``REQ_UNSERVED``);
3. match the open requests in time order, each to the idle taxi (``STATUS_IDLE``,
   dispatchable, no detour, standing at a node) with the shortest network travel time
   ``targets.time_s[origin, node[taxi]]`` to the request's origin, ties to the lowest
   vehicle index, and only if that time is ``<= max_pickup_s``.  A request left without
   a taxi stays open and is tried again next tick.

An assigned taxi gets its two reserved leg slots (``leg_begin[v]`` and ``leg_begin[v] +
1``): pickup at the origin, then drop-off at the destination (``LEG_TRIP_END``), both
departing at ``t_s``; it becomes ``STATUS_MOVING`` so that the movement kernel drives it
in the same tick.

Exact pruning by zones: nodes are grouped into zones (``node_zone``); for every target
``k`` and zone ``z`` the index holds the lower bound ``min(time_s[k, u] for u in z)``
and the zones sorted by it.  The search for a request visits zones in that order and
stops at the first zone whose bound exceeds the best time found (or ``max_pickup_s``),
so it returns exactly what a brute-force scan over every idle taxi returns (see
:func:`transport_sim.kernels.reference.dispatch_tick_reference`).  Any zoning is exact;
a good one (e.g. :func:`zones_by_nearest_target` over the taxi zone centres) is fast.

Requests still open at the end of the day were not served; the caller counts them.

Units: seconds (times since midnight), tonnes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numba import njit

from transport_sim.codes import (
    KERNEL_BAD_STATE,
    KERNEL_OK,
    KERNEL_STATUS_NAMES,
    STATUS_IDLE,
    STATUS_MOVING,
)
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import (
    COMPILED_ONLY,
    DispatchBundle,
    FleetBundle,
    LegBundle,
    TaxiParams,
    dispatch_bundle,
    fleet_bundle,
    leg_bundle,
)
from transport_sim.kernels.movement import check_array
from transport_sim.kernels.state import LEG_TRIP_END, FleetState, Targets

__all__ = [
    "CURSOR_OPEN",
    "CURSOR_RELEASE",
    "REQ_ASSIGNED",
    "REQ_FUTURE",
    "REQ_OPEN",
    "REQ_UNSERVED",
    "DispatchIndex",
    "TaxiRequests",
    "build_dispatch_index",
    "dispatch_tick",
    "zones_by_nearest_target",
]

#: Request states (``TaxiRequests.state``).
REQ_FUTURE: Final = 0  # not yet released
REQ_OPEN: Final = 1  # released, waiting for a taxi
REQ_ASSIGNED: Final = 2  # a taxi was sent
REQ_UNSERVED: Final = 3  # waited longer than max_wait_s

#: Positions in ``TaxiRequests.cursor``.
CURSOR_RELEASE: Final = 0  # first request not yet released
CURSOR_OPEN: Final = 1  # every request before it is assigned or unserved


@dataclass(frozen=True)
class TaxiRequests:
    """One day's taxi requests, sorted by request time, with their mutable dispatch state.

    Attributes
    ----------
    time_s : float64[r]
        Request time, s since midnight (non-decreasing).
    origin, dest : int32[r]
        Target indices of the pickup and drop-off points.
    state : int8[r]
        ``REQ_FUTURE``, ``REQ_OPEN``, ``REQ_ASSIGNED`` or ``REQ_UNSERVED`` (mutated).
    taxi : int32[r]
        Vehicle assigned to the request, or -1 (mutated).
    assign_s : float64[r]
        Time of assignment, s since midnight; NaN until assigned (mutated).
    cursor : int64[2]
        ``[CURSOR_RELEASE]`` first request not yet released; ``[CURSOR_OPEN]`` oldest
        request that may still be open (mutated), so each tick is incremental.
    """

    time_s: np.ndarray
    origin: np.ndarray
    dest: np.ndarray
    state: np.ndarray
    taxi: np.ndarray
    assign_s: np.ndarray
    cursor: np.ndarray

    @property
    def n_requests(self) -> int:
        """Number of requests."""
        return int(self.time_s.shape[0])

    @classmethod
    def from_arrays(
        cls, time_s: np.ndarray, origin: np.ndarray, dest: np.ndarray, n_targets: int
    ) -> TaxiRequests:
        """Return fresh (all ``REQ_FUTURE``) requests after checking the inputs once.

        Parameters
        ----------
        time_s
            Request times, s since midnight, finite and non-decreasing.
        origin, dest
            Target indices in ``[0, n_targets)``.
        n_targets
            Number of targets of the run.

        Raises
        ------
        ValueError
            If the lengths differ, a time is not finite, times decrease, or an index is
            out of range.
        """
        t = np.ascontiguousarray(time_s, np.float64)
        o = np.ascontiguousarray(origin, np.int32)
        d = np.ascontiguousarray(dest, np.int32)
        if t.ndim != 1 or o.shape != t.shape or d.shape != t.shape:
            msg = f"request arrays must be 1-D of equal length, got {t.shape}, {o.shape}, {d.shape}"
            raise ValueError(msg)
        if not np.all(np.isfinite(t)):
            msg = "request times must be finite"
            raise ValueError(msg)
        if np.any(np.diff(t) < 0.0):
            msg = "request times must be sorted (non-decreasing)"
            raise ValueError(msg)
        for name, arr in (("origin", o), ("dest", d)):
            if arr.size and (arr.min() < 0 or arr.max() >= n_targets):
                msg = f"request {name} must be target indices in [0, {n_targets})"
                raise ValueError(msg)
        r = t.shape[0]
        return cls(
            time_s=t.copy() if t is time_s else t,
            origin=o.copy() if o is origin else o,
            dest=d.copy() if d is dest else d,
            state=np.zeros(r, np.int8),
            taxi=np.full(r, -1, np.int32),
            assign_s=np.full(r, np.nan, np.float64),
            cursor=np.zeros(2, np.int64),
        )

    def counts(self) -> dict[str, int]:
        """Return the number of requests in each state (keys: future, open, assigned, unserved)."""
        c = np.bincount(self.state, minlength=4)
        return {
            "future": int(c[REQ_FUTURE]),
            "open": int(c[REQ_OPEN]),
            "assigned": int(c[REQ_ASSIGNED]),
            "unserved": int(c[REQ_UNSERVED]),
        }


@dataclass(frozen=True)
class DispatchIndex:
    """Zone lower bounds that let the dispatch kernel prune its search exactly.

    Attributes
    ----------
    node_zone : int32[n_nodes]
        Zone of each node, in ``[0, n_zones)``.
    zone_lb_s : float64[n_targets, n_zones]
        ``min(time_s[k, u] for u in zone z)``, s (``inf`` for an empty or unreachable zone).
    zone_order : int32[n_targets, n_zones]
        Zones of each target sorted by ``zone_lb_s`` (ascending, stable).
    """

    node_zone: np.ndarray
    zone_lb_s: np.ndarray
    zone_order: np.ndarray

    @property
    def n_zones(self) -> int:
        """Number of zones."""
        return int(self.zone_lb_s.shape[1])


@njit(cache=True, nogil=True)
def _zone_lower_bounds(time_s: np.ndarray, node_zone: np.ndarray, out: np.ndarray) -> int:
    """Write ``out[k, z] = min(time_s[k, u] for node_zone[u] == z)`` (inf when empty).

    Parameters
    ----------
    time_s : float32[n_targets, n_nodes]
        Free-flow travel time from node ``u`` to target ``k``, s.
    node_zone : int32[n_nodes]
        Zone of each node.
    out : float64[n_targets, n_zones]
        Output, overwritten, s.

    Returns
    -------
    int
        ``KERNEL_OK``, or ``KERNEL_BAD_STATE`` when a zone is out of range.
    """
    n_targets, n_nodes = time_s.shape
    n_zones = out.shape[1]
    for k in range(n_targets):
        for z in range(n_zones):
            out[k, z] = np.inf
    for u in range(n_nodes):
        z = node_zone[u]
        if z < 0 or z >= n_zones:
            return KERNEL_BAD_STATE
        for k in range(n_targets):
            t = np.float64(time_s[k, u])
            out[k, z] = min(out[k, z], t)
    return KERNEL_OK


def build_dispatch_index(
    targets: Targets, node_zone: np.ndarray | None = None, n_zones: int | None = None
) -> DispatchIndex:
    """Return the zone index of :func:`dispatch_tick` (build once per network).

    Parameters
    ----------
    targets
        The run's next-hop tables (``time_s`` is used).
    node_zone
        Zone of each node (``int[n_nodes]``, values in ``[0, n_zones)``); ``None`` puts
        every node in one zone (a plain scan, still exact).
    n_zones
        Number of zones; default ``max(node_zone) + 1``.

    Returns
    -------
    DispatchIndex
        The zone map, per-target zone lower bounds and zone visiting order.

    Raises
    ------
    ValueError
        If ``node_zone`` has the wrong length or a zone outside ``[0, n_zones)``.
    """
    n_nodes = int(targets.time_s.shape[1])
    zones = (
        np.zeros(n_nodes, np.int32)
        if node_zone is None
        else np.ascontiguousarray(node_zone, np.int32)
    )
    if zones.shape != (n_nodes,):
        msg = f"node_zone must have shape ({n_nodes},), got {zones.shape}"
        raise ValueError(msg)
    nz = int(zones.max()) + 1 if n_zones is None and n_nodes else int(n_zones or 1)
    if n_nodes and (zones.min() < 0 or zones.max() >= nz):
        msg = f"node_zone values must lie in [0, {nz})"
        raise ValueError(msg)
    lb = np.empty((targets.n_targets, nz), np.float64)
    time_s = np.ascontiguousarray(targets.time_s, np.float32)
    code = _zone_lower_bounds(time_s, zones, lb)
    if code != KERNEL_OK:
        msg = f"_zone_lower_bounds returned {KERNEL_STATUS_NAMES[code]!r}"
        raise KernelError(msg)
    order = np.argsort(lb, axis=1, kind="stable").astype(np.int32)
    return DispatchIndex(node_zone=zones, zone_lb_s=lb, zone_order=np.ascontiguousarray(order))


#: Nodes per block when zoning by nearest target (bounds the temporary copy).
_ZONE_BLOCK_NODES: Final = 65_536


def zones_by_nearest_target(targets: Targets, zone_targets: np.ndarray) -> np.ndarray:
    """Return a zoning of the nodes: each node joins the zone target it reaches fastest.

    Parameters
    ----------
    targets
        The run's next-hop tables.
    zone_targets
        Target indices that act as zone centres (e.g. the taxi zone centres); zone ``j``
        is ``zone_targets[j]``.

    Returns
    -------
    numpy.ndarray
        ``int32[n_nodes]``; nodes that reach no centre fall in zone 0.
    """
    time_s = np.asarray(targets.time_s)
    rows = np.asarray(zone_targets, np.int64)
    n_nodes = time_s.shape[1]
    out = np.empty(n_nodes, np.int32)
    # column blocks: a zone x node copy of the table would be ~0.5 GB on 500k nodes
    for lo in range(0, n_nodes, _ZONE_BLOCK_NODES):
        block = time_s[rows, lo : lo + _ZONE_BLOCK_NODES]
        out[lo : lo + _ZONE_BLOCK_NODES] = np.argmin(block, axis=0)
    return out


@njit(cache=True, nogil=True, **COMPILED_ONLY)
def _dispatch_tick(
    vehicles: FleetBundle,
    legs: LegBundle,
    time_s: np.ndarray,
    dispatch: DispatchBundle,
    taxi: TaxiParams,
    t_s: float,
    rows: np.ndarray,
) -> int:
    """Release, expire and match taxi requests at tick start ``t_s`` (the compiled body).

    Runs :func:`_release_and_expire`; when a request is open it allocates the scratch of
    :func:`_match_idle_taxis` and runs it (both parts are free of reference counting).

    Parameters
    ----------
    vehicles, legs, dispatch, taxi
        Bundles (:mod:`transport_sim.kernels.bundles`); the fields the kernel uses are
        unpacked at its top under the names below (the ``max_*``, ``*_dwell_s`` and
        ``dropoff_payload_t`` scalars are the fields of ``taxi``).
    status : int8[n]
        ``STATUS_*`` per vehicle (assigned taxis become ``STATUS_MOVING``).
    node : int32[n]
        Node the vehicle stands at.
    edge : int32[n]
        Current edge or -1 (candidates stand at a node).
    detour_target : int32[n]
        Charger detour target or -1 (candidates have none).
    dispatchable : bool[n]
        True for taxis.
    dispatch_rank : int32[n]
        Tie-break rank: of two idle taxis equally close to a pickup the lower rank is
        assigned (drawn outside the kernel from the run's generator; never row order).
    leg, leg_begin, leg_end : int32[n]
        Current leg, first reserved slot, one past the last leg (``leg`` and ``leg_end``
        mutated for assigned taxis).
    wait_until_s : float64[n]
        Set to ``t_s`` for assigned taxis, s.
    leg_target : int32[n_legs]
        Target index per leg (the two reserved slots are written).
    leg_depart_s, leg_dwell_s : float64[n_legs]
        Departure time (s since midnight) and dwell (s) per leg (written).
    leg_payload_t : float64[n_legs]
        Tonnes per leg (written).
    leg_flags : int8[n_legs]
        ``LEG_*`` bits per leg (written).
    time_s : float32[n_targets, n_nodes]
        Free-flow travel time from each node to each target, s.
    node_zone : int32[n_nodes]
        Zone of each node.
    zone_lb_s : float64[n_targets, n_zones]
        Lower bound of ``time_s[k, u]`` over each zone, s.
    zone_order : int32[n_targets, n_zones]
        Zones by increasing lower bound, per target.
    req_time_s : float64[r]
        Request times, s since midnight, sorted.
    req_origin, req_dest : int32[r]
        Pickup and drop-off target indices.
    req_state : int8[r]
        ``REQ_*`` state (mutated).
    req_taxi : int32[r]
        Assigned vehicle or -1 (mutated).
    req_assign_s : float64[r]
        Assignment time, s (mutated).
    cursor : int64[2]
        ``[first unreleased request, oldest possibly open request]`` (mutated).
    t_s : float
        Tick start, s since midnight.
    rows : int64[m]
        Rows to look for idle taxis in, ascending: the dispatchable rows of the day (or
        any ascending superset; only ``dispatchable`` rows are candidates).
    max_wait_s : float
        Longest a request waits for a taxi before it counts as unserved, s.
    max_pickup_s : float
        Longest free-flow drive from a taxi to a pickup that is still assigned, s.
    pickup_dwell_s, dropoff_dwell_s : float
        Stop at the pickup and at the drop-off, s.
    dropoff_payload_t : float
        Tonnes carried on the drop-off leg (passengers; 0 to leave out of tkm).
    counts : int64[2]
        Output, overwritten: ``[requests assigned, requests expired]`` this tick.

    Returns
    -------
    int
        ``KERNEL_OK``, or ``KERNEL_BAD_STATE`` for inconsistent cursors, unsorted request
        times, or an out-of-range node, zone, target or leg slot (the state is then
        partially updated and must be discarded).
    """
    code = _release_and_expire(dispatch, taxi.max_wait_s, t_s)
    if code != KERNEL_OK or dispatch.cursor[CURSOR_OPEN] == dispatch.cursor[CURSOR_RELEASE]:
        return code
    n_zones = dispatch.zone_lb_s.shape[1]
    zone_start = np.zeros(n_zones + 1, np.int64)
    zone_fill = np.empty(n_zones, np.int64)
    bucket = np.empty(rows.shape[0], np.int32)
    return _match_idle_taxis(
        vehicles, legs, time_s, dispatch, taxi, t_s, rows, zone_start, zone_fill, bucket
    )


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _release_and_expire(dispatch: DispatchBundle, max_wait_s: float, t_s: float) -> int:
    """Release due requests and expire old open ones (steps 1-2 of :func:`_dispatch_tick`).

    Zeroes ``dispatch.counts`` and counts the expired requests in ``counts[1]``; moves
    both cursors.  Returns ``KERNEL_OK`` or ``KERNEL_BAD_STATE`` (inconsistent cursors,
    unsorted request times).
    """
    req_time_s, req_state = dispatch.req_time_s, dispatch.req_state
    cursor, counts = dispatch.cursor, dispatch.counts
    n_req = req_time_s.shape[0]
    counts[0] = 0
    counts[1] = 0
    c_rel = cursor[CURSOR_RELEASE]
    c_open = cursor[CURSOR_OPEN]
    if c_open < 0 or c_open > c_rel or c_rel > n_req:
        return KERNEL_BAD_STATE
    # 1. release
    while c_rel < n_req and req_time_s[c_rel] <= t_s:
        if c_rel > 0 and req_time_s[c_rel] < req_time_s[c_rel - 1]:
            return KERNEL_BAD_STATE
        req_state[c_rel] = REQ_OPEN
        c_rel += 1
    # 2. expire: requests are in time order, so the expired ones are a prefix
    i = c_open
    while i < c_rel and t_s - req_time_s[i] > max_wait_s:
        if req_state[i] == REQ_OPEN:
            req_state[i] = REQ_UNSERVED
            counts[1] += 1
        i += 1
    while c_open < c_rel and req_state[c_open] != REQ_OPEN:
        c_open += 1
    cursor[CURSOR_RELEASE] = c_rel
    cursor[CURSOR_OPEN] = c_open
    return KERNEL_OK


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _assign(
    v: int,
    i: int,
    t_s: float,
    vehicles: FleetBundle,
    legs: LegBundle,
    dispatch: DispatchBundle,
    taxi: TaxiParams,
) -> int:
    """Give taxi ``v`` request ``i``: its pickup and drop-off legs, moving from ``t_s``.

    Returns ``KERNEL_OK``, or ``KERNEL_BAD_STATE`` when its two leg slots are out of range.
    """
    leg_target = legs.leg_target
    l0 = vehicles.leg_begin[v]
    if l0 < 0 or l0 + 1 >= leg_target.shape[0]:
        return KERNEL_BAD_STATE
    leg_target[l0] = dispatch.req_origin[i]
    legs.leg_depart_s[l0] = t_s
    legs.leg_dwell_s[l0] = taxi.pickup_dwell_s
    legs.leg_payload_t[l0] = 0.0
    legs.leg_flags[l0] = 0
    leg_target[l0 + 1] = dispatch.req_dest[i]
    legs.leg_depart_s[l0 + 1] = t_s
    legs.leg_dwell_s[l0 + 1] = taxi.dropoff_dwell_s
    legs.leg_payload_t[l0 + 1] = taxi.dropoff_payload_t
    legs.leg_flags[l0 + 1] = LEG_TRIP_END
    vehicles.leg[v] = l0
    vehicles.leg_end[v] = l0 + 2
    vehicles.status[v] = STATUS_MOVING
    vehicles.wait_until_s[v] = t_s
    dispatch.req_state[i] = REQ_ASSIGNED
    dispatch.req_taxi[i] = v
    dispatch.req_assign_s[i] = t_s
    dispatch.counts[0] += 1
    return KERNEL_OK


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _match_idle_taxis(  # noqa: PLR0911, PLR0912 - flat arrays by design
    vehicles: FleetBundle,
    legs: LegBundle,
    time_s: np.ndarray,
    dispatch: DispatchBundle,
    taxi: TaxiParams,
    t_s: float,
    rows: np.ndarray,
    zone_start: np.ndarray,
    zone_fill: np.ndarray,
    bucket: np.ndarray,
) -> int:
    """Bucket the idle taxis by zone, match requests (steps 3-4 of :func:`_dispatch_tick`).

    ``zone_start`` (``int64[n_zones + 1]``, zeroed), ``zone_fill`` (``int64[n_zones]``)
    and ``bucket`` (``int32[rows.shape[0]]``) are scratch; the caller allocates them so
    that this part runs without Numba's reference counting (``_nrt=False``), which
    keeps its compile short.  Returns ``KERNEL_OK`` or ``KERNEL_BAD_STATE``.
    """
    status, node, edge = vehicles.status, vehicles.node, vehicles.edge
    detour_target = vehicles.detour_target
    dispatchable, dispatch_rank = vehicles.dispatchable, vehicles.dispatch_rank
    node_zone, zone_lb_s, zone_order = dispatch.node_zone, dispatch.zone_lb_s, dispatch.zone_order
    req_origin, req_dest, req_state = dispatch.req_origin, dispatch.req_dest, dispatch.req_state
    cursor, max_pickup_s = dispatch.cursor, taxi.max_pickup_s
    n = status.shape[0]
    n_targets, n_nodes = time_s.shape
    n_zones = zone_lb_s.shape[1]
    c_rel = cursor[CURSOR_RELEASE]
    c_open = cursor[CURSOR_OPEN]

    # 3. idle taxis bucketed by zone (vehicle index order within a zone)
    n_idle = 0
    for r in range(rows.shape[0]):
        v = rows[r]
        if v < 0 or v >= n:
            return KERNEL_BAD_STATE
        if status[v] == STATUS_IDLE and dispatchable[v] and detour_target[v] < 0 and edge[v] < 0:
            u = node[v]
            if u < 0 or u >= n_nodes:
                return KERNEL_BAD_STATE
            z = node_zone[u]
            if z < 0 or z >= n_zones:
                return KERNEL_BAD_STATE
            zone_start[z + 1] += 1
            n_idle += 1
    if n_idle == 0:
        return KERNEL_OK
    for z in range(n_zones):
        zone_start[z + 1] += zone_start[z]
    for z in range(n_zones):
        zone_fill[z] = zone_start[z]
    for r in range(rows.shape[0]):
        v = rows[r]
        if status[v] == STATUS_IDLE and dispatchable[v] and detour_target[v] < 0 and edge[v] < 0:
            z = node_zone[node[v]]
            bucket[zone_fill[z]] = v
            zone_fill[z] += 1

    # 4. match open requests in time order
    for i in range(c_open, c_rel):
        if n_idle == 0:
            break
        if req_state[i] != REQ_OPEN:
            continue
        k = req_origin[i]
        dest = req_dest[i]
        if k < 0 or k >= n_targets or dest < 0 or dest >= n_targets:
            return KERNEL_BAD_STATE
        best_s = np.inf
        best_v = -1
        for j in range(n_zones):
            z = zone_order[k, j]
            lb_s = zone_lb_s[k, z]
            if lb_s > max_pickup_s or lb_s > best_s:
                break
            for b in range(zone_start[z], zone_start[z + 1]):
                w = bucket[b]
                if status[w] != STATUS_IDLE:
                    continue  # assigned earlier this tick
                tt_s = np.float64(time_s[k, node[w]])
                if tt_s <= max_pickup_s and (
                    tt_s < best_s or (tt_s == best_s and dispatch_rank[w] < dispatch_rank[best_v])
                ):
                    best_s = tt_s
                    best_v = w
        if best_v < 0:
            continue
        if _assign(best_v, i, t_s, vehicles, legs, dispatch, taxi) != KERNEL_OK:
            return KERNEL_BAD_STATE
        n_idle -= 1
    while c_open < c_rel and req_state[c_open] != REQ_OPEN:
        c_open += 1
    cursor[CURSOR_OPEN] = c_open
    return KERNEL_OK


@njit(cache=True, nogil=True)
def _dispatch_tick_py(
    vehicles: FleetBundle,
    legs: LegBundle,
    time_s: np.ndarray,
    dispatch: DispatchBundle,
    taxi: TaxiParams,
    t_s: float,
    rows: np.ndarray,
) -> int:
    """:func:`_dispatch_tick` callable from Python (the kernel has no CPython wrapper)."""
    return _dispatch_tick(vehicles, legs, time_s, dispatch, taxi, t_s, rows)


def dispatch_tick(
    state: FleetState,
    targets: Targets,
    index: DispatchIndex,
    requests: TaxiRequests,
    t_s: float,
    *,
    max_wait_s: float,
    max_pickup_s: float,
    pickup_dwell_s: float,
    dropoff_dwell_s: float,
    dropoff_payload_t: float = 0.0,
) -> tuple[int, int]:
    """Release, expire and match taxi requests at tick start ``t_s`` (see module docstring).

    Parameters
    ----------
    state
        Fleet state; assigned taxis get their pickup and drop-off legs in place.
    targets
        The run's next-hop tables (``time_s`` ranks the taxis).
    index
        Zone index from :func:`build_dispatch_index` for these targets.
    requests
        The day's requests (their state and cursor are updated in place).
    t_s
        Tick start, s since midnight.
    max_wait_s
        Longest wait before an open request counts as unserved, s (>= 0).
    max_pickup_s
        Longest free-flow drive to a pickup that is still assigned, s (>= 0).
    pickup_dwell_s, dropoff_dwell_s
        Stops at pickup and drop-off, s (>= 0).
    dropoff_payload_t
        Tonnes carried on the drop-off leg (default 0: passengers are not in tkm).

    Returns
    -------
    tuple of int
        ``(assigned, expired)``: requests assigned and requests that became unserved in
        this tick.

    Raises
    ------
    TypeError, ValueError
        If an array has the wrong dtype or shape, or a scalar is out of range.
    KernelError
        If the kernel reports an inconsistent state.
    """
    n = state.n_vehicles
    n_legs = int(np.shape(state.leg_target)[0])
    n_targets, n_nodes = np.shape(targets.time_s)
    for name, dtype in (
        ("status", np.int8),
        ("node", np.int32),
        ("edge", np.int32),
        ("detour_target", np.int32),
        ("dispatchable", np.bool_),
        ("dispatch_rank", np.int32),
        ("leg", np.int32),
        ("leg_begin", np.int32),
        ("leg_end", np.int32),
        ("wait_until_s", np.float64),
    ):
        check_array(f"state.{name}", getattr(state, name), dtype, (n,), writeable=True)
    for name, dtype in (
        ("leg_target", np.int32),
        ("leg_depart_s", np.float64),
        ("leg_dwell_s", np.float64),
        ("leg_payload_t", np.float64),
        ("leg_flags", np.int8),
    ):
        check_array(f"state.{name}", getattr(state, name), dtype, (n_legs,), writeable=True)
    check_array("targets.time_s", targets.time_s, np.float32, (n_targets, n_nodes))
    check_array("index.node_zone", index.node_zone, np.int32, (n_nodes,))
    check_array("index.zone_lb_s", index.zone_lb_s, np.float64, (n_targets, None))
    check_array("index.zone_order", index.zone_order, np.int32, (n_targets, index.n_zones))
    r = requests.n_requests
    check_array("requests.time_s", requests.time_s, np.float64, (r,))
    check_array("requests.origin", requests.origin, np.int32, (r,))
    check_array("requests.dest", requests.dest, np.int32, (r,))
    check_array("requests.state", requests.state, np.int8, (r,), writeable=True)
    check_array("requests.taxi", requests.taxi, np.int32, (r,), writeable=True)
    check_array("requests.assign_s", requests.assign_s, np.float64, (r,), writeable=True)
    check_array("requests.cursor", requests.cursor, np.int64, (2,), writeable=True)
    scalars = {
        "max_wait_s": max_wait_s,
        "max_pickup_s": max_pickup_s,
        "pickup_dwell_s": pickup_dwell_s,
        "dropoff_dwell_s": dropoff_dwell_s,
        "dropoff_payload_t": dropoff_payload_t,
    }
    for name, value in scalars.items():
        if not (np.isfinite(float(value)) and float(value) >= 0.0):
            msg = f"{name} must be finite and >= 0, got {value}"
            raise ValueError(msg)
    if not np.isfinite(float(t_s)):
        msg = f"t_s must be finite, got {t_s}"
        raise ValueError(msg)
    dispatch = dispatch_bundle(index, requests)
    taxi = TaxiParams(
        max_wait_s=float(max_wait_s),
        max_pickup_s=float(max_pickup_s),
        pickup_dwell_s=float(pickup_dwell_s),
        dropoff_dwell_s=float(dropoff_dwell_s),
        dropoff_payload_t=float(dropoff_payload_t),
    )
    code = _dispatch_tick_py(
        fleet_bundle(state),
        leg_bundle(state),
        targets.time_s,
        dispatch,
        taxi,
        float(t_s),
        np.flatnonzero(state.dispatchable).astype(np.int64),
    )
    if code != KERNEL_OK:
        msg = (
            f"dispatch_tick at t_s={t_s}: {KERNEL_STATUS_NAMES[code]} "
            f"(cursor {requests.cursor.tolist()}, {r} requests, {n} vehicles)"
        )
        raise KernelError(msg)
    return int(dispatch.counts[0]), int(dispatch.counts[1])
