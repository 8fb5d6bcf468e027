"""The fused tick loop (``kernels/day.py::_run_ticks``) equals its kernels called one by one.

``_run_ticks`` takes the day's ``DayBundle`` (built by ``TransportModel.kernel_bundles``);
the public wrappers of the dispatch, charging and movement kernels build their own
bundles from the dataclasses (``FleetState``, ``ChargingState``, ``Targets``, ...) and
named keyword parameters.  Two copies of a real representative day are run
for three morning-peak hours, one through the fused loop (``TransportModel._advance``
with ``run.movement = "tick"``), one through the wrappers tick by tick in the loop's
order (dispatch -> charging decisions -> movement -> charging), and every array must end
equal, bit for bit.  The event loop (the default engine) drives a vehicle ahead between
its events with the tick kernel's sums and is compared with the tick loop in
``test_events.py`` (integers exact, floats to 1e-9).

The state is made asymmetric first so that two swapped arguments of the same type
change the result: the day has already run for hours (odometers, energies, states of
charge, queues, waits all differ per vehicle), every scalar parameter has a distinct
value, and the time-of-day speed factors differ by hour and road class.  The test also
checks that each kernel did real work in the window (requests assigned and expired,
charging decisions, sessions, moves), so a swap in an idle code path cannot hide.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support import PLAN, small

from transport_sim.codes import N_ROAD_CLASSES, STATUS_QUEUED
from transport_sim.kernels.charging import charging_decisions, charging_tick
from transport_sim.kernels.dispatch import dispatch_tick
from transport_sim.kernels.movement import advance_tick
from transport_sim.kernels.state import FleetState
from transport_sim.sim.model import TransportModel
from transport_sim.sim.prepare import day_seeds, prepare

START_S = 6.0 * 3600.0  # warm-up: midnight to 06:00 through the fused loop
WINDOW_TICKS = 3 * 360  # 06:00-09:00 at 10 s ticks: buses, taxis, trucks, ships and charging


@pytest.fixture(scope="module")
def prepared():
    # more taxis than the default test scale: queues at the urban hubs in the window
    return prepare(small(PLAN, run__vehicle_scale=0.3, run__end_year=2030, run__start_year=2024))


def _asymmetric_model(prepared) -> TransportModel:
    scen = prepared.scenario
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2030, "weekday")]
    model = TransportModel.for_day(prepared, 2030, "weekday", seq)
    # distinct values for every named scalar of the loop's TaxiParams / ChargeParams
    model.settings = dataclasses.replace(
        model.settings,
        movement="tick",  # this file tests _run_ticks; test_events.py compares the event loop
        taxi_max_wait_s=431.0,
        taxi_max_pickup_s=677.0,
        taxi_pickup_dwell_s=23.0,
        taxi_dropoff_dwell_s=41.0,
        charge_below_soc=0.37,
        charge_to_soc=0.83,
        taper_start_soc=0.71,
        charger_efficiency=0.91,
        truck_reserve_soc=0.13,
        truck_min_gain_soc=0.07,
        route_energy_margin=1.23,
    )
    # speed factors that differ by hour and by road class (a swapped index shows)
    hours = np.arange(24)[:, None]
    classes = np.arange(N_ROAD_CLASSES)[None, :]
    model.speed_factors = np.ascontiguousarray(0.55 + 0.4 * ((7 * hours + 3 * classes) % 11) / 10)
    model._day = model.kernel_bundles()
    model._advance(round(START_S / model.settings.tick_s))
    return model


def _step_by_step(model: TransportModel, n_ticks: int) -> np.ndarray:
    """Run ``n_ticks`` through the public wrappers; return [assigned, expired] per tick."""
    s, ctx, dt = model.settings, model.context, model.settings.tick_s
    counts = np.zeros((n_ticks, 2), np.int64)
    for k in range(n_ticks):
        t = model.time_s
        counts[k] = dispatch_tick(
            model.state,
            ctx.targets,
            ctx.dispatch_index,
            model.dispatch,
            t,
            max_wait_s=s.taxi_max_wait_s,
            max_pickup_s=s.taxi_max_pickup_s,
            pickup_dwell_s=s.taxi_pickup_dwell_s,
            dropoff_dwell_s=s.taxi_dropoff_dwell_s,
        )
        charging_decisions(
            model.state,
            ctx.graph,
            ctx.targets,
            model.plan.specs,
            model.site_tables,
            t,
            dt,
            cs=model.site_arrays,
            charge_below_soc=s.charge_below_soc,
            charge_to_soc=s.charge_to_soc,
            truck_reserve_soc=s.truck_reserve_soc,
            truck_min_gain_soc=s.truck_min_gain_soc,
            plan_margin=s.route_energy_margin,
        )
        hour = int(t // 3600.0) % 24
        advance_tick(
            model.state,
            ctx.graph,
            ctx.targets,
            model.plan.specs,
            t,
            dt,
            np.ascontiguousarray(model.speed_factors[hour]),
            model.arrived,
        )
        charging_tick(
            model.state,
            model.arrived,
            model.site_arrays,
            t,
            dt,
            charge_to_soc=s.charge_to_soc,
            taper_start_soc=s.taper_start_soc,
            charger_efficiency=s.charger_efficiency,
        )
        model.time_s = t + dt
    return counts


def _assert_same(name: str, a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(a, b, err_msg=name, strict=True)


@pytest.fixture(scope="module")
def pair(prepared):
    fused = _asymmetric_model(prepared)
    stepped = _asymmetric_model(prepared)
    before = dataclasses.replace(fused.state, **{
        f.name: getattr(fused.state, f.name).copy() for f in dataclasses.fields(FleetState)
    })  # fmt: skip
    before_sessions = int(fused.site_arrays.site_sessions.sum())
    before_totals = fused.dispatch_totals.copy()
    fused._advance(WINDOW_TICKS)
    counts = _step_by_step(stepped, WINDOW_TICKS)
    yield fused, stepped, counts, before, before_sessions, before_totals
    fused.release()
    stepped.release()


def test_window_exercises_every_kernel(pair) -> None:
    fused, _, counts, before, before_sessions, before_totals = pair
    st = fused.state
    assigned, expired = (fused.dispatch_totals - before_totals).tolist()
    assert assigned > 0  # dispatch matched requests
    assert expired > 0  # and let some expire (max wait)
    assert (counts.sum(axis=0) == [assigned, expired]).all()
    assert int(fused.site_arrays.site_sessions.sum()) > before_sessions  # sessions ran
    assert (st.detour_target != before.detour_target).any()  # decisions sent BEVs to charge
    assert (st.status == STATUS_QUEUED).any() or fused.site_arrays.site_wait_s.sum() > 0
    assert (st.odometer_m > before.odometer_m).sum() > 0.25 * fused.plan.n_vehicles
    assert (st.charged_kwh > before.charged_kwh).any()
    assert (st.trips > before.trips).any()
    # asymmetric start: accumulators already differ per vehicle and from each other
    moved = before.odometer_m > 0
    assert moved.sum() > 10
    assert len(np.unique(before.odometer_m[moved])) > 0.9 * moved.sum()
    assert not np.allclose(before.energy_kwh[moved], before.odometer_m[moved])


def test_fused_loop_equals_kernels_one_after_another(pair) -> None:
    fused, stepped, counts, *_ = pair
    assert fused.time_s == stepped.time_s == START_S + WINDOW_TICKS * fused.settings.tick_s
    for f in dataclasses.fields(FleetState):
        x, y = getattr(fused.state, f.name), getattr(stepped.state, f.name)
        _assert_same(f"state.{f.name}", x, y)
    _assert_same("arrived", fused.arrived, stepped.arrived)
    a, b = fused.site_arrays, stepped.site_arrays
    n_log = a.n_sessions_logged
    assert n_log == b.n_sessions_logged
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name.startswith("log_") and f.name != "log_count":
            x, y = x[:n_log], y[:n_log]  # capacity may grow at different ticks
        _assert_same(f"site_arrays.{f.name}", x, y)
    for f in dataclasses.fields(fused.dispatch):
        _assert_same(
            f"requests.{f.name}", getattr(fused.dispatch, f.name), getattr(stepped.dispatch, f.name)
        )
    # the loop's running totals grow by the wrappers' per-tick counts; its per-tick
    # counts array holds the last tick's (the wrappers path leaves the model's untouched)
    _assert_same("dispatch_totals", fused.dispatch_totals, stepped.dispatch_totals + counts.sum(0))
    _assert_same("dispatch_counts", fused.dispatch_counts, counts[-1])
