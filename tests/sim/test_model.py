"""The Mesa face of the model: agents are views on FleetState rows; step() is one tick."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.codes import FLEETS, STATUS_MOVING
from transport_sim.sim.agents import Bus, ChargingSite, FreightTruck, Ship, Taxi, Vehicle
from transport_sim.sim.model import TransportModel
from transport_sim.sim.prepare import day_seeds, prepare, simulate_day


@pytest.fixture(scope="module")
def prepared():
    return prepare(small(PLAN))


def build_model(prepared, year: int = 2024, day_type: str = "weekday"):
    """The runner's model of (year, day type), built but not run."""
    scen = prepared.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(year, day_type)]
    return TransportModel.for_day(prepared, year, day_type, seq)


def test_agents_by_type_are_views(prepared) -> None:
    model = build_model(prepared)
    for cls, fleet in zip((Bus, Taxi, FreightTruck, Ship), FLEETS, strict=True):
        agents = list(model.agents_by_type[cls])
        assert agents, fleet
        assert all(isinstance(a, Vehicle) for a in agents)
        assert {int(model.state.fleet[a.index]) for a in agents} == {FLEETS.index(fleet)}
    assert len(model.agents_by_type[ChargingSite]) == model.sites.n_sites
    taxi = next(iter(model.agents_by_type[Taxi]))
    model.state.soc_kwh[taxi.index] = 12.5
    assert taxi.soc_kwh == pytest.approx(12.5)
    taxi.soc_kwh = 3.0
    assert model.state.soc_kwh[taxi.index] == pytest.approx(3.0)


def test_step_is_one_tick_for_every_vehicle(prepared) -> None:
    model = build_model(prepared)
    dt = model.settings.tick_s
    model.time_s = 7 * 3600.0  # morning: buses and trucks on the road
    for _ in range(30):
        model.step()
    assert model.time_s == pytest.approx(7 * 3600.0 + 30 * dt)
    assert model.steps == 30
    assert model.count_status(STATUS_MOVING) > 0
    assert model.state.odometer_m.sum() > 0


def test_model_rng_is_the_seeded_generator(prepared) -> None:
    a = build_model(prepared)
    b = build_model(prepared)
    assert a.rng.random() == b.rng.random()


def test_simulated_day_collects_data_and_moves_every_fleet(prepared) -> None:
    scen = prepared.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2024, "weekday")]
    model = simulate_day(prepared, 2024, "weekday", seq)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 1 + round(86_400 / scen.run.report_interval_s)
    assert frame["vkm"].is_monotonic_increasing
    totals = model.fleet_totals().groupby("fleet")["vkm"].sum()
    assert set(totals.index) == {*FLEETS, "through_truck"}  # through traffic: its own label
    assert (totals > 0).all()


def test_released_model_is_garbage_collected(prepared) -> None:
    import gc
    import weakref

    import mesa

    model = build_model(prepared)
    ref = weakref.ref(model)
    assert model in mesa.Agent._ids  # Mesa's class-level registry holds every model
    model.release()
    assert model not in mesa.Agent._ids
    del model
    gc.collect()
    assert ref() is None


def test_assigned_requests_point_at_taxis(prepared) -> None:
    model = build_model(prepared)
    model.time_s = 8 * 3600.0
    for _ in range(60):
        model.step()
    rows = model.request_vehicles()
    assigned = rows[rows >= 0]
    assert assigned.size > 0
    assert (model.state.fleet[assigned] == FLEETS.index("taxi")).all()


def test_simulate_day_is_for_day_then_run_day(prepared) -> None:
    """The runner's day and a day built with for_day and run by hand are the same."""
    scen = prepared.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2025, "weekday")]
    built = build_model(prepared, 2025)
    assert built.steps == 0
    assert built.state.odometer_m.sum() == 0.0
    built.run_day()
    ran = simulate_day(prepared, 2025, "weekday", seq)
    for name in ("odometer_m", "energy_kwh", "soc_kwh", "grid_kwh", "status", "node"):
        np.testing.assert_array_equal(getattr(built.state, name), getattr(ran.state, name))
    np.testing.assert_array_equal(built.dispatch_totals, ran.dispatch_totals)
    pd.testing.assert_frame_equal(built.fleet_totals(), ran.fleet_totals())
    built.release()
    ran.release()


def test_for_day_honours_plug_overrides(prepared) -> None:
    base = build_model(prepared)
    sid = base.sites.site_id[0]
    more = int(base.sites.plugs[0]) + 7
    scen = prepared.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2024, "weekday")]
    bigger = TransportModel.for_day(prepared, 2024, "weekday", seq, plug_overrides={sid: more})
    assert int(bigger.sites.plugs[0]) == more
    np.testing.assert_array_equal(bigger.sites.plugs[1:], base.sites.plugs[1:])
    np.testing.assert_array_equal(bigger.state.leg_target, base.state.leg_target)
    base.release()
    bigger.release()
