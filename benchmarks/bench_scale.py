"""Scaling: one simulated day's run time and the peak memory against fleet size and network size.

Every point runs in a fresh subprocess pinned to ONE core (``taskset``) with the caller's
numba cache (kernels compiled before: warm).  The child prepares the run as
``transport-sim run`` does (network from the network cache, fleets, the run context with
its next-hop tables, the stock), simulates the 2024 weekday once to load every kernel and
then once more, timed; its peak memory is the process's ``ru_maxrss`` (everything: imports,
network, tables, Dijkstra work arrays, both days).

Two series, each with the log-log slope (least squares) of time and memory:

* fleet scale 0.25x, 0.5x, 1x, 2x, 4x (``run.vehicle_scale``; taxis, trucks and ships
  scale with it, the bus timetable does not) on the embedded schematic network — slopes
  against the number of simulated vehicles.  Scales above 1 are beyond what a scenario
  file accepts (``vehicle_scale`` <= 1); the benchmark sets them on the validated
  scenario to load the kernels with more vehicles than Shiyan has;
* network size: generated synthetic grids of ~5k, ~50k and ~500k junctions
  (:mod:`transport_sim.network.synthetic`, ``.osm.pbf``, read through the same OSM loader)
  at 1x, with the schematic network beside them for reference — slopes against graph
  nodes over the synthetic grids (one kind of network).  Each generated file is built
  once into the network cache by its own child first (cold build time and peak memory
  reported).

Next-hop tables are compact (:mod:`transport_sim.kernels.nexthop`); each row also prints
what the tables would hold with int32 next edges (the layout before), from their shape.

Usage::

    python benchmarks/bench_scale.py [--quick]

``--quick`` (CI, about a minute on a quiet machine): schematic at 0.05x and 0.1x and a
~2.5k-junction synthetic grid at 0.05x; slopes over those points only (no network slope
from a single grid).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import _common
import numpy as np

FULL_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
FULL_GRIDS = (5_000, 50_000, 500_000)
QUICK_SCALES = (0.05, 0.1)
QUICK_GRIDS = (2_500,)
SEED_OF_GRID = 18


def synthetic_path(n_nodes: int) -> Path:
    """Where the generated grid of ``n_nodes`` junctions lives (created on first use)."""
    root = os.environ.get("TRANSPORT_SIM_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "transport_sim"
    return base / "synthetic" / f"grid_{n_nodes}_seed{SEED_OF_GRID}.osm.pbf"


def network_file(name: str) -> Path:
    """OSM file of a network point: ``schematic`` or a junction count."""
    if name == "schematic":
        return _common.network_choice()[0]
    return synthetic_path(int(name))


# --------------------------------------------------------------------------------------
# child side
# --------------------------------------------------------------------------------------


def maxrss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_build(name: str) -> dict:
    """Generate the synthetic file if missing and build it into the network cache."""
    from transport_sim.network import load_network
    from transport_sim.network.synthetic import write_synthetic_osm

    path = network_file(name)
    t0 = time.perf_counter()
    if not path.exists():
        tmp = path.with_name(path.name.replace(".osm.pbf", ".tmp.osm.pbf"))
        write_synthetic_osm(tmp, int(name), seed=SEED_OF_GRID)
        tmp.replace(path)
    written_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = load_network(path)
    return {"file": str(path), "file_mb": path.stat().st_size / 1e6, "write_s": written_s,
            "load_s": time.perf_counter() - t0, "from_cache": bool(net.from_cache),
            "maxrss_mb": maxrss_mb()}  # fmt: skip


def child_point(name: str, scale: float) -> dict:
    """Prepare a one-day run on network ``name`` at fleet ``scale``; time the warm day."""
    from transport_sim.kernels.cache import configure_numba_cache
    from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

    configure_numba_cache()
    scenario = _common.plan_scenario({"start_year": 2024, "end_year": 2024,
                                      "day_types": ["weekday"]})  # fmt: skip
    meta = dataclasses.replace(scenario.scenario, network=str(network_file(name)))
    run = dataclasses.replace(scenario.run, vehicle_scale=float(scale))
    scenario = dataclasses.replace(scenario, scenario=meta, run=run)
    t0 = time.perf_counter()
    prep = prepare(scenario)
    prepare_s = time.perf_counter() - t0
    seq = day_seeds(scenario.run.seed, scenario.years, ("weekday",))[(2024, "weekday")]
    t0 = time.perf_counter()
    simulate_day(prep, 2024, "weekday", seq)  # loads every kernel from the cache
    first_s = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    model = simulate_day(prep, 2024, "weekday", seq)
    day_s, day_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    tg = prep.context.targets
    n_t, n_nodes = tg.next_edge.shape
    compact = tg.next_edge.nbytes + tg.dist_m.nbytes + tg.time_s.nbytes
    return {
        "network": name, "scale": scale, "road_nodes": int(prep.network.roads.n_nodes),
        "graph_nodes": int(n_nodes), "graph_edges": int(prep.context.graph.n_edges),
        "targets": int(n_t), "slot_dtype": str(tg.next_edge.slot.dtype),
        "tables_mb": compact / 1e6, "tables_int32_mb": (n_t * n_nodes * 4 * 3) / 1e6,
        "vehicles": int(model.state.n_vehicles), "prepare_s": prepare_s,
        "network_s": prep.timings["network_s"], "context_s": prep.timings["context_s"],
        "first_day_s": first_s, "day_s": day_s, "day_cpu_s": day_cpu_s, "load1": load1,
        "maxrss_mb": maxrss_mb(),
    }  # fmt: skip


# --------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------


def spawn(args: list[str]) -> dict:
    """Run this script as a child pinned to one core; return its RESULT json."""
    env = dict(os.environ)
    env.update({"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"})  # fmt: skip
    cmd = [sys.executable, __file__, "--child", *args]
    from shutil import which

    if which("taskset") is not None:
        cmd = ["taskset", "-c", str(min(os.sched_getaffinity(0))), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-15:])
        msg = f"child {' '.join(args)} failed (exit {proc.returncode}):\n{tail}"
        raise RuntimeError(msg)
    out = json.loads(lines[-1].removeprefix("RESULT "))
    out["process_wall_s"] = time.perf_counter() - t0
    return out


def slope(x: list[float], y: list[float]) -> str:
    """Least-squares slope of log(y) against log(x), formatted ("n/a" below two points)."""
    if len(x) < 2:
        return "n/a"
    return f"{float(np.polyfit(np.log(x), np.log(y), 1)[0])}"


def print_table(title: str, rows: list[dict]) -> None:
    """One line per point."""
    print(f"\n## {title}")
    print("| network | road nodes | targets | fleet scale | vehicles | next-hop + dist + time "
          "tables MB (int32 layout MB) | prepare s (context s) | day s wall (cpu) | load | "
          "peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['network']} | {r['road_nodes']:,} | {r['targets']} | {r['scale']:g} | "
              f"{r['vehicles']:,} | {r['tables_mb']:.0f} {r['slot_dtype']} "
              f"({r['tables_int32_mb']:.0f}) | {r['prepare_s']:.1f} ({r['context_s']:.1f}) | "
              f"{r['day_s']:.2f} ({r['day_cpu_s']:.2f}) | {r['load1']:.1f} | "
              f"{r['maxrss_mb']:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI: small points only (< 1 min)")
    parser.add_argument("--series", choices=("both", "fleet", "network"), default="both",
                        help="measure only one series (default both)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        res = child_build(rest[0]) if kind == "build" else child_point(rest[0], float(rest[1]))
        print("RESULT " + json.dumps(res))
        return

    _common.print_header("bench_scale: one simulated day and peak memory vs fleet and network")
    scales = QUICK_SCALES if args.quick else FULL_SCALES
    grids = QUICK_GRIDS if args.quick else FULL_GRIDS
    print("each point: fresh process on one core, warm numba cache, 2024 weekday of "
          "experiments/shiyan_plan.toml; day s = the second simulation of the day in the "
          "process (demand + model build + all ticks); peak RSS = ru_maxrss of the process")
    if args.series in ("both", "network"):
        for n in grids:
            b = spawn(["build", str(n)])
            print(f"synthetic grid {n:,}: {b['file']} ({b['file_mb']:.1f} MB), written in "
                  f"{b['write_s']:.1f} s, network "
                  f"{'from cache' if b['from_cache'] else 'built'} in {b['load_s']:.1f} s, "
                  f"peak RSS of that build {b['maxrss_mb']:.0f} MB")
    base_scale = 0.05 if args.quick else 1.0
    fleet: list[dict] = []
    if args.series in ("both", "fleet"):
        fleet = [spawn(["point", "schematic", str(s)]) for s in scales]
        print_table("fleet scale on the schematic network", fleet)
        veh = [r["vehicles"] for r in fleet]
        print("\nlog-log slopes against simulated vehicles (least squares): day wall "
              f"{slope(veh, [r['day_s'] for r in fleet])}, day cpu "
              f"{slope(veh, [r['day_cpu_s'] for r in fleet])}, peak RSS "
              f"{slope(veh, [r['maxrss_mb'] for r in fleet])}")
    if args.series in ("both", "network"):
        grid_rows = [spawn(["point", str(n), str(base_scale)]) for n in grids]
        ref = next((r for r in fleet if r["scale"] == base_scale), None)
        ref = ref or spawn(["point", "schematic", str(base_scale)])
        print_table(f"network size at fleet scale {base_scale:g}", [ref, *grid_rows])
        nodes = [r["graph_nodes"] for r in grid_rows]
        cells = [r["graph_nodes"] * r["targets"] for r in grid_rows]
        print("\nlog-log slopes against graph nodes over the synthetic grids: day wall "
              f"{slope(nodes, [r['day_s'] for r in grid_rows])}, day cpu "
              f"{slope(nodes, [r['day_cpu_s'] for r in grid_rows])}, prepare "
              f"{slope(nodes, [r['prepare_s'] for r in grid_rows])}, peak RSS "
              f"{slope(nodes, [r['maxrss_mb'] for r in grid_rows])}; tables against "
              f"graph nodes x targets {slope(cells, [r['tables_mb'] for r in grid_rows])}")
        big = grid_rows[-1]
        verdict = "met" if big["maxrss_mb"] <= 4096.0 else "NOT met"
        print(f"peak memory at {big['road_nodes']:,} road nodes: {big['maxrss_mb']:.0f} MB "
              f"(target <= 4096 MB: {verdict})")
    _common.print_load()


if __name__ == "__main__":
    main()
