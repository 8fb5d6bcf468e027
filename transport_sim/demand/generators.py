"""The representative day: bus timetables, taxi requests, truck trips and ship sailings.

Every function here is pure: it takes plain arrays and numbers (node indices of the
merged kernel graph, free-flow times from the next-hop tables) and the run's numpy
``Generator``, and returns flat leg arrays ready for
:class:`~transport_sim.kernels.state.FleetState`.
Nothing here knows OSM ids, Mesa or Numba.

Time is in seconds since midnight of the representative day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.kernels.state import LEG_CHARGE_OK, LEG_LAYOVER, LEG_TRIP_END
from transport_sim.units import SECONDS_PER_HOUR, SECONDS_PER_MINUTE

if TYPE_CHECKING:
    from transport_sim.fleets.specs import BusOperation

HOUR_S = SECONDS_PER_HOUR


class TargetRegistry:
    """Assigns a target index to every node vehicles drive toward (one row per node)."""

    def __init__(self) -> None:
        self._index: dict[int, int] = {}

    def add(self, node: int) -> int:
        """Return the target index of ``node``, registering it on first use."""
        node = int(node)
        if node not in self._index:
            self._index[node] = len(self._index)
        return self._index[node]

    def add_many(self, nodes: np.ndarray) -> np.ndarray:
        """Return the target indices of ``nodes`` (int32 array)."""
        return np.fromiter((self.add(n) for n in nodes), np.int32, count=len(nodes))

    def nodes(self) -> np.ndarray:
        """Return the node of every target, in target order (int32)."""
        out = np.empty(len(self._index), np.int32)
        for node, idx in self._index.items():
            out[idx] = node
        return out

    def __len__(self) -> int:
        return len(self._index)


@dataclass
class LegBlock:
    """Vehicles of one fleet and their legs, as flat arrays.

    ``leg_begin[i]:leg_end[i]`` are the legs of vehicle ``i`` in the flat arrays.
    """

    start_node: np.ndarray  # int32[n]
    leg_count: np.ndarray  # int32[n]
    leg_target: np.ndarray  # int32[m]
    leg_depart_s: np.ndarray  # float64[m]
    leg_dwell_s: np.ndarray  # float64[m]
    leg_payload_t: np.ndarray  # float64[m]
    leg_flags: np.ndarray  # int8[m]
    size_class: np.ndarray  # int16[n], index into the fleet's size classes
    dispatchable: bool = False
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_vehicles(self) -> int:
        """Number of vehicles."""
        return int(self.start_node.shape[0])

    @classmethod
    def from_lists(
        cls,
        start_nodes: list[int],
        legs: list[list[tuple[int, float, float, float, int]]],
        size_class: list[int],
        *,
        dispatchable: bool = False,
    ) -> LegBlock:
        """Build a block from per-vehicle lists of (target, depart_s, dwell_s, payload_t, flags)."""
        flat = [leg for vehicle in legs for leg in vehicle]
        arr = np.array(flat, dtype=np.float64).reshape(-1, 5) if flat else np.zeros((0, 5))
        return cls(
            start_node=np.asarray(start_nodes, np.int32),
            leg_count=np.asarray([len(v) for v in legs], np.int32),
            leg_target=arr[:, 0].astype(np.int32),
            leg_depart_s=arr[:, 1].copy(),
            leg_dwell_s=arr[:, 2].copy(),
            leg_payload_t=arr[:, 3].copy(),
            leg_flags=arr[:, 4].astype(np.int8),
            size_class=np.asarray(size_class, np.int16),
            dispatchable=dispatchable,
        )


# --------------------------------------------------------------------------------------
# buses
# --------------------------------------------------------------------------------------
#: Cost, in metres of detour, of leaving a stop out of a line's inbound direction
#: (:func:`inbound_stops`).  Only a tie-breaker between "serve the stop" and "skip it":
#: a stop is skipped only when serving it inbound costs a detour longer than this, and
#: the detours it removes are tens of km (a U-turn at the next interchange), so any
#: value from a few hundred metres to a few km gives the same lines.
INBOUND_SKIP_PENALTY_M = 1000.0


@dataclass(frozen=True)
class BusLine:
    """One bus line: ordered stop targets outbound, and the inbound stops back.

    ``back_targets`` are the inbound stops from terminal B back to terminal A
    (:func:`inbound_stops`); ``None`` means the outbound stops in reverse order.
    """

    name: str
    stop_targets: np.ndarray  # int32 target indices, terminal A first
    depot_target: int
    depot_node: int
    round_trip_s: float  # free-flow run time both ways incl. stop dwells and layovers
    back_targets: np.ndarray | None = None  # int32 inbound stops, terminal B first

    def inbound_targets(self) -> np.ndarray:
        """Inbound stop targets, terminal B first and terminal A last (int32)."""
        if self.back_targets is None:
            return np.asarray(self.stop_targets, np.int32)[::-1].copy()
        return np.asarray(self.back_targets, np.int32)


def inbound_stops(
    stop_targets: np.ndarray,
    stop_nodes: np.ndarray,
    dist_m: np.ndarray,
    skip_penalty_m: float = INBOUND_SKIP_PENALTY_M,
) -> np.ndarray:
    """Positions (into the outbound stops) of the stops a line serves inbound, B to A.

    A route relation lists its stops once; on two-way streets the bus serves them in
    both directions.  A stop on a one-way carriageway or ramp (an expressway stop of a
    county line) can only be passed in one direction: the reversed stop order would
    send the inbound bus on a U-turn at the next interchange, tens of km each.  The
    inbound stops are the subsequence of the reversed stops, from terminal B to
    terminal A, that minimises the detour ``sum over inbound hops of max(0, inbound hop
    length - outbound length between the same stops)`` plus ``skip_penalty_m`` per
    stop left out (shortest paths, ``dist_m`` = ``Targets.dist_m``, target x node).  A
    line whose reversed hops are no longer than the outbound ones keeps every stop.

    Returns
    -------
    numpy.ndarray
        int64 positions, ``n - 1`` first and ``0`` last.
    """
    n = len(stop_nodes)
    hop = np.array(
        [float(dist_m[stop_targets[j + 1], stop_nodes[j]]) for j in range(n - 1)], np.float64
    )
    along = np.concatenate([[0.0], np.cumsum(hop)])  # outbound distance of each stop
    cost = np.full(n, np.inf)
    prev = np.full(n, -1, np.int64)
    cost[0] = 0.0
    for j in range(1, n):  # cheapest inbound way from stop j home to stop 0
        for i in range(j - 1, -1, -1):
            back = float(dist_m[stop_targets[i], stop_nodes[j]])
            c = cost[i] + max(0.0, back - (along[j] - along[i])) + skip_penalty_m * (j - i - 1)
            if c < cost[j]:
                cost[j] = c
                prev[j] = i
    out = [n - 1]
    while out[-1] != 0:
        out.append(int(prev[out[-1]]))
    return np.asarray(out, np.int64)


def round_trip_s(
    stop_targets: np.ndarray,
    stop_nodes: np.ndarray,
    time_s: np.ndarray,
    op: BusOperation,
    back: np.ndarray | None = None,
) -> float:
    """Free-flow time of one round trip of a line (both directions, dwells, two layovers), s.

    Parameters
    ----------
    stop_targets, stop_nodes
        Target indices and graph nodes of the outbound stops, in order.
    time_s
        ``Targets.time_s`` table (target x node), seconds.
    back
        Positions of the inbound stops, terminal B first (:func:`inbound_stops`);
        ``None``: every stop in reverse order.
    """
    n = len(stop_nodes)
    back = np.arange(n - 1, -1, -1) if back is None else np.asarray(back, np.int64)
    out = sum(float(time_s[stop_targets[i + 1], stop_nodes[i]]) for i in range(n - 1))
    inb = sum(
        float(time_s[stop_targets[back[j + 1]], stop_nodes[back[j]]]) for j in range(len(back) - 1)
    )
    dwell = ((n - 1) + (len(back) - 1)) * op.dwell_s_per_stop
    return out + inb + dwell + 2 * op.layover_min * SECONDS_PER_MINUTE


def _line_departures(
    start_s: float, end_s: float, headway_s: float, peak_ratio: float, peak: np.ndarray,
    offset_s: float,
) -> np.ndarray:
    """Return one line's departure times (s since midnight; compiled, see kernels.timetable).

    ``headway_s`` off-peak, ``headway_s x peak_ratio`` in the peak hours, from
    ``start_s + offset_s`` until ``end_s``.
    """
    from transport_sim.kernels.timetable import line_departures

    return line_departures(start_s, end_s, headway_s, peak_ratio, peak, offset_s)


def _blocks_for_line(
    departs: np.ndarray, cycle_s: float, cycle_km: float, block_km: float
) -> list[list[float]]:
    """Chain a line's departures into vehicle blocks of about ``block_km`` each (compiled).

    Greedy in time order: a departure goes to the bus that is back at the terminal and
    has driven the most while staying within ``block_km`` (a bus leaves service once
    one more round trip would take it past ``block_km``); else a new bus pulls out
    (:func:`transport_sim.kernels.timetable.blocks_for_line`).
    """
    from transport_sim.kernels.timetable import blocks_for_line

    return blocks_for_line(departs, cycle_s, cycle_km, block_km)


def bus_day(
    lines: list[BusLine],
    line_km: np.ndarray,
    n_buses: int,
    op: BusOperation,
    activity: float,
    block_km: float,
) -> LegBlock:
    """Timetabled bus day with vehicle blocks built from the timetable.

    Every line runs at one common off-peak headway (the peak headway is shorter by the
    fleet file's peak / off-peak ratio); a line whose round trip is longer than
    ``block_km`` (intercity express lines) runs at that headway x (its length /
    ``block_km``)^2, one round trip per block.  Each line's departures are chained into
    vehicle blocks of about ``block_km`` (:func:`_blocks_for_line`); a block pulls out
    of the line's depot before its first run and pulls in after its last.  The
    headway is found by bisection so that the blocks need the ``n_buses x activity``
    buses in service (or as close as the 2-min to 4-h headway range allows), so km per
    bus follow ``block_km`` and the timetable follows the fleet.

    Parameters
    ----------
    lines, line_km
        Bus lines and the length of one round trip of each, km.
    n_buses
        Buses in service (stock x availability).
    op
        Timetable parameters (service span, peak hours, headway ratio, dwells).
    activity
        Service level relative to the base year (holidays, public-transport lever).
    block_km
        Target km per vehicle block (calibration target x fitted factor), km.

    Returns
    -------
    LegBlock
        One vehicle per block; ``extra``: line, round trips and round-trip time of each.
    """
    n_service = max(len(lines), round(n_buses * activity))
    start_s, end_s = op.service_start_h * HOUR_S, op.service_end_h * HOUR_S
    peak = np.zeros(24, bool)
    peak[list(op.peak_hours)] = True
    ratio = op.headway_peak_min / max(op.headway_offpeak_min, 1e-9)
    usable = [i for i in range(len(lines)) if line_km[i] > 0.0]

    def build(headway_s: float) -> list[tuple[int, list[float]]]:
        out = []
        for k, li in enumerate(usable):
            line = lines[li]
            # a line longer than a block (intercity express) runs less often, with the
            # square of its length over the block km (a gravity decay of demand along
            # the county corridors; estimate), one round trip per block
            stretch = max(1.0, float(line_km[li]) / block_km)
            line_headway_s = headway_s * stretch**2
            offset = (k * 97.0) % line_headway_s  # stagger the lines' first departures
            dep = _line_departures(start_s, end_s, line_headway_s, ratio, peak, offset)
            per_bus = max(block_km, float(line_km[li]))
            out.extend((li, b) for b in _blocks_for_line(dep, line.round_trip_s,
                                                         float(line_km[li]), per_bus))
        return out

    lo, hi = 120.0, 4 * SECONDS_PER_HOUR
    if len(build(lo)) <= n_service:
        chosen = build(lo)
    else:
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if len(build(mid)) > n_service:
                lo = mid
            else:
                hi = mid
        chosen = build(hi)
    starts: list[int] = []
    counts: list[int] = []
    cycle_s: list[float] = []
    line_of: list[int] = []
    cycles: list[int] = []
    parts: list[tuple[np.ndarray, ...]] = []
    for li, departs in chosen:
        line = lines[li]
        out = np.asarray(line.stop_targets, np.int32)
        cycle = np.concatenate([out[1:], line.inbound_targets()[1:]])
        ends = np.zeros(cycle.size, bool)
        ends[[out.size - 2, cycle.size - 1]] = True  # terminal B, then back at terminal A
        c_dwell = np.where(ends, op.layover_min * SECONDS_PER_MINUTE, op.dwell_s_per_stop)
        c_flags = np.where(ends, LEG_TRIP_END | LEG_LAYOVER | LEG_CHARGE_OK, 0).astype(np.int8)
        k = len(departs)
        dep = np.zeros(k * cycle.size)
        dep[:: cycle.size] = departs
        parts.append(
            (
                np.concatenate([[out[0]], np.tile(cycle, k), [line.depot_target]]).astype(
                    np.int32
                ),
                np.concatenate([[max(0.0, departs[0] - 1800.0)], dep, [0.0]]),
                np.concatenate([[0.0], np.tile(c_dwell, k), [0.0]]),
                np.concatenate([[0], np.tile(c_flags, k), [0]]).astype(np.int8),
            )
        )
        starts.append(line.depot_node)
        counts.append(k * cycle.size + 2)
        cycle_s.append(line.round_trip_s)
        line_of.append(li)
        cycles.append(k)
    n_legs = int(sum(counts))
    return LegBlock(
        extra={
            "round_trip_s": np.asarray(cycle_s, np.float64),
            "line": np.asarray(line_of, np.int64),
            "cycles": np.asarray(cycles, np.int64),
        },
        start_node=np.asarray(starts, np.int32),
        leg_count=np.asarray(counts, np.int32),
        leg_target=np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32),
        leg_depart_s=np.concatenate([p[1] for p in parts]) if parts else np.zeros(0),
        leg_dwell_s=np.concatenate([p[2] for p in parts]) if parts else np.zeros(0),
        leg_payload_t=np.zeros(n_legs),
        leg_flags=np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, np.int8),
        size_class=np.zeros(len(starts), np.int16),
    )


# --------------------------------------------------------------------------------------
# taxis
# --------------------------------------------------------------------------------------
def taxi_requests(
    rng: np.random.Generator,
    n_requests_mean: float,
    hourly_profile: np.ndarray,
    point_targets: np.ndarray,
    point_weights: np.ndarray,
    time_s: np.ndarray,
    point_nodes: np.ndarray,
    decay_s: float = 900.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the day's taxi requests: a Poisson process over demand points with a daily profile.

    Parameters
    ----------
    rng
        The run's generator (the only source of randomness).
    n_requests_mean
        Expected requests per day.
    hourly_profile
        24 non-negative weights of demand by hour.
    point_targets, point_nodes, point_weights
        Demand points (target index, graph node, attraction weight).
    time_s
        Free-flow times between targets and nodes; destinations follow a gravity model
        ``weight * exp(-time / decay_s)``, excluding the origin point.

    Returns
    -------
    tuple of numpy.ndarray
        ``(time_s, origin, dest)``: request times (sorted, s since midnight) and the
        origin and destination target indices.
    """
    profile = np.asarray(hourly_profile, np.float64)
    profile = profile / profile.sum()
    counts = rng.poisson(n_requests_mean * profile)
    times = np.concatenate(
        [h * HOUR_S + rng.uniform(0.0, HOUR_S, size=c) for h, c in enumerate(counts)]
    )
    times.sort()
    w = np.asarray(point_weights, np.float64)
    origin_idx = rng.choice(len(point_targets), size=times.size, p=w / w.sum())
    # gravity destination choice: one cumulative table per origin point
    tt = time_s[np.ix_(point_targets, point_nodes)].astype(np.float64)  # [dest, origin]
    attract = w[:, None] * np.exp(-np.where(np.isfinite(tt), tt, np.inf) / decay_s)
    np.fill_diagonal(attract, 0.0)
    attract /= attract.sum(axis=0, keepdims=True)
    cdf = np.cumsum(attract, axis=0)
    u = rng.uniform(size=times.size)
    # first destination whose cumulative share reaches u (binary search per origin)
    dest_idx = np.empty(times.size, np.int64)
    for o in np.unique(origin_idx):
        rows = np.flatnonzero(origin_idx == o)
        dest_idx[rows] = np.searchsorted(cdf[:, o], u[rows], side="left")
    dest_idx = np.minimum(dest_idx, len(point_targets) - 1)
    return (
        times.astype(np.float64),
        point_targets[origin_idx].astype(np.int32),
        point_targets[dest_idx].astype(np.int32),
    )


def taxi_day(start_nodes: np.ndarray) -> LegBlock:
    """Taxis waiting at their ranks, each with two reserved leg slots for dispatch."""
    n = int(start_nodes.shape[0])
    m = 2 * n
    return LegBlock(
        start_node=np.asarray(start_nodes, np.int32),
        leg_count=np.full(n, 2, np.int32),
        leg_target=np.zeros(m, np.int32),
        leg_depart_s=np.zeros(m, np.float64),
        leg_dwell_s=np.zeros(m, np.float64),
        leg_payload_t=np.zeros(m, np.float64),
        leg_flags=np.zeros(m, np.int8),
        size_class=np.zeros(n, np.int16),
        dispatchable=True,
    )


# --------------------------------------------------------------------------------------
# trucks
# --------------------------------------------------------------------------------------
def truck_day(
    rng: np.random.Generator,
    tonnes_per_day: float,
    load_t: float,
    round_trips_per_vehicle: float,
    empty_share: float,
    od_origin: np.ndarray,
    od_dest: np.ndarray,
    od_weight: np.ndarray,
    od_origin_node: np.ndarray,
    hourly_profile: np.ndarray,
    unload_s: float,
) -> LegBlock:
    """Regional or long-haul trucks of one class shuttling on origin-destination pairs.

    The day's tonnage needs ``L = tonnes / load_t`` loaded one-way legs (stochastic
    rounding) and ``E = round(L x e / (1 - e))`` empty legs, so that a share ``e`` =
    ``empty_share`` of the legs (and of the km, legs being about equally long both
    ways) runs empty.  ``round((L + E) / (2 x round_trips_per_vehicle))`` simulated
    trucks share the legs as evenly as possible, each on one pair drawn by weight,
    alternating outbound and return legs; ``E`` legs drawn at random run empty (return
    legs first, then later outbound legs; a truck's first leg is always loaded) and the
    others carry a load.  So km per truck follow
    the class's daily km when ``round_trips_per_vehicle`` is fitted to it, and every
    tonne of the day is on a truck.

    Parameters
    ----------
    tonnes_per_day
        Road tonnage of the class on the day, t.
    load_t
        Tonnes on a loaded leg (payload x load factor), t.
    round_trips_per_vehicle
        Round trips per truck and day (calibration file ``fitted``).
    empty_share
        Share of legs that run empty (0 <= e <= 0.5: at most every return leg).
    od_origin, od_dest, od_weight, od_origin_node
        Candidate pairs (target indices), their weights and the origin's graph node.
    hourly_profile
        24 weights of first departures by hour.
    unload_s
        Stay at each end of a leg (loading / unloading), s.

    Returns
    -------
    LegBlock
        One vehicle per simulated truck; ``leg_payload_t`` > 0 on loaded legs.
    """
    if not 0.0 <= empty_share <= 0.5:
        msg = f"empty_share must lie in [0, 0.5], got {empty_share}"
        raise ValueError(msg)
    exact = tonnes_per_day / load_t if tonnes_per_day > 0 else 0.0
    n_loaded = int(np.floor(exact) + (rng.uniform() < exact % 1.0))
    n_empty = round(n_loaded * empty_share / (1.0 - empty_share))
    n_legs_total = n_loaded + n_empty
    n = max(1, round(n_legs_total / (2.0 * round_trips_per_vehicle))) if n_legs_total else 0
    n = min(n, n_legs_total)
    # the legs shared as evenly as possible (a fractional round-trip count mixes trucks
    # with one leg more and one less; a truck with an odd count ends at a destination)
    counts = np.full(n, n_legs_total // max(n, 1), np.int64)
    counts[: n_legs_total - int(counts.sum())] += 1
    w = np.asarray(od_weight, np.float64)
    od = rng.choice(len(od_origin), size=n, p=w / w.sum())
    profile = np.asarray(hourly_profile, np.float64)
    hours = rng.choice(24, size=n, p=profile / profile.sum())
    first = hours * HOUR_S + rng.uniform(0.0, HOUR_S, size=n)
    m = int(counts.sum())
    veh = np.repeat(np.arange(n), counts)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    j = np.arange(m) - start[veh]  # leg number within the truck's day
    outbound = j % 2 == 0
    leg_target = np.where(outbound, od_dest[od[veh]], od_origin[od[veh]]).astype(np.int32)
    leg_payload = np.full(m, float(load_t))
    back = np.flatnonzero(~outbound)
    # empty legs: return legs first; when trucks have more outbound than return legs
    # (odd leg counts), later outbound legs run empty too (repositioning)
    empty = rng.choice(back, size=min(n_empty, back.size), replace=False)
    if n_empty > back.size:
        later_out = np.flatnonzero(outbound & (j > 0))
        extra = rng.choice(later_out, size=min(n_empty - back.size, later_out.size),
                           replace=False)
        empty = np.concatenate([empty, extra])
    leg_payload[empty] = 0.0
    leg_depart = np.zeros(m)
    leg_depart[start] = first
    return LegBlock(
        start_node=od_origin_node[od].astype(np.int32),
        leg_count=counts.astype(np.int32),
        leg_target=leg_target,
        leg_depart_s=leg_depart,
        leg_dwell_s=np.full(m, float(unload_s)),
        leg_payload_t=leg_payload,
        leg_flags=np.where(leg_payload > 0.0, LEG_TRIP_END, 0).astype(np.int8),
        size_class=np.zeros(n, np.int16),
    )


def nearest_neighbour_order(start: int, points: np.ndarray, dist_m: np.ndarray,
                            point_node: np.ndarray) -> np.ndarray:
    """Visit ``points`` (target indices) greedily nearest-first from target ``start``.

    ``dist_m[k, u]`` is the network distance from node ``u`` to target ``k``;
    ``point_node[k]`` the node of target ``k``.  Returns the points in visiting order
    (ties to the earlier point).  Plain-Python reference of
    :func:`transport_sim.kernels.tours.order_tours_nearest_first` (one tour).
    """
    left = list(range(points.size))
    here = int(point_node[start])
    order = []
    while left:
        d = [float(dist_m[points[i], here]) for i in left]
        i = left.pop(int(np.argmin(d)))
        order.append(i)
        here = int(point_node[points[i]])
    return points[np.asarray(order, np.int64)]


def delivery_tours(
    rng: np.random.Generator,
    n_tours: int,
    tours_per_truck: float,
    stops_per_tour: tuple[int, int],
    payload_t: float,
    hub_targets: np.ndarray,
    hub_nodes: np.ndarray,
    drop_targets: np.ndarray,
    drop_weights: np.ndarray,
    hourly_profile: np.ndarray,
    stop_dwell_s: float,
    dist_m: np.ndarray | None = None,
    target_node: np.ndarray | None = None,
) -> LegBlock:
    """Urban delivery: each truck runs about ``tours_per_truck`` tours from its hub.

    ``ceil(n_tours / tours_per_truck)`` trucks share the tours as evenly as possible (a
    fractional ``tours_per_truck`` mixes trucks with one tour more and one less).

    A tour leaves the hub loaded with ``payload_t``, visits ``k`` drop points (k uniform
    in ``stops_per_tour``, points drawn by weight) unloading an equal share at each, and
    returns empty; the next tour leaves when the truck is back.  Tonne-km follow the load
    on board.  With ``dist_m`` and ``target_node`` (the run's target tables) the drops of
    a tour are visited in nearest-neighbour order from the hub.

    Parameters
    ----------
    n_tours
        Tours of the day (tonnage / (payload x load factor)).
    hub_targets, hub_nodes
        Depots (logistics hubs, plants) as targets and graph nodes.
    drop_targets, drop_weights
        Delivery points (target indices) and their weights.
    hourly_profile
        24 weights of first departures by hour.
    stop_dwell_s
        Time at each drop point, s.
    """
    n = int(np.ceil(n_tours / max(1.0, float(tours_per_truck)))) if n_tours > 0 else 0
    w = np.asarray(drop_weights, np.float64)
    profile = np.asarray(hourly_profile, np.float64)
    home = rng.integers(0, len(hub_targets), size=n)
    hours = rng.choice(24, size=n, p=profile / profile.sum())
    first = hours * HOUR_S + rng.uniform(0.0, HOUR_S, size=n)
    # tours of each truck (the last truck takes the remainder), stops of each tour
    tours = np.full(n, int(n_tours) // max(n, 1), np.int64)
    tours[: int(n_tours) - int(tours.sum())] += 1
    tour_truck = np.repeat(np.arange(n), tours)
    k = rng.integers(stops_per_tour[0], stops_per_tour[1] + 1, size=tour_truck.size)
    drops = rng.choice(len(drop_targets), size=int(k.sum()), p=w / w.sum())
    if dist_m is not None and target_node is not None and drops.size:
        from transport_sim.kernels.tours import order_tours_nearest_first

        order = order_tours_nearest_first(
            np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64),
            k.astype(np.int64),
            np.asarray(hub_targets, np.int64)[home[tour_truck]],
            np.asarray(drop_targets, np.int64)[drops],
            np.asarray(dist_m, np.float32),
            np.asarray(target_node, np.int32),
        )
        drops = drops[order]
    # legs: per tour k drops then the return to the hub
    legs_per_tour = k + 1
    tour_start = np.concatenate([[0], np.cumsum(legs_per_tour)[:-1]]).astype(np.int64)
    n_legs = int(legs_per_tour.sum())
    leg_tour = np.repeat(np.arange(tour_truck.size), legs_per_tour)
    j = np.arange(n_legs) - tour_start[leg_tour]  # position within the tour
    is_hub = j == k[leg_tour]
    leg_target = np.empty(n_legs, np.int32)
    leg_target[~is_hub] = np.asarray(drop_targets)[drops]
    leg_target[is_hub] = np.asarray(hub_targets)[home[tour_truck]]
    kk = k[leg_tour].astype(np.float64)
    payload = np.where(is_hub, 0.0, payload_t * (1.0 - j / kk))
    flags = np.where(j == k[leg_tour] - 1, LEG_TRIP_END, 0).astype(np.int8)
    depart = np.zeros(n_legs)
    first_tour = np.concatenate([[0], np.cumsum(tours)[:-1]]) if n else np.zeros(0, np.int64)
    depart[tour_start[first_tour]] = first
    return LegBlock(
        start_node=np.asarray(hub_nodes)[home].astype(np.int32),
        leg_count=np.bincount(tour_truck, weights=legs_per_tour, minlength=n).astype(np.int32),
        leg_target=leg_target,
        leg_depart_s=depart,
        leg_dwell_s=np.full(n_legs, float(stop_dwell_s)),
        leg_payload_t=payload,
        leg_flags=flags,
        size_class=np.zeros(n, np.int16),
    )


def concat_blocks(blocks: list[LegBlock], size_classes: list[int]) -> LegBlock:
    """Stack several blocks of one fleet; block ``i`` gets size class ``size_classes[i]``."""
    return LegBlock(
        start_node=np.concatenate([b.start_node for b in blocks]).astype(np.int32),
        leg_count=np.concatenate([b.leg_count for b in blocks]).astype(np.int32),
        leg_target=np.concatenate([b.leg_target for b in blocks]).astype(np.int32),
        leg_depart_s=np.concatenate([b.leg_depart_s for b in blocks]),
        leg_dwell_s=np.concatenate([b.leg_dwell_s for b in blocks]),
        leg_payload_t=np.concatenate([b.leg_payload_t for b in blocks]),
        leg_flags=np.concatenate([b.leg_flags for b in blocks]).astype(np.int8),
        size_class=np.concatenate(
            [np.full(b.n_vehicles, c, np.int16) for b, c in zip(blocks, size_classes, strict=True)]
        ),
    )


# --------------------------------------------------------------------------------------
# ships
# --------------------------------------------------------------------------------------
def ship_day(
    rng: np.random.Generator,
    n_ships_by_class: np.ndarray,
    sailings_per_day_by_class: np.ndarray,
    routes_by_class: list[list[tuple[int, int]]],
    port_node_of_target: dict[int, int],
    service_start_h: float,
    service_end_h: float,
    dwell_s_by_class: np.ndarray,
) -> LegBlock:
    """Ships shuttle on their route between two ports, with evenly spread sailings.

    Parameters
    ----------
    n_ships_by_class
        Ships in service per size class (tourist, ferry, cargo, official, ...).
    sailings_per_day_by_class
        One-way sailings per ship and day (a class mean, sailed as whole round trips:
        fractional values mix ships with one round trip more and one less; at least one
        round trip).
    routes_by_class
        For each class, candidate (home port target, far port target) pairs; ships are
        spread over them at random.
    port_node_of_target
        Graph node of each port target (the ship's starting node).
    """
    starts: list[int] = []
    legs: list[list[tuple[int, float, float, float, int]]] = []
    classes: list[int] = []
    span_s = (service_end_h - service_start_h) * HOUR_S
    for c, n in enumerate(n_ships_by_class):
        routes = routes_by_class[c]
        if n <= 0 or not routes:
            continue
        picks = rng.integers(0, len(routes), size=int(n))
        x = float(sailings_per_day_by_class[c])
        for k in range(int(n)):
            # whole round trips (out and back); a fractional mean x / 2 mixes ships with
            # one round trip more and one less, so sailings per ship average x and the
            # ships end the day at their home port
            rt = x / 2.0
            n_sail = 2 * max(1, int(rt) + (1 if (k + 0.5) / n < rt - int(rt) else 0))
            home, far = routes[int(picks[k])]
            offset = rng.uniform(0.0, span_s / n_sail)
            plan = []
            for s in range(n_sail):
                tgt = far if s % 2 == 0 else home
                depart = service_start_h * HOUR_S + offset + s * span_s / n_sail
                plan.append(
                    (tgt, depart, float(dwell_s_by_class[c]), 0.0, LEG_TRIP_END | LEG_CHARGE_OK)
                )
            if n_sail % 2 == 1:  # return home for the night
                plan.append((home, 0.0, 0.0, 0.0, LEG_CHARGE_OK))
            starts.append(port_node_of_target[home])
            legs.append(plan)
            classes.append(c)
    return LegBlock.from_lists(starts, legs, classes)
