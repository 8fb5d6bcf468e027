"""The event loop's taxi dispatch: ``_dispatch_tick``'s matching over idle lists kept current.

:func:`~transport_sim.kernels.dispatch._dispatch_tick` (the tick loop's) buckets every
taxi row by zone at every tick and searches the zones again for every open request,
also for the requests that waited in vain for many ticks.  The event loop
(:mod:`transport_sim.kernels.events`) knows which vehicles changed since the previous
tick, so :func:`_dispatch_idle` does the same release, expiry and matching with work in
proportion to what changed:

* **Idle lists.** The idle taxis (``STATUS_IDLE``, dispatchable, no detour, standing at a
  node) are kept in one doubly linked list per zone (:class:`IdleTaxis`, filled by
  :func:`_fill_idle` when a call starts afresh).  At each tick only the vehicles the caller
  names as changed are taken out and put back (when idle), and an assigned taxi is taken
  out at once.
* **A request that waited in vain looks only at the newly listed taxis.**  An idle taxi
  stands still, so its time to a pickup does not change; a request that found no taxi
  within ``max_pickup_s`` among the idle set ``S`` finds none in any subset of ``S``.
  A request searched without success at the previous tick therefore only looks at the
  taxis listed since then (``IdleTaxis.fresh``); a new request, or one the previous tick
  did not reach (no idle taxi was left), searches the zones as ``_match_idle_taxis``
  does.

The result is the tick kernel's: requests are matched oldest first, each to the idle taxi
with the least time to its pickup within ``max_pickup_s``, ties to the lower
``dispatch_rank``; and should two taxis tie on both (ranks are drawn as a permutation, so
only when a rank is given twice), to the one ``_match_idle_taxis`` scans first (its zone
earlier in ``zone_order``, then the lower row), so the two kernels agree for any ranks
(``tests/kernels/test_dispatch_idle.py``).

Units: seconds (times since midnight), tonnes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from transport_sim.codes import KERNEL_BAD_STATE, KERNEL_OK, STATUS_IDLE
from transport_sim.kernels.buckets import _link, _unlink
from transport_sim.kernels.bundles import (
    COMPILED_ONLY,
    PYTHON_ENTRY,
    DispatchBundle,
    FleetBundle,
    LegBundle,
    TaxiParams,
)
from transport_sim.kernels.dispatch import (
    CURSOR_OPEN,
    CURSOR_RELEASE,
    REQ_OPEN,
    _assign,
    _release_and_expire,
)

__all__: list[str] = []  # compiled internals of the event loop

#: Slots of ``IdleTaxis.cnt``: listed taxis, fresh taxis, idle taxis on a bad node or
#: bad rows (the tick kernel reports these while a request is open), and one past the
#: last request the previous round searched.
_N_IDLE, _N_FRESH, _N_BAD, _SEARCHED_END = 0, 1, 2, 3


class IdleTaxis(NamedTuple):
    """Idle taxis by zone, kept current by :func:`_dispatch_idle` (one event-loop call).

    A taxi is listed while it is idle (``STATUS_IDLE``, dispatchable, ``detour_target <
    0``, ``edge < 0``) as of the last round; ``fresh`` holds the taxis listed since the
    last round's matching, each once.
    """

    zone_head: np.ndarray  # int64[n_zones], first listed taxi of each zone, or -1
    znext: np.ndarray  # int64[n], next taxi in the same zone's list, or -1
    zprev: np.ndarray  # int64[n], previous taxi in the same zone's list, or -1
    in_zone: np.ndarray  # int64[n], zone listed in; -1 not listed; n_zones: on a bad node
    fresh: np.ndarray  # int64[n], taxis listed since the last round's matching
    fmark: np.ndarray  # bool[n], True while a taxi is in fresh
    cnt: np.ndarray  # int64[4], see the _N_* slots


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _unlist(v: int, idle: IdleTaxis) -> None:
    """Take listed taxi ``v`` out of its zone's list (assigned, or no longer idle)."""
    _unlink(v, idle.in_zone, idle.zone_head, idle.znext, idle.zprev)
    idle.cnt[_N_IDLE] -= 1


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _relist(v: int, vehicles: FleetBundle, node_zone: np.ndarray, idle: IdleTaxis) -> None:
    """Take row ``v`` out of the idle lists; put it back (and in ``fresh``) if idle now."""
    zone_head, znext, zprev, in_zone = idle.zone_head, idle.znext, idle.zprev, idle.in_zone
    cnt = idle.cnt
    n_zones = zone_head.shape[0]
    z = in_zone[v]
    if 0 <= z < n_zones:
        _unlist(v, idle)
    elif z == n_zones:
        cnt[_N_BAD] -= 1
        in_zone[v] = -1
    if not (
        vehicles.status[v] == STATUS_IDLE
        and vehicles.dispatchable[v]
        and vehicles.detour_target[v] < 0
        and vehicles.edge[v] < 0
    ):
        return
    u = vehicles.node[v]
    z = n_zones
    if 0 <= u < node_zone.shape[0] and 0 <= node_zone[u] < n_zones:
        z = node_zone[u]
    if z == n_zones:  # the tick kernel reports it while a request is open
        in_zone[v] = z
        cnt[_N_BAD] += 1
        return
    _link(v, z, in_zone, zone_head, znext, zprev)
    cnt[_N_IDLE] += 1
    if not idle.fmark[v]:
        idle.fmark[v] = True
        idle.fresh[cnt[_N_FRESH]] = v
        cnt[_N_FRESH] += 1


def idle_taxis_arrays(n_vehicles: int, n_zones: int) -> IdleTaxis:
    """Return empty idle lists for ``n_vehicles`` rows and ``n_zones`` zones.

    Fill them with :func:`_fill_idle` (the event loop keeps one set for a day).
    """
    n = int(n_vehicles)
    return IdleTaxis(
        np.full(int(n_zones), -1, np.int64),
        np.full(n, -1, np.int64),
        np.full(n, -1, np.int64),
        np.full(n, -1, np.int64),
        np.empty(n, np.int64),
        np.zeros(n, np.bool_),
        np.zeros(4, np.int64),
    )


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _fill_idle(
    vehicles: FleetBundle, node_zone: np.ndarray, rows: np.ndarray, idle: IdleTaxis
) -> None:
    """List the idle taxis among ``rows`` (the day's dispatchable rows) afresh in ``idle``.

    A row outside the fleet counts as bad for the whole call, as the tick kernel reports
    it at every tick with an open request.
    """
    n = vehicles.status.shape[0]
    idle.zone_head[:] = -1
    idle.znext[:] = -1
    idle.zprev[:] = -1
    idle.in_zone[:] = -1
    idle.fmark[:] = False
    idle.cnt[:] = 0
    for r in range(rows.shape[0]):
        v = rows[r]
        if v < 0 or v >= n:
            idle.cnt[_N_BAD] += 1
        else:
            _relist(v, vehicles, node_zone, idle)


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _scanned_first(order_k: np.ndarray, z_a: int, a: int, z_b: int, b: int) -> bool:
    """Return whether ``_match_idle_taxis`` scans taxi ``a`` (zone ``z_a``) before ``b``.

    ``b`` stands in zone ``z_b``; zones are visited in the order ``order_k``
    (``zone_order[k]``), rows ascending within a zone.
    """
    if z_a == z_b:
        return a < b
    for j in range(order_k.shape[0]):
        z = order_k[j]
        if z == z_a:
            return True
        if z == z_b:
            return False
    return False


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _nearest_listed(
    k: int,
    time_s: np.ndarray,
    node: np.ndarray,
    dispatch_rank: np.ndarray,
    zone_lb_s: np.ndarray,
    zone_order: np.ndarray,
    max_pickup_s: float,
    idle: IdleTaxis,
) -> int:
    """Return the listed taxi ``_match_idle_taxis`` picks for pickup target ``k``, or -1.

    The same zone order and pruning; a tie on time and rank goes, as there, to the taxi
    scanned first: the lower row within a zone, else the zone visited first.
    """
    zone_head, znext = idle.zone_head, idle.znext
    best_s = np.inf
    best_v = -1
    best_j = -1
    for j in range(zone_lb_s.shape[1]):
        z = zone_order[k, j]
        lb_s = zone_lb_s[k, z]
        if lb_s > max_pickup_s or lb_s > best_s:
            break
        w = zone_head[z]
        while w >= 0:
            tt_s = np.float64(time_s[k, node[w]])
            if tt_s <= max_pickup_s and (
                tt_s < best_s
                or (
                    tt_s == best_s
                    and (
                        dispatch_rank[w] < dispatch_rank[best_v]
                        or (
                            dispatch_rank[w] == dispatch_rank[best_v] and j == best_j and w < best_v
                        )
                    )
                )
            ):
                best_s = tt_s
                best_v = w
                best_j = j
            w = znext[w]
    return best_v


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _nearest_fresh(
    k: int,
    time_s: np.ndarray,
    node: np.ndarray,
    dispatch_rank: np.ndarray,
    zone_order: np.ndarray,
    max_pickup_s: float,
    idle: IdleTaxis,
) -> int:
    """:func:`_nearest_listed` over the taxis listed since the last round (still listed).

    Exact for a request that found no taxi at the last round: every other listed taxi was
    listed then, at the same node, and out of reach.
    """
    fresh, in_zone = idle.fresh, idle.in_zone
    best_s = np.inf
    best_v = np.int64(-1)  # not a literal: one signature of _scanned_first
    for f in range(idle.cnt[_N_FRESH]):
        w = fresh[f]
        if in_zone[w] < 0:  # no longer idle, or assigned earlier in this round
            continue
        tt_s = np.float64(time_s[k, node[w]])
        if tt_s <= max_pickup_s and (
            tt_s < best_s
            or (
                tt_s == best_s
                and (
                    dispatch_rank[w] < dispatch_rank[best_v]
                    or (
                        best_v >= 0
                        and dispatch_rank[w] == dispatch_rank[best_v]
                        and _scanned_first(zone_order[k], in_zone[w], w, in_zone[best_v], best_v)
                    )
                )
            )
        ):
            best_s = tt_s
            best_v = w
    return best_v


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _dispatch_idle(  # noqa: PLR0912 - the tick kernel's checks, in its order
    vehicles: FleetBundle,
    legs: LegBundle,
    time_s: np.ndarray,
    dispatch: DispatchBundle,
    taxi: TaxiParams,
    t_s: float,
    idle: IdleTaxis,
    changed: np.ndarray,
    n_changed: int,
) -> int:
    """Release, expire and match taxi requests at tick start ``t_s``, as ``_dispatch_tick``.

    Leaves the bundles as ``_dispatch_tick(vehicles, legs, time_s, dispatch, taxi, t_s,
    rows)`` would, for the ``rows`` ``idle`` was built from (see the module docstring).

    Parameters
    ----------
    vehicles, legs, time_s, dispatch, taxi, t_s
        As for :func:`~transport_sim.kernels.dispatch._dispatch_tick`.
    idle
        The idle lists of this call, filled by :func:`_fill_idle` (updated).
    changed : int64[m]
        The first ``n_changed`` entries name (repeats allowed) every row whose
        ``status``, ``dispatchable``, ``detour_target``, ``edge`` or ``node`` may have
        changed since the previous call on ``idle`` (or since it was built), other than
        by that call's assignments.
    n_changed : int
        Entries of ``changed`` to read.

    Returns
    -------
    int
        ``KERNEL_OK``, or ``KERNEL_BAD_STATE`` where ``_dispatch_tick`` returns it
        (inconsistent cursors, unsorted requests, an out-of-range row, node, zone,
        target or leg slot) or for a changed row out of range; the state must then be
        discarded.
    """
    code = _release_and_expire(dispatch, taxi.max_wait_s, t_s)
    if code != KERNEL_OK:
        return code
    n = vehicles.status.shape[0]
    node_zone = dispatch.node_zone
    for c in range(n_changed):
        v = changed[c]
        if v < 0 or v >= n:
            return KERNEL_BAD_STATE
        if vehicles.dispatchable[v]:  # only dispatchable rows are listed
            _relist(v, vehicles, node_zone, idle)
    cnt, req_state = idle.cnt, dispatch.req_state
    c_rel = dispatch.cursor[CURSOR_RELEASE]
    c_open = dispatch.cursor[CURSOR_OPEN]
    searched_before = cnt[_SEARCHED_END]
    i = c_open
    if c_open < c_rel:
        if cnt[_N_BAD] > 0:
            return KERNEL_BAD_STATE
        node, dispatch_rank = vehicles.node, vehicles.dispatch_rank
        zone_lb_s, zone_order = dispatch.zone_lb_s, dispatch.zone_order
        req_origin, req_dest = dispatch.req_origin, dispatch.req_dest
        max_pickup_s = taxi.max_pickup_s
        n_targets = time_s.shape[0]
        # match open requests in time order, as _match_idle_taxis
        while i < c_rel and cnt[_N_IDLE] > 0:
            if req_state[i] == REQ_OPEN:
                k = req_origin[i]
                dest = req_dest[i]
                if k < 0 or k >= n_targets or dest < 0 or dest >= n_targets:
                    return KERNEL_BAD_STATE
                if i < searched_before:  # searched in vain at the previous round
                    v = _nearest_fresh(
                        k, time_s, node, dispatch_rank, zone_order, max_pickup_s, idle
                    )
                else:
                    v = _nearest_listed(
                        k, time_s, node, dispatch_rank, zone_lb_s, zone_order, max_pickup_s, idle
                    )
                if v >= 0:
                    code = _assign(v, i, t_s, vehicles, legs, dispatch, taxi)
                    if code != KERNEL_OK:
                        return code
                    _unlist(v, idle)
            i += 1
        while c_open < c_rel and req_state[c_open] != REQ_OPEN:
            c_open += 1
        dispatch.cursor[CURSOR_OPEN] = c_open
    # the requests before i that are still open were searched in vain this round; the
    # taxis listed from now on are the next round's fresh ones
    cnt[_SEARCHED_END] = i
    fresh, fmark = idle.fresh, idle.fmark
    for f in range(cnt[_N_FRESH]):
        fmark[fresh[f]] = False
    cnt[_N_FRESH] = 0
    return KERNEL_OK


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _dispatch_idle_py(
    vehicles: FleetBundle,
    legs: LegBundle,
    time_s: np.ndarray,
    dispatch: DispatchBundle,
    taxi: TaxiParams,
    t_s: float,
    idle: IdleTaxis,
    changed: np.ndarray,
    n_changed: int,
) -> int:
    """:func:`_dispatch_idle` callable from Python (for the tests)."""
    return _dispatch_idle(vehicles, legs, time_s, dispatch, taxi, t_s, idle, changed, n_changed)
