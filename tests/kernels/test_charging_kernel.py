"""Charging kernels: plug queues, charging curve and decisions against the Python references."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    KERNEL_BAD_STATE,
    KERNEL_OK,
    KERNEL_QUEUE_OVERFLOW,
    N_ROAD_CLASSES,
    STATUS_CHARGING,
    STATUS_DONE,
    STATUS_DWELL,
    STATUS_IDLE,
    STATUS_MOVING,
    STATUS_OFF,
    STATUS_QUEUED,
)
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import (
    SiteBundle,
    bundle_from,
    charge_log_bundle,
    fleet_bundle,
    leg_bundle,
    net_bundle,
    site_bundle,
    site_table_bundle,
    spec_bundle,
)
from transport_sim.kernels.charging import (
    FLEET_BUS,
    FLEET_SHIP,
    FLEET_TAXI,
    FLEET_TRUCK,
    KIND_DEPOT,
    KIND_PORT,
    KIND_SERVICE_AREA,
    KIND_URBAN,
    N_SITE_KINDS,
    ChargingState,
    SiteTables,
    _charge_interval,
    _charging_decisions_py,
    _charging_tick_py,
    charge_params,
    charging_decisions,
    charging_tick,
)
from transport_sim.kernels.charging_reference import (
    charge_curve_reference,
    charging_decisions_reference,
    charging_tick_reference,
)
from transport_sim.kernels.nexthop import NextHop
from transport_sim.kernels.state import (
    LEG_CHARGE_OK,
    LEG_LAYOVER,
    FleetState,
    KernelGraph,
    SpecTable,
    Targets,
)

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------
# charging curve
# --------------------------------------------------------------------------------------
def _ode_soc(soc0, target, battery, power_kw, eff, x0, floor, seconds):
    def rhs(_t, y):
        x = y[0] / battery
        f = 1.0 if x <= x0 else 1.0 - (1.0 - floor) * (x - x0) / (1.0 - x0)
        return [power_kw * eff * f / 3600.0]

    sol = solve_ivp(rhs, (0.0, seconds), [soc0], rtol=1e-10, atol=1e-10, max_step=5.0)
    return min(sol.y[0, -1], target)


@pytest.mark.parametrize(
    ("soc0", "x0", "floor", "seconds"),
    [(10.0, 0.8, 0.1, 600.0), (50.0, 0.8, 0.1, 300.0), (20.0, 0.6, 0.3, 2400.0),
     (5.0, 0.95, 0.05, 4000.0), (52.0, 0.5, 0.5, 120.0)],
)
def test_charge_curve_matches_numerical_integration(soc0, x0, floor, seconds):
    battery, target, power, eff = 60.0, 57.0, 100.0, 0.93
    soc, used, done = _charge_interval(soc0, target, battery, power, eff, x0, floor, seconds)
    assert soc == pytest.approx(_ode_soc(soc0, target, battery, power, eff, x0, floor, seconds),
                                abs=1e-6)
    assert used <= seconds
    if done:
        assert soc == target
        assert used < seconds or math.isclose(used, seconds)


@given(
    soc_share=st.floats(0.0, 0.99), target_share=st.floats(0.3, 1.0),
    x0=st.floats(0.3, 1.0), floor=st.floats(0.05, 1.0), power=st.floats(5.0, 1200.0),
    eff=st.floats(0.7, 1.0), pieces=st.integers(2, 50), total=st.floats(1.0, 20_000.0),
)
@settings(max_examples=200, deadline=None)
def test_charge_curve_does_not_depend_on_step(
    soc_share, target_share, x0, floor, power, eff, pieces, total
):
    battery = 80.0
    soc0, target = soc_share * battery, target_share * battery
    one = _charge_interval(soc0, target, battery, power, eff, x0, floor, total)
    soc, used_total, done = soc0, 0.0, False
    for _ in range(pieces):
        soc, used, done = _charge_interval(soc, target, battery, power, eff, x0, floor,
                                           total / pieces)
        used_total += used
        if done:
            break
    assert soc == pytest.approx(one[0], abs=1e-7)
    assert done == one[2] or abs(soc - target) < 1e-7
    assert soc <= max(target, soc0) + 1e-12
    ref = charge_curve_reference(soc0, target, battery, power, eff, x0, floor, total)
    assert ref[0] == pytest.approx(one[0], abs=1e-9)
    assert ref[1] == pytest.approx(one[1], abs=1e-6)
    assert ref[2] == one[2]


def test_taper_reduces_power_above_taper_start():
    battery, power, eff, x0, floor = 100.0, 150.0, 1.0, 0.8, 0.1

    def mean_kw(soc):
        new, used, _ = _charge_interval(soc, 100.0, battery, power, eff, x0, floor, 1.0)
        return (new - soc) * 3600.0 / used

    below = [mean_kw(s) for s in (10.0, 50.0, 79.0)]
    above = [mean_kw(s) for s in (81.0, 90.0, 99.0)]
    assert below == pytest.approx([150.0] * 3)
    assert all(a < 150.0 for a in above)
    assert above[0] > above[1] > above[2]
    assert above[2] == pytest.approx(150.0 * (1.0 - 0.9 * 0.19 / 0.2), rel=1e-3)


# --------------------------------------------------------------------------------------
# queue tick: kernel vs reference
# --------------------------------------------------------------------------------------
@dataclass
class World:
    """Sites, customers and parameters for a multi-tick queue run."""

    plugs: list[int]
    power_kw: list[float]
    kind: list[str]  # "bg" (background car), "arrive" (movement arrival), "direct" (decision)
    site: list[int]
    arrive_s: list[float]
    battery_kwh: list[float]
    soc_share: list[float]
    max_kw: list[float]
    dt_s: float
    n_ticks: int
    params: tuple[float, float, float, float]  # charge_to_soc, taper_start, floor, efficiency
    log_capacity: int


@st.composite
def worlds(draw, kinds=("bg", "arrive", "direct")):
    n_sites = draw(st.integers(1, 3))
    dt = draw(st.sampled_from([7.0, 10.0, 60.0, 600.0]))
    n_ticks = draw(st.integers(1, 40))
    horizon = dt * n_ticks
    n = draw(st.integers(1, 12))
    return World(
        plugs=draw(st.lists(st.integers(1, 3), min_size=n_sites, max_size=n_sites)),
        power_kw=draw(st.lists(st.floats(20.0, 400.0), min_size=n_sites, max_size=n_sites)),
        kind=draw(st.lists(st.sampled_from(kinds), min_size=n, max_size=n)),
        site=draw(st.lists(st.integers(0, n_sites - 1), min_size=n, max_size=n)),
        arrive_s=draw(st.lists(st.floats(0.0, horizon * 0.999), min_size=n, max_size=n)),
        battery_kwh=draw(st.lists(st.floats(5.0, 300.0), min_size=n, max_size=n)),
        soc_share=draw(st.lists(st.floats(0.0, 0.95), min_size=n, max_size=n)),
        max_kw=draw(st.lists(st.floats(10.0, 500.0), min_size=n, max_size=n)),
        dt_s=dt,
        n_ticks=n_ticks,
        params=(draw(st.floats(0.5, 1.0)), draw(st.floats(0.4, 1.0)), draw(st.floats(0.05, 1.0)),
                draw(st.floats(0.8, 1.0))),
        log_capacity=draw(st.integers(1, 6)),
    )


def _setup(w: World) -> tuple[FleetState, ChargingState]:
    n = len(w.kind)
    state = FleetState.allocate(n, 0)
    for v in range(n):
        state.battery_kwh[v] = w.battery_kwh[v]
        state.soc_kwh[v] = w.soc_share[v] * w.battery_kwh[v]
        state.max_charge_kw[v] = w.max_kw[v]
        if w.kind[v] == "bg":
            state.fleet[v] = BACKGROUND_FLEET_CODE
            # the movement kernel marks rows without legs done once their time passed
            state.status[v] = STATUS_DONE if v % 3 == 0 else STATUS_OFF
            state.charge_site[v] = w.site[v]
            state.wait_until_s[v] = w.arrive_s[v]
        else:
            state.fleet[v] = v % 4
            state.status[v] = STATUS_MOVING
    cs = ChargingState.allocate(np.array(w.plugs), np.array(w.power_kw), n, w.log_capacity)
    return state, cs


def _tick(tick_fn, t_s, dt_s, state, arrived, cs, params) -> int:
    """Call a charging tick (kernel or reference) with ``params`` = (to, start, floor, eff)."""
    to, start, floor, eff = params
    charge = charge_params(charge_to_soc=to, taper_start_soc=start, taper_floor=floor,
                           charger_efficiency=eff)
    return tick_fn(t_s, dt_s, fleet_bundle(state), arrived, site_bundle(cs),
                   charge_log_bundle(cs), charge)


def _run(w: World, tick_fn) -> tuple[FleetState, ChargingState, list[int], list[np.ndarray]]:
    state, cs = _setup(w)
    n = len(w.kind)
    arrived = np.zeros(n, np.int8)
    codes, snapshots = [], []
    for k in range(w.n_ticks):
        t = k * w.dt_s
        arrived[:] = 0
        for v in range(n):
            if w.kind[v] == "bg" or math.floor(w.arrive_s[v] / w.dt_s) != k:
                continue
            state.charge_site[v] = w.site[v]
            if w.kind[v] == "arrive":
                state.status[v] = STATUS_DWELL
                state.wait_until_s[v] = w.arrive_s[v]
                state.detour_target[v] = 3
                arrived[v] = 2
            else:
                state.status[v] = STATUS_QUEUED
                state.queue_enter_s[v] = t
                state.detour_target[v] = 3
        while True:
            code = _tick(tick_fn, t, w.dt_s, state, arrived, cs, w.params)
            codes.append(code)
            if code != KERNEL_QUEUE_OVERFLOW:
                break
            cs.grow_log(cs.n_sessions_logged + n)
        snapshots.append(cs.site_busy.copy())
    return state, cs, codes, snapshots


def _assert_same(a, b, what):
    for name in a.__dataclass_fields__:
        if name == "plug_free_s":  # kernel scratch
            continue
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-7, err_msg=f"{what}.{name}")
        else:
            np.testing.assert_array_equal(x, y, err_msg=f"{what}.{name}")


@given(w=worlds())
@SLOW
def test_tick_kernel_matches_reference(w):
    s1, c1, codes1, _ = _run(w, _charging_tick_py)
    s2, c2, codes2, _ = _run(w, charging_tick_reference)
    assert codes1 == codes2
    _assert_same(s1, s2, "state")
    _assert_same(c1, c2, "charging")


def _log(cs: ChargingState):
    k = cs.n_sessions_logged
    return (cs.log_site[:k], cs.log_vehicle[:k], cs.log_arrive_s[:k], cs.log_start_s[:k],
            cs.log_end_s[:k], cs.log_energy_kwh[:k])


@given(w=worlds())
@SLOW
def test_queue_invariants(w):  # noqa: PLR0912
    state0, _ = _setup(w)
    state, cs, codes, busy_snapshots = _run(w, _charging_tick_py)
    assert set(codes) <= {KERNEL_OK, KERNEL_QUEUE_OVERFLOW}
    charge_to, _, _, eff = w.params
    t_end = w.n_ticks * w.dt_s
    site, vehicle, arrive, start, end, energy = _log(cs)
    plugs = np.array(w.plugs)
    # energy: charger output x efficiency == SOC gained, per vehicle and in total
    np.testing.assert_allclose(state.grid_kwh * eff, state.charged_kwh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(state.soc_kwh - state0.soc_kwh, state.charged_kwh, atol=1e-9)
    assert cs.site_energy_kwh.sum() == pytest.approx(state.grid_kwh.sum(), rel=1e-12, abs=1e-12)
    assert energy.sum() == pytest.approx(state.grid_kwh.sum(), rel=1e-12, abs=1e-12)
    # SOC within [0, battery] and never above the larger of start and target
    assert np.all(state.soc_kwh >= 0.0)
    assert np.all(state.soc_kwh <= state.battery_kwh + 1e-9)
    assert np.all(state.soc_kwh <= np.maximum(state0.soc_kwh, charge_to * state.battery_kwh) + 1e-9)
    # plugs never over-assigned (per tick and in continuous time)
    for busy in busy_snapshots:
        assert np.all(busy <= plugs)
        assert np.all(busy >= 0)
    ends = np.where(np.isfinite(end), end, np.inf)
    started = np.isfinite(start)
    for s in range(len(plugs)):
        sel = (site == s) & started
        for t in start[sel]:
            assert np.count_nonzero(sel & (start <= t) & (ends > t)) <= plugs[s]
    # no start before arrival; FIFO: started in arrival order, nobody overtaken
    assert np.all(start[started] >= arrive[started] - 1e-9)
    for s in range(len(plugs)):
        rows = np.flatnonzero(site == s)
        order = rows[np.lexsort((rows, arrive[rows]))]
        st_ = start[order]
        first_unstarted = np.flatnonzero(~np.isfinite(st_))
        if first_unstarted.size:
            assert not np.isfinite(st_[first_unstarted[0]:]).any()
            st_ = st_[: first_unstarted[0]]
        assert np.all(np.diff(st_) >= -1e-9)
        # work conservation: whoever waited found every plug busy
        for i in rows[started[rows]]:
            if start[i] - arrive[i] > 1e-6:
                mid = 0.5 * (arrive[i] + start[i])
                in_use = np.count_nonzero((site == s) & started & (start <= mid) & (ends > mid))
                assert in_use == plugs[s]
    # counters agree with the log
    waits = start - arrive
    for s in range(len(plugs)):
        sel = (site == s) & started
        assert cs.site_sessions[s] == sel.sum()
        assert cs.site_wait_s[s] == pytest.approx(waits[sel].sum(), abs=1e-6)
        busy_s = (np.minimum(ends[sel], t_end) - start[sel]).sum()
        assert cs.site_busy_s[s] == pytest.approx(busy_s, abs=1e-6)
        assert cs.site_hourly_busy_s[s].sum() == pytest.approx(busy_s, abs=1e-6)
        queued_s = (np.minimum(np.where(started, start, t_end), t_end) - arrive)[site == s].sum()
        assert cs.site_hourly_queue_s[s].sum() == pytest.approx(queued_s, abs=1e-6)
        assert cs.site_queue_len[s] == np.count_nonzero((site == s) & ~started)
        assert cs.site_busy[s] == np.count_nonzero(sel & ~np.isfinite(end))
    # finished customers: background cars done, fleet vehicles dwell with detour cleared
    for row in np.flatnonzero(np.isfinite(end)):
        v = vehicle[row]
        if cs.session_row[v] >= 0:
            continue  # charging again later (not in these worlds)
        if w.kind[v] == "bg":
            assert state.status[v] == STATUS_DONE
        else:
            assert state.status[v] == STATUS_DWELL
            assert state.detour_target[v] == -1
        assert state.charge_site[v] == -1
        assert state.wait_until_s[v] >= end[row]
    for v in np.flatnonzero(state.status == STATUS_CHARGING):
        assert cs.session_row[v] >= 0


# a taper floor a rounding hair below 1: the coarse run used to end the session early
# (180 s) and the fine run to stall at the taper start (see test_taper_with_a_floor_...)
_FLOOR_HAIR_BELOW_ONE = World(
    plugs=[1, 1, 1], power_kw=[20.0, 76.0, 20.0], kind=["bg", "bg", "bg", "bg"],
    site=[0, 0, 0, 1], arrive_s=[0.0] * 4, battery_kwh=[5.0] * 4, soc_share=[0.0] * 4,
    max_kw=[10.0, 10.0, 10.0, 76.0], dt_s=60.0, n_ticks=4,
    params=(1.0, 0.5, 0.9999999999999999, 1.0), log_capacity=1,
)


@given(w=worlds(kinds=("bg", "arrive")))
@example(w=_FLOOR_HAIR_BELOW_ONE)
@settings(max_examples=40, deadline=None)
def test_results_do_not_depend_on_tick_length(w):
    w_fine = World(**{**w.__dict__, "dt_s": 1.0, "n_ticks": int(w.dt_s * w.n_ticks)})
    if w_fine.n_ticks > 30_000:
        w_fine.dt_s, w_fine.n_ticks = w.dt_s / 4, w.n_ticks * 4
    _, c1, _, _ = _run(w, _charging_tick_py)
    _, c2, _, _ = _run(w_fine, _charging_tick_py)
    a, b = _log(c1), _log(c2)
    # the fine run may finish sessions the coarse run's last tick did not reach: compare
    # what both saw
    np.testing.assert_array_equal(np.sort(a[1]), np.sort(b[1]))
    order_a, order_b = np.lexsort((a[1], a[2])), np.lexsort((b[1], b[2]))
    np.testing.assert_allclose(a[3][order_a], b[3][order_b], atol=1e-6)
    np.testing.assert_allclose(a[4][order_a], b[4][order_b], atol=1e-6)
    assert c1.site_max_queue.tolist() == c2.site_max_queue.tolist()


@pytest.mark.parametrize("dt_s", [60.0, 7.0, 1.0])
def test_taper_with_a_floor_a_hair_below_one_is_constant_power(dt_s):
    # floor 1 - 2**-53: the taper slope is ~4e-17 per kWh, so the power is 76 kW to
    # within rounding and the session ends at energy / power = 5 kWh / 76 kW
    floor = 1.0 - 2.0**-53
    expected_s = 5.0 / 76.0 * 3600.0
    for curve in (_charge_interval, charge_curve_reference):
        soc, t, done = 0.0, 0.0, False
        while not done and t < 2.0 * expected_s:
            new, used, done = curve(soc, 5.0, 5.0, 76.0, 1.0, 0.5, floor, dt_s)
            assert new - soc == pytest.approx(76.0 * used / 3600.0, rel=1e-9, abs=1e-12)
            soc, t = new, t + used
        assert done
        assert soc == 5.0
        assert t == pytest.approx(expected_s, rel=1e-12)
    w = World(**{**_FLOOR_HAIR_BELOW_ONE.__dict__, "dt_s": dt_s,
                 "n_ticks": math.ceil(240.0 / dt_s)})
    for tick_fn in (_charging_tick_py, charging_tick_reference):
        _, cs, _, _ = _run(w, tick_fn)
        _, vehicle, _, start, end, energy = _log(cs)
        row = vehicle.tolist().index(3)
        assert start[row] == 0.0
        assert end[row] == pytest.approx(expected_s, rel=1e-12)
        assert energy[row] == pytest.approx(5.0, rel=1e-12)


def test_fifo_and_exact_service_times():
    # one plug, 100 kW, no taper: services of 600 s, 300 s, 900 s arriving at 0, 10, 20 s
    n = 3
    state = FleetState.allocate(n, 0)
    state.fleet[:] = BACKGROUND_FLEET_CODE
    service = np.array([600.0, 300.0, 900.0])
    state.battery_kwh[:] = 100.0 * service / 3600.0
    state.max_charge_kw[:] = 100.0
    state.charge_site[:] = 0
    state.wait_until_s[:] = [0.0, 10.0, 20.0]
    cs = ChargingState.allocate(np.array([1]), np.array([100.0]), n)
    arrived = np.zeros(n, np.int8)
    for k in range(200):
        charging_tick(state, arrived, cs, k * 10.0, 10.0, charge_to_soc=1.0,
                      taper_start_soc=1.0, charger_efficiency=1.0)
    _, vehicle, _, start, end, energy = _log(cs)
    assert vehicle.tolist() == [0, 1, 2]
    np.testing.assert_allclose(start, [0.0, 600.0, 900.0])
    np.testing.assert_allclose(end, [600.0, 900.0, 1800.0])
    np.testing.assert_allclose(state.wait_s, [0.0, 590.0, 880.0])
    np.testing.assert_allclose(energy, state.battery_kwh)
    assert state.status.tolist() == [STATUS_DONE] * 3
    assert cs.site_max_queue[0] == 2
    # hourly: 1800 s busy in hour 0; queue integral = total wait
    assert cs.site_hourly_busy_s[0, 0] == pytest.approx(1800.0)
    assert cs.site_hourly_queue_s[0].sum() == pytest.approx(1470.0)


def test_overflow_returns_before_changing_state_and_wrapper_grows_log():
    n = 4
    state = FleetState.allocate(n, 0)
    state.fleet[:] = BACKGROUND_FLEET_CODE
    state.battery_kwh[:] = 10.0
    state.max_charge_kw[:] = 50.0
    state.charge_site[:] = 0
    cs = ChargingState.allocate(np.array([2]), np.array([50.0]), n, log_capacity=2)
    arrived = np.zeros(n, np.int8)
    before_state, before_cs = state.copy(), cs.copy()
    code = _tick(_charging_tick_py, 0.0, 10.0, state, arrived, cs, (0.9, 0.8, 0.1, 0.95))
    assert code == KERNEL_QUEUE_OVERFLOW
    _assert_same(state, before_state, "state")
    _assert_same(cs, before_cs, "charging")
    charging_tick(state, arrived, cs, 0.0, 10.0, charge_to_soc=0.9, taper_start_soc=0.8,
                  charger_efficiency=0.95)
    assert cs.log_capacity >= 4
    assert cs.n_sessions_logged == 4
    assert cs.site_busy[0] == 2


def test_bad_site_raises_kernel_error():
    state = FleetState.allocate(1, 0)
    state.fleet[:] = BACKGROUND_FLEET_CODE
    state.battery_kwh[:] = 10.0
    state.max_charge_kw[:] = 50.0
    state.charge_site[:] = 5
    cs = ChargingState.allocate(np.array([1]), np.array([50.0]), 1)
    with pytest.raises(KernelError, match="bad state"):
        charging_tick(state, np.zeros(1, np.int8), cs, 0.0, 10.0, charge_to_soc=0.9,
                      taper_start_soc=0.8, charger_efficiency=0.95)
    code = _tick(_charging_tick_py, 0.0, 10.0, state, np.zeros(1, np.int8), cs,
                 (0.9, 0.8, 0.1, 0.95))
    assert code == KERNEL_BAD_STATE
    with pytest.raises(ValueError, match="charge_to_soc"):
        charging_tick(state, np.zeros(1, np.int8), cs, 0.0, 10.0, charge_to_soc=1.5,
                      taper_start_soc=0.8, charger_efficiency=0.95)


def test_fleet_vehicle_resumes_after_its_dwell():
    # a bus queued by the decision kernel keeps the end of its layover if that is later
    state = FleetState.allocate(1, 0)
    state.fleet[0] = FLEET_BUS
    state.battery_kwh[0] = 100.0
    state.soc_kwh[0] = 85.0
    state.max_charge_kw[0] = 360.0
    state.charge_site[0] = 0
    state.detour_target[0] = 2
    state.status[0] = STATUS_QUEUED
    state.queue_enter_s[0] = 100.0
    state.wait_until_s[0] = 1000.0  # end of the layover
    cs = ChargingState.allocate(np.array([1]), np.array([360.0]), 1)
    arrived = np.zeros(1, np.int8)
    for k in range(10, 20):
        charging_tick(state, arrived, cs, k * 10.0, 10.0, charge_to_soc=0.9,
                      taper_start_soc=1.0, charger_efficiency=1.0)
    assert state.status[0] == STATUS_DWELL
    assert state.detour_target[0] == -1
    assert state.charge_site[0] == -1
    assert state.soc_kwh[0] == 90.0
    assert cs.log_end_s[0] == pytest.approx(150.0)
    assert state.wait_until_s[0] == 1000.0


# --------------------------------------------------------------------------------------
# decisions
# --------------------------------------------------------------------------------------
def _decision_args(state, graph, targets, specs, tables, t_s, dt_s, params, queues=None,
                   rows=None):
    """Arguments of ``_charging_decisions_py``; ``params``: below, to, reserve, gain, margin."""
    rows = np.arange(state.n_vehicles, dtype=np.int64) if rows is None else rows
    n_sites = tables.site_kind.shape[0]
    plug_begin, busy, queue_len = queues if queues is not None else (
        np.arange(n_sites + 1, dtype=np.int32), np.zeros(n_sites, np.int32),
        np.zeros(n_sites, np.int32),
    )
    cs = ChargingState.allocate(np.diff(plug_begin), np.ones(n_sites), state.n_vehicles, 1)
    sites = bundle_from(SiteBundle, cs, site_plug_begin=plug_begin, site_busy=busy,
                        site_queue_len=queue_len)
    below, to, reserve, gain, margin = params
    charge = charge_params(charge_below_soc=below, charge_to_soc=to, truck_reserve_soc=reserve,
                           truck_min_gain_soc=gain, taper_start_soc=math.nan,
                           charger_efficiency=math.nan, taper_floor=math.nan,
                           route_energy_margin=margin)
    return (
        t_s, dt_s, fleet_bundle(state), leg_bundle(state), net_bundle(graph, targets),
        spec_bundle(specs), site_table_bundle(tables), sites, charge, rows,
    )


def raw_next_hop(next_edge: np.ndarray) -> NextHop:
    """A NextHop giving exactly the edge ids ``next_edge`` (-1: none) on a graph whose
    ``indptr`` is not a CSR (these worlds draw edges freely): every node's first edge is 0,
    so the slot is the global id + 1."""
    return NextHop((np.asarray(next_edge) + 1).astype(np.uint8),
                   np.zeros(next_edge.shape[1], np.int32))


@st.composite
def decision_worlds(draw):
    n_nodes = draw(st.integers(2, 7))
    n_edges = draw(st.integers(1, 12))
    n_targets = draw(st.integers(1, 5))
    n_specs = 3
    n_sites = draw(st.integers(0, 5))
    n = draw(st.integers(1, 16))
    n_legs = 12
    ints = lambda lo, hi, size: np.array(draw(st.lists(st.integers(lo, hi), min_size=size,  # noqa: E731
                                                         max_size=size)))
    floats = lambda lo, hi, size: np.array(draw(st.lists(st.floats(lo, hi), min_size=size,  # noqa: E731
                                                           max_size=size)))
    tails = ints(0, n_nodes - 1, n_edges)
    graph = KernelGraph(
        indptr=np.zeros(n_nodes + 1, np.int32), edge_head=ints(0, n_nodes - 1, n_edges).astype(
            np.int32), edge_tail=tails.astype(np.int32),
        edge_length_m=floats(1.0, 3000.0, n_edges), edge_speed_mps=np.full(n_edges, 20.0),
        edge_class=np.zeros(n_edges, np.int8),
    )
    dist = floats(0.0, 1e6, n_targets * n_nodes).reshape(n_targets, n_nodes).astype(np.float32)
    dist[ints(0, 1, n_targets * n_nodes).reshape(n_targets, n_nodes) == 1] = np.inf
    tt = floats(0.0, 1e4, n_targets * n_nodes).reshape(n_targets, n_nodes).astype(np.float32)
    tt[np.isinf(dist)] = np.inf
    targets = Targets(
        node=ints(0, n_nodes - 1, n_targets).astype(np.int32),
        next_edge=raw_next_hop(ints(-1, n_edges - 1, n_targets * n_nodes).reshape(
            n_targets, n_nodes)),
        dist_m=dist, time_s=tt,
    )
    specs = SpecTable(kwh_per_m=np.tile(floats(1e-4, 3e-3, n_specs)[:, None], N_ROAD_CLASSES),
                      is_bev=np.array(draw(st.lists(st.booleans(), min_size=n_specs,
                                                    max_size=n_specs))),
                      kwh_per_m_per_t=floats(0.0, 5e-5, n_specs))  # tonnes on board cost
    site_kind = ints(0, N_SITE_KINDS - 1, n_sites).astype(np.int8)
    site_node = ints(0, n_nodes - 1, n_sites)
    site_at_node = np.full((N_SITE_KINDS, n_nodes), -1, np.int32)
    for s in range(n_sites):
        site_at_node[site_kind[s], site_node[s]] = s
    mcs = np.full(n_sites, -1, np.int32)
    if n_sites:
        mcs[ints(0, 1, n_sites) == 1] = ints(0, n_sites - 1, 1)[0]
    tables = SiteTables(
        site_kind=site_kind, site_target=ints(-1, n_targets - 1, n_sites).astype(np.int32),
        site_mcs_site=mcs, site_at_node=site_at_node,
        target_at_node=ints(-1, n_targets - 1, n_nodes).astype(np.int32),
    )
    state = FleetState.allocate(n, n_legs)
    state.fleet[:] = ints(0, 4, n)
    state.spec[:] = ints(0, n_specs - 1, n)
    state.status[:] = ints(0, 7, n)
    state.node[:] = ints(0, n_nodes - 1, n)
    state.edge[:] = ints(-1, n_edges - 1, n)
    state.pos_m[:] = floats(0.0, 500.0, n)
    state.leg_begin[:] = ints(0, 5, n)
    state.leg_end[:] = state.leg_begin + ints(0, 6, n)
    state.leg[:] = state.leg_begin + ints(0, 7, n)
    state.battery_kwh[:] = floats(0.0, 600.0, n)
    state.soc_kwh[:] = floats(0.0, 1.0, n) * state.battery_kwh
    state.max_speed_mps[:] = floats(1.0, 40.0, n)
    state.detour_target[:] = np.where(ints(0, 5, n) == 0, 1, -1)
    state.charge_site[:] = np.where(ints(0, 5, n) == 0, 0, -1)
    state.leg_target[:] = ints(0, n_targets - 1, n_legs)
    state.leg_flags[:] = ints(0, 7, n_legs)
    state.leg_payload_t[:] = floats(0.0, 30.0, n_legs)
    params = (draw(st.floats(0.1, 0.5)), draw(st.floats(0.6, 1.0)), draw(st.floats(0.0, 0.3)),
              draw(st.floats(0.0, 0.1)), draw(st.floats(1.0, 1.5)))
    dt = draw(st.sampled_from([1.0, 10.0, 60.0]))
    plugs = ints(1, 4, n_sites)
    plug_begin = np.concatenate([[0], np.cumsum(plugs)]).astype(np.int32)
    queues = (plug_begin, np.minimum(ints(0, 4, n_sites), plugs).astype(np.int32),
              ints(0, 6, n_sites).astype(np.int32))
    # the rows visited: any subset, in any order (the day lists its BEV rows)
    perm = np.asarray(draw(st.permutations(list(range(n)))), np.int64)
    rows = perm[: draw(st.integers(0, n))]
    return state, graph, targets, specs, tables, dt, (params, queues, rows)


@given(world=decision_worlds())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_decision_kernel_matches_reference(world):
    state, graph, targets, specs, tables, dt, (params, queues, rows) = world
    s1, s2 = state.copy(), state.copy()
    code1 = _charging_decisions_py(*_decision_args(s1, graph, targets, specs, tables, 500.0, dt,
                                                params, queues, rows))
    code2 = charging_decisions_reference(*_decision_args(s2, graph, targets, specs, tables,
                                                         500.0, dt, params, queues, rows))
    assert code1 == code2 == KERNEL_OK
    _assert_same(s1, s2, "state")
    # rows not listed never decide
    listed = np.zeros(state.n_vehicles, bool)
    listed[rows] = True
    moved = (s1.charge_site != state.charge_site) | (s1.detour_target != state.detour_target)
    assert not np.any(moved & ~listed)
    # non-BEVs never charge
    changed = (s1.charge_site != state.charge_site) | (s1.detour_target != state.detour_target)
    assert not np.any(changed & ~specs.is_bev[state.spec])
    assert not np.any(changed & (state.battery_kwh <= 0))


def _corridor(n_nodes=6, edge_m=1000.0):
    """Nodes 0-1-...-5 in a line, both directions; targets = every node."""
    tails = list(range(n_nodes - 1)) + list(range(1, n_nodes))
    heads = list(range(1, n_nodes)) + list(range(n_nodes - 1))
    n_e = len(tails)
    graph = KernelGraph(
        indptr=np.zeros(n_nodes + 1, np.int32), edge_head=np.array(heads, np.int32),
        edge_tail=np.array(tails, np.int32), edge_length_m=np.full(n_e, edge_m),
        edge_speed_mps=np.full(n_e, 25.0), edge_class=np.zeros(n_e, np.int8),
    )
    idx = np.arange(n_nodes)
    dist = (np.abs(idx[:, None] - idx[None, :]) * edge_m).astype(np.float32)
    nxt = np.full((n_nodes, n_nodes), -1, np.int32)
    for k in range(n_nodes):
        for u in range(n_nodes):
            if u < k:
                nxt[k, u] = u  # edge u -> u+1
            elif u > k:
                nxt[k, u] = (n_nodes - 1) + (u - 1)  # edge u -> u-1
    targets = Targets(node=idx.astype(np.int32), next_edge=raw_next_hop(nxt), dist_m=dist,
                      time_s=(dist / 25.0).astype(np.float32))
    return graph, targets


def _tables(n_nodes, sites, mcs=None):
    """sites: list of (kind, node); every node is target = its index."""
    kind = np.array([k for k, _ in sites], np.int8)
    at = np.full((N_SITE_KINDS, n_nodes), -1, np.int32)
    for s, (k, u) in enumerate(sites):
        at[k, u] = s
    return SiteTables(
        site_kind=kind, site_target=np.array([u for _, u in sites], np.int32),
        site_mcs_site=np.array(mcs if mcs is not None else [-1] * len(sites), np.int32),
        site_at_node=at, target_at_node=np.arange(n_nodes, dtype=np.int32),
    )


def _one_vehicle(fleet, n_legs=2):
    state = FleetState.allocate(1, n_legs)
    state.fleet[0] = fleet
    state.battery_kwh[0] = 300.0
    state.leg_begin[0] = 0
    state.leg_end[0] = n_legs
    return state


SPECS = SpecTable(kwh_per_m=np.full((1, N_ROAD_CLASSES), 1.5e-3), is_bev=np.array([True]))
#: The shipped scenarios' ``charging.route_energy_margin`` (the analytic cases use it).
PLAN_MARGIN = 1.15


def _decide(state, graph, targets, tables, dt=10.0, specs=SPECS):
    charging_decisions(state, graph, targets, specs, tables, 100.0, dt, charge_below_soc=0.25,
                       charge_to_soc=0.9, plan_margin=PLAN_MARGIN)


def _truck(node, edge, pos_m, target, soc):
    state = _one_vehicle(FLEET_TRUCK)
    state.status[0] = STATUS_MOVING
    state.node[0], state.edge[0], state.pos_m[0] = node, edge, pos_m
    state.leg_target[:] = target
    state.soc_kwh[0] = soc
    state.max_speed_mps[0] = 25.0
    return state


def test_truck_charges_at_service_area_when_low():
    graph, targets = _corridor()  # 1 km edges; SA at node 2
    tables = _tables(6, [(KIND_SERVICE_AREA, 2)])
    for soc, expect in ((280.0, -1), (50.0, 0)):
        state = _truck(1, 1, 800.0, 5, soc)  # on edge 1 -> 2, 200 m before the SA
        _decide(state, graph, targets, tables)
        assert state.charge_site[0] == expect
        if expect >= 0:
            assert state.detour_target[0] == 2
            assert state.status[0] == STATUS_MOVING


def test_truck_energy_rule_and_reserve():
    graph, targets = _corridor(edge_m=100_000.0)  # 100 km edges: 150 kWh per edge
    # a hub at node 3: a charger after the target is in reach (the plain energy rule)
    tables = _tables(6, [(KIND_SERVICE_AREA, 2), (KIND_URBAN, 3)])
    # standing at the SA heading for node 3: needs 150 kWh, keeps a 30 kWh reserve
    for soc, expect in ((250.0, -1), (150.0, 0)):
        state = _truck(2, -1, 0.0, 3, soc)
        _decide(state, graph, targets, tables)
        assert state.charge_site[0] == expect
        if expect == 0:
            assert state.status[0] == STATUS_QUEUED
            assert state.queue_enter_s[0] == 100.0
    # no service area on the way: nothing to decide, the truck may strand
    state = _truck(3, -1, 0.0, 5, 150.0)
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == -1


def test_truck_looks_ahead_over_short_edges_and_prefers_mcs():
    graph, targets = _corridor(edge_m=50.0)  # a truck crosses several nodes per tick
    at = np.full((N_SITE_KINDS, 6), -1, np.int32)
    at[KIND_SERVICE_AREA, 4] = 0
    tables = SiteTables(
        site_kind=np.array([KIND_SERVICE_AREA, KIND_SERVICE_AREA], np.int8),
        site_target=np.array([4, 4], np.int32), site_mcs_site=np.array([1, -1], np.int32),
        site_at_node=at, target_at_node=np.arange(6, dtype=np.int32),
    )
    state = _truck(1, 1, 10.0, 5, 10.0)  # 40 + 50 + 50 m to node 4; low SOC
    _decide(state, graph, targets, tables, dt=10.0)  # 250 m reach
    assert state.charge_site[0] == 1  # the MCS companion of site 0
    assert state.detour_target[0] == 4
    # 70 kWh: low, but its target is in reach with the reserve, so it does not leave
    # its route for a charger; the service area is beyond this tick's 100 m reach
    state = _truck(1, 1, 10.0, 5, 70.0)
    _decide(state, graph, targets, tables, dt=4.0)
    assert state.charge_site[0] == -1


def test_bus_charges_at_layover_only():
    graph, targets = _corridor()
    tables = _tables(6, [(KIND_DEPOT, 3)])
    for flags, soc, node, expect in ((LEG_LAYOVER, 50.0, 3, 0), (0, 50.0, 3, -1),
                                     (LEG_CHARGE_OK, 50.0, 3, 0), (LEG_LAYOVER, 200.0, 3, -1),
                                     (LEG_LAYOVER, 50.0, 2, -1)):
        state = _one_vehicle(FLEET_BUS)
        state.status[0] = STATUS_DWELL
        state.node[0] = node
        state.leg[0] = 1
        state.leg_flags[0] = flags
        state.soc_kwh[0] = soc
        _decide(state, graph, targets, tables)
        assert state.charge_site[0] == expect
        if expect >= 0:
            assert state.status[0] == STATUS_QUEUED


def test_taxi_goes_to_nearest_urban_hub():
    graph, targets = _corridor()
    tables = _tables(6, [(KIND_URBAN, 0), (KIND_URBAN, 4), (KIND_DEPOT, 2)])
    state = _one_vehicle(FLEET_TAXI)
    state.status[0] = STATUS_IDLE
    state.node[0] = 2
    state.soc_kwh[0] = 10.0
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == 0  # node 0 and node 4 are 2 km away: first wins
    assert state.detour_target[0] == 0
    assert state.status[0] == STATUS_MOVING
    state = _one_vehicle(FLEET_TAXI)
    state.status[0] = STATUS_DWELL
    state.leg[0] = 2  # no legs left
    state.node[0] = 4
    state.soc_kwh[0] = 10.0
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == 1
    assert state.status[0] == STATUS_QUEUED


def test_ship_uses_shore_power_and_non_bev_never_charges():
    graph, targets = _corridor()
    tables = _tables(6, [(KIND_PORT, 5)])
    state = _one_vehicle(FLEET_SHIP)
    state.status[0] = STATUS_DWELL
    state.node[0] = 5
    state.soc_kwh[0] = 10.0
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == 0
    diesel = SpecTable(kwh_per_m=SPECS.kwh_per_m, is_bev=np.array([False]))
    state = _one_vehicle(FLEET_SHIP)
    state.status[0] = STATUS_DWELL
    state.node[0] = 5
    state.soc_kwh[0] = 10.0
    _decide(state, graph, targets, tables, specs=diesel)
    assert state.charge_site[0] == -1


def test_bus_charges_early_when_the_next_layover_is_out_of_reach():
    graph, targets = _corridor(edge_m=20_000.0)  # 20 km edges, 1.5 kWh/km: 30 kWh per edge
    tables = _tables(6, [(KIND_DEPOT, 0)])
    for soc, expect in ((120.0, 0), (250.0, -1)):  # 40 % and 83 % of a 300 kWh battery
        state = _one_vehicle(FLEET_BUS, n_legs=3)
        state.status[0] = STATUS_DWELL
        state.node[0] = 0
        state.leg[0] = 1
        state.leg_flags[0] = LEG_LAYOVER  # just arrived at the terminal (node 0)
        state.leg_target[1] = 3  # a stop, then the far terminal at node 5 (100 km)
        state.leg_target[2] = 5
        state.leg_flags[2] = LEG_LAYOVER
        state.soc_kwh[0] = soc
        _decide(state, graph, targets, tables)
        # need = 100 km x 1.5 kWh/km x 1.15 = 172.5 kWh; reserve 10 % = 30 kWh
        assert state.charge_site[0] == expect


def test_ship_charges_when_the_next_port_is_out_of_reach():
    graph, targets = _corridor(edge_m=20_000.0)
    tables = _tables(6, [(KIND_PORT, 0)])
    for soc, expect in ((150.0, 0), (250.0, -1)):
        state = _one_vehicle(FLEET_SHIP)
        state.status[0] = STATUS_DWELL
        state.node[0] = 0
        state.leg[0] = 1
        state.leg_target[1] = 5
        state.leg_flags[1] = LEG_CHARGE_OK
        state.soc_kwh[0] = soc
        _decide(state, graph, targets, tables)
        assert state.charge_site[0] == expect


def test_taxi_avoids_a_hub_with_a_long_queue():
    graph, targets = _corridor()  # hubs 2 km (node 0) and 2 km (node 4) away from node 2
    tables = _tables(6, [(KIND_URBAN, 0), (KIND_URBAN, 4)])
    cs = ChargingState.allocate(np.array([2, 2]), np.array([120.0, 120.0]), 1, 4)
    cs.site_busy[:] = (2, 0)
    cs.site_queue_len[:] = (3, 0)  # hub 0 full with 3 waiting: ~4 x 1800 / 2 s expected
    state = _one_vehicle(FLEET_TAXI)
    state.status[0] = STATUS_IDLE
    state.node[0] = 2
    state.soc_kwh[0] = 10.0
    charging_decisions(state, graph, targets, SPECS, tables, 100.0, 10.0, cs=cs,
                       charge_below_soc=0.25, charge_to_soc=0.9, plan_margin=PLAN_MARGIN)
    assert state.charge_site[0] == 1


def test_dwelling_truck_short_of_its_next_drop_goes_to_the_nearest_urban_hub():
    graph, targets = _corridor(edge_m=20_000.0)
    tables = _tables(6, [(KIND_URBAN, 1), (KIND_URBAN, 4)])
    for soc, expect in ((100.0, 0), (280.0, -1)):
        state = _one_vehicle(FLEET_TRUCK)
        state.status[0] = STATUS_DWELL
        state.node[0] = 2
        state.leg[0] = 1
        state.leg_target[1] = 5  # 60 km away: 103.5 kWh with the margin
        state.soc_kwh[0] = soc
        _decide(state, graph, targets, tables)
        assert state.charge_site[0] == expect
        if expect >= 0:
            assert state.detour_target[0] == 1
            assert state.status[0] == STATUS_MOVING


@pytest.mark.parametrize(("queue", "soc_kwh", "expect"), [
    (0, 30.0, 0),  # nobody waits ahead: expected wait 900 s < 1,200 s extra drive -> near hub
    (1, 30.0, 0),  # 1,800 s wait, but the far hub (69 kWh with the margin) is out of reach
    (1, 70.0, 1),  # 1,800 s > 1,200 s and in reach: balks to the next reachable hub
    (3, 70.0, 1),
])
def test_taxi_balks_to_the_next_reachable_hub_by_the_analytic_rule(queue, soc_kwh, expect):
    """Two hubs on a line, 10 km and 40 km from the taxi; both plugs of the near one busy.

    Analytic choice: near hub iff (queue + 1) x 1800 s / 2 plugs < (40 - 10) km / 25 m/s
    = 1,200 s, i.e. only with nobody queued; the far hub only when it is in reach:
    40 km x 1.5 kWh/km x PLAN_MARGIN 1.15 = 69 kWh <= SOC.
    """
    graph, targets = _corridor(edge_m=10_000.0)  # taxi at node 0, hubs at nodes 1 and 4
    tables = _tables(6, [(KIND_URBAN, 1), (KIND_URBAN, 4)])
    cs = ChargingState.allocate(np.array([2, 2]), np.array([120.0, 120.0]), 1, 4)
    cs.site_busy[:] = (2, 0)
    cs.site_queue_len[:] = (queue, 0)
    state = _one_vehicle(FLEET_TAXI)
    state.status[0] = STATUS_IDLE
    state.node[0] = 0
    state.soc_kwh[0] = soc_kwh  # below 25 % of 300 kWh: looking for a charger
    charging_decisions(state, graph, targets, SPECS, tables, 100.0, 10.0, cs=cs,
                       charge_below_soc=0.25, charge_to_soc=0.9, plan_margin=PLAN_MARGIN)
    assert state.charge_site[0] == expect
    assert state.detour_target[0] == (1, 4)[expect]


@pytest.mark.parametrize(("margin", "expect"), [(1.0, 1), (1.05, 1), (1.15, 0), (1.3, 0)])
def test_route_energy_margin_is_read_from_the_caller(margin, expect):
    """The reach rule uses the margin passed in (scenario ``charging.route_energy_margin``).

    As above with one taxi queued at the near hub: the far hub (40 km x 1.5 kWh/km = 60
    kWh x margin) is taken iff 60 x margin <= 64 kWh of charge, i.e. margin <= 1.067.
    """
    graph, targets = _corridor(edge_m=10_000.0)
    tables = _tables(6, [(KIND_URBAN, 1), (KIND_URBAN, 4)])
    cs = ChargingState.allocate(np.array([2, 2]), np.array([120.0, 120.0]), 1, 4)
    cs.site_busy[:] = (2, 0)
    cs.site_queue_len[:] = (1, 0)
    state = _one_vehicle(FLEET_TAXI)
    state.status[0] = STATUS_IDLE
    state.node[0] = 0
    state.soc_kwh[0] = 64.0
    charging_decisions(state, graph, targets, SPECS, tables, 100.0, 10.0, cs=cs,
                       charge_below_soc=0.25, charge_to_soc=0.9, plan_margin=margin)
    assert state.charge_site[0] == expect


def test_route_energy_margin_below_one_is_refused():
    graph, targets = _corridor(edge_m=10_000.0)
    tables = _tables(6, [(KIND_URBAN, 1)])
    state = _one_vehicle(FLEET_TAXI)
    with pytest.raises(ValueError, match="plan_margin"):
        charging_decisions(state, graph, targets, SPECS, tables, 100.0, 10.0,
                           charge_below_soc=0.25, charge_to_soc=0.9, plan_margin=0.9)


def test_dwelling_truck_uses_a_service_area_when_no_urban_hub_is_in_reach():
    graph, targets = _corridor(edge_m=20_000.0)
    # urban hub 80 km away (138 kWh with the margin), service area 20 km away (34.5 kWh)
    tables = _tables(6, [(KIND_URBAN, 5), (KIND_SERVICE_AREA, 2)])
    state = _one_vehicle(FLEET_TRUCK)
    state.status[0] = STATUS_DWELL
    state.node[0] = 1
    state.leg[0] = 1
    state.leg_target[1] = 0
    state.soc_kwh[0] = 60.0
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == 1
    assert state.detour_target[0] == 2


def test_low_truck_with_no_service_area_ahead_leaves_its_route_for_a_charger():
    """Truck on edge 3 -> 4 (10 km edges, 1.5 kWh/km), 5 km before node 4; hub at node 2.

    Low is below 75 kWh; the reserve is 30 kWh.  Heading for node 5 (15 km, 22.5 kWh):
    with 50 kWh it cannot keep the reserve, so it leaves its route for the hub, 20 km
    back from the edge's end (34.5 kWh with the margin, 42.5 kWh left there: in reach);
    with 20 kWh the hub is out of reach but it is still the best bet (least drive).
    Heading for node 4 (7.5 kWh) it keeps going: it arrives with the reserve.
    """
    graph, targets = _corridor(edge_m=10_000.0)
    tables = _tables(6, [(KIND_URBAN, 2)])
    for soc, target, expect in ((50.0, 5, 0), (20.0, 5, 0), (50.0, 4, -1)):
        state = _truck(3, 3, 5_000.0, target, soc)  # edge 3 is 3 -> 4
        _decide(state, graph, targets, tables)
        assert state.charge_site[0] == expect
        if expect >= 0:
            assert state.detour_target[0] == 2
            assert state.status[0] == STATUS_MOVING


@pytest.mark.parametrize(("charger_node", "expect"), [
    (3, -1),  # a hub at the next stop: it arrives low but can charge there -> leaves
    (5, 0),  # nearest hub 40 km past the next stop: out of reach after it -> charges first
])
def test_dwelling_truck_checks_the_next_stop_and_a_charger_after_it(charger_node, expect):
    """Departure check at node 0 (20 km edges), next stop at node 3 (60 km, 103.5 kWh).

    With 140 kWh it reaches the stop with 36.5 kWh: above the 30 kWh reserve (the plain
    rule lets it go) but below 75 kWh (arriving low).  A hub at the stop needs nothing
    more; the nearest hub 40 km past the stop needs 69 kWh more (x PLAN_MARGIN): it
    charges first, at the hub where it stands (node 0: no drive).
    """
    graph, targets = _corridor(edge_m=20_000.0)
    tables = _tables(6, [(KIND_URBAN, 0), (KIND_URBAN, charger_node)])
    state = _one_vehicle(FLEET_TRUCK)
    state.status[0] = STATUS_DWELL
    state.node[0] = 0
    state.leg[0] = 1
    state.leg_target[1] = 3
    state.soc_kwh[0] = 140.0
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == expect
    if expect >= 0:
        assert state.status[0] == STATUS_QUEUED  # the hub where it stands


@pytest.mark.parametrize(("hub_after", "expect"), [(False, 0), (True, -1)])
def test_truck_uses_the_last_service_area_before_a_dead_end(hub_after, expect):
    """Truck 100 m before a service area (node 2, 10 km edges), heading for node 4.

    80 kWh: 49.85 kWh left at node 4 (20.1 km x 1.5 kWh/km): above the 30 kWh reserve
    but below 75 kWh.  Without a charger at node 4 the nearest is the service area 20 km
    back (34.5 kWh with the margin): it charges now; with a hub at node 4 it drives on.
    """
    graph, targets = _corridor(edge_m=10_000.0)
    sites = [(KIND_SERVICE_AREA, 2)] + ([(KIND_URBAN, 4)] if hub_after else [])
    tables = _tables(6, sites)
    state = _truck(1, 1, 9_900.0, 4, 80.0)
    _decide(state, graph, targets, tables)
    assert state.charge_site[0] == expect


@pytest.mark.parametrize(("payload_t", "expect"), [(0.0, -1), (25.0, 0)])
def test_dwelling_truck_counts_the_tonnes_on_board(payload_t, expect):
    """Next leg 60 km at 1.5 kWh/km empty + 0.022 kWh/km per tonne; a hub at its end.

    Empty: 103.5 kWh with the margin, 46.5 kWh left of 150 (above the reserve, and the
    hub at the stop): it leaves.  With 25 t: 60 x 2.05 x 1.15 = 141.45 kWh, 8.55 kWh
    left: it charges first at the hub where it stands.
    """
    graph, targets = _corridor(edge_m=20_000.0)
    tables = _tables(6, [(KIND_URBAN, 0), (KIND_URBAN, 3)])
    specs = SpecTable(kwh_per_m=np.full((1, N_ROAD_CLASSES), 1.5e-3), is_bev=np.array([True]),
                      kwh_per_m_per_t=np.array([2.2e-5]))
    state = _one_vehicle(FLEET_TRUCK)
    state.status[0] = STATUS_DWELL
    state.node[0] = 0
    state.leg[0] = 1
    state.leg_target[1] = 3
    state.leg_payload_t[1] = payload_t
    state.soc_kwh[0] = 150.0
    _decide(state, graph, targets, tables, specs=specs)
    assert state.charge_site[0] == expect
