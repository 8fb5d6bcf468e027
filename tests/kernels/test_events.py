"""The event-driven day loop (``kernels/events.py``) equals the tick loop.

Two copies of the same representative day run side by side, one through
``kernels.day._run_ticks`` (every vehicle every tick, the reference) and one through
``kernels.events._run_events`` (a vehicle touched only when something happens to it),
and every array of the fleet state, the charger sites, the session log and the taxi
requests must end the same: integer arrays (statuses, legs, trips, edges, sessions,
assignments: the same arrivals to the tick) identical, float arrays (kilometres, energy,
tonne-km, states of charge, times) within ``RTOL`` = 1e-9 relative (the contract; the
walk between events repeats the tick kernel's sums, so today they are identical).  The
days are a battery-heavy future year (BEV trucks deciding at service areas, buses and
taxis at hubs, queues) and the calls are cut at random lengths (reporting intervals,
single ``model.step()`` ticks, and calls that continue one another through one carry as
``run_day``'s do), since each call rebuilds its calendar and materialises the vehicles
left mid-edge.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support import PLAN, small

from transport_sim.codes import KERNEL_BAD_STATE, KERNEL_OK
from transport_sim.errors import ScenarioError
from transport_sim.kernels.events import _CONTINUES, _FRESH, _run_events, event_carry
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
#: engines' contract (the walk itself is bit for bit, see the tests at the end).
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


def test_whole_day_is_the_same(day_pair) -> None:
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
def test_random_call_lengths_give_the_same_day(prepared, seed: int) -> None:
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


@pytest.mark.parametrize("seed", [3, 4])
def test_continued_calls_give_the_same_day(prepared, seed: int) -> None:
    """Calls of random length that continue one another through one carry (as
    ``run_day``'s do: the vehicles on the road driven on, not touched again) give the
    tick loop's state after every call."""
    rng = np.random.default_rng(seed)
    tick, event = _model(prepared, "tick"), _model(prepared, "event")
    carry = event._event_carry()
    done = 0
    while done < 20 * 360:  # to 20:00, the busy hours in calls of up to 40 minutes
        k = int(rng.integers(1, 240))
        tick._advance(k)
        event._advance(k, carry)
        done += k
        assert carry.cnt[_CONTINUES] == 1  # each call ended cleanly: the next continues
        assert carry.cnt[_FRESH] == (1 if done == k else 0)
        assert _differences(tick, event) == [], f"after {done} ticks"
    assert int(event.state.trips.sum()) > 100
    tick.release()
    event.release()


def test_a_carry_continues_only_a_clean_call(prepared) -> None:
    """A carry of the wrong size is refused (``KERNEL_BAD_STATE``, state untouched); a
    call after a non-OK code starts afresh."""
    event = _model(prepared, "event")
    n, n_zones = event.state.n_vehicles, event.context.dispatch_index.n_zones
    day = event._day
    before = event.state.odometer_m.copy()
    for bad in (event_carry(n + 1, n_zones), event_carry(n, n_zones + 1)):
        assert _run_events(10, event.time_s, 10.0, day, bad) == (KERNEL_BAD_STATE, 0)
    assert np.array_equal(event.state.odometer_m, before)
    carry = event_carry(n, n_zones)
    assert _run_events(6 * 360, 0.0, 10.0, day, carry) == (KERNEL_OK, 6 * 360)
    assert (carry.cnt[_FRESH], carry.cnt[_CONTINUES]) == (1, 1)
    assert _run_events(10, 6 * 3600.0, 10.0, day, carry) == (KERNEL_OK, 10)
    assert (carry.cnt[_FRESH], carry.cnt[_CONTINUES]) == (0, 1)
    carry.cnt[_CONTINUES] = 0  # as a non-OK code leaves it
    assert _run_events(10, 6 * 3600.0 + 100.0, 10.0, day, carry) == (KERNEL_OK, 10)
    assert (carry.cnt[_FRESH], carry.cnt[_CONTINUES]) == (1, 1)
    event.release()


def test_trucks_going_low_on_the_road_are_the_same(prepared) -> None:
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


def test_session_log_overflow_is_the_same(prepared) -> None:
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


def test_taxi_requests_waiting_in_vain_are_the_same(prepared) -> None:
    """A short pickup reach and long waits leave most taxi requests open for many ticks
    (the event loop's dispatch then searches only the taxis that became idle since the
    last tick): both engines still end the day identical."""
    pair = []
    for movement in ("tick", "event"):
        model = _model(prepared, movement)
        model.settings = dataclasses.replace(
            model.settings, taxi_max_pickup_s=30.0, taxi_max_wait_s=1800.0
        )
        model._day = model.kernel_bundles()
        model.run_day()
        pair.append(model)
    tick, event = pair
    assert _differences(tick, event) == []
    req = tick.dispatch
    done = req.state == 2  # REQ_ASSIGNED
    assert int(done.sum()) > 100
    assert int(tick.dispatch_totals[1]) > 100  # waited the full 30 minutes in vain
    assert float(np.mean(req.assign_s[done] - req.time_s[done])) > 120.0  # many ticks open
    for model in pair:
        model.release()


@pytest.mark.slow
def test_base_year_weekday_is_the_same() -> None:
    """The default plan's 2024 weekday at full scale (diesel-heavy, few battery trucks,
    full taxi dispatch; charger sizing off) through ``run_day``: the same day in both
    engines (integers exact, floats to ``RTOL``)."""
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


# --------------------------------------------------------------------------------------
# closed-form motion, against the analytic answer
# --------------------------------------------------------------------------------------
def _chain_case():
    """A vehicle on a straight chain of four edges, speeds changing with the hour."""
    from kernel_cases import build_graph, build_targets

    from transport_sim.codes import N_ROAD_CLASSES, SITE_KINDS

    lengths_m = np.array([2469.0, 1974.5, 5001.5, 6200.25])
    speeds_mps = np.array([2.5, 4.0, 1.6, 5.0])
    classes = np.array([0, 1, 0, 1])
    graph = build_graph(5, np.arange(4), np.arange(1, 5), lengths_m, speeds_mps, classes)
    targets = build_targets(graph, np.array([4]))
    factors = np.ones((24, N_ROAD_CLASSES))
    factors[5] = [0.9, 0.5] + [1.0] * (N_ROAD_CLASSES - 2)  # 05:00-06:00
    factors[6] = [0.7, 1.1] + [1.0] * (N_ROAD_CLASSES - 2)  # 06:00-07:00
    factors[7] = [1.3, 0.8] + [1.0] * (N_ROAD_CLASSES - 2)  # 07:00-
    vmax_mps = 5.2  # caps edge 3 at 06:00-07:00 (5 x 1.1 = 5.5 m/s)
    kwh_per_m = np.zeros((1, N_ROAD_CLASSES))
    kwh_per_m[0, :2] = [2.0e-4, 3.5e-4]
    slope = np.array([1.5e-5])
    site_at_node = np.full((len(SITE_KINDS), 5), -1, np.int32)
    return graph, targets, factors, vmax_mps, kwh_per_m, slope, site_at_node


def _analytic_drive(graph, factors, vmax_mps, t0_s, t_s):
    """Distance (m) and energy-weighted metres per class driven from ``t0_s`` to ``t_s``
    at the chain's speeds (inf: arrived), in exact piecewise-constant motion."""
    from fractions import Fraction

    t = Fraction(t0_s)
    per_class = [Fraction(0), Fraction(0)]
    for e in range(graph.n_edges):
        left = Fraction(graph.edge_length_m[e])
        c = int(graph.edge_class[e])
        while left > 0:
            hour = int(t // 3600)
            v = Fraction(min(graph.edge_speed_mps[e] * factors[hour % 24, c], vmax_mps))
            span = min(Fraction(3600 * (hour + 1)) - t, Fraction(t_s) - t)
            if span <= 0:
                return per_class, t
            step = min(left, v * span)
            per_class[c] += step
            left -= step
            t += step / v
    return per_class, t  # arrived at t


def test_closed_form_motion_matches_the_analytic_answer() -> None:
    """Over four edges and two hour changes the walk stops at the tick in which the
    vehicle arrives (known in closed form), with the distance, energy, SOC and tonne-km
    of exact piecewise-constant motion at that tick's start."""
    from transport_sim.kernels.events import _walk

    graph, targets, factors, vmax_mps, kwh_per_m, slope, site_at_node = _chain_case()
    dt_s, t0_s, n_ticks, payload_t, soc0_kwh = 10.0, 5 * 3600.0 + 2700.0, 2000, 2.0, 90.0
    hours = ((t0_s + dt_s * np.arange(n_ticks)) // 3600).astype(np.int64) % 24
    hour_end = np.array([k + 1 + np.argmax(hours[k + 1:] != hours[k]) if
                         np.any(hours[k + 1:] != hours[k]) else n_ticks
                         for k in range(n_ticks)], np.int64)  # fmt: skip
    arrays = dict(
        edge=np.array([-1], np.int32), node=np.array([0], np.int32),
        pos_m=np.zeros(1), odometer_m=np.zeros(1), energy_kwh=np.zeros(1),
        soc_kwh=np.array([soc0_kwh]), tkm=np.zeros(1),
    )  # fmt: skip
    fut_i, fut_f = np.zeros((1, 2), np.int64), np.zeros((1, 5))
    j = _walk(
        0, 0, n_ticks, dt_s, hours, hour_end, False, 0.0, 0, 0, payload_t, True, vmax_mps,
        arrays["edge"], arrays["node"], arrays["pos_m"], arrays["odometer_m"],
        arrays["energy_kwh"], arrays["soc_kwh"], arrays["tkm"], graph.edge_head,
        graph.edge_length_m, graph.edge_speed_mps, graph.edge_class, targets.node,
        targets.next_edge, kwh_per_m, slope, factors, site_at_node, fut_i, fut_f,
    )  # fmt: skip
    _, t_arrive = _analytic_drive(graph, factors, vmax_mps, t0_s, 1e9)
    assert 7 * 3600 < t_arrive < t0_s + n_ticks * dt_s  # both hour changes on the way
    assert j == int((t_arrive - t0_s) // dt_s)  # the tick in which it arrives
    per_class, _ = _analytic_drive(graph, factors, vmax_mps, t0_s, t0_s + j * dt_s)
    km = float(sum(per_class))
    kwh = float(sum(d * (kwh_per_m[0, c] + payload_t * slope[0]) for c, d in enumerate(per_class)))
    cum = np.concatenate([[0.0], np.cumsum(graph.edge_length_m)])
    e = int(np.searchsorted(cum, km, side="right") - 1)
    assert fut_i[0, 0] == e  # on edge e ...
    assert fut_i[0, 1] == e  # ... whose tail is node e
    np.testing.assert_allclose(fut_f[0, 0], km - cum[e], rtol=1e-9)
    np.testing.assert_allclose(fut_f[0, 1], km, rtol=1e-12)
    np.testing.assert_allclose(fut_f[0, 2], kwh, rtol=1e-12)
    np.testing.assert_allclose(fut_f[0, 3], soc0_kwh - kwh, rtol=1e-12)
    np.testing.assert_allclose(fut_f[0, 4], payload_t * km / 1000.0, rtol=1e-12)


def test_closed_form_motion_stops_where_the_battery_empties() -> None:
    """With too little charge the walk stops at the tick in which the battery empties."""
    from transport_sim.kernels.events import _walk

    graph, targets, factors, vmax_mps, kwh_per_m, slope, site_at_node = _chain_case()
    dt_s, t0_s, n_ticks, payload_t, soc0_kwh = 10.0, 5 * 3600.0 + 2700.0, 2000, 2.0, 0.4
    hours = ((t0_s + dt_s * np.arange(n_ticks)) // 3600).astype(np.int64) % 24
    hour_end = np.array([k + 1 + np.argmax(hours[k + 1:] != hours[k]) if
                         np.any(hours[k + 1:] != hours[k]) else n_ticks
                         for k in range(n_ticks)], np.int64)  # fmt: skip
    state = [np.array([-1], np.int32), np.array([0], np.int32), np.zeros(1), np.zeros(1),
             np.zeros(1), np.array([soc0_kwh]), np.zeros(1)]  # fmt: skip
    fut_i, fut_f = np.zeros((1, 2), np.int64), np.zeros((1, 5))
    j = _walk(
        0, 0, n_ticks, dt_s, hours, hour_end, False, 0.0, 0, 0, payload_t, True, vmax_mps,
        *state, graph.edge_head, graph.edge_length_m, graph.edge_speed_mps, graph.edge_class,
        targets.node, targets.next_edge, kwh_per_m, slope, factors, site_at_node, fut_i, fut_f,
    )  # fmt: skip
    # the battery lasts soc0 / (kWh per m) metres on the first edge (class 0)
    empty_m = soc0_kwh / (kwh_per_m[0, 0] + payload_t * slope[0])
    assert empty_m < graph.edge_length_m[0]
    speed_mps = graph.edge_speed_mps[0] * factors[5, 0]  # 05:45: the first edge's speed
    assert j == int(empty_m // (speed_mps * dt_s))
    np.testing.assert_allclose(fut_f[0, 1], j * speed_mps * dt_s, rtol=1e-12)
    assert fut_f[0, 3] > 0.0


# --------------------------------------------------------------------------------------
# the walk against the tick kernel, tick by tick (bit for bit)
# --------------------------------------------------------------------------------------
def _boundary_case():
    """A chain whose edges end exactly at tick ends (25 m a tick at 2.5 m/s, 50 at 5 m/s),
    one of them 5e-7 m longer (within ``END_OF_EDGE_EPS_M``: the tick reaches it), and
    the target reached exactly at the end of a tick."""
    from kernel_cases import build_graph, build_targets

    from transport_sim.codes import N_ROAD_CLASSES, SITE_KINDS

    lengths_m = np.array([100.0, 50.0, 100.0 + 5e-7, 75.0])
    speeds_mps = np.array([2.5, 2.5, 5.0, 2.5])
    classes = np.zeros(4, np.int64)
    graph = build_graph(5, np.arange(4), np.arange(1, 5), lengths_m, speeds_mps, classes)
    targets = build_targets(graph, np.array([4]))
    factors = np.ones((24, N_ROAD_CLASSES))
    kwh_per_m = np.zeros((1, N_ROAD_CLASSES))
    kwh_per_m[0, 0] = 2.0e-4
    slope = np.array([1.5e-5])
    site_at_node = np.full((len(SITE_KINDS), 5), -1, np.int32)
    return graph, targets, factors, 40.0, kwh_per_m, slope, site_at_node


_FIELDS = ("edge", "node", "pos_m", "odometer_m", "energy_kwh", "soc_kwh", "tkm")


def _tick_kernel_trace(case, t0_s, dt_s, n_ticks, payload_t, soc0_kwh):
    """The tick kernel (``movement.advance_tick``) driving the case's one vehicle from
    node 0 toward target 0: its state at the start of every tick, and the tick in which
    it arrives or strands (``n_ticks`` if neither)."""
    from kernel_cases import planned_fleet

    from transport_sim.codes import STATUS_MOVING, STATUS_STRANDED
    from transport_sim.kernels.movement import advance_tick
    from transport_sim.kernels.state import SpecTable

    graph, targets, factors, vmax_mps, kwh_per_m, slope, _ = case
    s = planned_fleet([[(0, t0_s, 0.0, payload_t, 0)]])
    s.spec[:] = 0
    s.status[:] = STATUS_MOVING
    s.soc_kwh[:] = soc0_kwh
    s.max_speed_mps[:] = vmax_mps
    specs = SpecTable(kwh_per_m, np.array([True]), slope)
    arrived = np.zeros(1, np.int8)
    trace = []
    for k in range(n_ticks):
        trace.append({f: getattr(s, f)[0].copy() for f in _FIELDS})
        t_s = t0_s + k * dt_s
        advance_tick(s, graph, targets, specs, t_s, dt_s, factors[int(t_s // 3600) % 24], arrived)
        if arrived[0] != 0 or s.status[0] == STATUS_STRANDED:
            return trace, k
    return trace, n_ticks


def _walk_from(case, start, k_from, k_stop, t0_s, dt_s, n_ticks, payload_t):
    """Run ``_walk`` on the case's vehicle from ``start`` (a state of the trace) at tick
    ``k_from``; return its tick and its state at that tick."""
    from transport_sim.kernels.events import _walk

    graph, targets, factors, vmax_mps, kwh_per_m, slope, site_at_node = case
    hours = ((t0_s + dt_s * np.arange(n_ticks)) // 3600).astype(np.int64) % 24
    hour_end = np.array([k + 1 + np.argmax(hours[k + 1:] != hours[k]) if
                         np.any(hours[k + 1:] != hours[k]) else n_ticks
                         for k in range(n_ticks)], np.int64)  # fmt: skip
    dtypes = (np.int32, np.int32) + (np.float64,) * 5
    state = [np.array([start[f]], dt) for f, dt in zip(_FIELDS, dtypes, strict=True)]
    fut_i, fut_f = np.zeros((1, 2), np.int64), np.zeros((1, 5))
    j = _walk(
        0, k_from, k_stop, dt_s, hours, hour_end, False, 0.0, 0, 0, payload_t, True, vmax_mps,
        *state, graph.edge_head, graph.edge_length_m, graph.edge_speed_mps, graph.edge_class,
        targets.node, targets.next_edge, kwh_per_m, slope, factors, site_at_node, fut_i, fut_f,
    )  # fmt: skip
    return j, dict(zip(_FIELDS, [*fut_i[0], *fut_f[0]], strict=True))


@pytest.mark.parametrize(
    ("case_name", "t0_s", "soc0_kwh"),
    [
        ("chain", 5 * 3600.0 + 2700.0, 90.0),  # two hour changes, then it arrives
        ("chain", 5 * 3600.0 + 2700.0, 0.4),  # empties on the first edge
        ("chain", 5 * 3600.0 + 2700.0, 2.2),  # empties after an hour change
        ("boundary", 6 * 3600.0 - 60.0, 90.0),  # nodes and target at tick ends
        ("boundary", 6 * 3600.0 - 60.0, 4 * (25.0 * 2.3e-4)),  # empties about at a node
    ],
)
def test_walk_is_the_tick_kernel_bit_for_bit(case_name, t0_s, soc0_kwh) -> None:
    """From any tick of the tick kernel's drive, the walk stops at the tick in which the
    tick kernel arrives or strands (or at ``k_stop``), in the tick kernel's state at
    that tick, every float bit for bit (no closed form: the same sums in the same order)."""
    case = _chain_case() if case_name == "chain" else _boundary_case()
    dt_s, payload_t, n_ticks = 10.0, 2.0, 3000
    trace, k_end = _tick_kernel_trace(case, t0_s, dt_s, n_ticks, payload_t, soc0_kwh)
    assert 0 < k_end < n_ticks
    starts = sorted({0, 1, 2, k_end // 3, k_end // 2, k_end - 2, k_end - 1, k_end})
    for k_from in [k for k in starts if 0 <= k <= k_end]:
        for k_stop in sorted({k_from + 1, (k_from + k_end) // 2 + 1, k_end, k_end + 1}):
            if k_stop <= k_from:
                continue
            j, fut = _walk_from(case, trace[k_from], k_from, k_stop, t0_s, dt_s, n_ticks,
                                payload_t)  # fmt: skip
            assert j == min(k_end, k_stop), (k_from, k_stop)
            for f in _FIELDS:
                assert fut[f] == trace[j][f], (f, k_from, k_stop)


def test_boundary_case_reaches_nodes_at_tick_ends() -> None:
    """The boundary case does what it is for: the tick kernel stands at a node at the
    start of some ticks (an edge ended exactly with the tick) and arrives in the tick
    whose end is the arrival time."""
    case = _boundary_case()
    trace, k_end = _tick_kernel_trace(case, 6 * 3600.0 - 60.0, 10.0, 100, 0.0, 90.0)
    at_node = [k for k, s in enumerate(trace) if s["edge"] < 0]
    assert at_node[:4] == [0, 4, 6, 8]  # edges of 4, 2 and (snapped) 2 ticks
    assert k_end == 10  # 75 m at 25 m a tick: the third tick on the last edge ends there
