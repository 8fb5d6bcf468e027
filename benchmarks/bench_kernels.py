"""Throughput of the movement + energy kernel against its plain-Python reference.

Prints vehicle-updates per second (one update = one vehicle visited by one tick of
``movement._advance_tick``, which also draws energy through ``kernels.energy``) on the
benchmark network at 1k, 10k and 100k vehicles (and 1M without ``--quick``), the same
figure for the plain-Python reference (timed on a subset of vehicles and ticks and
scaled per update), the machine's memory bandwidth measured in the same run, and the
kernel's achieved bytes per second for the bytes it touches per update.

The last line is ``speedup_vs_python: X`` (kernel / reference updates per second at the
largest fleet measured in this run).

Usage::

    python benchmarks/bench_kernels.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from _common import (
    BENCH_SPECS,
    bench_specs,
    best_of,
    embedded_tables,
    human,
    make_fleet,
    print_header,
    print_load,
    run_movement,
    subset,
)
from numba import njit, prange

from transport_sim.codes import STATUS_MOVING
from transport_sim.kernels.energy import _energy_totals
from transport_sim.kernels.movement import (
    advance_tick,
    count_vehicles_on_edges,
    jam_vehicles,
)
from transport_sim.kernels.reference import advance_tick_reference

DT_S = 10.0
LEGS_PER_VEHICLE = 8
WARMUP_TICKS = 6  # vehicles are mid-route (not all departing) when timing starts

#: Bytes one update reads + writes per vehicle, by what the vehicle does that tick
#: (per-vehicle arrays only; graph, next-hop and spec tables are shared and mostly cached).
BYTES_MOVING = {
    # read: status 1, detour_target 4, leg 4, spec 2, max_speed_mps 8, edge 4, node 4,
    # pos_m 8, odometer_m 8, energy_kwh 8, soc_kwh 8, tkm 8, leg_payload_t[leg] 8
    "read": 1 + 4 + 4 + 2 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 8,
    # write: arrived 1, status 1, edge 4, node 4, pos_m 8, odometer_m 8, energy_kwh 8,
    # soc_kwh 8, tkm 8 (written back unconditionally)
    "write": 1 + 1 + 4 + 4 + 8 + 8 + 8 + 8 + 8,
}
#: A waiting vehicle: arrived 1 (w), status 1, detour_target 4, wait_until_s 8 (r).
BYTES_WAITING = 1 + 1 + 4 + 8


# --------------------------------------------------------------------------------------
# memory bandwidth
# --------------------------------------------------------------------------------------


@njit(nogil=True)
def _triad(a, b, c, s):
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(nogil=True, parallel=True)
def _triad_parallel(a, b, c, s):
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


def memory_bandwidth(n: int, repeat: int) -> dict[str, float]:
    """GB/s of numpy copy (16 B/element) and a compiled triad (24 B/element)."""
    b = np.random.default_rng(0).random(n)
    c = b.copy()
    a = np.empty_like(b)
    _triad(a[:16], b[:16], c[:16], 3.0)
    _triad_parallel(a[:16], b[:16], c[:16], 3.0)
    out = {
        "numpy_copy": 16 * n / best_of(lambda: np.copyto(a, b), repeat) / 1e9,
        "triad_1core": 24 * n / best_of(lambda: _triad(a, b, c, 3.0), repeat) / 1e9,
        "triad_all_cores": 24 * n / best_of(lambda: _triad_parallel(a, b, c, 3.0), repeat) / 1e9,
    }
    return out


# --------------------------------------------------------------------------------------
# fleets on the benchmark network
# --------------------------------------------------------------------------------------


def bench_fleet(n: int, tables, seed: int = 1):
    """``n`` vehicles from random road nodes over 8 legs toward random road targets."""
    _, graph, targets, road_targets, n_road = tables
    rng = np.random.default_rng(seed)
    start = rng.integers(0, n_road, n).astype(np.int32)
    legs = road_targets[rng.integers(0, road_targets.shape[0], (n, LEGS_PER_VEHICLE))]
    # no leg toward the node the vehicle already stands at (it would arrive at once)
    first = targets.node[legs[:, 0]] == start
    legs[first, 0] = road_targets[(np.searchsorted(road_targets, legs[first, 0]) + 1)
                                  % road_targets.shape[0]]  # fmt: skip
    depart = np.zeros((n, LEGS_PER_VEHICLE))
    spec = rng.integers(0, len(BENCH_SPECS), n).astype(np.int16)
    state = make_fleet(start, legs, depart, spec, payload_t=2.0)
    specs = bench_specs()
    run_movement(state, graph, targets, specs, WARMUP_TICKS, 0.0, DT_S)
    return state, specs


def time_kernel(state, tables, specs, min_time_s: float, repeat: int, congestion: bool):
    """Best updates/s of the compiled movement loop from a copy of ``state``."""
    _, graph, targets, _, _ = tables
    t0 = WARMUP_TICKS * DT_S
    jam = jam_vehicles(graph.edge_length_m, 1.0)

    def one(n_ticks: int, st) -> None:
        kw = {}
        if congestion:
            kw = {"edge_count": count_vehicles_on_edges(st, graph.n_edges),
                  "edge_jam_vehicles": jam}  # fmt: skip
        run_movement(st, graph, targets, specs, n_ticks, t0, DT_S, **kw)

    probe = state.copy()
    t = time.perf_counter()
    one(2, probe)
    per_tick = max((time.perf_counter() - t) / 2, 1e-7)
    n_ticks = int(min(max(math.ceil(min_time_s / per_tick), 3), 360))
    best = float("inf")
    moving = metres = 0.0
    for _ in range(repeat):
        st = state.copy()
        t = time.perf_counter()
        one(n_ticks, st)
        best = min(best, time.perf_counter() - t)
        moving = float(np.mean(st.status == STATUS_MOVING))
        metres = float((st.odometer_m - state.odometer_m).sum()) / (state.n_vehicles * n_ticks)
    return state.n_vehicles * n_ticks / best, n_ticks, moving, metres


def time_wrapper(state, tables, specs, n_ticks: int) -> float:
    """Updates/s when the public ``advance_tick`` (with validation) is called per tick."""
    _, graph, targets, _, _ = tables
    st = state.copy()
    arrived = np.zeros(st.n_vehicles, np.int8)
    sf = np.ones(specs.kwh_per_m.shape[1])
    t = time.perf_counter()
    for k in range(n_ticks):
        advance_tick(st, graph, targets, specs, (WARMUP_TICKS + k) * DT_S, DT_S, sf, arrived)
    return st.n_vehicles * n_ticks / (time.perf_counter() - t)


def time_energy_totals(state, repeat: int) -> float:
    """Vehicles/s of the per-day energy aggregation kernel (3 quantities per vehicle)."""
    values = np.stack([state.energy_kwh, state.odometer_m, state.tkm])
    group = state.spec.astype(np.int64)
    out = np.empty((3, len(BENCH_SPECS)))
    _energy_totals(values[:, :8], group[:8], out)
    return state.n_vehicles / best_of(lambda: _energy_totals(values, group, out), repeat)


def time_reference(state, tables, specs, n_vehicles: int, n_ticks: int):
    """Updates/s of the plain-Python reference on the first vehicles; checks agreement."""
    _, graph, targets, _, _ = tables
    ref = subset(state, n_vehicles)
    fast = subset(state, n_vehicles)
    arrived = np.zeros(n_vehicles, np.int8)
    sf = np.ones(specs.kwh_per_m.shape[1])
    t = time.perf_counter()
    for k in range(n_ticks):
        code = advance_tick_reference(
            ref, graph, targets, specs, (WARMUP_TICKS + k) * DT_S, DT_S, sf, arrived
        )
        if code != 0:
            msg = f"reference returned {code}"
            raise RuntimeError(msg)
    elapsed = time.perf_counter() - t
    run_movement(fast, graph, targets, specs, n_ticks, WARMUP_TICKS * DT_S, DT_S)
    same = all(
        np.array_equal(getattr(ref, f), getattr(fast, f))
        for f in ("status", "node", "edge", "pos_m", "leg", "odometer_m", "energy_kwh",
                  "soc_kwh", "tkm", "trips", "wait_until_s")
    )  # fmt: skip
    return n_vehicles * n_ticks / elapsed, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small CI-sized case")
    args = parser.parse_args()
    quick = args.quick
    print_header("bench_kernels: movement + energy kernel vs plain-Python reference")

    sizes = [1_000, 10_000, 100_000] + ([] if quick else [1_000_000])
    min_time = 0.15 if quick else 1.0
    repeat = 2 if quick else 3

    bw = memory_bandwidth(2**23 if quick else 2**26, repeat)
    print(f"memory bandwidth: numpy copy {bw['numpy_copy']:.1f} GB/s, compiled triad one core "
          f"{bw['triad_1core']:.1f} GB/s, all cores {bw['triad_all_cores']:.1f} GB/s "
          f"(arrays of {(2**23 if quick else 2**26) * 8 / 2**20:.0f} MiB)")

    t = time.perf_counter()
    tables = embedded_tables()
    label, graph, targets, road_targets, _ = tables
    print(f"network: {label}: {graph.n_nodes} nodes, {graph.n_edges} edges, "
          f"{targets.n_targets} targets ({road_targets.shape[0]} on roads); "
          f"context built in {time.perf_counter() - t:.1f} s")
    print(f"fleet: {LEGS_PER_VEHICLE} legs per vehicle toward random road targets, "
          f"tick {DT_S:.0f} s, {len(BENCH_SPECS)} specs (half BEV), free flow unless noted")
    bpm = BYTES_MOVING["read"] + BYTES_MOVING["write"]
    print(f"bytes per update: moving vehicle {bpm} B ({BYTES_MOVING['read']} read + "
          f"{BYTES_MOVING['write']} written), waiting vehicle {BYTES_WAITING} B")

    print("columns: moving = share of vehicles moving at the end; m/upd = metres driven per "
          "update (edge crossings, i.e. next-hop lookups, grow with it); kernel = compiled "
          "tick loop, free flow; congested = same with per-edge density-dependent speed "
          "(jam spacing 7.5 m: dense fleets crawl, so fewer crossings); wrapper = public "
          "advance_tick called once per tick from Python (validation included); energy = "
          "per-day totals kernel; GB/s and %1core for the free-flow kernel")
    print()
    print(f"{'vehicles':>9} {'ticks':>5} {'moving':>6} {'m/upd':>5} {'kernel upd/s':>13} "
          f"{'congested upd/s (m/upd)':>23} {'wrapper upd/s':>13} {'energy veh/s':>12} "
          f"{'GB/s':>6} {'%1core':>6}")
    results = {}
    for n in sizes:
        state, specs = bench_fleet(n, tables)
        rate, n_ticks, moving, metres = time_kernel(state, tables, specs, min_time, repeat, False)
        crate, _, _, cmetres = time_kernel(state, tables, specs, min_time, 1, True)
        wrate = time_wrapper(state, tables, specs, max(3, min(n_ticks, 30)))
        erate = time_energy_totals(state, repeat)
        bytes_per_update = moving * bpm + (1 - moving) * BYTES_WAITING
        gbs = rate * bytes_per_update / 1e9
        results[n] = (rate, gbs, bytes_per_update, state, specs)
        print(f"{n:>9} {n_ticks:>5} {moving:>6.0%} {metres:>5.0f} {human(rate):>13} "
              f"{human(crate):>15} ({cmetres:>4.0f}) {human(wrate):>13} {human(erate):>12} "
              f"{gbs:>6.2f} {gbs / bw['triad_1core']:>6.0%}")

    largest = sizes[-1]
    rate, gbs, bpu, state, specs = results[largest]
    n_ref, ref_ticks = (300, 3) if quick else (2_000, 5)
    ref_rate, same = time_reference(state, tables, specs, n_ref, ref_ticks)
    print()
    print(f"plain-Python reference (kernels/reference.py advance_tick_reference): timed on the "
          f"first {n_ref} vehicles of the {largest}-vehicle fleet for {ref_ticks} ticks and "
          f"scaled per update: {human(ref_rate)} updates/s "
          f"({1e6 / ref_rate:.1f} us per update); identical to the kernel on that subset: "
          f"{same}")
    for n in sizes:
        print(f"speedup at {n} vehicles: {results[n][0] / ref_rate:.0f}x")
    print(f"kernel at {largest} vehicles: {human(rate)} updates/s x {bpu:.0f} B/update = "
          f"{gbs:.2f} GB/s = {gbs / bw['triad_1core']:.0%} of the one-core triad bandwidth "
          f"({bw['triad_1core']:.1f} GB/s), {gbs / bw['triad_all_cores']:.0%} of all cores "
          f"({bw['triad_all_cores']:.1f} GB/s)")
    print_load()
    print(f"speedup_vs_python: {rate / ref_rate:.0f}")


if __name__ == "__main__":
    main()
