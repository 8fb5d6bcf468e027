"""Demand generators: legs are well formed and conserve what they promise."""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.demand.generators import delivery_tours
from transport_sim.kernels.state import LEG_TRIP_END


def test_delivery_tours_structure_and_tonnage() -> None:
    rng = np.random.default_rng(3)
    block = delivery_tours(
        rng, n_tours=7, tours_per_truck=2, stops_per_tour=(2, 4), payload_t=1.2,
        hub_targets=np.array([10, 11]), hub_nodes=np.array([100, 110]),
        drop_targets=np.arange(5), drop_weights=np.ones(5), hourly_profile=np.ones(24),
        stop_dwell_s=300.0,
    )
    assert block.n_vehicles == 4  # ceil(7 / 2)
    assert block.leg_count.sum() == block.leg_target.size
    assert (block.leg_flags == LEG_TRIP_END).sum() == 7  # one revenue trip per tour
    begins = np.concatenate([[0], np.cumsum(block.leg_count)[:-1]])
    for v in range(block.n_vehicles):
        legs = slice(begins[v], begins[v] + block.leg_count[v])
        targets = block.leg_target[legs]
        hub = {100: 10, 110: 11}[int(block.start_node[v])]
        assert targets[-1] == hub  # every truck ends its day at its own hub
        assert block.leg_depart_s[legs][0] > 0  # the first departure is timed
        assert (block.leg_depart_s[legs][1:] == 0).all()
        payload = block.leg_payload_t[legs]
        assert payload[0] == 1.2  # leaves loaded
        assert (payload[targets == hub] == 0).all()  # returns empty
        assert (payload >= 0).all()
        assert (payload <= 1.2).all()


def test_taxi_requests_sorted_never_to_the_origin_and_nearer_is_likelier() -> None:
    from transport_sim.demand.generators import taxi_requests

    n = 30
    pos = np.linspace(0.0, 29.0, n)
    time_s = (np.abs(pos[:, None] - pos[None, :]) * 120.0).astype(np.float32)  # [dest, node]
    points = np.arange(n, dtype=np.int32)
    t, origin, dest = taxi_requests(
        np.random.default_rng(7), 20_000, np.ones(24), points, np.ones(n), time_s, points
    )
    assert np.all(np.diff(t) >= 0)
    assert abs(t.size - 20_000) < 5 * np.sqrt(20_000)
    assert not np.any(origin == dest)
    gap = np.abs(pos[origin] - pos[dest])
    assert np.mean(gap <= 5) > np.mean(gap >= 20)  # gravity: short trips dominate


def test_truck_day_carries_the_tonnage_with_the_empty_share_it_promises() -> None:
    """Analytic: 1,300 loaded legs of 20 t, empty share 0.35 -> 700 empty legs; t kept."""
    from transport_sim.demand.generators import truck_day

    rng = np.random.default_rng(5)
    load_t, empty, tonnes = 20.0, 0.35, 26_000.0
    block = truck_day(
        rng, tonnes, load_t, 1.5, empty,
        od_origin=np.array([0, 1]), od_dest=np.array([2, 3]), od_weight=np.array([1.0, 1.0]),
        od_origin_node=np.array([10, 11]), hourly_profile=np.ones(24), unload_s=1800.0,
    )
    n_loaded = tonnes / load_t
    n_empty = round(n_loaded * empty / (1 - empty))  # 700
    assert block.leg_count.sum() == n_loaded + n_empty
    assert block.n_vehicles == round((n_loaded + n_empty) / 3)  # 3 legs = 1.5 round trips
    assert block.leg_payload_t.sum() == pytest.approx(tonnes)  # every tonne on a truck
    assert (block.leg_payload_t == 0).mean() == pytest.approx(empty, abs=1e-3)
    begins = np.concatenate([[0], np.cumsum(block.leg_count)[:-1]])
    assert (block.leg_payload_t[begins] == load_t).all()  # trucks leave loaded
    assert (block.leg_dwell_s == 1800.0).all()


def test_delivery_drops_are_visited_nearest_first() -> None:
    from transport_sim.demand.generators import nearest_neighbour_order

    # targets 0..4 on a line at x = 0, 10, 20, 30, 40 km; node of target k is k
    x = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    dist = np.abs(x[:, None] - x[None, :])  # [target, node]
    order = nearest_neighbour_order(0, np.array([4, 2, 1, 3]), dist, np.arange(5))
    assert order.tolist() == [1, 2, 3, 4]
    rng = np.random.default_rng(0)
    block = delivery_tours(
        rng, n_tours=30, tours_per_truck=1.5, stops_per_tour=(3, 3), payload_t=1.0,
        hub_targets=np.array([0]), hub_nodes=np.array([0]), drop_targets=np.arange(1, 5),
        drop_weights=np.ones(4), hourly_profile=np.ones(24), stop_dwell_s=60.0,
        dist_m=dist, target_node=np.arange(5),
    )
    assert block.n_vehicles == 20  # ceil(30 / 1.5), tours shared 2/1
    assert sorted(np.bincount(block.leg_count).nonzero()[0].tolist()) == [4, 8]
    legs = block.leg_target.reshape(-1, 4)[:, :3]  # 3 drops then the hub
    assert (np.diff(legs, axis=1) >= 0).all()  # outward from the hub, never back


def test_bus_blocks_follow_the_block_km() -> None:
    from transport_sim.demand.generators import BusLine, bus_day
    from transport_sim.fleets.specs import BusOperation

    op = BusOperation(service_start_h=6.0, service_end_h=22.0, headway_peak_min=8.0,
                      headway_offpeak_min=15.0, peak_hours=(7, 8, 17, 18), layover_min=8.0,
                      dwell_s_per_stop=20.0, daily_km=180.0)
    lines = [BusLine(f"L{i}", np.array([0, 1, 2], np.int32), 3, 30, 3600.0) for i in range(4)]
    line_km = np.array([20.0, 20.0, 30.0, 300.0])  # the last one is an intercity line
    block = bus_day(lines, line_km, 60, op, 1.0, 180.0)
    km = block.extra["cycles"] * line_km[block.extra["line"]]
    urban = block.extra["line"] < 3
    assert 40 <= block.n_vehicles <= 60
    assert km[urban].max() <= 180.0 + 1e-9  # no urban block beyond its km
    # all-day blocks are full; peak-hour extras (trippers) are short, so the mean km per
    # bus is below the block km and the calibration's block-km factor makes up for it
    assert (km[urban] >= 160.0).mean() >= 0.4
    assert km[urban].mean() >= 0.5 * 180.0
    assert (km[~urban] == 300.0).all()  # intercity: one round trip per block


def test_compiled_tour_ordering_equals_the_python_reference() -> None:
    from transport_sim.demand.generators import nearest_neighbour_order
    from transport_sim.kernels.tours import order_tours_nearest_first

    rng = np.random.default_rng(7)
    n_targets, n_nodes = 12, 15
    dist = rng.uniform(0, 5000, (n_targets, n_nodes)).round(-2).astype(np.float32)  # ties
    dist[rng.random((n_targets, n_nodes)) < 0.1] = np.inf
    node = rng.integers(0, n_nodes, n_targets).astype(np.int32)
    k = rng.integers(0, 7, 40).astype(np.int64)
    begin = np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64)
    hubs = rng.integers(0, n_targets, 40).astype(np.int64)
    drops = rng.integers(0, n_targets, int(k.sum())).astype(np.int64)
    order = order_tours_nearest_first(begin, k, hubs, drops, dist, node)
    for t in range(40):
        sl = slice(int(begin[t]), int(begin[t] + k[t]))
        want = nearest_neighbour_order(int(hubs[t]), drops[sl], dist, node)
        assert drops[order[sl]].tolist() == want.tolist()


def _line_distances(n: int, stop_km: list[float], one_way: set[int]) -> np.ndarray:
    """Shortest-path metres (target x node, target i = node i) between stops on a road.

    Stops lie on a straight road at ``stop_km``; driving back toward a lower stop from a
    stop in ``one_way`` (a stop on a one-way ramp) costs a 40 km U-turn detour.
    """
    dist = np.zeros((n, n))
    for a in range(n):  # from node a
        for b in range(n):  # to target b
            dist[b, a] = abs(stop_km[b] - stop_km[a]) * 1000.0
            if b < a and (a in one_way or b in one_way):
                dist[b, a] += 40_000.0
    return dist


def test_inbound_stops_skip_one_way_stops_and_keep_two_way_lines() -> None:
    from transport_sim.demand.generators import inbound_stops

    km = [0.0, 10.0, 20.0, 30.0, 40.0]
    targets = np.arange(5)
    # a two-way street: every stop is served inbound, in reverse order
    two_way = inbound_stops(targets, targets, _line_distances(5, km, set()))
    assert two_way.tolist() == [4, 3, 2, 1, 0]
    # stops 1 and 3 sit on one-way ramps: the inbound bus passes them by (no U-turns)
    ramps = inbound_stops(targets, targets, _line_distances(5, km, {1, 3}))
    assert ramps.tolist() == [4, 2, 0]
    # the inbound trip is then as long as the outbound one (40 km), not 40 + 2 x 40 km
    dist = _line_distances(5, km, {1, 3})
    back = sum(dist[ramps[j + 1], ramps[j]] for j in range(len(ramps) - 1))
    assert back == pytest.approx(40_000.0)
