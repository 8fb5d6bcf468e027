"""The event-driven day loop (``kernels/events.py``) equals the tick loop bit for bit.

Two copies of the same representative day run side by side, one through
``kernels.day._run_ticks`` (every vehicle every tick, the reference) and one through
``kernels.events._run_events`` (a vehicle touched only when something happens to it),
and every array of the fleet state, the charger sites, the session log and the taxi
requests must end identical: the same arrivals to the tick, the same kilometres, energy,
tonne-km and states of charge to the last bit.  The days are a battery-heavy future year
(BEV trucks deciding at service areas, buses and taxis at hubs, queues) and the calls
are cut at random lengths (reporting intervals, single ``model.step()`` ticks), since
each call rebuilds its calendar and materialises the vehicles left mid-edge.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support import PLAN, small

from transport_sim.errors import ScenarioError
from transport_sim.kernels.state import FleetState
from transport_sim.sim.model import TransportModel
from transport_sim.sim.prepare import day_seeds, prepare

YEAR = 2030


@pytest.fixture(scope="module")
def prepared():
    return prepare(small(PLAN, run__vehicle_scale=0.05, run__end_year=YEAR))


def _model(prepared, movement: str) -> TransportModel:
    scen = prepared.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(YEAR, "weekday")]
    model = TransportModel.for_day(prepared, YEAR, "weekday", seq)
    model.settings = dataclasses.replace(model.settings, movement=movement)
    return model


#: Largest relative difference allowed in a float array (km, energy, SOC, times): the
#: event loop sums whole ticks on an edge in closed form, the tick loop tick by tick.
RTOL = 1e-9


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    """Integer, boolean and shape: identical; floats: within ``RTOL`` relative, same NaNs."""
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x.dtype.kind != "f":
        return bool(np.array_equal(x, y))
    return bool(np.allclose(x, y, rtol=RTOL, atol=0.0, equal_nan=True))


def _differences(a: TransportModel, b: TransportModel) -> list[str]:
    bad = []
    for f in dataclasses.fields(FleetState):
        if not _same(getattr(a.state, f.name), getattr(b.state, f.name)):
            bad.append(f"state.{f.name}")
    for f in dataclasses.fields(a.site_arrays):
        x, y = getattr(a.site_arrays, f.name), getattr(b.site_arrays, f.name)
        if isinstance(x, np.ndarray) and not _same(x, y):
            bad.append(f"site_arrays.{f.name}")
    for name in ("arrived", "dispatch_totals"):
        if not _same(getattr(a, name), getattr(b, name)):
            bad.append(name)
    for name in ("state", "taxi", "assign_s", "cursor"):
        x, y = getattr(a.dispatch, name), getattr(b.dispatch, name)
        if not _same(x, y):
            bad.append(f"requests.{name}")
    return bad


@pytest.fixture(scope="module")
def day_pair(prepared):
    """A whole day, run as ``run_day`` runs it (one call per reporting interval)."""
    tick, event = _model(prepared, "tick"), _model(prepared, "event")
    tick.run_day()
    event.run_day()
    yield tick, event
    tick.release()
    event.release()


def test_whole_day_is_bit_identical(day_pair) -> None:
    tick, event = day_pair
    assert _differences(tick, event) == []
    frames = [m.datacollector.get_model_vars_dataframe() for m in day_pair]
    # what the DataCollector saw between calls
    assert list(frames[0].columns) == list(frames[1].columns)
    assert frames[0].index.equals(frames[1].index)
    for col in frames[0].columns:
        assert _same(frames[0][col].to_numpy(), frames[1][col].to_numpy()), col


def test_day_exercises_events(day_pair) -> None:
    """The compared day has arrivals, charger detours, queues, taxis and BEV trucks."""
    tick, _ = day_pair
    st, cs = tick.state, tick.site_arrays
    assert int(st.trips.sum()) > 100
    assert int(tick.dispatch_totals[0]) > 10
    assert int(cs.site_sessions.sum()) > 10
    assert float(st.charged_kwh.sum()) > 0.0
    truck = st.fleet == 2
    assert np.any(truck & (st.charged_kwh > 0.0))  # a truck decided to charge
    assert float(st.odometer_m.sum()) > 1e6


@pytest.mark.parametrize("seed", [1, 2])
def test_random_call_lengths_are_bit_identical(prepared, seed: int) -> None:
    """Calls of random length (1 to 400 ticks) through the busy hours give the same day."""
    rng = np.random.default_rng(seed)
    tick, event = _model(prepared, "tick"), _model(prepared, "event")
    start = 6 * 360  # 06:00 at 10 s ticks, in one call each
    tick._advance(start)
    event._advance(start)
    done = 0
    while done < 4 * 360:
        k = int(rng.integers(1, 400))
        tick._advance(k)
        event._advance(k)
        done += k
        assert _differences(tick, event) == [], f"after {done} ticks"
    tick.release()
    event.release()


def test_trucks_going_low_on_the_road_are_bit_identical(prepared) -> None:
    """Battery trucks that start the day just above ``charge_below_soc`` go low while
    moving, where a low truck that cannot reach its target may leave its route for a
    charger at any tick (not only near a service area): both engines agree, call by call.
    """
    pair = []
    for movement in ("tick", "event"):
        model = _model(prepared, movement)
        st = model.state
        bev = st.fleet == 2
        bev &= model.plan.specs.is_bev[st.spec] & (st.battery_kwh > 0.0)
        low_kwh = model.settings.charge_below_soc * st.battery_kwh
        st.soc_kwh[bev] = np.minimum(st.soc_kwh[bev], 1.02 * low_kwh[bev])
        pair.append(model)
    tick, event = pair
    assert int(bev.sum()) > 5
    for _ in range(14):  # 06:00 to 20:00 in hour-long calls
        tick._advance(360 if tick.time_s >= 6 * 3600 else 6 * 360)
        event._advance(360 if event.time_s >= 6 * 3600 else 6 * 360)
        assert _differences(tick, event) == [], f"at {tick.time_s / 3600:.0f} h"
    # the low trucks did charge (the comparison covered their decisions)
    assert np.any(bev & (tick.state.charged_kwh > 0.0))
    tick.release()
    event.release()


def test_session_log_overflow_is_bit_identical(prepared) -> None:
    """A session log of 4 rows overflows again and again (the loop returns, Python grows
    the log and finishes the tick): both engines still end the morning identical."""
    from transport_sim.kernels.charging import ChargingState

    pair = []
    for movement in ("tick", "event"):
        model = _model(prepared, movement)
        cs = model.site_arrays
        model.site_arrays = ChargingState.allocate(
            cs.site_plugs, cs.site_power_kw, model.state.n_vehicles, log_capacity=4
        )
        model._day = model.kernel_bundles()
        model._advance(11 * 360)
        pair.append(model)
    assert pair[0].site_arrays.log_capacity > 4  # it did overflow
    assert _differences(*pair) == []
    for model in pair:
        model.release()


@pytest.mark.slow
def test_base_year_weekday_is_bit_identical() -> None:
    """The default plan's 2024 weekday at full scale (diesel-heavy, few battery trucks,
    full taxi dispatch; charger sizing off) through ``run_day``: the same day in both
    engines, to the last bit."""
    prep = prepare(small(PLAN, run__vehicle_scale=1.0, run__end_year=2024))
    pair = []
    for movement in ("tick", "event"):
        seq = day_seeds(prep.scenario.run.seed, prep.scenario.years, ["weekday"])
        model = TransportModel.for_day(prep, 2024, "weekday", seq[(2024, "weekday")])
        model.settings = dataclasses.replace(model.settings, movement=movement)
        model.run_day()
        pair.append(model)
    assert _differences(*pair) == []
    assert int(pair[0].state.trips.sum()) > 1000
    for model in pair:
        model.release()


def test_movement_setting_is_validated() -> None:
    with pytest.raises(ScenarioError, match=r"run\.movement.*teleport"):
        small(PLAN, run__movement="teleport")
    assert small(PLAN, run__movement="tick").run.movement == "tick"
