"""Demand generators: legs are well formed and conserve what they promise."""

from __future__ import annotations

import numpy as np

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
