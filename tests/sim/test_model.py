"""The Mesa face of the model: agents are views on FleetState rows; step() is one tick."""

from __future__ import annotations

import numpy as np
import pytest
from support import PLAN, small

from transport_sim.codes import FLEETS, STATUS_MOVING
from transport_sim.sim.agents import Bus, ChargingSite, FreightTruck, Ship, Taxi, Vehicle
from transport_sim.sim.prepare import day_seeds, prepare, simulate_day


@pytest.fixture(scope="module")
def prepared():
    return prepare(small(PLAN))


def build_model(prepared, year: int = 2024):
    from transport_sim.charging.private_cars import draw_background_cars
    from transport_sim.charging.year_sites import build_year_sites
    from transport_sim.demand.dayplan import build_day_plan
    from transport_sim.policy.turnover import freight_tonnage
    from transport_sim.sim.model import DaySettings, TransportModel

    scen, fdef = prepared.scenario, prepared.fleet_def
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(year, "weekday")]
    rng = np.random.default_rng(seq)
    sites = build_year_sites(prepared.context, scen, fdef, prepared.stock, year)
    cars = draw_background_cars(rng, sites, scen.charging, "weekday")
    road_t, _ = freight_tonnage(year, scen, fdef)
    plan = build_day_plan(prepared.context, scen, fdef, prepared.stock, road_t, year,
                          "weekday", rng, cars, sites)
    settings = DaySettings.from_scenario(scen, fdef.fleet("taxi").operation)
    return TransportModel(prepared.context, plan, sites, settings, rng=rng)


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
    assert set(totals.index) == set(FLEETS)
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
