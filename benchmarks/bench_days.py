"""Days of a run in parallel: wall time of one run on 1 and N day workers (same run, ratio).

Runs the Shiyan plan (charger sizing on, as shipped) cut to ``--years`` and
``--vehicle-scale`` with ``run_tables(workers=1)`` and ``run_tables(workers=N)``,
alternating ``--repeat`` times (background load hits both alike), after one warm-up run
that loads the compiled kernels.  It checks that every table is equal (values and
dtypes) for both worker counts and prints::

    run_1_worker_s: X            (best of the repeats)
    run_N_workers_s: Y
    speedup_N_vs_1: X / Y
    days_simulated / days_discarded: what the speculation cost
    python_share_of_day: (building the day + its tables) / (whole day), summed over
        the days the run used -- the part of a day that holds the GIL

Usage::

    python benchmarks/bench_days.py [--years 2024:2027] [--vehicle-scale 0.25]
        [--workers 2] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PLAN_TOML, print_header, print_load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2024:2027", help="START:END (default 2024:2027)")
    parser.add_argument("--vehicle-scale", type=float, default=0.25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from transport_sim.kernels.cache import configure_numba_cache
    from transport_sim.pipeline.days import run_days
    from transport_sim.pipeline.run import run_tables
    from transport_sim.scenario.settings import load_scenario
    from transport_sim.sim.prepare import prepare

    configure_numba_cache()
    print_header("days of a run in parallel (bench_days.py)")
    start, end = (int(x) for x in args.years.split(":"))
    scenario = load_scenario(PLAN_TOML).with_overrides(
        {"run.start_year": start, "run.end_year": end, "run.vehicle_scale": args.vehicle_scale}
    )
    t0 = time.perf_counter()
    warm = load_scenario(PLAN_TOML).with_overrides(
        {"run.start_year": start, "run.end_year": start, "run.vehicle_scale": 0.02}
    )
    run_tables(warm)
    print(f"warmup_s: {time.perf_counter() - t0:.1f}")

    times: dict[int, list[float]] = {1: [], args.workers: []}
    results = {}
    for _ in range(args.repeat):
        for workers, seconds in times.items():
            t0 = time.perf_counter()
            results[workers] = run_tables(scenario, workers=workers)
            seconds.append(time.perf_counter() - t0)
    one, many = results[1], results[args.workers]
    same = all(
        one.tables[k].equals(many.tables[k]) and one.tables[k].dtypes.equals(many.tables[k].dtypes)
        for k in one.tables
    )
    # the GIL-holding share of a day, from one serial pass over the run's days
    days = run_days(prepare(scenario), workers=1)
    used = [o for _, _, o in days.days if o.frames is not None]
    python_s = sum(o.build_s + o.frames_s for o in used)
    total_s = sum(o.sim_s + o.frames_s for o in used)
    print_load()
    n = args.workers
    print(f"scenario: shiyan_plan.toml years {args.years}, vehicle_scale {args.vehicle_scale}, "
          f"sizing P95 {scenario.charging.size_for_p95_wait_min:g} min")
    print(f"sizing_runs_by_year: {one.meta.get('sizing_runs_by_year', {})}")
    print(f"run_1_worker_all_s: {' '.join(f'{t:.1f}' for t in times[1])}")
    print(f"run_{n}_workers_all_s: {' '.join(f'{t:.1f}' for t in times[n])}")
    print(f"run_1_worker_s: {min(times[1]):.1f}")
    print(f"run_{n}_workers_s: {min(times[n]):.1f}")
    print(f"speedup_{n}_vs_1: {min(times[1]) / min(times[n]):.2f}")
    medians = statistics.median(times[1]) / statistics.median(times[n])
    print(f"speedup_{n}_vs_1_median: {medians:.2f}")
    print(f"days_simulated_{n}_workers: {many.meta['days']['simulated']} "
          f"(1 worker: {one.meta['days']['simulated']})")
    print(f"days_discarded_{n}_workers: {many.meta['days']['discarded']}")
    print(f"python_share_of_day: {python_s / total_s:.3f}")
    print(f"tables_equal: {same}")
    if not same:
        raise SystemExit("tables differ between worker counts")


if __name__ == "__main__":
    main()
