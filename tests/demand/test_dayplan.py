"""Stock -> representative day: counts per cell, availability, scale, determinism."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.codes import FLEETS
from transport_sim.demand.dayplan import allocate, build_day_plan, stock_cells
from transport_sim.io import largest_remainder
from transport_sim.policy.turnover import freight_tonnage
from transport_sim.sim.prepare import prepare

YEAR = 2025
SCALE = 0.2


@pytest.fixture(scope="module")
def prepared():
    return prepare(small(PLAN, run__vehicle_scale=SCALE))


def _plan(prepared, seed: int = 7, day_type: str = "weekday"):
    scen, fdef = prepared.scenario, prepared.fleet_def
    road_t, _ = freight_tonnage(YEAR, scen, fdef)
    return build_day_plan(
        prepared.context, scen, fdef, prepared.stock, road_t, YEAR, day_type,
        np.random.default_rng(seed),
    )  # fmt: skip


def _cells_drawn(plan, fleet: str) -> Counter:
    """(size class, powertrain) -> simulated vehicles of ``fleet``."""
    b, e = plan.fleet_ranges[FLEETS.index(fleet)]
    keys = [plan.spec_keys[int(k)] for k in plan.state.spec[b:e]]
    return Counter((c, p) for _, c, p in keys)


def test_stock_cells_and_allocate_are_proportional() -> None:
    stock = pd.DataFrame({
        "year": [2025] * 4 + [2026],
        "fleet": ["taxi", "taxi", "taxi", "bus", "taxi"],
        "size_class": ["ride", "cruise", "cruise", "std", "cruise"],
        "powertrain": ["bev", "petrol", "petrol", "bev", "bev"],
        "vehicles": [30, 40, 20, 5, 99],
    })  # fmt: skip
    cells = stock_cells(stock, 2025, "taxi")
    assert cells == [("cruise", "petrol", 60), ("ride", "bev", 30)]  # summed, sorted
    drawn = allocate(cells, 7, np.random.default_rng(1))
    # 7 x 60/90 = 4.67 -> 5, 7 x 30/90 = 2.33 -> 2 (largest remainder)
    assert Counter(drawn) == {("cruise", "petrol"): 5, ("ride", "bev"): 2}
    assert drawn == allocate(cells, 7, np.random.default_rng(1))
    orders = {tuple(allocate(cells, 7, np.random.default_rng(s))) for s in range(20)}
    assert len(orders) > 1  # shuffled by the generator, not in stock order
    assert allocate(cells, 0, np.random.default_rng(1)) == []
    assert allocate([], 5, np.random.default_rng(1)) == []


def test_taxi_counts_follow_stock_availability_and_scale(prepared) -> None:
    plan = _plan(prepared)
    cells = stock_cells(prepared.stock, YEAR, "taxi")
    n_stock = sum(c[2] for c in cells)
    n = round(n_stock * prepared.calibration_file().availability["taxi"] * SCALE)
    b, e = plan.fleet_ranges[FLEETS.index("taxi")]
    assert e - b == n
    expected = largest_remainder([n * c[2] / n_stock for c in cells], n)
    assert _cells_drawn(plan, "taxi") == {
        (c, p): k for (c, p, _), k in zip(cells, expected, strict=True) if k
    }
    # one simulated taxi stands for the available taxis it represents
    available = n_stock * prepared.calibration_file().availability["taxi"]
    assert plan.vehicle_scale["taxi"] == pytest.approx(available / n)
    assert plan.vehicle_scale["truck"] == pytest.approx(1 / SCALE)
    assert plan.vehicle_scale["bus"] == plan.vehicle_scale["ship"] == 1.0


def test_bus_and_ship_counts_per_cell(prepared) -> None:
    plan = _plan(prepared)
    bus_cells = stock_cells(prepared.stock, YEAR, "bus")
    b, e = plan.fleet_ranges[FLEETS.index("bus")]
    expected = largest_remainder(
        [(e - b) * c[2] / sum(c[2] for c in bus_cells) for c in bus_cells], int(e - b)
    )
    assert _cells_drawn(plan, "bus") == {
        (c, p): k for (c, p, _), k in zip(bus_cells, expected, strict=True) if k
    }
    ship = prepared.fleet_def.fleet("ship")
    ship_cells = stock_cells(prepared.stock, YEAR, "ship")
    drawn = _cells_drawn(plan, "ship")
    for name in ship.classes:
        in_stock = sum(c[2] for c in ship_cells if c[0] == name)
        assert sum(k for (c, _), k in drawn.items() if c == name) == round(
            in_stock * prepared.calibration_file().availability["ship"]
        )


def test_rows_are_consistent(prepared) -> None:
    plan = _plan(prepared)
    st = plan.state
    assert plan.n_vehicles == st.n_vehicles  # no background cars passed
    assert plan.fleet_ranges[0, 0] == 0
    assert plan.fleet_ranges[-1, 1] == plan.n_vehicles
    np.testing.assert_array_equal(plan.fleet_ranges[1:, 0], plan.fleet_ranges[:-1, 1])
    fdef = prepared.fleet_def
    bev_all = np.zeros(plan.n_vehicles, bool)
    for fi in range(len(FLEETS)):
        b, e = plan.fleet_ranges[fi]
        assert (st.fleet[b:e] == fi).all()
        bev = np.array([fdef.spec(*plan.spec_keys[int(k)]).is_bev for k in st.spec[b:e]], bool)
        bev_all[b:e] = bev
        np.testing.assert_array_equal(st.soc_kwh[b:e], st.battery_kwh[b:e])  # full at dawn
        assert (st.battery_kwh[b:e][~bev] == 0).all()
        assert (st.leg_begin[b:e] <= st.leg_end[b:e]).all()
    # the battery rows are listed for the charging decisions, rows are not sorted by them
    np.testing.assert_array_equal(np.sort(plan.bev_rows), np.flatnonzero(bev_all))
    total = prepared.stock[prepared.stock["year"] == YEAR]
    assert plan.stock == {
        k: int(v) for k, v in total.groupby(["fleet", "powertrain"])["vehicles"].sum().items()
    }


def test_the_day_is_deterministic_for_a_seed(prepared) -> None:
    a, b, c = _plan(prepared, 7), _plan(prepared, 7), _plan(prepared, 8)
    for name in ("spec", "node", "leg_begin", "leg_end", "leg_target", "leg_depart_s"):
        np.testing.assert_array_equal(getattr(a.state, name), getattr(b.state, name))
    np.testing.assert_array_equal(a.requests.time_s, b.requests.time_s)
    assert a.spec_keys == b.spec_keys
    assert not np.array_equal(a.requests.time_s, c.requests.time_s)
    assert not np.array_equal(a.state.leg_depart_s, c.state.leg_depart_s)


def test_holiday_scales_taxi_demand(prepared) -> None:
    """Expected requests scale with the fleet's holiday activity factor (Poisson draws)."""
    factor = prepared.fleet_def.fleet("taxi").holiday_activity_factor
    weekday = np.mean([_plan(prepared, s).requests.n_requests for s in range(3)])
    holiday = np.mean([_plan(prepared, s, "holiday").requests.n_requests for s in range(3)])
    op = prepared.fleet_def.fleet("taxi").operation
    b, e = _plan(prepared).fleet_ranges[FLEETS.index("taxi")]
    fitted = prepared.calibration_file().fitted["taxi_request_factor"]
    expected = op.trips_per_taxi_per_day * (e - b) * fitted
    # three Poisson days: mean within 4 standard errors of the expectation
    assert weekday == pytest.approx(expected, abs=4 * np.sqrt(expected / 3))
    assert holiday == pytest.approx(expected * factor, abs=4 * np.sqrt(expected * factor / 3))
