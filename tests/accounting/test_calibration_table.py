"""The base-year calibration table's truck leg lengths against a plain per-vehicle loop."""

from __future__ import annotations

import numpy as np
from support import PLAN, small

from transport_sim.accounting.calibration import _truck_leg_lengths_m
from transport_sim.codes import FLEETS
from transport_sim.sim.model import TransportModel
from transport_sim.sim.prepare import day_seeds, prepare


def _reference_m(model: TransportModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empty and total metres of each row's planned legs, one vehicle and leg at a time."""
    st, tg, start = model.state, model.context.targets, model.plan.start_node
    empty_m, total_m = np.zeros(rows.size), np.zeros(rows.size)
    for i, v in enumerate(rows.tolist()):
        here = int(start[v])
        for j in range(int(st.leg_begin[v]), int(st.leg_end[v])):
            k = int(st.leg_target[j])
            d = float(tg.dist_m[k, here])
            if np.isfinite(d):
                total_m[i] += d
                if st.leg_payload_t[j] <= 0.0:
                    empty_m[i] += d
            here = int(tg.node[k])
    return empty_m, total_m


def test_truck_leg_lengths_are_the_per_vehicle_sums_bit_for_bit() -> None:
    prep = prepare(small(PLAN))
    scen = prep.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2024, "weekday")]
    model = TransportModel.for_day(prep, 2024, "weekday", seq)
    n = model.plan.n_vehicles
    rows = np.flatnonzero(model.state.fleet[:n] == FLEETS.index("truck"))
    legs = model.state.leg_end[rows] - model.state.leg_begin[rows]
    assert rows.size > 10
    assert legs.max() >= 3  # delivery tours: several legs, summed in order
    empty_m, total_m = _truck_leg_lengths_m(model, rows)
    want_empty_m, want_total_m = _reference_m(model, rows)
    np.testing.assert_array_equal(total_m, want_total_m)
    np.testing.assert_array_equal(empty_m, want_empty_m)
    assert 0.0 < empty_m.sum() < total_m.sum()
    model.release()
