"""The Mesa face of the model: agents are views on FleetState rows; step() is one tick."""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.codes import FLEETS, STATUS_MOVING
from transport_sim.sim.agents import (
    AGENT_CLASSES,
    Bus,
    ChargingSite,
    FreightTruck,
    Ship,
    Taxi,
    Vehicle,
    populate,
    remove_all,
)
from transport_sim.sim.model import DayPlans, TransportModel
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


def _agents_seen(model: mesa.Model) -> list:
    """What Mesa holds of a model's agents, in Mesa's order."""
    by_type = {
        cls.__name__: [(a.unique_id, a.index) for a in group]
        for cls, group in model.agents_by_type.items()
    }
    every = [
        (type(a).__name__, a.unique_id, a.index, a.pos, a.model is model) for a in model.agents
    ]
    return [every, by_type, [(a.unique_id, a.index) for a in model._agents]]


def test_bulk_agents_are_the_agents_mesa_creates_one_by_one() -> None:
    fleet = np.random.default_rng(3).integers(0, len(FLEETS), 500).astype(np.int8)
    one_by_one = mesa.Model(rng=np.random.default_rng(0))
    for v, f in enumerate(fleet):
        AGENT_CLASSES[int(f)](one_by_one, v)
    for s in range(7):
        ChargingSite(one_by_one, s)
    bulk = mesa.Model(rng=np.random.default_rng(0))
    populate(bulk, fleet, 7)
    assert _agents_seen(bulk) == _agents_seen(one_by_one)
    # Mesa keeps working on the bulk-built model: one more agent, then removal
    extra = [Taxi(m, 500) for m in (one_by_one, bulk)]
    assert extra[0].unique_id == extra[1].unique_id == 508
    assert _agents_seen(bulk) == _agents_seen(one_by_one)
    one_by_one.remove_all_agents()
    remove_all(bulk)
    assert _agents_seen(bulk) == _agents_seen(one_by_one)
    assert len(bulk.agents) == 0
    Ship(bulk, 3)
    assert [a.index for a in bulk.agents_by_type[Ship]] == [3]


def test_agents_built_on_first_use_are_those_built_with_the_model(prepared) -> None:
    """A day's agents come on first use, with the ids and order of building them at once."""
    model = build_model(prepared)
    n_agents = model.plan.n_vehicles + model.sites.n_sites
    assert model._agents == {}  # nothing built yet
    eager = mesa.Model(rng=np.random.default_rng(0))
    populate(eager, model.state.fleet[: model.plan.n_vehicles], model.sites.n_sites)
    assert _agents_seen(model) == _agents_seen(eager)
    model.release()
    # an agent of the user's own, made before the day's agents were looked at, comes
    # after them (its id was taken after theirs), and Mesa lists it after them
    other = build_model(prepared)
    extra = Taxi(other, 0)
    assert extra.unique_id == n_agents + 1
    assert list(other.agents)[-1] is extra
    assert len(other.agents) == n_agents + 1
    other.release()
    assert len(other.agents) == 0  # released: none left, none built later
    gone = build_model(prepared)
    gone.release()
    assert len(gone.agents) == 0
    assert gone.agent_types == []


def test_a_reused_day_plan_gives_the_day_built_from_scratch(prepared) -> None:
    """The sizing runs of a day share its plan: a copy, untouched by earlier runs."""
    scen = prepared.scenario

    def seq(year: int = 2025):
        return day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(year, "weekday")]

    plans = DayPlans(capacity=1)
    first = TransportModel.for_day(prepared, 2025, "weekday", seq(), plans=plans)
    first.run_day()  # mutates its own copy of the plan only
    sid = str(first.sites.site_id[0])
    more = {sid: int(first.sites.plugs[0]) + 3}
    reused = TransportModel.for_day(prepared, 2025, "weekday", seq(), more, plans=plans)
    fresh = TransportModel.for_day(prepared, 2025, "weekday", seq(), more)
    # the cache hands out a copy: not the plan it keeps, not the plan the first run used
    assert all(reused.plan is not kept for kept in plans._plans.values())
    assert reused.plan is not first.plan
    assert reused.state.odometer_m.sum() == 0.0
    for model in (reused, fresh):
        model.run_day()
    for field in dataclasses.fields(fresh.state):
        got, want = getattr(reused.state, field.name), getattr(fresh.state, field.name)
        np.testing.assert_array_equal(got, want, err_msg=field.name)
    pd.testing.assert_frame_equal(reused.fleet_totals(), fresh.fleet_totals())
    np.testing.assert_array_equal(reused.site_arrays.plugs, fresh.site_arrays.plugs)
    # another day evicts the plan (capacity 1); the cache hands out copies only
    other = TransportModel.for_day(prepared, 2024, "weekday", seq(2024), plans=plans)
    assert list(plans._plans) == [(2024, "weekday", seq(2024).entropy, seq(2024).spawn_key)]
    for model in (first, reused, fresh, other):
        model.release()
