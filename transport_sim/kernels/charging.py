"""Numba kernels for charger sites: FIFO plug queues, charging power with taper, decisions.

This module is longer than the package's 800-line limit on purpose: the decision kernel,
the plug-queue kernel and the queue replay used by charger sizing share inlined helpers
(taper, site choice, queue bookkeeping) that Numba compiles and caches together; split
over modules, a helper edit would leave a caller's cache stale.  The kernels take typed
bundles (:mod:`transport_sim.kernels.bundles`) instead of up to 44 positional arrays.

Two kernels run in every tick ``[t_s, t_s + dt_s)`` of the model (dispatch -> charging
decisions -> movement -> charging):

:func:`_charging_decisions` (before movement)
    BEVs whose state of charge (SOC) is low pick a charger site.  A vehicle already
    standing at an access node of the chosen site joins that site's queue at once
    (status ``STATUS_QUEUED``, ``queue_enter_s = t_s``; the movement kernel leaves queued
    and charging vehicles alone); any other vehicle gets ``detour_target``/``charge_site``
    and ``STATUS_MOVING``, and the movement kernel drives it there.
:func:`_charging_tick` (after movement)
    Vehicles that reached their charger (``arrived == 2``), vehicles queued by the
    decision kernel and background customers (private EV cars) whose arrival time falls
    in the tick join their site's FIFO queue; free plugs take the head of the queue;
    plugged vehicles charge; finished vehicles release their plug.

Discretisation
--------------
Queues and plugs are simulated *event-exactly inside each tick*: a customer that arrives
at time ``a`` in the tick and finds a free plug starts at ``a``; a plug that frees at
time ``e`` inside the tick is taken at ``max(e, a_head)`` by the head of the queue, so a
plug can serve several short sessions in one tick.  Waits, session starts and ends and
the queue/busy integrals are therefore independent of the tick length (up to rounding);
the only tick effect is that a vehicle leaves the site at the start of the tick after it
finished (its ``wait_until_s`` is the exact end time, the movement kernel moves it on the
next tick), and that vehicles arrive at tick resolution of the movement kernel.

Charging power and taper (CC-CV approximation)
-----------------------------------------------
A plugged vehicle draws ``P = min(site_power_kw, max_charge_kw) * f(soc/battery)`` from
the grid, where the taper factor ``f`` is 1 up to ``taper_start_soc`` and falls linearly
to ``taper_floor`` at SOC 1.  The battery gains ``charger_efficiency * P`` per hour.
Within the taper region ``d soc/dt`` is linear in ``soc``, so the SOC follows an
exponential in time; both phases are integrated in closed form, so the result does not
depend on the tick length.  Grid energy is defined as ``battery gain / efficiency`` for
every interval, hence ``sum(grid_kwh) * efficiency == sum(SOC gained)`` up to rounding.
A vehicle leaves the plug when its SOC reaches ``charge_to_soc * battery_kwh`` (the SOC is
set to exactly that value and never exceeds it).

Arrays owned by the charging layer live in :class:`ChargingState`; per-vehicle arrays
come from :class:`~transport_sim.kernels.state.FleetState`.  Kernels never raise and never draw
random numbers; they return :mod:`transport_sim.codes` status codes and the Python
wrappers (:func:`charging_tick`, :func:`charging_decisions`) raise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Final

import numpy as np
from numba import njit

from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    FLEETS,
    KERNEL_BAD_STATE,
    KERNEL_OK,
    KERNEL_QUEUE_OVERFLOW,
    KERNEL_STATUS_NAMES,
    ROAD_CLASSES,
    SITE_KINDS,
    STATUS_CHARGING,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_OFF,
    STATUS_QUEUED,
)
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import (
    COMPILED_ONLY,
    PYTHON_ENTRY,
    ChargeLogBundle,
    ChargeParams,
    FleetBundle,
    LegBundle,
    NetBundle,
    SiteBundle,
    SiteTableBundle,
    SpecBundle,
    charge_log_bundle,
    fleet_bundle,
    leg_bundle,
    net_bundle,
    site_bundle,
    site_table_bundle,
    spec_bundle,
)
from transport_sim.kernels.nexthop import next_hop
from transport_sim.kernels.state import LEG_CHARGE_OK, LEG_LAYOVER, LEG_OFF_NETWORK
from transport_sim.units import HOURS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from transport_sim.kernels.state import FleetState, KernelGraph, SpecTable, Targets

FLEET_BUS: Final = FLEETS.index("bus")
FLEET_TAXI: Final = FLEETS.index("taxi")
FLEET_TRUCK: Final = FLEETS.index("truck")
FLEET_SHIP: Final = FLEETS.index("ship")
KIND_DEPOT: Final = SITE_KINDS.index("depot")
KIND_URBAN: Final = SITE_KINDS.index("urban")
KIND_SERVICE_AREA: Final = SITE_KINDS.index("service_area")
KIND_PORT: Final = SITE_KINDS.index("port")
N_SITE_KINDS: Final = len(SITE_KINDS)
ROAD_EXPRESSWAY: Final = ROAD_CLASSES.index("expressway")

#: Taper factor at SOC 1 (share of full power); linear from ``taper_start_soc``.
TAPER_FLOOR: Final = 0.1
#: Trucks keep this share of the battery in reserve when judging whether they reach
#: their leg target without charging (estimate).
TRUCK_RESERVE_SOC: Final = 0.10
#: A truck that would reach its target only by charging stops for it only when it is at
#: least this share of the battery below ``charge_to_soc`` (no tiny top-ups).
TRUCK_MIN_GAIN_SOC: Final = 0.05
#: Typical plug time used to turn a queue into an expected wait when choosing a hub, s
#: (estimate: a 30-40 kWh top-up at 60-120 kW).
EXPECTED_SESSION_S: Final = 1800.0
#: A remaining need below this is treated as "target reached" (rounding guard).
DONE_EPS_KWH: Final = 1e-9
#: ``arrived[v]`` value the movement kernel writes when a vehicle reaches its detour target.
ARRIVED_AT_DETOUR: Final = 2
#: Trucks look at most this many edges ahead for a service area (loop guard).
_MAX_LOOKAHEAD_EDGES: Final = 256
#: Per fleet code (bus, taxi, truck, ship): the leg flags that end the look-ahead of
#: :func:`_need_to_next_stop_kwh` (buses: the next layover or charging terminal; trucks:
#: every leg; ships: the next port with chargers).  Indexed with the vehicle's fleet code
#: at run time, so that the helper compiles once (a literal argument compiles a copy).
_STOP_FLAGS_BY_FLEET: Final = tuple(
    {FLEET_BUS: LEG_LAYOVER | LEG_CHARGE_OK, FLEET_SHIP: LEG_CHARGE_OK}.get(f, 0xFF)
    for f in range(len(FLEETS))
)


# --------------------------------------------------------------------------------------
# state owned by the charging layer
# --------------------------------------------------------------------------------------
@dataclass
class ChargingState:
    """Arrays of the charger sites, their plugs, queues, day counters and session log.

    One row per site (``n_sites``), per plug (``n_plugs``, the plugs of site ``s`` are
    ``site_plug_begin[s]:site_plug_begin[s+1]``), per vehicle (``session_row``) and per
    session-log row (``log_*``, ``log_count[0]`` rows used).  The FIFO of site ``s`` is
    the linked list ``site_queue_head[s] -> FleetState.queue_next[v] -> ...``, kept
    sorted by ``queue_enter_s`` (ties: joining order).

    Attributes
    ----------
    site_power_kw : float64[n_sites]
        Power per plug (kW).
    site_plug_begin : int32[n_sites + 1]
        Offsets of each site's plugs.
    plug_vehicle : int32[n_plugs]
        Vehicle on each plug, -1 when free.
    plug_free_s : float64[n_plugs]
        Scratch: time at which each plug is free during the current tick.
    site_busy, site_queue_head, site_queue_tail, site_queue_len : int32[n_sites]
        Plugs in use, FIFO head/tail vehicle (-1 when empty), queue length.
    site_sessions : int32[n_sites]
        Sessions started today.
    site_energy_kwh : float64[n_sites]
        Grid energy delivered today (kWh, including charger losses).
    site_wait_s : float64[n_sites]
        Sum of the waits of the sessions started today (s).
    site_busy_s : float64[n_sites]
        Busy plug-seconds today.
    site_max_queue : int32[n_sites]
        Longest queue today (vehicles waiting, exact in continuous time).
    site_hourly_queue_s, site_hourly_busy_s : float64[n_sites, 24]
        Integral of the queue length (vehicle-seconds) and of the busy plugs
        (plug-seconds) per hour of day; divide by 3600 for the hourly means.
    session_row : int32[n_vehicles]
        Log row of the vehicle's open session (queued or charging), -1 otherwise.
    log_site, log_vehicle : int32[log_capacity]
    log_arrive_s, log_start_s, log_end_s : float64[log_capacity]
        Arrival at the site, plug-in and plug-out times (s since midnight; NaN while
        unknown: still queued, still charging).
    log_energy_kwh : float64[log_capacity]
        Grid energy of the session so far (kWh).
    log_count : int64[1]
        Rows used.
    """

    site_power_kw: np.ndarray
    site_plug_begin: np.ndarray
    plug_vehicle: np.ndarray
    plug_free_s: np.ndarray
    site_busy: np.ndarray
    site_queue_head: np.ndarray
    site_queue_tail: np.ndarray
    site_queue_len: np.ndarray
    site_sessions: np.ndarray
    site_energy_kwh: np.ndarray
    site_wait_s: np.ndarray
    site_busy_s: np.ndarray
    site_max_queue: np.ndarray
    site_hourly_queue_s: np.ndarray
    site_hourly_busy_s: np.ndarray
    session_row: np.ndarray
    log_site: np.ndarray
    log_vehicle: np.ndarray
    log_arrive_s: np.ndarray
    log_start_s: np.ndarray
    log_end_s: np.ndarray
    log_energy_kwh: np.ndarray
    log_count: np.ndarray

    @classmethod
    def allocate(
        cls,
        site_plugs: np.ndarray,
        site_power_kw: np.ndarray,
        n_vehicles: int,
        log_capacity: int = 4096,
    ) -> ChargingState:
        """Return an empty state (no queue, no plug in use, zero counters).

        Parameters
        ----------
        site_plugs
            Plugs per site (>= 1 each).
        site_power_kw
            Power per plug of each site, kW (> 0).
        n_vehicles
            Rows of the :class:`~transport_sim.kernels.state.FleetState` (incl. background cars).
        log_capacity
            Initial session-log rows; :func:`charging_tick` grows the log when needed.

        Raises
        ------
        ValueError
            On mismatched lengths, a site without plugs or a non-positive power.
        """
        plugs = np.asarray(site_plugs, np.int64)
        power = np.asarray(site_power_kw, np.float64)
        if plugs.ndim != 1 or power.shape != plugs.shape:
            msg = "site_plugs and site_power_kw must be 1-D arrays of the same length"
            raise ValueError(msg)
        if plugs.size and (plugs.min() < 1 or not np.all(power > 0.0)):
            msg = "every charger site needs >= 1 plug and a power > 0 kW"
            raise ValueError(msg)
        n_sites = plugs.size
        begin = np.zeros(n_sites + 1, np.int32)
        begin[1:] = np.cumsum(plugs)
        n_plugs = int(begin[-1])
        cap = max(int(log_capacity), 1)
        return cls(
            site_power_kw=power.copy(),
            site_plug_begin=begin,
            plug_vehicle=np.full(n_plugs, -1, np.int32),
            plug_free_s=np.zeros(n_plugs, np.float64),
            site_busy=np.zeros(n_sites, np.int32),
            site_queue_head=np.full(n_sites, -1, np.int32),
            site_queue_tail=np.full(n_sites, -1, np.int32),
            site_queue_len=np.zeros(n_sites, np.int32),
            site_sessions=np.zeros(n_sites, np.int32),
            site_energy_kwh=np.zeros(n_sites, np.float64),
            site_wait_s=np.zeros(n_sites, np.float64),
            site_busy_s=np.zeros(n_sites, np.float64),
            site_max_queue=np.zeros(n_sites, np.int32),
            site_hourly_queue_s=np.zeros((n_sites, HOURS_PER_DAY), np.float64),
            site_hourly_busy_s=np.zeros((n_sites, HOURS_PER_DAY), np.float64),
            session_row=np.full(int(n_vehicles), -1, np.int32),
            log_site=np.full(cap, -1, np.int32),
            log_vehicle=np.full(cap, -1, np.int32),
            log_arrive_s=np.full(cap, np.nan, np.float64),
            log_start_s=np.full(cap, np.nan, np.float64),
            log_end_s=np.full(cap, np.nan, np.float64),
            log_energy_kwh=np.zeros(cap, np.float64),
            log_count=np.zeros(1, np.int64),
        )

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return int(self.site_power_kw.shape[0])

    @property
    def site_plugs(self) -> np.ndarray:
        """Plugs per site (int32[n_sites])."""
        return np.diff(self.site_plug_begin).astype(np.int32)

    @property
    def plugs(self) -> np.ndarray:
        """Alias of :attr:`site_plugs`."""
        return self.site_plugs

    @property
    def busy(self) -> np.ndarray:
        """Plugs in use now per site (view of ``site_busy``)."""
        return self.site_busy

    @property
    def queue_len(self) -> np.ndarray:
        """Vehicles waiting now per site (view of ``site_queue_len``)."""
        return self.site_queue_len

    @property
    def log_capacity(self) -> int:
        """Rows allocated in the session log."""
        return int(self.log_site.shape[0])

    @property
    def n_sessions_logged(self) -> int:
        """Rows used in the session log."""
        return int(self.log_count[0])

    def grow_log(self, min_capacity: int) -> None:
        """Enlarge the session log (at least doubling) to hold ``min_capacity`` rows."""
        new_cap = max(int(min_capacity), 2 * self.log_capacity)
        for name, fill in (
            ("log_site", -1),
            ("log_vehicle", -1),
            ("log_arrive_s", np.nan),
            ("log_start_s", np.nan),
            ("log_end_s", np.nan),
            ("log_energy_kwh", 0.0),
        ):
            old = getattr(self, name)
            new = np.full(new_cap, fill, old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)

    def reset_day(self) -> None:
        """Empty queues and plugs and zero the day counters and the log (start of a day).

        The caller resets the per-vehicle charging fields of the FleetState.
        """
        self.plug_vehicle[:] = -1
        self.plug_free_s[:] = 0.0
        for name in ("site_busy", "site_queue_len", "site_sessions", "site_max_queue"):
            getattr(self, name)[:] = 0
        self.site_queue_head[:] = -1
        self.site_queue_tail[:] = -1
        for name in (
            "site_energy_kwh",
            "site_wait_s",
            "site_busy_s",
            "site_hourly_queue_s",
            "site_hourly_busy_s",
            "log_energy_kwh",
        ):
            getattr(self, name)[...] = 0.0
        self.session_row[:] = -1
        self.log_site[:] = -1
        self.log_vehicle[:] = -1
        self.log_arrive_s[:] = np.nan
        self.log_start_s[:] = np.nan
        self.log_end_s[:] = np.nan
        self.log_count[0] = 0

    def copy(self) -> ChargingState:
        """Return a deep copy."""
        return ChargingState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


@dataclass(frozen=True)
class SiteTables:
    """Site lookup tables for the decision kernel (built by ``ChargerSites.tables``).

    Attributes
    ----------
    site_kind : int8[n_sites]
        Index into :data:`transport_sim.codes.SITE_KINDS`.
    site_target : int32[n_sites]
        Target index of the site's main access node (the taxi detour goal).
    site_mcs_site : int32[n_sites]
        Companion site holding the megawatt (MCS) plugs of a service area, or -1.
        Trucks use it instead of the fast plugs when it exists.
    site_at_node : int32[n_site_kinds, n_nodes]
        Site of each kind whose access node is the graph node, or -1 (MCS companions
        never appear here).
    target_at_node : int32[n_nodes]
        Target index of each access node, or -1.
    """

    site_kind: np.ndarray
    site_target: np.ndarray
    site_mcs_site: np.ndarray
    site_at_node: np.ndarray
    target_at_node: np.ndarray


# --------------------------------------------------------------------------------------
# small compiled helpers
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _charge_interval(  # noqa: PLR0911
    soc_kwh: float,
    target_kwh: float,
    battery_kwh: float,
    power_kw: float,
    efficiency: float,
    taper_start_soc: float,
    taper_floor: float,
    duration_s: float,
) -> tuple[float, float, bool]:
    """Charge for at most ``duration_s`` seconds (closed form, CC-CV approximation).

    Returns
    -------
    (soc_kwh, used_s, reached)
        The new SOC (never above ``target_kwh``; never below the old SOC), the seconds
        used (``< duration_s`` only when the target was reached earlier) and whether the
        target was reached.
    """
    if target_kwh - soc_kwh <= DONE_EPS_KWH:
        return max(soc_kwh, min(target_kwh, soc_kwh)), 0.0, True
    rate = power_kw * efficiency / SECONDS_PER_HOUR  # kWh of battery per second, full power
    x0 = taper_start_soc * battery_kwh
    used = 0.0
    soc = soc_kwh
    # constant-power phase, up to the taper start (or the target)
    if soc < x0:
        end1 = min(target_kwh, x0)
        t1 = (end1 - soc) / rate
        if t1 > duration_s:
            return min(soc + rate * duration_s, end1), duration_s, False
        used = t1
        soc = end1
        if end1 >= target_kwh:
            return target_kwh, used, True
    # taper phase: f = 1 - k (soc - x0), d soc/dt = rate f  ->  f(t) = f0 exp(-k rate t)
    k = (1.0 - taper_floor) / ((1.0 - taper_start_soc) * battery_kwh)
    rem = duration_s - used
    if k <= 0.0:  # no taper (floor 1): constant power
        t2 = (target_kwh - soc) / rate
        if t2 <= rem:
            return target_kwh, used + t2, True
        return min(soc + rate * rem, target_kwh), duration_s, False
    # the power factor never falls below the floor for a SOC within the battery; clamp it
    # so that rounding (a taper start a hair below 1) cannot make it zero or negative
    f0 = max(1.0 - k * (soc - x0), taper_floor)
    f_target = max(1.0 - k * (target_kwh - x0), taper_floor)
    # log1p/expm1, not log(f0 / f_target) and 1 - f_end: with a floor a hair below 1 the
    # factors differ from 1 by less than rounding and the SOC would jump or stall
    t2 = math.log1p(k * (target_kwh - soc) / f_target) / (k * rate)
    if t2 <= rem:
        return target_kwh, used + t2, True
    return min(soc - f0 * math.expm1(-k * rate * rem) / k, target_kwh), duration_s, False


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _add_hourly(hourly_s: np.ndarray, site: int, a_s: float, b_s: float) -> None:
    """Add the interval ``[a_s, b_s)`` to the hour-of-day bins of ``hourly_s[site]``."""
    t = a_s
    h = math.floor(a_s / SECONDS_PER_HOUR)
    while t < b_s:
        seg_end = min(b_s, (h + 1) * SECONDS_PER_HOUR)
        if seg_end > t:
            hourly_s[site, int(h) % HOURS_PER_DAY] += seg_end - t
            t = seg_end
        h += 1


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _enqueue(
    v: int,
    site: int,
    arrive_s: float,
    vehicles: FleetBundle,
    sites: SiteBundle,
    log: ChargeLogBundle,
) -> None:
    """Insert vehicle ``v`` into the FIFO of ``site`` (sorted by arrival) and log it.

    The caller has checked that the log has a free row.
    """
    status, queue_next = vehicles.status, vehicles.queue_next
    queue_enter_s = vehicles.queue_enter_s
    site_queue_head, site_queue_tail = sites.site_queue_head, sites.site_queue_tail
    site_queue_len, session_row = sites.site_queue_len, sites.session_row
    log_site, log_vehicle, log_arrive_s = log.log_site, log.log_vehicle, log.log_arrive_s
    log_start_s, log_end_s, log_energy_kwh = log.log_start_s, log.log_end_s, log.log_energy_kwh
    log_count = log.log_count
    status[v] = STATUS_QUEUED
    queue_enter_s[v] = arrive_s
    queue_next[v] = -1
    tail = site_queue_tail[site]
    if tail < 0:
        site_queue_head[site] = v
        site_queue_tail[site] = v
    elif queue_enter_s[tail] <= arrive_s:
        queue_next[tail] = v
        site_queue_tail[site] = v
    else:  # arrived earlier than the tail: walk from the head (stable for ties)
        prev = -1
        cur = site_queue_head[site]
        while cur >= 0 and queue_enter_s[cur] <= arrive_s:
            prev = cur
            cur = queue_next[cur]
        queue_next[v] = cur
        if prev < 0:
            site_queue_head[site] = v
        else:
            queue_next[prev] = v
    site_queue_len[site] += 1
    row = log_count[0]
    log_count[0] = row + 1
    session_row[v] = row
    log_site[row] = site
    log_vehicle[row] = v
    log_arrive_s[row] = arrive_s
    log_start_s[row] = np.nan
    log_end_s[row] = np.nan
    log_energy_kwh[row] = 0.0


@njit(cache=True, nogil=True, inline="always")
def _charge_on_plug(
    v: int,
    s: int,
    p: int,
    start_s: float,
    duration_s: float,
    power_kw: float,
    vehicles: FleetBundle,
    sites: SiteBundle,
    log: ChargeLogBundle,
    charge: ChargeParams,
) -> None:
    """Charge ``v`` on plug ``p`` of site ``s`` from ``start_s`` for at most ``duration_s``.

    Books the energy (vehicle, site, session log) and the busy plug-seconds.  When the
    vehicle reaches ``charge_to_soc`` its session ends (:func:`_finish`) and the plug is
    free from that moment (``plug_free_s``); otherwise the plug stays taken (``inf``).
    Inlined into its two call sites (a separate function compiled slower).
    """
    battery_kwh, soc_kwh = vehicles.battery_kwh, vehicles.soc_kwh
    charged_kwh, grid_kwh = vehicles.charged_kwh, vehicles.grid_kwh
    session_row, plug_vehicle = sites.session_row, sites.plug_vehicle
    plug_free_s = sites.plug_free_s
    charger_efficiency = charge.charger_efficiency
    target = charge.charge_to_soc * battery_kwh[v]
    new_soc, used, done = _charge_interval(
        soc_kwh[v],
        target,
        battery_kwh[v],
        power_kw,
        charger_efficiency,
        charge.taper_start_soc,
        charge.taper_floor,
        duration_s,
    )
    gain = max(new_soc - soc_kwh[v], 0.0)
    grid = gain / charger_efficiency
    soc_kwh[v] += gain
    charged_kwh[v] += gain
    grid_kwh[v] += grid
    sites.site_energy_kwh[s] += grid
    log.log_energy_kwh[session_row[v]] += grid
    sites.site_busy_s[s] += used
    _add_hourly(sites.site_hourly_busy_s, s, start_s, start_s + used)
    if done:
        e = start_s + used
        _finish(
            v,
            e,
            vehicles.fleet,
            vehicles.status,
            vehicles.wait_until_s,
            vehicles.detour_target,
            vehicles.charge_site,
            session_row,
            log.log_end_s,
        )
        plug_vehicle[p] = -1
        sites.site_busy[s] -= 1
        plug_free_s[p] = e
    else:
        plug_free_s[p] = np.inf


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _advance_sites(  # noqa: PLR0912
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    sites: SiteBundle,
    log: ChargeLogBundle,
    charge: ChargeParams,
) -> int:
    """Charge plugged vehicles and serve the queues of every site for one tick.

    Event-exact inside the tick: a plug freed at ``e`` is taken at ``max(e, arrival)``
    by the head of the queue (the plug that frees first; ties: lowest plug index).
    """
    status, battery_kwh = vehicles.status, vehicles.battery_kwh
    max_charge_kw, queue_next = vehicles.max_charge_kw, vehicles.queue_next
    queue_enter_s, wait_s = vehicles.queue_enter_s, vehicles.wait_s
    site_power_kw, site_plug_begin = sites.site_power_kw, sites.site_plug_begin
    plug_vehicle, plug_free_s, site_busy = sites.plug_vehicle, sites.plug_free_s, sites.site_busy
    site_queue_head, site_queue_tail = sites.site_queue_head, sites.site_queue_tail
    site_queue_len, site_sessions = sites.site_queue_len, sites.site_sessions
    site_wait_s, site_max_queue = sites.site_wait_s, sites.site_max_queue
    site_hourly_queue_s, session_row = sites.site_hourly_queue_s, sites.session_row
    log_start_s = log.log_start_s
    t_end = t_s + dt_s
    n_sites = site_power_kw.shape[0]
    for s in range(n_sites):
        p_begin = site_plug_begin[s]
        p_end = site_plug_begin[s + 1]
        if site_busy[s] == 0 and site_queue_len[s] == 0:
            continue
        # 1. vehicles already on a plug charge from t_s
        for p in range(p_begin, p_end):
            v = plug_vehicle[p]
            if v < 0:
                plug_free_s[p] = t_s
                continue
            power = min(site_power_kw[s], max_charge_kw[v])
            _charge_on_plug(v, s, p, t_s, dt_s, power, vehicles, sites, log, charge)
        # 2. serve the queue, in time order
        while site_queue_head[s] >= 0:
            best = -1
            best_t = np.inf
            for p in range(p_begin, p_end):
                if plug_free_s[p] < best_t:
                    best_t = plug_free_s[p]
                    best = p
            if best < 0 or best_t >= t_end:
                break
            v = site_queue_head[s]
            enter = queue_enter_s[v]
            start = max(best_t, enter)
            if start >= t_end:
                break
            # queue length just before `start` (it only grew since the previous start)
            n_waiting = 0
            u = v
            while u >= 0 and queue_enter_s[u] < start:
                n_waiting += 1
                u = queue_next[u]
            site_max_queue[s] = max(site_max_queue[s], n_waiting)
            # pop the head
            site_queue_head[s] = queue_next[v]
            if queue_next[v] < 0:
                site_queue_tail[s] = -1
            queue_next[v] = -1
            site_queue_len[s] -= 1
            _add_hourly(site_hourly_queue_s, s, max(enter, t_s), start)
            wait = start - enter
            wait_s[v] += wait
            site_wait_s[s] += wait
            site_sessions[s] += 1
            log_start_s[session_row[v]] = start
            plug_vehicle[best] = v
            site_busy[s] += 1
            status[v] = STATUS_CHARGING
            power = min(site_power_kw[s], max_charge_kw[v])
            if not (power > 0.0) or not (battery_kwh[v] > 0.0):
                return KERNEL_BAD_STATE
            _charge_on_plug(v, s, best, start, t_end - start, power, vehicles, sites, log, charge)
        # 3. whoever still waits: queue integral to the end of the tick, max queue
        u = site_queue_head[s]
        while u >= 0:
            _add_hourly(site_hourly_queue_s, s, max(queue_enter_s[u], t_s), t_end)
            u = queue_next[u]
        site_max_queue[s] = max(site_max_queue[s], site_queue_len[s])
    return KERNEL_OK


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _finish(
    v: int,
    end_s: float,
    fleet: np.ndarray,
    status: np.ndarray,
    wait_until_s: np.ndarray,
    detour_target: np.ndarray,
    charge_site: np.ndarray,
    session_row: np.ndarray,
    log_end_s: np.ndarray,
) -> None:
    """End the session of ``v`` at ``end_s``: dwell (or done, background cars)."""
    log_end_s[session_row[v]] = end_s
    session_row[v] = -1
    charge_site[v] = -1
    detour_target[v] = -1
    wait_until_s[v] = max(wait_until_s[v], end_s)
    if fleet[v] == BACKGROUND_FLEET_CODE:
        status[v] = STATUS_DONE
    else:
        status[v] = STATUS_DWELL


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _waiting_car(st: int) -> bool:
    """Return True for the statuses of a background car that has not queued yet.

    ``STATUS_OFF``, or ``STATUS_DONE`` as set by the movement kernel (a row without legs
    whose ``wait_until_s`` passed).  The caller also requires ``charge_site >= 0`` and
    ``session_row < 0``, which tells it from a car that has charged (``charge_site -1``).
    """
    return st in (STATUS_OFF, STATUS_DONE)


# --------------------------------------------------------------------------------------
# kernel A: one charging tick
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _charging_tick(
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    arrived: np.ndarray,
    sites: SiteBundle,
    log: ChargeLogBundle,
    charge: ChargeParams,
) -> int:
    """Run the charger sites for the tick ``[t_s, t_s + dt_s)``.

    Joins the queue (arrival time in brackets): vehicles with ``arrived[v] == 2`` and
    ``charge_site[v] >= 0`` (``wait_until_s``); vehicles put in ``STATUS_QUEUED`` by the
    decision kernel (``queue_enter_s``); background cars (``fleet == BACKGROUND_FLEET_CODE``,
    ``STATUS_OFF`` or ``STATUS_DONE``, ``charge_site >= 0``, not queued yet) with
    ``wait_until_s < t_s + dt_s`` (``wait_until_s``).  Then :func:`_advance_sites`.

    Returns ``KERNEL_QUEUE_OVERFLOW`` *before changing anything* when the session log has
    no room for this tick's arrivals (grow the log and call again), ``KERNEL_BAD_STATE``
    for a site index out of range or a vehicle that cannot charge (no battery, 0 kW).
    The bundles' fields are unpacked at the top under the names used here; the charge
    parameters used are ``charge_to_soc``, ``taper_start_soc``, ``taper_floor`` and
    ``charger_efficiency``.
    """
    fleet, status, wait_until_s = vehicles.fleet, vehicles.status, vehicles.wait_until_s
    charge_site, queue_enter_s = vehicles.charge_site, vehicles.queue_enter_s
    site_power_kw, session_row = sites.site_power_kw, sites.session_row
    log_site, log_count = log.log_site, log.log_count
    n = status.shape[0]
    n_sites = site_power_kw.shape[0]
    t_end = t_s + dt_s
    # pass 1: count joiners, check the log has room (no state changed yet)
    n_join = 0
    for v in range(n):
        s = charge_site[v]
        if s < 0 or session_row[v] >= 0:
            continue
        if (
            arrived[v] == ARRIVED_AT_DETOUR
            or status[v] == STATUS_QUEUED
            or (
                fleet[v] == BACKGROUND_FLEET_CODE
                and _waiting_car(status[v])
                and wait_until_s[v] < t_end
            )
        ):
            if s >= n_sites:
                return KERNEL_BAD_STATE
            n_join += 1
    if log_count[0] + n_join > log_site.shape[0]:
        return KERNEL_QUEUE_OVERFLOW
    # pass 2: join the queues
    if n_join > 0:
        for v in range(n):
            s = charge_site[v]
            if s < 0 or session_row[v] >= 0:
                continue
            if arrived[v] == ARRIVED_AT_DETOUR:
                arrive = wait_until_s[v]
            elif status[v] == STATUS_QUEUED:
                arrive = queue_enter_s[v]
            elif (
                fleet[v] == BACKGROUND_FLEET_CODE
                and _waiting_car(status[v])
                and wait_until_s[v] < t_end
            ):
                arrive = wait_until_s[v]
            else:
                continue
            _enqueue(v, s, arrive, vehicles, sites, log)
    return _advance_sites(t_s, dt_s, vehicles, sites, log, charge)


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def _queue_run(
    t0_s: float,
    dt_s: float,
    t_limit_s: float,
    order: np.ndarray,
    vehicles: FleetBundle,
    sites: SiteBundle,
    log: ChargeLogBundle,
    charge: ChargeParams,
) -> tuple[int, float]:
    """Tick from ``t0_s`` until every customer is served (queue-only runs).

    Customers are background rows whose arrival time is ``wait_until_s`` and site
    ``charge_site``; ``order`` lists them by arrival time.  Instead of scanning every row
    each tick (as :func:`_charging_tick` does) the driver walks ``order``, then calls the
    same :func:`_enqueue` and :func:`_advance_sites`.  Returns (status, end time);
    ``KERNEL_BAD_STATE`` if customers remain at ``t_limit_s``.
    """
    wait_until_s, charge_site = vehicles.wait_until_s, vehicles.charge_site
    site_power_kw, site_busy = sites.site_power_kw, sites.site_busy
    site_queue_len = sites.site_queue_len
    log_site, log_count = log.log_site, log.log_count
    n = order.shape[0]
    n_sites = site_power_kw.shape[0]
    i = 0
    t = t0_s
    while True:
        t_end = t + dt_s
        while i < n and wait_until_s[order[i]] < t_end:
            v = order[i]
            if log_count[0] >= log_site.shape[0]:
                return KERNEL_QUEUE_OVERFLOW, t
            _enqueue(v, charge_site[v], wait_until_s[v], vehicles, sites, log)
            i += 1
        code = _advance_sites(t, dt_s, vehicles, sites, log, charge)
        if code != KERNEL_OK:
            return code, t
        t = t_end
        if i >= n:
            idle = True
            for s in range(n_sites):
                if site_busy[s] > 0 or site_queue_len[s] > 0:
                    idle = False
                    break
            if idle:
                return KERNEL_OK, t
        if t >= t_limit_s:
            return KERNEL_BAD_STATE, t


# --------------------------------------------------------------------------------------
# kernel B: charging decisions
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def _join_or_detour(
    v: int,
    site: int,
    goal_target: int,
    at_site: bool,
    t_s: float,
    status: np.ndarray,
    detour_target: np.ndarray,
    charge_site: np.ndarray,
    queue_enter_s: np.ndarray,
) -> None:
    """Send ``v`` to ``site``: join its queue now when standing there, else drive there."""
    charge_site[v] = site
    detour_target[v] = goal_target
    if at_site:
        status[v] = STATUS_QUEUED
        queue_enter_s[v] = t_s
    else:
        status[v] = STATUS_MOVING


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _truck_site_ahead(
    v: int,
    dt_s: float,
    node: np.ndarray,
    edge: np.ndarray,
    pos_m: np.ndarray,
    max_speed_mps: np.ndarray,
    leg_target_k: int,
    edge_head: np.ndarray,
    edge_length_m: np.ndarray,
    next_edge: np.ndarray,
    site_at_node: np.ndarray,
) -> int:
    """Return the first service-area access node the truck can pass this tick, or -1.

    Walks the truck's path toward target ``leg_target_k`` from the head of its edge (or
    the node it stands at) while the distance from its position is at most
    ``max_speed_mps x dt_s`` (the most it can drive in one tick), so that no service
    area is skipped between two decisions, whatever the edge lengths.
    """
    e = edge[v]
    reach_m = max_speed_mps[v] * dt_s
    if e >= 0:
        u = edge_head[e]
        dist_m = edge_length_m[e] - pos_m[v]
    else:
        u = node[v]
        dist_m = 0.0
    for _ in range(_MAX_LOOKAHEAD_EDGES):
        if dist_m > reach_m:
            return -1
        if site_at_node[KIND_SERVICE_AREA, u] >= 0:
            return u
        nxt = next_hop(next_edge, leg_target_k, u)
        if nxt < 0:
            return -1
        dist_m += edge_length_m[nxt]
        u = edge_head[nxt]
    return -1


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _max_kwh_per_m(spec_kwh_per_m: np.ndarray, sp: int) -> float:
    """Highest energy per metre of spec ``sp`` over the road classes, kWh/m."""
    best = 0.0
    for c in range(spec_kwh_per_m.shape[1]):
        best = max(best, spec_kwh_per_m[sp, c])
    return best


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _best_reachable_site(
    u: int,
    with_service_areas: bool,
    soc_kwh: float,
    kwh_per_m: float,
    site_kind: np.ndarray,
    site_target: np.ndarray,
    site_mcs_site: np.ndarray,
    site_at_node: np.ndarray,
    target_node: np.ndarray,
    target_dist_m: np.ndarray,
    target_time_s: np.ndarray,
    site_plug_begin: np.ndarray,
    site_busy: np.ndarray,
    site_queue_len: np.ndarray,
    plan_margin: float,
) -> int:
    """Urban hub (or, with ``with_service_areas``, service area) a vehicle at ``u`` goes to.

    The site with the least drive + expected wait (expected wait = vehicles ahead beyond
    the free plugs x ``EXPECTED_SESSION_S`` / plugs, what a driver's app shows) among those
    the vehicle reaches with its charge (shortest path x ``kwh_per_m`` x ``plan_margin``
    <= ``soc_kwh``): a long queue at the nearest hub sends it to the next reachable one.
    When none is in reach, the least drive + wait of all (it may strand on the way: no
    charger in range).  A service area with a megawatt companion returns the companion.
    First site on ties; -1 when there is no site.
    """
    best = -1
    best_t = np.inf
    best_any = -1
    best_any_t = np.inf
    for s in range(site_kind.shape[0]):
        kind = site_kind[s]
        if site_target[s] < 0:
            continue
        if not (kind == KIND_URBAN or (with_service_areas and kind == KIND_SERVICE_AREA)):
            continue
        k = site_target[s]
        if site_at_node[kind, target_node[k]] != s:
            continue  # a megawatt companion: reached through its service area
        plugs = site_plug_begin[s + 1] - site_plug_begin[s]
        ahead = site_queue_len[s] + site_busy[s] - plugs + 1
        wait = ahead * EXPECTED_SESSION_S / plugs if ahead > 0 and plugs > 0 else 0.0
        tt = target_time_s[k, u] + wait
        if tt < best_any_t:
            best_any_t = tt
            best_any = s
        if target_dist_m[k, u] * kwh_per_m * plan_margin <= soc_kwh and tt < best_t:
            best_t = tt
            best = s
    if best < 0:
        best = best_any
    if best >= 0 and site_kind[best] == KIND_SERVICE_AREA and site_mcs_site[best] >= 0:
        best = site_mcs_site[best]
    return best


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _need_to_next_stop_kwh(
    v: int,
    u: int,
    leg: np.ndarray,
    leg_end: np.ndarray,
    leg_target: np.ndarray,
    leg_flags: np.ndarray,
    target_node: np.ndarray,
    target_dist_m: np.ndarray,
    kwh_per_m_max: float,
    flags_wanted: int,
    leg_payload_t: np.ndarray,
    kwh_per_m_per_t: float,
    plan_margin: float,
) -> float:
    """Return the energy (kWh) to drive the vehicle's next legs from node ``u``.

    Up to and including the first leg carrying one of ``flags_wanted`` (all legs when
    none does): the sum of the shortest paths between consecutive leg targets, each at
    the spec's highest (empty) kWh/m plus ``kwh_per_m_per_t`` x the leg's payload,
    times ``plan_margin``; ``inf`` when a leg is unreachable.
    """
    total_kwh = 0.0
    here = u
    for j in range(leg[v], leg_end[v]):
        k = leg_target[j]
        d = target_dist_m[k, here]
        if not d < np.inf:
            return np.inf
        total_kwh += d * (kwh_per_m_max + kwh_per_m_per_t * leg_payload_t[j])
        here = target_node[k]
        if leg_flags[j] & flags_wanted:
            break
    return total_kwh * plan_margin


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _next_stop_node(
    v: int,
    leg: np.ndarray,
    leg_end: np.ndarray,
    leg_target: np.ndarray,
    leg_flags: np.ndarray,
    target_node: np.ndarray,
    flags_wanted: int,
) -> int:
    """Node of the stop where :func:`_need_to_next_stop_kwh` ends (-1 without legs)."""
    out = -1
    for j in range(leg[v], leg_end[v]):
        out = target_node[leg_target[j]]
        if leg_flags[j] & flags_wanted:
            break
    return out


@njit(cache=True, nogil=True, inline="always")
def _nearest_charger_m(
    x: int,
    site_kind: np.ndarray,
    site_target: np.ndarray,
    target_dist_m: np.ndarray,
) -> float:
    """Shortest-path metres from node ``x`` to the nearest urban hub or service area."""
    best = np.inf
    for s in range(site_kind.shape[0]):
        if site_target[s] < 0 or site_kind[s] == KIND_DEPOT or site_kind[s] == KIND_PORT:
            continue  # trucks charge at urban hubs and service areas only
        best = min(best, target_dist_m[site_target[s], x])
    return best


@njit(cache=True, nogil=True, _nrt=False, **COMPILED_ONLY)
def _charging_decisions(  # noqa: PLR0912
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    legs: LegBundle,
    net: NetBundle,
    specs: SpecBundle,
    tables: SiteTableBundle,
    sites: SiteBundle,
    charge: ChargeParams,
    rows: np.ndarray,
) -> int:
    """Decide which BEVs go charging in the tick ``[t_s, t_s + dt_s)`` (before movement).

    Only the vehicle rows listed in ``rows`` (int64, the battery-electric rows of the
    day, in any order) are visited; vehicle rows are not grouped by powertrain.
    Energy estimates of trucks count the tonnes on board: the spec's kWh/m plus
    ``spec_kwh_per_m_per_t`` x ``leg_payload_t`` of the leg (loaded legs draw more).

    Only BEVs (``spec_is_bev``, battery > 0) with ``charge_site < 0`` and
    ``detour_target < 0`` decide; "low" means ``soc < charge_below_soc x battery``.
    A vehicle that stands at an access node of the chosen site joins its queue now
    (``STATUS_QUEUED``, ``queue_enter_s = t_s``); otherwise it gets ``detour_target`` and
    ``STATUS_MOVING`` and the movement kernel drives it there.  Both set ``charge_site``.

    * bus: ``STATUS_DWELL`` at a node, the leg just completed (``leg[v] - 1``) has
      ``LEG_LAYOVER`` or ``LEG_CHARGE_OK``, a depot site is at the node, and either low
      or the energy to the next layover (shortest path x the spec's highest kWh/m x
      ``plan_margin``, the scenario's ``charging.route_energy_margin``) would leave less
      than ``truck_reserve_soc`` of the battery while
      the SOC is at least ``truck_min_gain_soc`` below ``charge_to_soc`` (no recharge
      loop for a vehicle that cannot make the next leg even when full): joins
      now (opportunity charging; it leaves at ``max(charge end, end of its dwell)``).
    * taxi: ``STATUS_IDLE``, or ``STATUS_DWELL`` with no legs left (a drop-off dwell is
      cut short), standing at a node, low: the reachable urban site with the least
      drive + expected wait (:func:`_best_reachable_site`).
    * truck: ``STATUS_MOVING`` on a leg, no detour.  Looks along its path for the first
      service-area access node it could pass this tick (:func:`_truck_site_ahead`).
      Charges there if low, or if ``soc - energy to the leg target < truck_reserve_soc x
      battery`` (energy = remaining path length x the spec's expressway kWh/m) while
      ``soc < (charge_to_soc - truck_min_gain_soc) x battery``.  Uses the area's MCS
      companion site when it has one.  It also charges there (same SOC condition)
      unless the nearest urban hub or service area after the target is in reach too (at
      the highest kWh/m x ``plan_margin``) with the reserve left: the last service area
      before a dead end (a remote plant or town far from chargers) is used; not before a
      leg that leaves the region (``LEG_OFF_NETWORK``).  A low truck with no service area ahead that
      cannot reach its leg target with the reserve left leaves its route for the
      reachable urban hub or service area with the least drive + expected wait (what a
      driver does when the battery runs low far from any charger on the route).
    * truck dwelling between legs (delivery stop, unloading, back at its hub), low or
      unable to reach its next leg's target with the reserve left: the reachable urban
      hub or service area with the least drive + expected wait.  Departure check: a
      truck that would arrive at its next stop low (below ``charge_below_soc``) also
      needs the nearest urban hub or service area from that stop in reach (next stop +
      the charger after it, each at the spec's highest kWh/m x ``plan_margin``, with the
      reserve left), else it charges first.  A truck dwelling at the end of a leg
      flagged ``LEG_OFF_NETWORK`` (a gateway: it is outside the region until its next
      leg) has charged outside: its SOC is raised to ``charge_to_soc`` (no site used).
    * ship: ``STATUS_DWELL`` at a node with a port site, low or unable to reach the next
      port with the reserve left: shore power now.

    The bundles' fields are unpacked at the top under the names used here
    (``spec_kwh_per_m``, ``spec_is_bev`` are ``specs.kwh_per_m``, ``specs.is_bev``); the
    charge parameters used are ``charge_below_soc``, ``charge_to_soc``,
    ``truck_reserve_soc`` and ``truck_min_gain_soc``.

    Returns ``KERNEL_OK``.
    """
    fleet, spec, status = vehicles.fleet, vehicles.spec, vehicles.status
    node, edge, pos_m, leg = vehicles.node, vehicles.edge, vehicles.pos_m, vehicles.leg
    leg_begin, leg_end = vehicles.leg_begin, vehicles.leg_end
    battery_kwh, soc_kwh = vehicles.battery_kwh, vehicles.soc_kwh
    max_speed_mps, detour_target = vehicles.max_speed_mps, vehicles.detour_target
    charge_site, queue_enter_s = vehicles.charge_site, vehicles.queue_enter_s
    leg_target, leg_flags = legs.leg_target, legs.leg_flags
    leg_payload_t = legs.leg_payload_t
    edge_head, edge_length_m, next_edge = net.edge_head, net.edge_length_m, net.next_edge
    target_dist_m, target_time_s = net.target_dist_m, net.target_time_s
    target_node = net.target_node
    spec_kwh_per_m, spec_is_bev = specs.kwh_per_m, specs.is_bev
    spec_kwh_per_m_per_t = specs.kwh_per_m_per_t
    plan_margin = charge.route_energy_margin
    site_kind, site_target = tables.site_kind, tables.site_target
    site_mcs_site = tables.site_mcs_site
    site_at_node, target_at_node = tables.site_at_node, tables.target_at_node
    site_plug_begin, site_busy = sites.site_plug_begin, sites.site_busy
    site_queue_len = sites.site_queue_len
    charge_below_soc, charge_to_soc = charge.charge_below_soc, charge.charge_to_soc
    truck_reserve_soc, truck_min_gain_soc = charge.truck_reserve_soc, charge.truck_min_gain_soc
    for r in range(rows.shape[0]):
        v = rows[r]
        f = fleet[v]
        if f > FLEET_SHIP or charge_site[v] >= 0 or detour_target[v] >= 0:
            continue
        if not spec_is_bev[spec[v]]:
            continue
        battery = battery_kwh[v]
        if battery <= 0.0:
            continue
        soc = soc_kwh[v]
        low = soc < charge_below_soc * battery
        st = status[v]
        if f == FLEET_BUS:
            if st != STATUS_DWELL or edge[v] >= 0:
                continue
            lg = leg[v] - 1
            if lg < leg_begin[v] or lg >= leg_end[v]:
                continue
            if (leg_flags[lg] & (LEG_LAYOVER | LEG_CHARGE_OK)) == 0:
                continue
            u = node[v]
            s = site_at_node[KIND_DEPOT, u]
            if s < 0:
                continue
            if not low:  # plan-aware: charge now unless the next layover is in reach
                if soc >= (charge_to_soc - truck_min_gain_soc) * battery:
                    continue  # nothing worth charging (avoids a recharge loop)
                need = _need_to_next_stop_kwh(
                    v,
                    u,
                    leg,
                    leg_end,
                    leg_target,
                    leg_flags,
                    target_node,
                    target_dist_m,
                    _max_kwh_per_m(spec_kwh_per_m, spec[v]),
                    _STOP_FLAGS_BY_FLEET[f],
                    leg_payload_t,
                    spec_kwh_per_m_per_t[spec[v]],
                    plan_margin,
                )
                if soc - need >= truck_reserve_soc * battery:
                    continue
            _join_or_detour(
                v,
                s,
                target_at_node[u],
                True,
                t_s,
                status,
                detour_target,
                charge_site,
                queue_enter_s,
            )
        elif f == FLEET_TAXI:
            if not low or edge[v] >= 0:
                continue
            if not (st == STATUS_IDLE or (st == STATUS_DWELL and leg[v] >= leg_end[v])):
                continue
            u = node[v]
            best = _best_reachable_site(
                u,
                f == FLEET_TRUCK,
                soc,
                _max_kwh_per_m(spec_kwh_per_m, spec[v]),
                site_kind,
                site_target,
                site_mcs_site,
                site_at_node,
                target_node,
                target_dist_m,
                target_time_s,
                site_plug_begin,
                site_busy,
                site_queue_len,
                plan_margin,
            )
            if best >= 0:
                at_site = site_at_node[KIND_URBAN, u] == best
                _join_or_detour(
                    v,
                    best,
                    site_target[best],
                    at_site,
                    t_s,
                    status,
                    detour_target,
                    charge_site,
                    queue_enter_s,
                )
        elif f == FLEET_TRUCK and st == STATUS_DWELL:
            # between legs (unloading, delivery stop, back at the hub): when the next leg
            # is out of reach, charge at the nearest urban hub first
            if edge[v] >= 0 or leg[v] < leg_begin[v] or leg[v] >= leg_end[v]:
                continue
            if leg[v] > leg_begin[v] and leg_flags[leg[v] - 1] & LEG_OFF_NETWORK:
                if soc < charge_to_soc * battery:  # outside the region: charged there
                    soc = charge_to_soc * battery
                    soc_kwh[v] = soc
                continue
            u = node[v]
            empty_kwh_per_m = _max_kwh_per_m(spec_kwh_per_m, spec[v])
            need = _need_to_next_stop_kwh(
                v,
                u,
                leg,
                leg_end,
                leg_target,
                leg_flags,
                target_node,
                target_dist_m,
                empty_kwh_per_m,
                _STOP_FLAGS_BY_FLEET[f],
                leg_payload_t,
                spec_kwh_per_m_per_t[spec[v]],
                plan_margin,
            )
            worth = soc < (charge_to_soc - truck_min_gain_soc) * battery
            short = soc - need < truck_reserve_soc * battery and worth
            leaves = leg_flags[leg[v]] & LEG_OFF_NETWORK  # charged outside after this leg
            if not (low or short or leaves) and worth and soc - need < charge_below_soc * battery:
                # arriving low: the next stop AND the nearest charger after it in reach?
                x = _next_stop_node(
                    v, leg, leg_end, leg_target, leg_flags, target_node, _STOP_FLAGS_BY_FLEET[f]
                )
                after = _nearest_charger_m(x, site_kind, site_target, target_dist_m) * (
                    empty_kwh_per_m * plan_margin
                )
                short = soc - need - after < truck_reserve_soc * battery
            if not (low or short):
                continue
            loaded = empty_kwh_per_m + spec_kwh_per_m_per_t[spec[v]] * leg_payload_t[leg[v]]
            best = _best_reachable_site(
                u,
                f == FLEET_TRUCK,
                soc,
                loaded,
                site_kind,
                site_target,
                site_mcs_site,
                site_at_node,
                target_node,
                target_dist_m,
                target_time_s,
                site_plug_begin,
                site_busy,
                site_queue_len,
                plan_margin,
            )
            if best >= 0:
                goal = site_target[best]
                at_site = target_node[goal] == u
                _join_or_detour(
                    v, best, goal, at_site, t_s, status, detour_target, charge_site, queue_enter_s
                )
        elif f == FLEET_TRUCK:
            if st != STATUS_MOVING or leg[v] < leg_begin[v] or leg[v] >= leg_end[v]:
                continue
            k = leg_target[leg[v]]
            # decide whether charging is needed first (cheap), then look along the path
            # for a service area (a walk over next-hop entries) only for those that need it
            go = low
            short = False
            e = edge[v]
            u = edge_head[e] if e >= 0 else node[v]
            rest_m = edge_length_m[e] - pos_m[v] if e >= 0 else 0.0
            on_board = spec_kwh_per_m_per_t[spec[v]] * leg_payload_t[leg[v]]  # kWh/m
            need = 0.0
            worth = False  # room to charge: checks each service area it passes
            if soc < (charge_to_soc - truck_min_gain_soc) * battery:
                need = (rest_m + target_dist_m[k, u]) * (
                    spec_kwh_per_m[spec[v], ROAD_EXPRESSWAY] + on_board
                )
                short = soc - need < truck_reserve_soc * battery
                go = go or short
                worth = True
            if not (go or worth):
                continue
            h = _truck_site_ahead(
                v,
                dt_s,
                node,
                edge,
                pos_m,
                max_speed_mps,
                k,
                edge_head,
                edge_length_m,
                next_edge,
                site_at_node,
            )
            if h < 0:
                if low and short:  # no service area ahead: leave the route for a charger
                    kwh_per_m = _max_kwh_per_m(spec_kwh_per_m, spec[v]) + on_board
                    best = _best_reachable_site(
                        u,
                        f == FLEET_TRUCK,
                        soc - rest_m * kwh_per_m,
                        kwh_per_m,
                        site_kind,
                        site_target,
                        site_mcs_site,
                        site_at_node,
                        target_node,
                        target_dist_m,
                        target_time_s,
                        site_plug_begin,
                        site_busy,
                        site_queue_len,
                        plan_margin,
                    )
                    if best >= 0:
                        goal = site_target[best]
                        at_site = e < 0 and target_node[goal] == u
                        _join_or_detour(
                            v,
                            best,
                            goal,
                            at_site,
                            t_s,
                            status,
                            detour_target,
                            charge_site,
                            queue_enter_s,
                        )
                continue
            if not go and leg_flags[leg[v]] & LEG_OFF_NETWORK:
                continue  # it leaves the region at its target and charges outside
            if not go:
                # stop here unless the target AND a charger after it are in reach
                after = _nearest_charger_m(target_node[k], site_kind, site_target, target_dist_m)
                after *= _max_kwh_per_m(spec_kwh_per_m, spec[v]) * plan_margin
                go = soc - need - after < truck_reserve_soc * battery
            if go:
                s = site_at_node[KIND_SERVICE_AREA, h]
                if site_mcs_site[s] >= 0:
                    s = site_mcs_site[s]
                at_site = edge[v] < 0 and node[v] == h
                _join_or_detour(
                    v,
                    s,
                    target_at_node[h],
                    at_site,
                    t_s,
                    status,
                    detour_target,
                    charge_site,
                    queue_enter_s,
                )
        elif f == FLEET_SHIP:
            if st != STATUS_DWELL or edge[v] >= 0:
                continue
            u = node[v]
            s = site_at_node[KIND_PORT, u]
            if s < 0:
                continue
            if not low:  # plan-aware: charge now unless the next port is in reach
                if soc >= (charge_to_soc - truck_min_gain_soc) * battery:
                    continue  # nothing worth charging (avoids a recharge loop)
                need = _need_to_next_stop_kwh(
                    v,
                    u,
                    leg,
                    leg_end,
                    leg_target,
                    leg_flags,
                    target_node,
                    target_dist_m,
                    _max_kwh_per_m(spec_kwh_per_m, spec[v]),
                    _STOP_FLAGS_BY_FLEET[f],
                    leg_payload_t,
                    spec_kwh_per_m_per_t[spec[v]],
                    plan_margin,
                )
                if soc - need >= truck_reserve_soc * battery:
                    continue
            _join_or_detour(
                v,
                s,
                target_at_node[u],
                True,
                t_s,
                status,
                detour_target,
                charge_site,
                queue_enter_s,
            )
    return KERNEL_OK


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _charging_tick_py(
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    arrived: np.ndarray,
    sites: SiteBundle,
    log: ChargeLogBundle,
    charge: ChargeParams,
) -> int:
    """:func:`_charging_tick` callable from Python (the kernel has no CPython wrapper)."""
    return _charging_tick(t_s, dt_s, vehicles, arrived, sites, log, charge)


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _charging_decisions_py(
    t_s: float,
    dt_s: float,
    vehicles: FleetBundle,
    legs: LegBundle,
    net: NetBundle,
    specs: SpecBundle,
    tables: SiteTableBundle,
    sites: SiteBundle,
    charge: ChargeParams,
    rows: np.ndarray,
) -> int:
    """:func:`_charging_decisions` callable from Python (the kernel has no CPython wrapper)."""
    return _charging_decisions(t_s, dt_s, vehicles, legs, net, specs, tables, sites, charge, rows)


# --------------------------------------------------------------------------------------
# Python wrappers
# --------------------------------------------------------------------------------------
def _check_params(
    charge_to_soc: float, taper_start_soc: float, taper_floor: float, charger_efficiency: float
) -> None:
    for name, value in (
        ("charge_to_soc", charge_to_soc),
        ("taper_start_soc", taper_start_soc),
        ("taper_floor", taper_floor),
        ("charger_efficiency", charger_efficiency),
    ):
        if not 0.0 < value <= 1.0:
            msg = f"{name} = {value!r}: must be in (0, 1]"
            raise ValueError(msg)


def charge_params(
    *,
    charge_to_soc: float,
    taper_start_soc: float,
    charger_efficiency: float,
    taper_floor: float = TAPER_FLOOR,
    charge_below_soc: float = math.nan,
    truck_reserve_soc: float = TRUCK_RESERVE_SOC,
    truck_min_gain_soc: float = TRUCK_MIN_GAIN_SOC,
    route_energy_margin: float = math.nan,
) -> ChargeParams:
    """Return the named charge parameters (floats); ``charge_below_soc`` NaN: not deciding.

    ``route_energy_margin`` (the scenario's ``charging.route_energy_margin``) is read by
    the charging decisions only (NaN: not deciding).

    The one place the kernels' :class:`~transport_sim.kernels.bundles.ChargeParams` get
    their defaults (the taper floor and the truck reserve and minimum gain).
    """
    return ChargeParams(
        charge_below_soc=float(charge_below_soc),
        charge_to_soc=float(charge_to_soc),
        taper_start_soc=float(taper_start_soc),
        taper_floor=float(taper_floor),
        charger_efficiency=float(charger_efficiency),
        truck_reserve_soc=float(truck_reserve_soc),
        truck_min_gain_soc=float(truck_min_gain_soc),
        route_energy_margin=float(route_energy_margin),
    )


def charging_tick(
    state: FleetState,
    arrived: np.ndarray,
    cs: ChargingState,
    t_s: float,
    dt_s: float,
    *,
    charge_to_soc: float,
    taper_start_soc: float,
    charger_efficiency: float,
    taper_floor: float = TAPER_FLOOR,
) -> None:
    """Run the charger sites for the tick ``[t_s, t_s + dt_s)`` (see :func:`_charging_tick`).

    Parameters
    ----------
    state
        The fleet; rows with ``charge_site >= 0`` take part.
    arrived
        Integer array from the movement kernel (2 = reached the detour target).
    cs
        Charger state; its session log is enlarged when it would overflow.
    t_s, dt_s
        Tick start (s since midnight) and length (s, > 0).
    charge_to_soc, taper_start_soc, charger_efficiency, taper_floor
        Shares in (0, 1] (see the module docstring).

    Raises
    ------
    ValueError
        On mismatched array lengths or parameters outside (0, 1].
    KernelError
        When the kernel reports an inconsistent state.
    """
    _check_params(charge_to_soc, taper_start_soc, taper_floor, charger_efficiency)
    n = state.n_vehicles
    if arrived.shape != (n,) or cs.session_row.shape != (n,):
        msg = f"arrived and ChargingState.session_row need {n} rows (one per vehicle)"
        raise ValueError(msg)
    if not dt_s > 0.0:
        msg = f"dt_s = {dt_s!r}: the tick must be > 0 s"
        raise ValueError(msg)
    params = charge_params(
        charge_to_soc=charge_to_soc,
        taper_start_soc=taper_start_soc,
        charger_efficiency=charger_efficiency,
        taper_floor=taper_floor,
    )
    vehicles, sites = fleet_bundle(state), site_bundle(cs)
    while True:
        code = _charging_tick_py(
            float(t_s), float(dt_s), vehicles, arrived, sites, charge_log_bundle(cs), params
        )
        if code != KERNEL_QUEUE_OVERFLOW:
            break
        cs.grow_log(cs.n_sessions_logged + n)
    if code != KERNEL_OK:
        msg = f"charging kernel failed at t = {t_s} s: {KERNEL_STATUS_NAMES[code]}"
        raise KernelError(msg)


def bev_rows(state: FleetState, specs: SpecTable) -> np.ndarray:
    """Rows of the battery-electric vehicles of ``state`` (int64, ascending)."""
    bev = np.asarray(specs.is_bev, np.bool_)[np.asarray(state.spec, np.int64)]
    return np.flatnonzero(bev & (np.asarray(state.battery_kwh) > 0.0)).astype(np.int64)


def charging_decisions(
    state: FleetState,
    graph: KernelGraph,
    targets: Targets,
    specs: SpecTable,
    tables: SiteTables,
    t_s: float,
    dt_s: float,
    *,
    cs: ChargingState | None = None,
    charge_below_soc: float,
    charge_to_soc: float,
    truck_reserve_soc: float = TRUCK_RESERVE_SOC,
    truck_min_gain_soc: float = TRUCK_MIN_GAIN_SOC,
    plan_margin: float,
) -> None:
    """Let BEVs decide to charge (see :func:`_charging_decisions` for the rules).

    ``plan_margin`` multiplies the shortest-path energy to the next stop or site (the
    scenario's ``charging.route_energy_margin``, >= 1).

    Raises
    ------
    ValueError
        On a site table that does not match the graph or targets, or ``dt_s <= 0``.
    KernelError
        When the kernel reports an inconsistent state.
    """
    n_nodes = graph.n_nodes
    if tables.site_at_node.shape != (N_SITE_KINDS, n_nodes) or tables.target_at_node.shape != (
        n_nodes,
    ):
        msg = f"site tables must cover the graph's {n_nodes} nodes"
        raise ValueError(msg)
    if tables.site_target.size and tables.site_target.max() >= targets.n_targets:
        msg = "site_target refers to a target that does not exist"
        raise ValueError(msg)
    if not dt_s > 0.0:
        msg = f"dt_s = {dt_s!r}: the tick must be > 0 s"
        raise ValueError(msg)
    if not plan_margin >= 1.0:
        msg = f"plan_margin = {plan_margin!r}: must be >= 1"
        raise ValueError(msg)
    # without the live charger state every site looks free (one plug, no queue)
    busy_state = (
        cs
        if cs is not None
        else ChargingState.allocate(
            np.ones(tables.site_kind.shape[0], np.int64),
            np.ones(tables.site_kind.shape[0]),
            state.n_vehicles,
            1,
        )
    )
    # taper and efficiency play no part in the decisions (NaN: not given)
    params = charge_params(
        charge_below_soc=charge_below_soc,
        charge_to_soc=charge_to_soc,
        taper_start_soc=math.nan,
        charger_efficiency=math.nan,
        taper_floor=math.nan,
        truck_reserve_soc=truck_reserve_soc,
        truck_min_gain_soc=truck_min_gain_soc,
        route_energy_margin=plan_margin,
    )
    code = _charging_decisions_py(
        float(t_s),
        float(dt_s),
        fleet_bundle(state),
        leg_bundle(state),
        net_bundle(graph, targets),
        spec_bundle(specs),
        site_table_bundle(tables),
        site_bundle(busy_state),
        params,
        bev_rows(state, specs),
    )
    if code != KERNEL_OK:
        msg = f"charging decision kernel failed at t = {t_s} s: {KERNEL_STATUS_NAMES[code]}"
        raise KernelError(msg)
