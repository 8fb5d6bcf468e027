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

if TYPE_CHECKING:
    from transport_sim.fleets.specs import BusOperation

HOUR_S = 3600.0


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
@dataclass(frozen=True)
class BusLine:
    """One bus line: ordered stop targets (outbound; inbound is the reverse)."""

    name: str
    stop_targets: np.ndarray  # int32 target indices, terminal A first
    depot_target: int
    depot_node: int
    round_trip_s: float  # free-flow run time both ways incl. stop dwells and layovers


def round_trip_s(
    stop_targets: np.ndarray, stop_nodes: np.ndarray, time_s: np.ndarray, op: BusOperation
) -> float:
    """Free-flow time of one round trip of a line (both directions, dwells, two layovers), s.

    Parameters
    ----------
    stop_targets, stop_nodes
        Target indices and graph nodes of the outbound stops, in order.
    time_s
        ``Targets.time_s`` table (target x node), seconds.
    """
    out = sum(float(time_s[stop_targets[i + 1], stop_nodes[i]]) for i in range(len(stop_nodes) - 1))
    back = sum(
        float(time_s[stop_targets[i - 1], stop_nodes[i]]) for i in range(len(stop_nodes) - 1, 0, -1)
    )
    dwell = 2 * (len(stop_nodes) - 1) * op.dwell_s_per_stop
    return out + back + dwell + 2 * op.layover_min * 60.0


def buses_needed(lines: list[BusLine], headway_s: float) -> int:
    """Vehicles needed to run every line at ``headway_s`` (ceil of cycle / headway)."""
    return int(sum(max(1, int(np.ceil(line.round_trip_s / headway_s))) for line in lines))


def headway_for_fleet(lines: list[BusLine], n_buses: int, op: BusOperation) -> float:
    """Return the peak headway (s) at which ``n_buses`` run all lines (bisection).

    The fleet file's peak headway is the target; the headway stretches when the fleet is
    smaller than needed and shrinks (to at least 2 min) when it is larger.
    """
    lo, hi = 120.0, 4 * 3600.0
    if buses_needed(lines, lo) <= n_buses:
        return lo
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if buses_needed(lines, mid) > n_buses:
            lo = mid
        else:
            hi = mid
    return hi


def bus_day(
    lines: list[BusLine],
    n_buses: int,
    op: BusOperation,
    activity: float,
) -> LegBlock:
    """Timetabled bus day: each bus cycles its line from its depot, then pulls in.

    Parameters
    ----------
    lines
        Bus lines with their round-trip times.
    n_buses
        Buses in service (stock x availability); sets the peak headway.
    op
        Timetable parameters.
    activity
        Service level relative to the base year (public-transport share lever); it
        scales the number of buses put on the lines.

    Returns
    -------
    LegBlock
        One vehicle per bus in service.  Off-peak, only every k-th bus of a line runs
        (k = off-peak / peak headway); the others wait at the terminal.
    """
    n_service = max(len(lines), round(n_buses * activity))
    headway_s = headway_for_fleet(lines, n_service, op)
    ratio = max(1, round(op.headway_offpeak_min / max(op.headway_peak_min, 1e-9)))
    start_s, end_s = op.service_start_h * HOUR_S, op.service_end_h * HOUR_S
    peak = np.zeros(24, bool)
    peak[list(op.peak_hours)] = True
    starts: list[int] = []
    counts: list[int] = []
    cycle_s: list[float] = []
    line_of: list[int] = []
    cycles: list[int] = []
    parts: list[tuple[np.ndarray, ...]] = []
    remaining = n_service
    for li, line in enumerate(lines):
        if remaining <= 0:
            break
        n_line = min(max(1, int(np.ceil(line.round_trip_s / headway_s))), remaining)
        remaining -= n_line
        out = np.asarray(line.stop_targets, np.int32)
        cycle = np.concatenate([out[1:], out[-2::-1]])
        ends = np.zeros(cycle.size, bool)
        ends[[out.size - 2, cycle.size - 1]] = True  # terminal B, then back at terminal A
        c_dwell = np.where(ends, op.layover_min * 60.0, op.dwell_s_per_stop)
        c_flags = np.where(ends, LEG_TRIP_END | LEG_LAYOVER | LEG_CHARGE_OK, 0).astype(np.int8)
        for b in range(n_line):
            t0 = start_s + b * headway_s
            departs = []
            depart = t0
            while depart < end_s:
                runs = peak[int(depart // HOUR_S) % 24] or b % ratio == 0
                if runs:
                    departs.append(depart)
                depart += line.round_trip_s if runs else headway_s * ratio
            k = len(departs)
            dep = np.zeros(k * cycle.size)
            dep[:: cycle.size] = departs
            parts.append(
                (
                    np.concatenate([[out[0]], np.tile(cycle, k), [line.depot_target]]).astype(
                        np.int32
                    ),
                    np.concatenate(
                        [[max(0.0, t0 - 1800.0)], dep, [0.0]]
                    ),  # pull-out, cycles, pull-in
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
    tonnes_per_day_by_class: np.ndarray,
    payload_t_by_class: np.ndarray,
    load_factor: float,
    od_origin: np.ndarray,
    od_dest: np.ndarray,
    od_weight: np.ndarray,
    od_origin_node: np.ndarray,
    hourly_profile: np.ndarray,
    unload_s: float = 3600.0,
) -> LegBlock:
    """One simulated truck per loaded trip: origin -> destination (loaded) -> back (empty).

    Parameters
    ----------
    tonnes_per_day_by_class
        Road tonnage of the day by payload class, t.
    payload_t_by_class, load_factor
        Rated payload per class (t) and the average loaded share of it.
    od_origin, od_dest, od_weight, od_origin_node
        Candidate origin-destination pairs (target indices), their weights and the
        origin's graph node.
    hourly_profile
        24 weights of departures by hour.
    """
    trips = np.floor(tonnes_per_day_by_class / (payload_t_by_class * load_factor))
    frac = tonnes_per_day_by_class / (payload_t_by_class * load_factor) - trips
    trips = (trips + (rng.uniform(size=trips.size) < frac)).astype(np.int64)
    n = int(trips.sum())
    size_class = np.repeat(np.arange(trips.size, dtype=np.int16), trips)
    w = np.asarray(od_weight, np.float64)
    od = rng.choice(len(od_origin), size=n, p=w / w.sum())
    profile = np.asarray(hourly_profile, np.float64)
    hours = rng.choice(24, size=n, p=profile / profile.sum())
    depart = hours * HOUR_S + rng.uniform(0.0, HOUR_S, size=n)
    payload = payload_t_by_class[size_class] * load_factor
    m = 2 * n
    leg_target = np.empty(m, np.int32)
    leg_target[0::2] = od_dest[od]
    leg_target[1::2] = od_origin[od]
    leg_depart = np.zeros(m)
    leg_depart[0::2] = depart
    leg_dwell = np.zeros(m)
    leg_dwell[0::2] = unload_s
    leg_payload = np.zeros(m)
    leg_payload[0::2] = payload
    leg_flags = np.zeros(m, np.int8)
    leg_flags[0::2] = LEG_TRIP_END
    return LegBlock(
        start_node=od_origin_node[od].astype(np.int32),
        leg_count=np.full(n, 2, np.int32),
        leg_target=leg_target,
        leg_depart_s=leg_depart,
        leg_dwell_s=leg_dwell,
        leg_payload_t=leg_payload,
        leg_flags=leg_flags,
        size_class=size_class,
    )


def delivery_tours(
    rng: np.random.Generator,
    n_tours: int,
    tours_per_truck: int,
    stops_per_tour: tuple[int, int],
    payload_t: float,
    hub_targets: np.ndarray,
    hub_nodes: np.ndarray,
    drop_targets: np.ndarray,
    drop_weights: np.ndarray,
    hourly_profile: np.ndarray,
    stop_dwell_s: float,
) -> LegBlock:
    """Urban delivery: each truck runs ``tours_per_truck`` tours from its hub.

    A tour leaves the hub loaded with ``payload_t``, visits ``k`` drop points (k uniform
    in ``stops_per_tour``, points drawn by weight) unloading an equal share at each, and
    returns empty; the next tour leaves when the truck is back.  Tonne-km follow the load
    on board.

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
    n = int(np.ceil(n_tours / max(1, tours_per_truck))) if n_tours > 0 else 0
    w = np.asarray(drop_weights, np.float64)
    profile = np.asarray(hourly_profile, np.float64)
    home = rng.integers(0, len(hub_targets), size=n)
    hours = rng.choice(24, size=n, p=profile / profile.sum())
    first = hours * HOUR_S + rng.uniform(0.0, HOUR_S, size=n)
    # tours of each truck (the last truck takes the remainder), stops of each tour
    tours = np.full(n, tours_per_truck, np.int64)
    if n:
        tours[-1] = int(n_tours) - tours_per_truck * (n - 1)
    tour_truck = np.repeat(np.arange(n), tours)
    k = rng.integers(stops_per_tour[0], stops_per_tour[1] + 1, size=tour_truck.size)
    drops = rng.choice(len(drop_targets), size=int(k.sum()), p=w / w.sum())
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
        One-way sailings per ship and day.
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
        n_sail = max(1, round(float(sailings_per_day_by_class[c])))
        for k in range(int(n)):
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
