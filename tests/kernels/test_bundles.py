"""Typed kernel bundles: built by name, pickled for Dask, parameters reach their use.

The kernels take a few ``NamedTuple`` bundles instead of up to 91 positional arrays.
These tests check what that is for: each bundle field is the source array of the same
name (a swap in a builder fails here), same-typed parameters with distinct values each
land where the rules say (``charge_to_soc`` ends a session, ``taper_start_soc`` only
bends the curve; ``max_pickup_s`` limits the drive, ``max_wait_s`` the wait), bundles
pickle with the same Numba type (a shipped bundle runs the already-compiled code), no
kernel entry point takes more than ten arguments, and ``cache=True`` still loads the
compiled kernels from disk in a new process.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from kernel_cases import build_graph, build_targets, taxi_fleet

from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    KERNEL_OK,
    N_ROAD_CLASSES,
    STATUS_DONE,
    STATUS_IDLE,
    STATUS_MOVING,
)
from transport_sim.kernels import bundles as kb
from transport_sim.kernels.charging import (
    N_SITE_KINDS,
    ChargingState,
    SiteTables,
    _advance_sites,
    _charging_decisions,
    _charging_decisions_py,
    _charging_tick,
    _charging_tick_py,
    _enqueue,
    _queue_run,
    charge_params,
)
from transport_sim.kernels.day import _run_ticks
from transport_sim.kernels.dispatch import (
    REQ_ASSIGNED,
    REQ_UNSERVED,
    TaxiRequests,
    _dispatch_tick,
    _dispatch_tick_py,
    build_dispatch_index,
)
from transport_sim.kernels.movement import _advance_tick, _advance_tick_py
from transport_sim.kernels.state import FleetState, SpecTable
from transport_sim.units import SECONDS_PER_HOUR

RNG_SEED = 18


def _sources():
    """Small but fully populated sources of every bundle (distinct values per array)."""
    rng = np.random.default_rng(RNG_SEED)
    graph = build_graph(4, [0, 1, 2, 3], [1, 2, 3, 0], [100.0, 200.0, 300.0, 400.0],
                        [10.0, 12.0, 14.0, 16.0], [0, 1, 2, 3])  # fmt: skip
    targets = build_targets(graph, np.array([0, 2]))
    state = taxi_fleet(rng, graph, targets, 3, 2)
    for f in dataclasses.fields(state):  # every float array gets its own values
        arr = getattr(state, f.name)
        if arr.dtype.kind == "f":
            arr[:] = rng.uniform(1.0, 2.0, arr.shape)
    specs = SpecTable(rng.uniform(1e-4, 2e-3, (2, N_ROAD_CLASSES)), np.array([True, False]),
                      rng.uniform(1e-6, 1e-5, 2))  # fmt: skip
    cs = ChargingState.allocate(np.array([2, 1]), np.array([60.0, 120.0]), state.n_vehicles, 8)
    cs.site_hourly_busy_s[:] = rng.uniform(0.0, 1.0, cs.site_hourly_busy_s.shape)
    tables = SiteTables(
        site_kind=np.array([0, 1], np.int8), site_target=np.array([0, 1], np.int32),
        site_mcs_site=np.array([-1, -1], np.int32),
        site_at_node=np.full((N_SITE_KINDS, graph.n_nodes), -1, np.int32),
        target_at_node=np.array([0, -1, 1, -1], np.int32),
    )  # fmt: skip
    requests = TaxiRequests.from_arrays(
        np.array([10.0, 20.0]), np.array([0, 1], np.int32), np.array([1, 0], np.int32), 2
    )
    index = build_dispatch_index(targets)
    return state, graph, targets, specs, cs, tables, index, requests


def _all_bundles() -> dict[str, tuple]:
    state, graph, targets, specs, cs, tables, index, requests = _sources()
    day = kb.DayBundle(
        vehicles=kb.fleet_bundle(state),
        legs=kb.leg_bundle(state),
        net=kb.net_bundle(graph, targets),
        specs=kb.spec_bundle(specs),
        traffic=kb.traffic_off(graph.n_edges),
        speed_factors=np.ones((24, N_ROAD_CLASSES)),
        dispatch=kb.dispatch_bundle(index, requests),
        taxi=kb.TaxiParams(431.0, 677.0, 23.0, 41.0, 0.0),
        tables=kb.site_table_bundle(tables),
        sites=kb.site_bundle(cs),
        log=kb.charge_log_bundle(cs),
        charge=charge_params(charge_to_soc=0.83, taper_start_soc=0.71, charger_efficiency=0.91,
                             charge_below_soc=0.37),
        arrived=np.zeros(state.n_vehicles, np.int8),
        bev_rows=np.arange(state.n_vehicles, dtype=np.int64),
        taxi_rows=np.flatnonzero(state.dispatchable).astype(np.int64),
    )
    return {name: getattr(day, name) for name in day._fields} | {"day": day}


def _assert_same_value(a, b, where: str) -> None:
    assert type(a) is type(b), where
    if isinstance(a, tuple):
        for name in a._fields:
            _assert_same_value(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where, strict=True)
        assert a.flags.c_contiguous == b.flags.c_contiguous, where
    else:
        assert a == b or (math.isnan(a) and math.isnan(b)), where


@pytest.mark.parametrize("name", list(_all_bundles()))
def test_each_bundle_pickles_and_round_trips_with_the_same_numba_type(name: str) -> None:
    bundle = _all_bundles()[name]
    back = pickle.loads(pickle.dumps(bundle, protocol=pickle.HIGHEST_PROTOCOL))
    _assert_same_value(bundle, back, name)
    # the same type: a bundle shipped to a Dask worker runs the code compiled for it
    assert numba.typeof(back) == numba.typeof(bundle)


def test_builders_take_every_field_from_the_source_array_of_its_name() -> None:
    state, graph, targets, specs, cs, tables, index, requests = _sources()
    for bundle, source in (
        (kb.fleet_bundle(state), state),
        (kb.leg_bundle(state), state),
        (kb.site_bundle(cs), cs),
        (kb.charge_log_bundle(cs), cs),
        (kb.site_table_bundle(tables), tables),
    ):
        for name in bundle._fields:
            assert getattr(bundle, name) is getattr(source, name), name  # views, not copies
    net = kb.net_bundle(graph, targets)
    for name in ("indptr", "edge_head", "edge_length_m", "edge_speed_mps", "edge_class"):
        assert getattr(net, name) is getattr(graph, name)
    # the two float32 [n_targets, n_nodes] tables: same type and shape, different meaning
    assert net.target_dist_m is targets.dist_m
    assert net.target_time_s is targets.time_s
    assert net.target_node is targets.node
    assert net.next_edge is targets.next_edge
    disp = kb.dispatch_bundle(index, requests)
    for name in ("time_s", "origin", "dest", "state", "taxi", "assign_s"):
        assert getattr(disp, f"req_{name}") is getattr(requests, name)
    assert disp.cursor is requests.cursor
    assert disp.zone_lb_s is index.zone_lb_s
    sp = kb.spec_bundle(specs)
    assert sp.kwh_per_m is specs.kwh_per_m
    assert sp.is_bev is specs.is_bev
    np.testing.assert_array_equal(sp.kwh_per_m_per_t, specs.kwh_per_m_per_t)
    # the charging bundles split ChargingState exactly; the fleet bundles cover FleetState
    # except the powertrain (no kernel reads it)
    charging = set(kb.SiteBundle._fields) | set(kb.ChargeLogBundle._fields)
    assert charging == {f.name for f in dataclasses.fields(ChargingState)}
    fleet_fields = set(kb.FleetBundle._fields) | set(kb.LegBundle._fields)
    assert fleet_fields == {f.name for f in dataclasses.fields(FleetState)} - {"powertrain"}


def test_bundle_from_names_a_missing_field() -> None:
    with pytest.raises(AttributeError, match="leg_target"):
        kb.bundle_from(kb.LegBundle, object())


def _one_bev_queued(battery_kwh: float, soc_kwh: float, power_kw: float):
    state = FleetState.allocate(1, 0)
    state.fleet[0] = BACKGROUND_FLEET_CODE
    state.battery_kwh[0] = battery_kwh
    state.soc_kwh[0] = soc_kwh
    state.max_charge_kw[0] = 1000.0
    state.charge_site[0] = 0
    state.wait_until_s[0] = 0.0  # arrives at midnight
    cs = ChargingState.allocate(np.array([1]), np.array([power_kw]), 1, 4)
    return state, cs


def test_named_charge_parameters_each_reach_their_use() -> None:
    """One car on one plug with distinct shares: the session ends where the rules say.

    ``charge_to_soc`` (0.83) ends the session, ``taper_start_soc`` (0.71) and
    ``taper_floor`` (0.37) shape the closed-form CC-CV curve, ``charger_efficiency``
    (0.91) converts grid to battery energy.  A swap of any two of these same-typed
    floats changes the end SOC, the end time or the grid energy.
    """
    battery, soc0, power = 100.0, 20.0, 50.0
    to, start, floor, eff = 0.83, 0.71, 0.37, 0.91
    charge = kb.ChargeParams(charge_below_soc=math.nan, charge_to_soc=to, taper_start_soc=start,
                            taper_floor=floor, charger_efficiency=eff, truck_reserve_soc=math.nan,
                            truck_min_gain_soc=math.nan,
                            route_energy_margin=math.nan)  # fmt: skip
    state, cs = _one_bev_queued(battery, soc0, power)
    arrived = np.zeros(1, np.int8)
    t, dt = 0.0, 60.0
    while state.status[0] != STATUS_DONE:
        code = _charging_tick_py(t, dt, kb.fleet_bundle(state), arrived, kb.site_bundle(cs),
                              kb.charge_log_bundle(cs), charge)  # fmt: skip
        assert code == KERNEL_OK
        t += dt
        assert t < 10 * SECONDS_PER_HOUR
    rate = power * eff / SECONDS_PER_HOUR  # battery kWh per second at full power
    k = (1.0 - floor) / ((1.0 - start) * battery)
    f_end = 1.0 - k * (to - start) * battery
    expected_end_s = (start * battery - soc0) / rate + math.log(1.0 / f_end) / (k * rate)
    assert state.soc_kwh[0] == pytest.approx(to * battery, rel=1e-15)
    assert cs.log_end_s[0] == pytest.approx(expected_end_s, rel=1e-12)
    assert state.grid_kwh[0] * eff == pytest.approx((to * battery - soc0), rel=1e-12)


def test_queue_replay_takes_the_same_named_parameters() -> None:
    """``_queue_run`` (charger sizing) with the same bundle ends the session identically."""
    battery, soc0, power = 100.0, 20.0, 50.0
    charge = charge_params(charge_to_soc=0.83, taper_start_soc=0.71, taper_floor=0.37,
                           charger_efficiency=0.91)  # fmt: skip
    by_tick, cs_tick = _one_bev_queued(battery, soc0, power)
    arrived = np.zeros(1, np.int8)
    t = 0.0
    while by_tick.status[0] != STATUS_DONE:
        _charging_tick_py(t, 60.0, kb.fleet_bundle(by_tick), arrived, kb.site_bundle(cs_tick),
                       kb.charge_log_bundle(cs_tick), charge)  # fmt: skip
        t += 60.0
    replay, cs_replay = _one_bev_queued(battery, soc0, power)
    code, _ = _queue_run(
        0.0, 60.0, 1e6, np.zeros(1, np.int64), kb.fleet_bundle(replay),
        kb.site_bundle(cs_replay), kb.charge_log_bundle(cs_replay), charge,
    )  # fmt: skip
    assert code == KERNEL_OK
    assert replay.soc_kwh[0] == by_tick.soc_kwh[0]
    assert cs_replay.log_end_s[0] == cs_tick.log_end_s[0]


def test_named_taxi_parameters_each_reach_their_use() -> None:
    """A taxi 500 s from the pickup: assigned under ``max_pickup_s`` 677 > 500 > 431.

    Swapping ``max_wait_s`` (431) and ``max_pickup_s`` (677) would leave it unassigned;
    swapping the two dwells or the payload shows in the legs written.
    """
    graph = build_graph(2, [0, 1], [1, 0], [5000.0, 5000.0], [10.0, 10.0], [0, 0])
    targets = build_targets(graph, np.array([0, 1]))
    state = FleetState.allocate(1, 2)
    state.dispatchable[0] = True
    state.status[0] = STATUS_IDLE
    state.node[0] = 1  # 500 s from target 0 (node 0)
    state.leg_begin[0] = state.leg[0] = state.leg_end[0] = 0
    requests = TaxiRequests.from_arrays(
        np.array([0.0, 0.0]), np.array([0, 0], np.int32), np.array([1, 1], np.int32), 2
    )
    index = build_dispatch_index(targets)
    taxi = kb.TaxiParams(max_wait_s=431.0, max_pickup_s=677.0, pickup_dwell_s=23.0,
                        dropoff_dwell_s=41.0, dropoff_payload_t=0.25)  # fmt: skip
    dispatch = kb.dispatch_bundle(index, requests)
    rows = np.flatnonzero(state.dispatchable).astype(np.int64)
    code = _dispatch_tick_py(kb.fleet_bundle(state), kb.leg_bundle(state), targets.time_s, dispatch,
                          taxi, 0.0, rows)  # fmt: skip
    assert code == KERNEL_OK
    assert requests.state.tolist()[0] == REQ_ASSIGNED
    assert state.status[0] == STATUS_MOVING
    assert state.leg_dwell_s.tolist() == [23.0, 41.0]
    assert state.leg_payload_t.tolist() == [0.0, 0.25]
    # the second request waits: open at 431 s, unserved just after (max_wait_s, not 677)
    for t_s in (431.0, 432.0):
        _dispatch_tick_py(kb.fleet_bundle(state), kb.leg_bundle(state), targets.time_s, dispatch,
                       taxi, t_s, rows)  # fmt: skip
    assert requests.state.tolist()[1] == REQ_UNSERVED
    assert dispatch.counts.tolist() == [0, 1]


@pytest.mark.parametrize(
    "kernel",
    [_run_ticks, _advance_tick, _dispatch_tick, _charging_decisions, _charging_tick, _queue_run,
     _advance_sites, _enqueue],
    ids=lambda k: k.py_func.__name__,
)
def test_kernel_entry_points_take_at_most_ten_arguments(kernel) -> None:
    assert len(inspect.signature(kernel.py_func).parameters) <= 10


@pytest.mark.parametrize(
    ("kernel", "entry"),
    [(_advance_tick, _advance_tick_py), (_dispatch_tick, _dispatch_tick_py),
     (_charging_tick, _charging_tick_py), (_charging_decisions, _charging_decisions_py)],
    ids=lambda k: k.py_func.__name__,
)
def test_compiled_only_kernels_have_a_python_entry_with_their_signature(kernel, entry) -> None:
    """The fused loop calls the kernels; Python (wrappers, tests) calls ``<kernel>_py``."""
    assert kernel.targetoptions.get("no_cpython_wrapper") is True
    assert "no_cpython_wrapper" not in entry.targetoptions
    assert inspect.signature(entry.py_func) == inspect.signature(kernel.py_func)
    assert entry.py_func.__name__ == f"{kernel.py_func.__name__}_py"


CACHE_SCRIPT = """
import numpy as np
from transport_sim.kernels.movement import _advance_tick, _advance_tick_py, advance_tick
from transport_sim.kernels.nexthop import compact_next_hop
from transport_sim.kernels.state import FleetState, KernelGraph, SpecTable, Targets
graph = KernelGraph(np.array([0, 1, 1], np.int32), np.array([1], np.int32),
                    np.array([0], np.int32), np.array([100.0]), np.array([10.0]),
                    np.array([0], np.int8))
targets = Targets(np.array([1], np.int32),
                  compact_next_hop(np.array([[0, -1]], np.int32), graph.indptr),
                  np.array([[100.0, 0.0]], np.float32), np.array([[10.0, 0.0]], np.float32))
specs = SpecTable(np.full((1, {n_classes}), 1e-3), np.array([False]))
state = FleetState.allocate(1, 1)
state.leg_end[0] = 1
state.leg_target[0] = 0
state.spec[0] = 0
arrived = np.zeros(1, np.int8)
advance_tick(state, graph, targets, specs, 0.0, 20.0, np.ones({n_classes}), arrived)
entry, kernel = _advance_tick_py.stats, _advance_tick.stats
misses = sum(entry.cache_misses.values()) + sum(kernel.cache_misses.values())
print(int(arrived[0]), sum(entry.cache_hits.values()), misses)
"""


@pytest.mark.slow  # two fresh interpreters, one compiles the movement kernel
def test_cache_true_loads_bundled_kernels_in_a_new_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "TRANSPORT_SIM"))}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    script = CACHE_SCRIPT.format(n_classes=N_ROAD_CLASSES)
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append([int(x) for x in proc.stdout.split()])
    assert runs[0] == [1, 0, 2]  # arrived; entry and kernel compiled (cache misses), saved
    assert runs[1] == [1, 1, 0]  # arrived; loaded from the cache, nothing compiled
    assert any((tmp_path / "numba").rglob("*.nbi"))
