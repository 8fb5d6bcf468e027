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

``--schedule`` measures no simulation: it runs the real scheduler on stand-in days that
sleep (weekday 2 units, holiday 1) and meet or miss the target as the plan's days did
(holiday runs per year from the plan log of 9425fb2, sized plugs carried into later
years), so it shows what the dependency structure allows on idle cores for 1-4 workers.

Usage::

    python benchmarks/bench_days.py [--years 2024:2027] [--vehicle-scale 0.25]
        [--workers 2] [--repeat 2]
    python benchmarks/bench_days.py --schedule
    python benchmarks/bench_days.py --quick     (CI: checks the script works)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PLAN_TOML, print_header, print_load

#: Holiday sizing runs per year in the plan run: fd9ebc0 (fresh draws per run, each year
#: from the grown counts; 36 days) and with common random numbers and the first
#: estimate (31 days).  The weekday verification met the target in every year of both.
PLAN_HOLIDAY_RUNS = {
    "fd9ebc0": {
        2024: 4,
        2025: 2,
        2026: 1,
        2027: 3,
        2028: 3,
        2029: 1,
        2030: 2,
        2031: 1,
        2032: 2,
        2033: 3,
        2034: 1,
        2035: 1,
    },
    "crn": {
        2024: 3,
        2025: 2,
        2026: 2,
        2027: 2,
        2028: 1,
        2029: 2,
        2030: 1,
        2031: 1,
        2032: 2,
        2033: 1,
        2034: 1,
        2035: 1,
    },
}


def schedule_model(unit_s: float = 0.05) -> None:
    """Print the days-phase wall time of the plan's schedule on 1-4 workers (stand-ins)."""
    import types

    from transport_sim.pipeline import days
    from transport_sim.pipeline.day_jobs import Cancelled, DayOutcome
    from transport_sim.scenario.settings import load_scenario

    need: dict[int, int] = {}

    def day(prep, job, seq, cancel=None, plans=None):
        end = time.perf_counter() + unit_s * (2.0 if job.day_type == "weekday" else 1.0)
        while time.perf_counter() < end:
            time.sleep(unit_s / 25)
            if cancel is not None and cancel.is_set():
                return DayOutcome(error=Cancelled())
        plugs = dict(job.plugs or ())
        late = job.sizing and job.day_type == "holiday" and plugs["a"] < need[job.year]
        return DayOutcome(late=int(late), raise_to={"a": plugs["a"] + 1} if late else {})

    days.execute_day = day
    days._Grown.__call__ = lambda self, year: {"a": 0, "b": 0}
    prep = types.SimpleNamespace(
        scenario=load_scenario(PLAN_TOML).with_overrides(
            {"run.end_year": 2035, "run.day_types": ["weekday", "holiday"]}
        )
    )
    for name, runs in PLAN_HOLIDAY_RUNS.items():
        need.clear()
        need.update({y: sum(k - 1 for x, k in runs.items() if x <= y) for y in runs})
        base = None
        for workers in (1, 2, 3, 4):
            t0 = time.perf_counter()
            result = days.run_days(prep, workers=workers)
            wall = time.perf_counter() - t0
            base = base or wall
            print(
                f"schedule_{name}_{workers}_workers: {wall / unit_s:.1f} units, "
                f"speed-up {base / wall:.2f}, days simulated {result.simulated}, "
                f"discarded {result.discarded}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2024:2027", help="START:END (default 2024:2027)")
    parser.add_argument("--vehicle-scale", type=float, default=0.25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--schedule",
        action="store_true",
        help="model the plan's schedule with stand-in days (no simulation)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI-sized case: 2024-2025 at 5 %% of the fleets, one repeat",
    )
    args = parser.parse_args()
    if args.quick:
        args.years, args.vehicle_scale, args.repeat = "2024:2025", 0.05, 1
    if args.schedule:
        print_header("days of a run in parallel: the plan's schedule (bench_days.py)")
        schedule_model()
        return

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
    try:  # with autogroup, a busy machine shares CPU per session, not per thread
        group = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip()
    except OSError:
        group = "unknown"
    print(
        f"sched_autogroup_enabled: {group} (if 1 and the load is above the cores, this "
        "process gets one session's share whatever its threads: no speed-up is measurable)"
    )
    n = args.workers
    print(
        f"scenario: shiyan_plan.toml years {args.years}, vehicle_scale {args.vehicle_scale}, "
        f"sizing P95 {scenario.charging.size_for_p95_wait_min:g} min"
    )
    print(f"sizing_runs_by_year: {one.meta.get('sizing_runs_by_year', {})}")
    print(f"run_1_worker_all_s: {' '.join(f'{t:.1f}' for t in times[1])}")
    print(f"run_{n}_workers_all_s: {' '.join(f'{t:.1f}' for t in times[n])}")
    print(f"run_1_worker_s: {min(times[1]):.1f}")
    print(f"run_{n}_workers_s: {min(times[n]):.1f}")
    print(f"speedup_{n}_vs_1: {min(times[1]) / min(times[n]):.2f}")
    medians = statistics.median(times[1]) / statistics.median(times[n])
    print(f"speedup_{n}_vs_1_median: {medians:.2f}")
    print(
        f"days_simulated_{n}_workers: {many.meta['days']['simulated']} "
        f"(1 worker: {one.meta['days']['simulated']})"
    )
    print(f"days_discarded_{n}_workers: {many.meta['days']['discarded']}")
    print(f"python_share_of_day: {python_s / total_s:.3f}")
    print(f"tables_equal: {same}")
    if not same:
        raise SystemExit("tables differ between worker counts")


if __name__ == "__main__":
    main()
