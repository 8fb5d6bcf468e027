"""The same grid and the same trips moved by UXsim and by this project's movement kernel.

Both models get an identical synthetic network (``nx`` x ``ny`` two-way grid, 200 m links,
50 km/h, one lane, jam density 0.2 vehicles/m) and identical demand (``N`` trips between
random distinct nodes, departures uniform over the first hour, in groups of 5 vehicles
with the same origin, destination and departure: UXsim moves each group as one platoon,
its default ``deltan = 5``).  Reported per model: vehicle-seconds simulated (time each
vehicle spent in the system, from its departure to its arrival or the horizon) per wall
second of the simulation call, trips completed and mean travel time.

Ours runs with congestion ON (per-edge density-dependent speed, see
``kernels/movement.py``) at a 5 s tick (= UXsim's time step ``deltan x reaction_time``)
and at the model's default 10 s tick.  ``ratio_vs_uxsim`` compares ours at 5 s with
UXsim's Python engine; UXsim's C++ engine (``World(cpp=True)``) is reported too when its
extension is present.  The fidelity of the two differs (see benchmarks/RESULTS.md).

Usage::

    python benchmarks/bench_peers.py [--quick] [--trips N] [--grid SIDE]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import (
    BENCH_SPECS,
    bench_specs,
    grid_network,
    human,
    make_fleet,
    print_header,
    print_load,
    run_movement,
    targets_for,
)

from transport_sim.codes import STATUS_MOVING
from transport_sim.kernels.movement import jam_vehicles

DELTAN = 5  # vehicles per UXsim platoon (UXsim default)
JAM_DENSITY = 0.2  # vehicles per metre per lane (UXsim default)
DEMAND_WINDOW_S = 3600.0


def draw_demand(n_nodes: int, n_trips: int, seed: int = 0):
    """``n_trips // DELTAN`` groups: origin, destination (distinct), departure (s)."""
    rng = np.random.default_rng(seed)
    groups = n_trips // DELTAN
    orig = rng.integers(0, n_nodes, groups)
    dest = (orig + rng.integers(1, n_nodes, groups)) % n_nodes
    depart = np.sort(rng.uniform(0.0, DEMAND_WINDOW_S, groups))
    return orig, dest, depart


def run_ours(grid, demand, horizon_s: float, dt_s: float, repeat: int = 3) -> dict:
    """Move the demand with the movement kernel (congestion on); best of ``repeat`` runs."""
    orig, dest, depart = demand
    t0 = time.perf_counter()
    dest_nodes, dest_index = np.unique(dest, return_inverse=True)
    targets = targets_for(grid.arrays, dest_nodes)
    setup_s = time.perf_counter() - t0
    n = orig.shape[0] * DELTAN
    car = [s[0] for s in BENCH_SPECS].index("petrol_car")
    fresh = make_fleet(
        np.repeat(orig, DELTAN).astype(np.int32),
        np.repeat(dest_index, DELTAN).astype(np.int32)[:, None],
        np.repeat(depart, DELTAN)[:, None],
        np.full(n, car, np.int16),
    )
    specs = bench_specs()
    jam = jam_vehicles(grid.graph.edge_length_m, float(grid.lanes), 1.0 / JAM_DENSITY)
    n_ticks = round(horizon_s / dt_s)
    wall = float("inf")
    for _ in range(repeat):
        state = fresh.copy()
        count = np.zeros(grid.graph.n_edges, np.int32)
        t0 = time.perf_counter()
        run_movement(state, grid.graph, targets, specs, n_ticks, 0.0, dt_s,
                     edge_count=count, edge_jam_vehicles=jam)  # fmt: skip
        wall = min(wall, time.perf_counter() - t0)
    arrived = state.leg == state.leg_end
    dep = state.leg_depart_s[state.leg_begin]
    in_system = np.where(arrived, state.wait_until_s - dep, np.maximum(horizon_s - dep, 0.0))
    return {
        "wall_s": wall,
        "setup_s": setup_s,
        "veh_s": float(in_system.sum()),
        "completed": float(arrived.mean()),
        "mean_tt_s": float((state.wait_until_s - dep)[arrived].mean()),
        "still_moving": int(np.count_nonzero(state.status == STATUS_MOVING)),
        "updates": n * n_ticks,
    }


def run_uxsim(grid, demand, horizon_s: float, cpp: bool) -> dict | None:
    """Move the demand with UXsim (Python or C++ engine); ``None`` when unavailable."""
    try:
        import uxsim
    except ImportError:
        return None
    orig, dest, depart = demand
    t0 = time.perf_counter()
    try:
        world = uxsim.World(name="bench", deltan=DELTAN, tmax=horizon_s, print_mode=0,
                            save_mode=0, show_mode=0, random_seed=0, cpp=cpp)  # fmt: skip
    except (ImportError, RuntimeError, TypeError):
        return None
    for i in range(grid.n_nodes):
        world.addNode(f"n{i}", float(grid.x_m[i]), float(grid.y_m[i]))
    speed_mps = grid.speed_kph / 3.6
    for e, (a, b) in enumerate(zip(grid.tail.tolist(), grid.head.tolist(), strict=True)):
        world.addLink(f"l{e}", f"n{a}", f"n{b}", length=grid.link_m, free_flow_speed=speed_mps,
                      jam_density=JAM_DENSITY, number_of_lanes=grid.lanes)  # fmt: skip
    for o, d, t in zip(orig.tolist(), dest.tolist(), depart.tolist(), strict=True):
        world.addVehicle(f"n{o}", f"n{d}", t)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    world.exec_simulation()
    wall = time.perf_counter() - t0
    veh_s = 0.0
    done = 0
    tts = []
    for veh in world.VEHICLES.values():
        dep_s = veh.departure_time * world.DELTAT
        if veh.state == "end" and veh.travel_time >= 0:
            veh_s += veh.travel_time * world.DELTAN
            tts.append(veh.travel_time)
            done += 1
        else:
            veh_s += max(horizon_s - dep_s, 0.0) * world.DELTAN
    return {
        "wall_s": wall,
        "setup_s": build_s,
        "veh_s": veh_s,
        "completed": done / max(len(world.VEHICLES), 1),
        "mean_tt_s": float(np.mean(tts)) if tts else float("nan"),
        "version": getattr(uxsim, "__version__", "?"),
    }


def line(name: str, r: dict) -> str:
    rate = r["veh_s"] / r["wall_s"]
    return (f"{name:<34} sim wall {r['wall_s']:8.2f} s  setup {r['setup_s']:6.2f} s  "
            f"veh-s {human(r['veh_s']):>8}  {human(rate):>8} veh-s/s  completed "
            f"{r['completed']:6.1%}  mean travel {r['mean_tt_s']:6.0f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 x 15 grid, 2,000 trips")
    parser.add_argument("--trips", type=int, help="trips (default 50,000; quick 2,000)")
    parser.add_argument("--grid", type=int, help="grid side in nodes (default 50; quick 15)")
    args = parser.parse_args()
    side = args.grid or (15 if args.quick else 50)
    trips = args.trips or (2_000 if args.quick else 50_000)
    horizon_s = 2 * DEMAND_WINDOW_S if args.quick else 3 * DEMAND_WINDOW_S
    print_header("bench_peers: same grid and demand, UXsim vs this project's kernel")
    grid = grid_network(side, side)
    demand = draw_demand(grid.n_nodes, trips)
    print(f"network: synthetic {side}x{side} two-way grid, {grid.graph.n_edges} links of "
          f"{grid.link_m:.0f} m, {grid.speed_kph:.0f} km/h, {grid.lanes} lane, jam density "
          f"{JAM_DENSITY} veh/m")  # fmt: skip
    print(f"demand: {trips} trips in {trips // DELTAN} groups of {DELTAN} (same OD and "
          f"departure), random distinct OD nodes, departures uniform over "
          f"{DEMAND_WINDOW_S:.0f} s; horizon {horizon_s:.0f} s")
    ours5 = run_ours(grid, demand, horizon_s, 5.0)  # the first of its repeats compiles
    ours10 = run_ours(grid, demand, horizon_s, 10.0)
    print(line("ours, congestion on, tick 5 s", ours5))
    print(line("ours, congestion on, tick 10 s", ours10))
    print(f"  (ours: {human(ours5['updates'] / ours5['wall_s'])} vehicle-updates/s at 5 s; "
          f"setup = next-hop tables toward {np.unique(demand[1]).shape[0]} destinations)")
    rate5 = ours5["veh_s"] / ours5["wall_s"]
    ux = run_uxsim(grid, demand, horizon_s, cpp=False)
    if ux is None:
        print("uxsim: SKIPPED (uxsim not installed; pip install '.[bench]')")
        print_load()
        print("ratio_vs_uxsim: skipped")
        return
    print(line(f"UXsim {ux['version']} Python engine", ux))
    uxc = run_uxsim(grid, demand, horizon_s, cpp=True)
    if uxc is None:
        print("UXsim C++ engine: not available in this install")
    else:
        print(line(f"UXsim {uxc['version']} C++ engine", uxc))
        print(f"ratio_vs_uxsim_cpp: {rate5 / (uxc['veh_s'] / uxc['wall_s']):.1f}")
    print(f"ratio at tick 10 s vs UXsim Python: "
          f"{ours10['veh_s'] / ours10['wall_s'] / (ux['veh_s'] / ux['wall_s']):.0f}")
    print_load()
    print(f"ratio_vs_uxsim: {rate5 / (ux['veh_s'] / ux['wall_s']):.0f}")


if __name__ == "__main__":
    main()
