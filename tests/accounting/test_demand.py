"""Demand conservation: every planned run, tonne and request is done or counted as not done."""

from __future__ import annotations

import numpy as np
import pytest
from support import PLAN, small

from transport_sim.accounting.demand import STRANDING_COLUMNS, undone_co2_t
from transport_sim.pipeline.run import run_tables

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen_results():
    # frozen 2024 plugs against the 2026 battery fleets: some activity is lost
    scen = small(PLAN, run__end_year=2026, run__day_types=["weekday", "holiday"],
                 charging__plug_growth="frozen")
    return run_tables(scen)


def test_planned_equals_done_plus_not_done_per_fleet_and_year(frozen_results):
    annual = frozen_results.annual
    road = annual[annual["fleet"].isin(["bus", "truck", "ship"])]
    assert (road["runs_cancelled"] <= road["runs_planned"] + 1e-9).all()
    np.testing.assert_allclose(road["tonnes_delivered"] + road["tonnes_undelivered"],
                               road["tonnes_planned"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(road["tkm_delivered"] + road["tkm_undelivered"],
                               road["tkm_planned"], rtol=1e-9, atol=1e-6)
    taxi = annual[annual["fleet"] == "taxi"]
    assert (taxi["unserved"] <= taxi["requests"]).all()
    # trucks carry the year's road tonnage (within the day-type weighting)
    trucks = road[road["fleet"] == "truck"].groupby("year")["tonnes_planned"].sum()
    assert (trucks > 1e7).all()


def test_strandings_table_logs_every_stranding(frozen_results):
    strand = frozen_results.tables["strandings"]
    assert list(strand.columns) == list(STRANDING_COLUMNS)
    annual = frozen_results.annual
    # every stranded vehicle-day of annual.parquet is a logged stranding, scaled to the year
    if len(strand):
        assert set(strand["fleet"]) <= {"bus", "taxi", "truck", "ship"}
        assert strand["stranded_at_h"].between(0.0, 24.0).all()
        assert strand["reason"].isin(["empty driving to a charger",
                                      "no charger in range on its route"]).all()
    per_year = strand.groupby("year").size().reindex(annual["year"].unique(), fill_value=0)
    stranded = annual.groupby("year")["stranded"].sum()
    assert ((per_year > 0) == (stranded > 0)).all()


def test_undone_co2_is_a_separate_line_at_the_done_rate():
    # 10 t CO2 for 90 km done of 100 planned: 10 km undone at 1/9 t per km
    assert undone_co2_t(10.0, 100.0, 10.0, 0.0, 0.0) == pytest.approx(10.0 / 9.0)
    assert undone_co2_t(8.0, 0.0, 0.0, 100.0, 20.0) == pytest.approx(2.0)
    assert undone_co2_t(0.0, 0.0, 0.0, 0.0, 0.0) == 0.0


def test_sized_run_meets_its_wait_target_at_every_site():
    # sizing is a lever: the base year keeps today's plugs, later years are sized
    scen = small(PLAN, run__end_year=2025, run__day_types=["holiday"],
                 charging__size_for_p95_wait_min=30.0,
                 charging__size_day_types=["holiday"])
    res = run_tables(scen)
    chargers = res.tables["chargers"]
    later = chargers[chargers["year"] == 2025]
    assert later["wait_p95_min"].max() <= 30.0 + 1e-9
    assert res.meta["sizing_runs_by_year"][2025] >= 1
    assert 2024 not in res.meta["sizing_runs_by_year"]
    sites = res.tables["sites"]
    built = sites[(sites["plugs"] > 0) & (sites["year"] == 2025)].set_index("site_id")["plugs"]
    assert (later.set_index("site_id")["plugs"] == built.reindex(later["site_id"]).values
            ).all()


@pytest.mark.parametrize("day_type", ["weekday", "holiday"])
def test_each_day_type_plans_its_road_tonnage_and_conserves_it(day_type):
    from transport_sim.accounting.demand import day_activity
    from transport_sim.policy.turnover import (
        freight_tonnage_t_per_year,
        road_tonnes_per_operating_day,
        tonnes_per_operating_day,
    )
    from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

    scen = small(PLAN, run__end_year=2024, run__day_types=[day_type],
                 run__vehicle_scale=0.2)
    prep = prepare(scen)
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2024, day_type)]
    model = simulate_day(prep, 2024, day_type, seq)
    act = day_activity(model)
    model.release()
    trucks = act[act["fleet"] == "truck"]
    road_t_day = road_tonnes_per_operating_day(2024, scen, prep.fleet_def)
    # plus one drayage leg (rail yard <-> city) per rail tonne, carried by Shiyan's trucks
    _, rail_t_year = freight_tonnage_t_per_year(2024, scen, prep.fleet_def)
    drayage_t_day = tonnes_per_operating_day(rail_t_year, scen, prep.fleet_def)
    truck = prep.fleet_def.fleet("truck")
    factor = truck.holiday_activity_factor if day_type == "holiday" else 1.0
    # the legs unload the day's road tonnage (trips are drawn: within a few per cent)
    assert trucks["tonnes_planned"].sum() == pytest.approx(
        (road_t_day + drayage_t_day) * factor * scen.run.vehicle_scale, rel=0.05)
    for fleet, cell in act.groupby("fleet"):
        assert cell["tonnes_delivered"].sum() + cell["tonnes_undelivered"].sum() == \
            pytest.approx(cell["tonnes_planned"].sum()), fleet
        assert cell["runs_cancelled"].sum() <= cell["runs_planned"].sum(), fleet
