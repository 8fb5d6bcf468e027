"""Event-driven fused loop: the day of ``kernels.day._run_ticks``, touching fewer vehicles.

:func:`_run_events` takes exactly the arguments of ``_run_ticks`` (the day's
:class:`~transport_sim.kernels.bundles.DayBundle`) and leaves every integer array
identical to it (the same arrivals to the tick, legs, trips, queues, assignments) and
every float array within 1e-9 relative (the tick kernel is the reference in the tests).
Per tick it runs the same four stages, dispatch -> charging decisions -> movement ->
charging, but visits only the vehicles whose next event falls in the tick:

* **Calendar.** Each vehicle has at most one pending event, kept in a calendar (bucket)
  queue indexed by tick (doubly linked, so a vehicle that another stage wakes early is
  unlinked in O(1)).  Events: the tick in which a moving vehicle reaches its target or
  its battery runs out (at the edge/hour speeds of the tick kernel), the first tick at
  which a dwell has ended and the next leg may leave (or the plan runs out), and, for a
  battery-electric truck on a leg, the first tick at which a service area comes within
  one tick's drive or its SOC is below ``charge_below_soc x battery`` (only then can its
  charging decision act; a low truck is touched every tick from then on).  Charge ends,
  dispatch assignments and charging decisions wake their vehicles directly.
* **Motion between events.** When a moving vehicle is touched, :func:`_walk` drives it
  ahead along its route, in registers and for one vehicle at a time, until its next event
  or the end of the call; the state at that tick is kept aside and written back when the
  vehicle is woken (or the call ends, for the DataCollector, so every reader sees it
  brought to the tick it reads).  Passing a node is not an event.  The walk runs the
  tick kernel's own statements, in the same order, on the same operands, tick by tick,
  so every comparison (the tick of every arrival, stranding and wake-up) and every float
  (position, km, energy, SOC, tonne-km) is bit-identical to the tick loop's.  A tick that
  ends on an edge is followed by the ticks that stay on it in that hour (neither reach
  its end nor empty the battery) without the node logic of the step: the same sums of
  the same per-tick amounts.  Most of a walk's time goes to the ticks that cross a node
  (about 25 M a day on the default network, where an edge takes about two ticks), each
  looking up the next edge toward the target.
* **Decisions** (:func:`~transport_sim.kernels.charging._charging_decisions`, called on a
  list of rows) are evaluated for the battery-electric vehicles whose state changed in
  the previous tick (moved, arrived, departed, finished charging), those touched this
  tick, and every battery-electric row at the first tick of a call.  A vehicle whose
  state has not changed gets the same "no" it got before: a standing vehicle's decision
  depends only on its own SOC, leg and node (site queues change only which site it
  picks; a truck dwelling after a gateway leg is recharged at the first decision after
  its arrival, which is in the tick after it arrived, as in the tick loop), and a
  moving truck's decision can act only when a service area is within one tick's drive
  or when it is low (a low truck that cannot reach its target with the reserve left
  leaves its route for a charger), both of which are its events.  Payload-aware energy
  needs the leg's payload only, which changes only at an arrival.
* **Dispatch** is :func:`~transport_sim.kernels.dispatch_idle._dispatch_idle`, the
  matching of the tick loop's ``_dispatch_tick`` over idle lists of ``day.taxi_rows``
  kept current with last tick's list (every vehicle whose status, edge, node or detour
  changed since the previous dispatch was touched in the previous tick or left a charger
  then); a request that found no taxi at the previous tick looks only at the taxis
  listed since (it reads only idle taxis, which are materialised: standing vehicles are
  never lazy).  The taxis it assigns are woken.
* **Charging** joins the queues from the tick's arrivals at a detour, the vehicles the
  decisions queued and the background cars due (in vehicle order, as ``_charging_tick``
  does), then calls the same :func:`~transport_sim.kernels.charging._advance_sites`.

Each call starts from the materialised state and rebuilds its calendar in one pass over
the vehicles (a call is one reporting interval, so that pass is amortised over its
ticks); at the end of a call (and before returning a non-OK code) every vehicle's state
is brought to the end of the last tick run, so the DataCollector and Python read the
tick loop's state between calls.  The per-vehicle work arrays come from the caller's
:class:`EventCarry`, kept for the day: when the previous call ended cleanly and nothing
changed the state since (the day's own calls, ``TransportModel.run_day``), the call
*continues* it: last tick's touched list and the idle lists carry over, and a vehicle on
the road is driven on by :func:`_walk` from where it was read (the walk is exact across a
cut, as within a call) instead of being touched in the first tick, whose decisions and
joins then need no scan of every row.  A fresh carry, or one after a non-OK code, starts
afresh: every moving vehicle is touched in the first tick, every battery-electric row
decides, every row is checked for joining a queue.  Congestion is off, as in
``_run_ticks``.

A tick's stages are separate compiled functions over the day's bundles and the loop's
own :class:`EventWork` (:func:`_wake_due`, then ``_dispatch_idle`` called by the
driver, :func:`_decide`, :func:`_move_touched`, :func:`_charge_schedule`, then
:func:`_schedule`): LLVM's time
grows faster than a function's size, and the one fused function took 31 s of CPU to
compile against about 14 s for this whole module now.  Inside a stage the per-vehicle
work is still written out in its loop (a compiled call passing some thirty arrays costs
about a microsecond, more than the work an event saves).  The stages and the helpers
allocate nothing and are compiled with ``_nrt=False`` (reference counting of the
bundles' arrays at every per-tick call cost 0.26 s a day); so is ``_dispatch_idle``
(its lists are the carry's, filled by ``_fill_idle`` when a call starts afresh).  A
callee is compiled with its caller's flags: a kernel called from a stage must not
allocate either.

Units: metres, seconds, m/s, kWh, tonnes.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    FLEETS,
    KERNEL_BAD_STATE,
    KERNEL_NO_ROUTE,
    KERNEL_OK,
    KERNEL_QUEUE_OVERFLOW,
    SITE_KINDS,
    STATUS_CHARGING,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_OFF,
    STATUS_QUEUED,
    STATUS_STRANDED,
)
from transport_sim.kernels.buckets import _link, _unlink
from transport_sim.kernels.bundles import COMPILED_ONLY, PYTHON_ENTRY, DayBundle
from transport_sim.kernels.charging import (
    _MAX_LOOKAHEAD_EDGES,
    ARRIVED_AT_DETOUR,
    _advance_sites,
    _charging_decisions,
    _enqueue,
)
from transport_sim.kernels.dispatch import CURSOR_OPEN, CURSOR_RELEASE, REQ_ASSIGNED
from transport_sim.kernels.dispatch_idle import (
    IdleTaxis,
    _dispatch_idle,
    _fill_idle,
    idle_taxis_arrays,
)
from transport_sim.kernels.energy import battery_limited_distance_m, energy_for_distance_kwh
from transport_sim.kernels.movement import (
    ARRIVED_DETOUR,
    ARRIVED_FAULT,
    ARRIVED_LEG,
    ARRIVED_NONE,
    END_OF_EDGE_EPS_M,
)
from transport_sim.kernels.nexthop import NextHop, next_hop
from transport_sim.kernels.prefetch import _prefetch
from transport_sim.kernels.sorting import sort_by_key, sort_ints
from transport_sim.kernels.state import LEG_TRIP_END
from transport_sim.units import M_PER_KM, SECONDS_PER_HOUR

__all__: list[str] = []  # compiled internals only; the engine is chosen by run.movement

_FLEET_TRUCK = FLEETS.index("truck")
_FLEET_SHIP = FLEETS.index("ship")
_KIND_SERVICE_AREA = SITE_KINDS.index("service_area")
#: Slack (m) added to one tick's reach when waking a truck before a service area: waking
#: early only costs a decision that says no; waking late would change the answer.
_REACH_SLACK_M = 1.0


#: Slots of ``EventWork.cnt``: the lengths of the work lists and the loop's cursors;
#: ``_CONTINUES`` is 1 when the previous call of the day ended cleanly (set at its end;
#: the next call then continues it), ``_FRESH`` is 1 in a call that did not (its first
#: tick scans every row).
_N_TOUCH, _N_RECENT, _N_AT_SITE, _I_BG, _N_JOIN, _CUR, _CONTINUES, _FRESH = range(8)
_N_SLOTS = 8


class EventWork(NamedTuple):
    """The event loop's own arrays for one call (built by :func:`_run_events`).

    The stages of a tick are separate compiled functions (LLVM's time grows faster than
    the size of a function); they share the day's bundles and this one.
    """

    hours: np.ndarray  # int64[n_ticks], hour of day of each tick
    hour_end: np.ndarray  # int64[n_ticks], first tick of the next hour (or n_ticks)
    head: np.ndarray  # int64[n_ticks], calendar: first vehicle due in each tick, or -1
    wake: np.ndarray  # int64[n], tick of each vehicle's pending event, or -1
    nxt: np.ndarray  # int64[n], next vehicle in the same bucket
    prv: np.ndarray  # int64[n], previous vehicle in the same bucket
    lazy_base: np.ndarray  # int64[n], tick its arrays hold a moving vehicle's state at
    fut_tick: np.ndarray  # int64[n], tick fut_i/fut_f hold its state at (its next event)
    fut_i: np.ndarray  # int64[n, 2], (edge, node) at fut_tick
    fut_f: np.ndarray  # float64[n, 5], (pos_m, odometer_m, energy_kwh, soc_kwh, tkm)
    lists: np.ndarray  # int64[2, 2n], this tick's touched vehicles and last tick's
    tmark: np.ndarray  # int64[n], last tick a vehicle was touched
    cand: np.ndarray  # int64[n], decision candidates
    cmark: np.ndarray  # int64[n], last tick a vehicle was a candidate
    joiners: np.ndarray  # int64[n], vehicles joining a queue this tick
    jmark: np.ndarray  # int64[n], last tick a vehicle joined
    at_site: np.ndarray  # int64[n], vehicles queued or charging
    bg: np.ndarray  # int64[n_bg], background cars due at a charger, by time
    cnt: np.ndarray  # int64[8], see the _N_* slots


class EventCarry(NamedTuple):
    """The event loop's per-vehicle work arrays for a day, handed from call to call.

    Allocated once per day (:func:`event_carry`), so a call allocates only its per-tick
    arrays.  A call continues the previous one when that one ended cleanly
    (``cnt[_CONTINUES]``): the touched lists (the last tick's is the next tick's
    ``recent``: its decision candidates, the dispatch's changed taxis) and the idle
    lists carry over, the vehicles on the road are driven on from where the
    DataCollector read them instead of being touched again, and the first tick does not
    scan every row.  The caller must not change the fleet state between two such calls
    (``TransportModel.run_day`` does not); a new carry starts afresh.  The fields are
    those of :class:`EventWork` of the same name.
    """

    wake: np.ndarray
    nxt: np.ndarray
    prv: np.ndarray
    lazy_base: np.ndarray
    fut_tick: np.ndarray
    fut_i: np.ndarray
    fut_f: np.ndarray
    lists: np.ndarray
    tmark: np.ndarray
    cand: np.ndarray
    cmark: np.ndarray
    joiners: np.ndarray
    jmark: np.ndarray
    at_site: np.ndarray
    cnt: np.ndarray
    idle: IdleTaxis  # the dispatch's idle lists


def event_carry(n_vehicles: int, n_zones: int) -> EventCarry:
    """Return the work arrays for ``n_vehicles`` rows and ``n_zones`` dispatch zones.

    Its first call starts afresh.
    """
    n = int(n_vehicles)
    return EventCarry(
        *(np.full(n, -1, np.int64) for _ in range(5)),
        np.empty((n, 2), np.int64),
        np.empty((n, 5), np.float64),
        np.empty((2, 2 * n), np.int64),
        *(np.full(n, -1, np.int64) for _ in range(6)),
        np.zeros(_N_SLOTS, np.int64),
        idle_taxis_arrays(n, n_zones),
    )


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _carry_fits(c: EventCarry, n: int, n_zones: int) -> bool:
    """Return whether carry ``c`` has the shapes of ``n`` rows and ``n_zones`` zones."""
    return (
        c.wake.shape[0] == n
        and c.nxt.shape[0] == n
        and c.prv.shape[0] == n
        and c.lazy_base.shape[0] == n
        and c.fut_tick.shape[0] == n
        and c.fut_i.shape[0] == n
        and c.fut_i.shape[1] == 2
        and c.fut_f.shape[0] == n
        and c.fut_f.shape[1] == 5
        and c.lists.shape[0] == 2
        and c.lists.shape[1] == 2 * n
        and c.tmark.shape[0] == n
        and c.cand.shape[0] == n
        and c.cmark.shape[0] == n
        and c.joiners.shape[0] == n
        and c.jmark.shape[0] == n
        and c.at_site.shape[0] == n
        and c.cnt.shape[0] == _N_SLOTS
        and c.idle.zone_head.shape[0] == n_zones
        and c.idle.znext.shape[0] == n
        and c.idle.zprev.shape[0] == n
        and c.idle.in_zone.shape[0] == n
        and c.idle.fresh.shape[0] == n
        and c.idle.fmark.shape[0] == n
        and c.idle.cnt.shape[0] == 4
    )


# --------------------------------------------------------------------------------------
# motion between events
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _service_area_ahead_m(
    u: int,
    k: int,
    reach_m: float,
    edge_head: np.ndarray,
    edge_length_m: np.ndarray,
    next_edge: NextHop,
    site_at_node: np.ndarray,
) -> float:
    """Path distance (m) from node ``u`` toward target ``k`` to the first service area.

    ``inf`` when there is none within ``reach_m`` (the walk stops there), 0 when the walk
    reaches the lookahead limit of ``_truck_site_ahead`` (wake every tick: safe).
    """
    dist_m = 0.0
    for _ in range(_MAX_LOOKAHEAD_EDGES):
        if dist_m > reach_m:
            return np.inf
        if site_at_node[_KIND_SERVICE_AREA, u] >= 0:
            return dist_m
        nxt = next_hop(next_edge, k, u)
        if nxt < 0:
            return np.inf
        dist_m += edge_length_m[nxt]
        u = edge_head[nxt]
    return 0.0




@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _ready_tick(
    w_s: float, d_s: float, k_from: int, n_ticks: int, t0_s: float, dt_s: float
) -> int:
    """First tick ``k >= k_from`` whose start ``t`` has ``not (w_s > t or d_s > t)``.

    The tick kernel's test for a waiting vehicle to act (``d_s`` = ``-inf`` when only the
    dwell matters); ``n_ticks`` when none in the call.
    """
    need = max(w_s, d_s)
    x = (need - t0_s) / dt_s
    if math.isnan(x):  # NaN compares false in the tick kernel: acts at once
        return k_from
    j = n_ticks if x >= n_ticks else max(k_from, math.ceil(x))
    while j > k_from:
        t = t0_s + (j - 1) * dt_s
        if w_s > t or d_s > t:
            break
        j -= 1
    while j < n_ticks:
        t = t0_s + j * dt_s
        if not (w_s > t or d_s > t):
            break
        j += 1
    return j



@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _waiting_wake(
    st: int,
    lv: int,
    leg_end_v: int,
    dispatchable_v: bool,
    n_legs: int,
    w_s: float,
    leg_depart_s: np.ndarray,
    k_from: int,
    n_ticks: int,
    t0_s: float,
    dt_s: float,
) -> int:
    """Tick at which a waiting vehicle (no detour) acts, or ``n_ticks`` (not in the call).

    It departs once its dwell has ended and its next leg may leave; with no legs left its
    status changes (to idle or done) once its dwell has ended, except an idle taxi, which
    waits for dispatch.  A bad leg index is touched at once (the movement step reports it).
    """
    if lv >= leg_end_v:
        if dispatchable_v and st == STATUS_IDLE:
            return n_ticks
        return _ready_tick(w_s, -np.inf, k_from, n_ticks, t0_s, dt_s)
    if lv < 0 or lv >= n_legs:
        return k_from
    return _ready_tick(w_s, leg_depart_s[lv], k_from, n_ticks, t0_s, dt_s)


# --------------------------------------------------------------------------------------
# the fused event loop
#
# The per-vehicle work (a movement step, the replay of skipped mid-edge ticks, the next
# edge event) is written out inside the loops below rather than called: a compiled call
# that passes some thirty arrays costs about a microsecond (numba cannot inline a
# function with that many arguments), which is more than the work it saves.
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _walk(  # noqa: PLR0912 - the tick kernel's step, run ahead
    v: int,
    k_from: int,
    k_stop: int,
    dt_s: float,
    hours: np.ndarray,
    hour_end: np.ndarray,
    watch_truck: bool,
    low_kwh: float,
    kt: int,
    sp: int,
    payload_t: float,
    bev: bool,
    vmax_mps: float,
    edge: np.ndarray,
    node: np.ndarray,
    pos_m: np.ndarray,
    odometer_m: np.ndarray,
    energy_kwh: np.ndarray,
    soc_kwh: np.ndarray,
    tkm: np.ndarray,
    edge_head: np.ndarray,
    edge_length_m: np.ndarray,
    edge_speed_mps: np.ndarray,
    edge_class: np.ndarray,
    target_node: np.ndarray,
    next_edge: NextHop,
    kwh_per_m: np.ndarray,
    kwh_per_m_per_t: np.ndarray,
    speed_factors: np.ndarray,
    site_at_node: np.ndarray,
    fut_i: np.ndarray,
    fut_f: np.ndarray,
) -> int:
    """Drive moving vehicle ``v`` along its route from tick ``k_from`` to its next event.

    Each tick runs the tick kernel's arithmetic, statement for statement (a tick's
    budget carried across the nodes it passes, the speed of the tick's hour), ahead for
    one vehicle while nothing happens to it; after a tick that ends on an edge, the
    following ticks of that hour that stay on it add the same per-tick amounts without
    the step's node logic (bit-identical sums).  Stops at the
    first tick in ``[k_from, k_stop)`` in which it would reach its target, empty its
    battery, meet a bad index, or (``watch_truck``) that starts low or with a service
    area within one tick's drive; returns that tick, or ``k_stop``.  ``fut_i[v] =
    (edge, node)`` and ``fut_f[v] = (pos_m, odometer_m, energy_kwh, soc_kwh, tkm)`` get
    the state at the start of the returned tick; the state arrays are only read.
    """
    n_edges = edge_head.shape[0]
    n_classes = speed_factors.shape[1]
    e = edge[v]
    u = node[v]
    p_m = pos_m[v]
    odo_m = odometer_m[v]
    drawn_kwh = energy_kwh[v]
    soc = soc_kwh[v]
    carried_tkm = tkm[v]
    goal = target_node[kt]
    reach_m = vmax_mps * dt_s
    sa_from = -2  # node the service-area distance was measured from
    sa_m = np.inf
    j = k_stop
    kk = k_from
    while kk < k_stop:
        if watch_truck and soc < low_kwh:  # low: its decision may act at any tick
            j = kk
            break
        if watch_truck:
            h = edge_head[e] if e >= 0 else u
            if h != sa_from:
                sa_from = h
                sa_m = _service_area_ahead_m(h, kt, reach_m + _REACH_SLACK_M, edge_head,
                                             edge_length_m, next_edge, site_at_node)
            rest_m = max(edge_length_m[e] - p_m, 0.0) if e >= 0 else 0.0
            if rest_m + sa_m <= reach_m + _REACH_SLACK_M:
                j = kk
                break
        sf = speed_factors[hours[kk]]
        budget_s = dt_s
        ne = e
        nu = u
        np_m = p_m
        n_odo = odo_m
        n_drawn = drawn_kwh
        n_soc = soc
        n_tkm = carried_tkm
        event = False
        while True:
            if ne < 0:
                if nu == goal:
                    event = True
                    break
                if budget_s <= 0.0:
                    break
                ne = next_hop(next_edge, kt, nu)
                if ne < 0 or ne >= n_edges:
                    event = True
                    break
                np_m = 0.0
            elif ne >= n_edges:
                event = True
                break
            length_m = edge_length_m[ne]
            c = edge_class[ne]
            if (
                not (np_m >= 0.0 and np_m <= length_m + END_OF_EDGE_EPS_M)
                or c < 0
                or c >= n_classes
            ):
                event = True
                break
            speed_mps = edge_speed_mps[ne] * sf[c]
            speed_mps = min(speed_mps, vmax_mps)
            if not speed_mps > 0.0:
                event = True
                break
            rem_m = max(length_m - np_m, 0.0)
            d_m = speed_mps * budget_s
            reached = d_m >= rem_m - END_OF_EDGE_EPS_M
            if reached:
                d_m = rem_m
            k_kwh_per_m = kwh_per_m[sp, c] + payload_t * kwh_per_m_per_t[sp]
            e_kwh = energy_for_distance_kwh(d_m, k_kwh_per_m)
            if bev and e_kwh > n_soc:
                event = True
                break
            n_odo += d_m
            n_drawn += e_kwh
            if bev:
                n_soc -= e_kwh
            n_tkm += payload_t * d_m / M_PER_KM
            if not reached:
                np_m = np_m + d_m
                break
            budget_s = max(budget_s - d_m / speed_mps, 0.0)
            nu = edge_head[ne]
            ne = -1
            np_m = 0.0
        if event:
            j = kk
            break
        e = ne
        u = nu
        p_m = np_m
        odo_m = n_odo
        drawn_kwh = n_drawn
        soc = n_soc
        carried_tkm = n_tkm
        kk += 1
        if ne < 0 or watch_truck:  # at a node; a watched truck is checked every tick
            continue
        # the tick ended on edge ne (its last step did not reach the end): the next
        # ticks of this hour that neither reach the end nor empty the battery run the
        # step's statements without its node logic, at the same speed and energy per
        # metre, with the full tick's budget (the same sums, in the same order)
        k_lim = min(hour_end[kk - 1], k_stop)
        d_m = speed_mps * dt_s
        e_kwh = energy_for_distance_kwh(d_m, k_kwh_per_m)
        tkm_step = payload_t * d_m / M_PER_KM
        while (
            kk < k_lim
            and not d_m >= max(length_m - p_m, 0.0) - END_OF_EDGE_EPS_M
            and not (bev and e_kwh > soc)
        ):
            odo_m += d_m
            drawn_kwh += e_kwh
            if bev:
                soc -= e_kwh
            carried_tkm += tkm_step
            p_m = p_m + d_m
            kk += 1
    fut_i[v, 0] = e
    fut_i[v, 1] = u
    fut_f[v, 0] = p_m
    fut_f[v, 1] = odo_m
    fut_f[v, 2] = drawn_kwh
    fut_f[v, 3] = soc
    fut_f[v, 4] = carried_tkm
    return j


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _take_future(
    v: int,
    edge: np.ndarray,
    node: np.ndarray,
    pos_m: np.ndarray,
    odometer_m: np.ndarray,
    energy_kwh: np.ndarray,
    soc_kwh: np.ndarray,
    tkm: np.ndarray,
    fut_i: np.ndarray,
    fut_f: np.ndarray,
) -> None:
    """Write the state :func:`_walk` computed for ``v`` into the fleet arrays."""
    edge[v] = fut_i[v, 0]
    node[v] = fut_i[v, 1]
    pos_m[v] = fut_f[v, 0]
    odometer_m[v] = fut_f[v, 1]
    energy_kwh[v] = fut_f[v, 2]
    soc_kwh[v] = fut_f[v, 3]
    tkm[v] = fut_f[v, 4]


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _materialise_all(k_to: int, dt_s: float, day: DayBundle, w: EventWork) -> int:
    """Bring every moving vehicle not touched since to the start of tick ``k_to``.

    At a call's end their state was already driven ahead to it (:func:`_walk` stops at the
    call's end); after an early return it is driven again from where it was stored.
    Returns ``KERNEL_BAD_STATE`` if that drive meets an event before ``k_to`` (a bug).
    """
    vehicles, legs, net, specs = day.vehicles, day.legs, day.net, day.specs
    edge, node, pos_m, leg = vehicles.edge, vehicles.node, vehicles.pos_m, vehicles.leg
    soc_kwh, odometer_m, energy_kwh = vehicles.soc_kwh, vehicles.odometer_m, vehicles.energy_kwh
    tkm, spec, detour_target = vehicles.tkm, vehicles.spec, vehicles.detour_target
    max_speed_mps = vehicles.max_speed_mps
    leg_target, leg_payload_t = legs.leg_target, legs.leg_payload_t
    edge_head, edge_length_m = net.edge_head, net.edge_length_m
    edge_speed_mps, edge_class = net.edge_speed_mps, net.edge_class
    target_node, next_edge = net.target_node, net.next_edge
    kwh_per_m, is_bev, kwh_per_m_per_t = specs.kwh_per_m, specs.is_bev, specs.kwh_per_m_per_t
    speed_factors, site_at_node = day.speed_factors, day.tables.site_at_node
    hours, hour_end, lazy_base, fut_tick = w.hours, w.hour_end, w.lazy_base, w.fut_tick
    fut_i, fut_f = w.fut_i, w.fut_f
    code = KERNEL_OK
    for v in range(lazy_base.shape[0]):
        k0 = lazy_base[v]
        if k0 < 0 or k0 >= k_to:
            continue
        lazy_base[v] = -1
        if fut_tick[v] != k_to:
            detour = detour_target[v]
            sp = spec[v]
            kt = detour if detour >= 0 else leg_target[leg[v]]
            payload_t = leg_payload_t[leg[v]] if detour < 0 else 0.0
            j = _walk(
                v, k0, k_to, dt_s, hours, hour_end, np.bool_(False), 0.0, kt, sp, payload_t,
                is_bev[sp], max_speed_mps[v], edge, node, pos_m, odometer_m, energy_kwh, soc_kwh,
                tkm, edge_head, edge_length_m, edge_speed_mps, edge_class, target_node, next_edge,
                kwh_per_m, kwh_per_m_per_t, speed_factors, site_at_node, fut_i, fut_f,
            )
            if j != k_to:
                code = KERNEL_BAD_STATE
        _take_future(v, edge, node, pos_m, odometer_m, energy_kwh, soc_kwh, tkm, fut_i, fut_f)
    return code


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _wake_due(k: int, day: DayBundle, w: EventWork) -> int:
    """Stage 1 of tick ``k``: the vehicles whose event falls in it, brought to its start."""
    vehicles = day.vehicles
    node, edge, pos_m = vehicles.node, vehicles.edge, vehicles.pos_m
    soc_kwh, odometer_m, energy_kwh = vehicles.soc_kwh, vehicles.odometer_m, vehicles.energy_kwh
    tkm, head, wake = vehicles.tkm, w.head, w.wake
    nxt, prv, lazy_base = w.nxt, w.prv, w.lazy_base
    fut_tick, fut_i, fut_f = w.fut_tick, w.fut_i, w.fut_f
    tmark, cnt = w.tmark, w.cnt
    touch, n_touch = w.lists[cnt[_CUR]], cnt[_N_TOUCH]
    # 1. the vehicles whose event falls in this tick, brought to the tick's start
    n_touch = 0
    while head[k] >= 0:
        v = head[k]
        _unlink(v, wake, head, nxt, prv)
        touch[n_touch] = v
        n_touch += 1
        tmark[v] = k
        if lazy_base[v] < 0:
            continue
        lazy_base[v] = -1
        if fut_tick[v] != k:
            cnt[_N_TOUCH] = n_touch
            return KERNEL_BAD_STATE
        _take_future(v, edge, node, pos_m, odometer_m, energy_kwh, soc_kwh, tkm, fut_i,
                     fut_f)
    cnt[_N_TOUCH] = n_touch
    return KERNEL_OK


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _decide(  # noqa: PLR0912
    k: int, t: float, dt_s: float, c_open: int, day: DayBundle, w: EventWork
) -> tuple[int, int]:
    """Stages 2-3 of tick ``k`` after ``_dispatch_idle``: its taxis woken, then decisions.

    The taxis it assigned (requests from ``c_open`` on) move this tick; the charging
    decisions then run for the vehicles whose state may have changed.

    Returns ``(code, k_to)``: on a non-OK code the caller brings every vehicle to the
    start of tick ``k_to`` and returns.
    """
    vehicles, legs, net = day.vehicles, day.legs, day.net
    specs, dispatch, tables = day.specs, day.dispatch, day.tables
    sites, charge, bev_rows = day.sites, day.charge, day.bev_rows
    fleet, powertrain_spec, status = vehicles.fleet, vehicles.spec, vehicles.status
    detour_target, charge_site, is_bev = vehicles.detour_target, vehicles.charge_site, specs.is_bev
    req_state, req_taxi = dispatch.req_state, dispatch.req_taxi
    req_assign_s, req_cursor = dispatch.req_assign_s, dispatch.cursor
    dispatch_counts, dispatch_totals, head = dispatch.counts, dispatch.totals, w.head
    wake, nxt, prv = w.wake, w.nxt, w.prv
    tmark, cand, cmark = w.tmark, w.cand, w.cmark
    joiners, jmark, cnt = w.joiners, w.jmark, w.cnt
    touch, recent, n_touch = w.lists[cnt[_CUR]], w.lists[1 - cnt[_CUR]], cnt[_N_TOUCH]
    n_recent, n_join = cnt[_N_RECENT], cnt[_N_JOIN]
    # 2. dispatch (called by _run_events): the assigned taxis move this tick
    dispatch_totals[0] += dispatch_counts[0]
    dispatch_totals[1] += dispatch_counts[1]
    if dispatch_counts[0] > 0:
        for i in range(c_open, req_cursor[CURSOR_RELEASE]):
            if req_state[i] == REQ_ASSIGNED and req_assign_s[i] == t:
                v = np.int64(req_taxi[i])  # int32 column: one signature of _unlink
                if tmark[v] != k:
                    _unlink(v, wake, head, nxt, prv)
                    touch[n_touch] = v
                    n_touch += 1
                    tmark[v] = k
    # 3. charging decisions of the vehicles whose state may have changed
    n_join = 0
    if bev_rows.shape[0] > 0:
        n_cand = 0
        if k == 0 and cnt[_FRESH] == 1:
            for r in range(bev_rows.shape[0]):
                v = bev_rows[r]
                if cmark[v] != k and charge_site[v] < 0 and detour_target[v] < 0:
                    cmark[v] = k
                    cand[n_cand] = v
                    n_cand += 1
        else:
            for i in range(n_recent + n_touch):
                v = recent[i] if i < n_recent else touch[i - n_recent]
                if (
                    cmark[v] != k
                    and fleet[v] <= _FLEET_SHIP
                    and is_bev[powertrain_spec[v]]
                    and charge_site[v] < 0
                    and detour_target[v] < 0
                ):
                    cmark[v] = k
                    cand[n_cand] = v
                    n_cand += 1
        if n_cand > 0:
            code = _charging_decisions(
                t, dt_s, vehicles, legs, net, specs, tables, sites, charge, cand[:n_cand]
            )
            if code != KERNEL_OK:
                cnt[_N_TOUCH] = n_touch
                return code, k
            for i in range(n_cand):
                v = cand[i]
                if charge_site[v] < 0:
                    continue
                if status[v] == STATUS_QUEUED and jmark[v] != k:
                    jmark[v] = k
                    joiners[n_join] = v
                    n_join += 1
                if tmark[v] != k:
                    _unlink(v, wake, head, nxt, prv)
                    touch[n_touch] = v
                    n_touch += 1
                    tmark[v] = k
    cnt[_N_TOUCH] = n_touch
    cnt[_N_JOIN] = n_join
    return KERNEL_OK, -1


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _move_touched(  # noqa: PLR0912
    k: int, t: float, dt_s: float, day: DayBundle, w: EventWork
) -> int:
    """Stage 4 of tick ``k``: the movement step of the touched vehicles.

    The body of ``movement._advance_tick`` (congestion off); after a non-OK code
    ``arrived`` marks the vehicle at fault.
    """
    vehicles, legs, net = day.vehicles, day.legs, day.net
    specs, speed_factors, arrived = day.specs, day.speed_factors, day.arrived
    powertrain_spec, status = vehicles.spec, vehicles.status
    node, edge, pos_m = vehicles.node, vehicles.edge, vehicles.pos_m
    leg, leg_end, wait_until_s = vehicles.leg, vehicles.leg_end, vehicles.wait_until_s
    detour_target, soc_kwh = vehicles.detour_target, vehicles.soc_kwh
    max_speed_mps, dispatchable = vehicles.max_speed_mps, vehicles.dispatchable
    odometer_m, energy_kwh, tkm = vehicles.odometer_m, vehicles.energy_kwh, vehicles.tkm
    trips, leg_target, leg_depart_s = vehicles.trips, legs.leg_target, legs.leg_depart_s
    leg_dwell_s, leg_payload_t, leg_flags = legs.leg_dwell_s, legs.leg_payload_t, legs.leg_flags
    edge_head, edge_length_m, edge_speed_mps = net.edge_head, net.edge_length_m, net.edge_speed_mps
    edge_class, target_node, next_edge = net.edge_class, net.target_node, net.next_edge
    kwh_per_m, is_bev, kwh_per_m_per_t = specs.kwh_per_m, specs.is_bev, specs.kwh_per_m_per_t
    n_legs, n_targets, n_specs = leg_target.shape[0], target_node.shape[0], kwh_per_m.shape[0]
    n_classes, n_edges = speed_factors.shape[1], edge_head.shape[0]
    n_nodes = next_edge.slot.shape[1]
    hours, lazy_base, cnt = w.hours, w.lazy_base, w.cnt
    touch, recent, n_touch = w.lists[cnt[_CUR]], w.lists[1 - cnt[_CUR]], cnt[_N_TOUCH]
    n_recent, sf = cnt[_N_RECENT], speed_factors[hours[k]]
    # 4. movement of the touched vehicles: the body of movement._advance_tick
    for i in range(n_recent):
        arrived[recent[i]] = ARRIVED_NONE
    for i in range(n_touch):
        v = touch[i]
        code = KERNEL_OK
        k0 = lazy_base[v]
        if k0 >= 0:  # woken early: only last tick's vehicles are, and they are at t
            lazy_base[v] = -1
            if k0 != k:
                code = KERNEL_BAD_STATE
        arrived[v] = ARRIVED_NONE
        st = status[v]
        drive = code == KERNEL_OK
        if drive and st != STATUS_MOVING:
            drive = False
            lv = leg[v]
            if (
                st not in (STATUS_DWELL, STATUS_IDLE, STATUS_OFF)
                or detour_target[v] >= 0
                or wait_until_s[v] > t
            ):
                pass  # queued, charging, stranded, done, at a detour, or dwelling
            elif lv >= leg_end[v]:
                status[v] = STATUS_IDLE if dispatchable[v] else STATUS_DONE
            elif lv < 0 or lv >= n_legs:
                code = KERNEL_BAD_STATE
            elif leg_depart_s[lv] > t:
                pass
            else:
                status[v] = STATUS_MOVING
                drive = True
        if drive:
            budget_s = dt_s
            detour = detour_target[v]
            lv = leg[v]
            sp = powertrain_spec[v]
            if (detour < 0 and (lv < 0 or lv >= n_legs)) or sp < 0 or sp >= n_specs:
                code = KERNEL_BAD_STATE
                drive = False
        if drive:
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
            kt = -1
            goal = -1
            while True:
                if e < 0:
                    if kt < 0:
                        if detour >= 0:
                            kt = detour
                        elif lv < leg_end[v]:
                            kt = leg_target[lv]
                        if kt < 0 or kt >= n_targets:
                            code = KERNEL_BAD_STATE
                            break
                        goal = target_node[kt]
                    if u < 0 or u >= n_nodes:
                        code = KERNEL_BAD_STATE
                        break
                    if u == goal:
                        t_arr_s = t + (dt_s - budget_s)
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
                    e = next_hop(next_edge, kt, u)
                    if e < 0:
                        code = KERNEL_NO_ROUTE
                        break
                    if e >= n_edges:
                        code = KERNEL_BAD_STATE
                        break
                    p_m = 0.0
                elif e >= n_edges:
                    code = KERNEL_BAD_STATE
                    break
                length_m = edge_length_m[e]
                c = edge_class[e]
                if (
                    not (p_m >= 0.0 and p_m <= length_m + END_OF_EDGE_EPS_M)
                    or c < 0
                    or c >= n_classes
                ):
                    code = KERNEL_BAD_STATE
                    break
                speed_mps = edge_speed_mps[e] * sf[c]
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
                budget_s = max(budget_s - d_m / speed_mps, 0.0)
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


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _schedule(
    k1: int,
    n_ticks: int,
    t0_s: float,
    dt_s: float,
    day: DayBundle,
    w: EventWork,
    rows: np.ndarray,
    n_rows: int,
) -> None:
    """Put ``rows[:n_rows]`` on the calendar from tick ``k1`` on (their next event).

    A waiting vehicle is due at the tick it may act; a moving one is driven ahead
    (:func:`_walk`) to its next event, or to the call's end, and is lazy from ``k1``.
    Called at the end of every tick for the vehicles that changed in it, and at the start
    of a call that continues the previous one for every vehicle on the road.
    """
    vehicles, legs, net = day.vehicles, day.legs, day.net
    specs, speed_factors, charge = day.specs, day.speed_factors, day.charge
    fleet, powertrain_spec, status = vehicles.fleet, vehicles.spec, vehicles.status
    edge, node, pos_m, leg = vehicles.edge, vehicles.node, vehicles.pos_m, vehicles.leg
    leg_begin, leg_end, wait_until_s = vehicles.leg_begin, vehicles.leg_end, vehicles.wait_until_s
    detour_target, soc_kwh = vehicles.detour_target, vehicles.soc_kwh
    battery_kwh, max_speed_mps = vehicles.battery_kwh, vehicles.max_speed_mps
    dispatchable, odometer_m = vehicles.dispatchable, vehicles.odometer_m
    energy_kwh, tkm, charge_site = vehicles.energy_kwh, vehicles.tkm, vehicles.charge_site
    leg_target, leg_depart_s, leg_payload_t = legs.leg_target, legs.leg_depart_s, legs.leg_payload_t
    edge_head, edge_length_m, edge_speed_mps = net.edge_head, net.edge_length_m, net.edge_speed_mps
    edge_class, target_node, next_edge = net.edge_class, net.target_node, net.next_edge
    kwh_per_m, is_bev, kwh_per_m_per_t = specs.kwh_per_m, specs.is_bev, specs.kwh_per_m_per_t
    site_at_node = day.tables.site_at_node
    n_legs, n_targets, n_specs = leg_target.shape[0], target_node.shape[0], kwh_per_m.shape[0]
    hours, hour_end, head = w.hours, w.hour_end, w.head
    wake, nxt, prv = w.wake, w.nxt, w.prv
    lazy_base, fut_tick, fut_i, fut_f = w.lazy_base, w.fut_tick, w.fut_i, w.fut_f
    watch_trucks = day.bev_rows.shape[0] > 0
    # the loop below calls _walk or _waiting_wake per vehicle, so the misses on the rows
    # that movement did not read this tick come one at a time: ask for them all first
    for i in range(n_rows):
        v = rows[i]
        lv = leg[v]
        if 0 <= lv < n_legs:
            _prefetch(leg_target, lv)
            _prefetch(leg_depart_s, lv)
            _prefetch(leg_payload_t, lv)
        _prefetch(battery_kwh, v)
        _prefetch(max_speed_mps, v)
        _prefetch(wake, v)
        _prefetch(lazy_base, v)
        _prefetch(fut_tick, v)
        _prefetch(fut_f[v], 0)
    for i in range(n_rows):
        v = rows[i]
        st = status[v]
        if st in (STATUS_DWELL, STATUS_IDLE, STATUS_OFF):
            if detour_target[v] < 0:
                j = _waiting_wake(st, leg[v], leg_end[v], dispatchable[v], n_legs,
                                  wait_until_s[v], leg_depart_s, k1, n_ticks, t0_s, dt_s)
                if j < n_ticks:
                    _link(v, j, wake, head, nxt, prv)
            continue
        if st != STATUS_MOVING:
            continue
        # moving: drive it ahead, tick by tick, to its next event (reaching its
        # target, an empty battery, or, for a BEV truck on a leg that may still
        # decide to charge, a service area within one tick's drive)
        detour = detour_target[v]
        lv = leg[v]
        kt = detour
        if detour < 0 and 0 <= lv < leg_end[v] and lv < n_legs:
            kt = leg_target[lv]
        sp = powertrain_spec[v]
        if kt < 0 or kt >= n_targets or sp < 0 or sp >= n_specs:
            if k1 < n_ticks:  # the movement step reports it
                _link(v, k1, wake, head, nxt, prv)
            continue
        bev = is_bev[sp]
        watch = (
            watch_trucks
            and fleet[v] == _FLEET_TRUCK
            and bev
            and detour < 0
            and charge_site[v] < 0
            and battery_kwh[v] > 0.0
            and lv >= leg_begin[v]
        )
        low_kwh = charge.charge_below_soc * battery_kwh[v]  # as _charging_decisions
        payload_t = leg_payload_t[lv] if detour < 0 else 0.0
        j = _walk(
            v, k1, n_ticks, dt_s, hours, hour_end, watch, low_kwh, kt, sp,
            payload_t, bev, max_speed_mps[v], edge, node,
            pos_m, odometer_m, energy_kwh, soc_kwh, tkm, edge_head, edge_length_m,
            edge_speed_mps, edge_class, target_node, next_edge, kwh_per_m,
            kwh_per_m_per_t, speed_factors, site_at_node, fut_i, fut_f,
        )
        lazy_base[v] = k1
        fut_tick[v] = j
        if j < n_ticks:
            _link(v, j, wake, head, nxt, prv)


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _charge_schedule(  # noqa: PLR0912
    k: int, t: float, n_ticks: int, t0_s: float, dt_s: float, day: DayBundle, w: EventWork
) -> tuple[int, int]:
    """Stages 5-6 of tick ``k``: join the queues and run the sites; list what changed.

    The vehicles that changed this tick (touched, or a charge ended) become ``recent``:
    the driver puts them on the calendar (:func:`_schedule`, called by the driver so that
    it is compiled into one caller only).

    Returns ``(code, k_to)`` as :func:`_decide`.
    """
    vehicles, sites, log, charge = day.vehicles, day.sites, day.log, day.charge
    arrived, fleet, status = day.arrived, vehicles.fleet, vehicles.status
    wait_until_s, queue_enter_s = vehicles.wait_until_s, vehicles.queue_enter_s
    charge_site, session_row = vehicles.charge_site, sites.session_row
    log_site, log_count = log.log_site, log.log_count
    n, n_sites = status.shape[0], sites.site_power_kw.shape[0]
    joiners, jmark, at_site, bg, cnt = w.joiners, w.jmark, w.at_site, w.bg, w.cnt
    touch, recent, n_touch = w.lists[cnt[_CUR]], w.lists[1 - cnt[_CUR]], cnt[_N_TOUCH]
    n_recent, n_at_site, i_bg = cnt[_N_RECENT], cnt[_N_AT_SITE], cnt[_I_BG]
    n_join, n_bg, t_end = cnt[_N_JOIN], bg.shape[0], t + dt_s
    # 5. charging: join the queues in vehicle order, then run the sites
    if k == 0 and cnt[_FRESH] == 1:  # a fresh call's first tick: the tick loop's scan
        n_join = 0
        for v in range(n):
            s = charge_site[v]
            if s < 0 or session_row[v] >= 0:
                continue
            if (
                arrived[v] == ARRIVED_AT_DETOUR
                or status[v] == STATUS_QUEUED
                or (fleet[v] == BACKGROUND_FLEET_CODE
                    and status[v] in (STATUS_OFF, STATUS_DONE)
                    and wait_until_s[v] < t_end)
            ):
                jmark[v] = k
                joiners[n_join] = v
                n_join += 1
    else:
        for i in range(n_touch):
            v = touch[i]
            if (
                arrived[v] == ARRIVED_AT_DETOUR
                and charge_site[v] >= 0
                and session_row[v] < 0
                and jmark[v] != k
            ):
                jmark[v] = k
                joiners[n_join] = v
                n_join += 1
    while i_bg < n_bg and wait_until_s[bg[i_bg]] < t_end:
        v = bg[i_bg]
        i_bg += 1
        if (
            jmark[v] != k
            and charge_site[v] >= 0
            and session_row[v] < 0
            and status[v] in (STATUS_OFF, STATUS_DONE)
        ):
            jmark[v] = k
            joiners[n_join] = v
            n_join += 1
    if n_join > 0:
        sort_ints(joiners, n_join)
        for i in range(n_join):
            if charge_site[joiners[i]] >= n_sites:
                return KERNEL_BAD_STATE, -1
        if log_count[0] + n_join > log_site.shape[0]:
            return KERNEL_QUEUE_OVERFLOW, k + 1
        for i in range(n_join):
            v = joiners[i]
            if arrived[v] == ARRIVED_AT_DETOUR:
                arrive = wait_until_s[v]
            elif status[v] == STATUS_QUEUED:
                arrive = queue_enter_s[v]
            else:
                arrive = wait_until_s[v]
            _enqueue(v, charge_site[v], arrive, vehicles, sites, log)
            at_site[n_at_site] = v
            n_at_site += 1
    code = _advance_sites(t, dt_s, vehicles, sites, log, charge)
    if code != KERNEL_OK:
        return code, k + 1
    # 6. what changed this tick (moved, or a charge ended) is next tick's decision
    # candidates; the driver puts each on the calendar from the next tick
    recent, touch = touch, recent
    cnt[_CUR] = 1 - cnt[_CUR]
    n_recent = n_touch
    i = 0
    while i < n_at_site:
        v = at_site[i]
        if status[v] in (STATUS_QUEUED, STATUS_CHARGING):
            i += 1
            continue
        n_at_site -= 1
        at_site[i] = at_site[n_at_site]
        recent[n_recent] = v
        n_recent += 1
    cnt[_N_RECENT] = n_recent
    cnt[_N_AT_SITE] = n_at_site
    cnt[_I_BG] = i_bg
    return KERNEL_OK, -1


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _run_events(  # noqa: PLR0912 - setup of the calendar and work lists
    n_ticks: int, t0_s: float, dt_s: float, day: DayBundle, carry: EventCarry
) -> tuple[int, int]:
    """Run ``n_ticks`` ticks from ``t0_s``, event-driven; return ``(status, ticks completed)``.

    Arguments, results and the ``KERNEL_QUEUE_OVERFLOW`` protocol are those of
    :func:`transport_sim.kernels.day._run_ticks` (see the module docstring for how the
    work differs), plus ``carry`` (:class:`EventCarry`): the call continues the previous
    one if that ended cleanly, else starts afresh (a new carry always does); either way
    the result is the tick loop's.  The bundles' fields are unpacked at the top under the
    names used here; ``day.traffic`` is not used (congestion is off in the fused loop).
    """
    vehicles, legs, sites = day.vehicles, day.legs, day.sites
    arrived, fleet = day.arrived, vehicles.fleet
    status, leg, leg_end = vehicles.status, vehicles.leg, vehicles.leg_end
    wait_until_s, detour_target = vehicles.wait_until_s, vehicles.detour_target
    dispatchable, charge_site = vehicles.dispatchable, vehicles.charge_site
    leg_target, leg_depart_s, session_row = legs.leg_target, legs.leg_depart_s, sites.session_row
    n, n_legs = status.shape[0], leg_target.shape[0]
    if n_ticks <= 0:
        return KERNEL_OK, 0
    n_zones = day.dispatch.zone_lb_s.shape[1]
    if not _carry_fits(carry, n, n_zones):
        return KERNEL_BAD_STATE, 0
    cnt = carry.cnt
    continues = cnt[_CONTINUES] == 1
    n_recent, cur = cnt[_N_RECENT], cnt[_CUR]
    cnt[:] = 0  # _CONTINUES is set again by a clean end only
    if continues:  # last call's last tick is this call's previous tick
        cnt[_N_RECENT] = n_recent
        cnt[_CUR] = cur
    else:
        cnt[_FRESH] = 1
    hours = np.empty(n_ticks, np.int64)
    for k in range(n_ticks):
        hours[k] = int((t0_s + k * dt_s) // SECONDS_PER_HOUR) % 24
    hour_end = np.empty(n_ticks, np.int64)  # first tick of the next hour (or n_ticks)
    hour_end[n_ticks - 1] = n_ticks
    for k in range(n_ticks - 2, -1, -1):
        hour_end[k] = hour_end[k + 1] if hours[k + 1] == hours[k] else k + 1
    # the calendar (rebuilt every call from the materialised state) and the marks (ticks
    # count from 0 in every call); a moving vehicle not touched since: its arrays hold
    # its state at the start of tick lazy_base[v], fut_i/fut_f its state at the start of
    # tick fut_tick[v] (its next event)
    head = np.full(n_ticks, -1, np.int64)
    wake, nxt, prv = carry.wake, carry.nxt, carry.prv
    lazy_base, fut_tick = carry.lazy_base, carry.fut_tick
    tmark, cmark, jmark = carry.tmark, carry.cmark, carry.jmark
    for a in (wake, nxt, prv, lazy_base, fut_tick, tmark, cmark, jmark):
        a[:] = -1
    cand, at_site = carry.cand, carry.at_site
    n_at_site = 0
    n_bg = 0
    for v in range(n):
        arrived[v] = ARRIVED_NONE
        if fleet[v] == BACKGROUND_FLEET_CODE and charge_site[v] >= 0 and session_row[v] < 0:
            n_bg += 1
    bg = np.empty(n_bg, np.int64)
    bg_wait = np.empty(n_bg, np.float64)
    i_bg = 0
    for v in range(n):
        if fleet[v] == BACKGROUND_FLEET_CODE and charge_site[v] >= 0 and session_row[v] < 0:
            bg[i_bg] = v
            bg_wait[i_bg] = wait_until_s[v]
            i_bg += 1
    # by arrival, ties in vehicle order (arrivals are finite: no NaN for sort_by_key)
    sort_by_key(bg_wait, bg, np.empty(n_bg, np.float64), np.empty(n_bg, np.int64))
    # a fresh call touches every moving vehicle in its first tick, a continuing call
    # drives them on (below); waiting vehicles are due when they act
    n_moving = np.int64(0)
    for v in range(n):
        if session_row[v] >= 0:
            at_site[n_at_site] = v
            n_at_site += 1
        st = status[v]
        if st == STATUS_MOVING and continues:
            cand[n_moving] = v
            n_moving += 1
        elif st == STATUS_MOVING:
            _link(v, np.int64(0), wake, head, nxt, prv)
        elif st in (STATUS_DWELL, STATUS_IDLE, STATUS_OFF) and detour_target[v] < 0:
            j = _waiting_wake(st, leg[v], leg_end[v], dispatchable[v], n_legs,
                              wait_until_s[v], leg_depart_s, np.int64(0), n_ticks, t0_s, dt_s)
            if j < n_ticks:
                _link(v, j, wake, head, nxt, prv)
    cnt[_N_AT_SITE] = n_at_site
    w = EventWork(hours, hour_end, head, wake, nxt, prv, lazy_base, fut_tick, carry.fut_i,
                  carry.fut_f, carry.lists, tmark, cand, cmark, carry.joiners, jmark, at_site,
                  bg, cnt)
    if n_moving > 0:  # from tick 0, as if the last call had gone on
        _schedule(np.int64(0), n_ticks, t0_s, dt_s, day, w, cand, n_moving)
    idle = carry.idle
    if not continues:
        _fill_idle(vehicles, day.dispatch.node_zone, day.taxi_rows, idle)
    for k in range(n_ticks):
        t = t0_s + k * dt_s
        code = _wake_due(k, day, w)
        k_to = -1
        c_open = 0
        if code == KERNEL_OK:  # the tick loop's dispatch over the idle lists: every
            # vehicle that changed since the last tick's dispatch is in last tick's list
            c_open = day.dispatch.cursor[CURSOR_OPEN]
            code = _dispatch_idle(
                day.vehicles, day.legs, day.net.target_time_s, day.dispatch, day.taxi, t,
                idle, w.lists[1 - cnt[_CUR]], cnt[_N_RECENT],
            )
            k_to = k
        if code == KERNEL_OK:
            code, k_to = _decide(k, t, dt_s, c_open, day, w)
        if code == KERNEL_OK:
            code = _move_touched(k, t, dt_s, day, w)
            k_to = k + 1
        if code == KERNEL_OK:
            code, k_to = _charge_schedule(k, t, n_ticks, t0_s, dt_s, day, w)
        if code == KERNEL_OK:  # what changed this tick, on the calendar from the next
            _schedule(k + 1, n_ticks, t0_s, dt_s, day, w, w.lists[1 - cnt[_CUR]],
                      cnt[_N_RECENT])
        if code != KERNEL_OK:
            if k_to >= 0:
                _materialise_all(k_to, dt_s, day, w)
            return code, k
    code = _materialise_all(n_ticks, dt_s, day, w)
    if code == KERNEL_OK:
        cnt[_CONTINUES] = 1
    return code, n_ticks
