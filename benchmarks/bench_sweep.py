"""Speed-up of a sweep on 2 local Dask workers over 1 (target: >= 1.8x).

Runs the same sweep on a one-worker and a two-worker ``LocalCluster`` and prints::

    sweep_runs: N
    sweep_1_worker_s: X
    sweep_2_workers_s: Y
    speedup_2_vs_1: Z

Cluster start-up and worker warm-up (imports, Numba kernels, loading the network once
per worker) are timed separately (``cluster_start_*_s``, ``warmup_*_s``) and are not
part of the sweep times: a real sweep runs for hours, so what matters is throughput.
Both clusters stay up and the timed sweeps alternate between them (``--repeat``, 3 by
default); the best time of each is reported (and the ratio of medians), which damps the
effect of other programs competing for the CPUs.
The sweep is ``experiments/sweep_smoke.toml`` with more replications (the real model);
``--synthetic`` swaps in the analytic stand-in with a fixed CPU cost per run, which
measures the engine's own overhead.  ``--quick`` is the CI-sized case.

Usage::

    python benchmarks/bench_sweep.py [--quick] [--synthetic] [--replications R]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "experiments" / "sweep_smoke.toml"


def warm(scenario, seed, *, run_fn):
    """Run once on a worker so that imports, kernels and the network cache are loaded."""
    run_fn(scenario, seed)
    return os.getpid()


@contextlib.contextmanager
def warm_cluster(spec, n_workers: int, run_fn) -> Iterator[tuple[object, dict[str, float]]]:
    """Start a LocalCluster of ``n_workers`` and run once on every worker."""
    from distributed import Client, LocalCluster

    from transport_sim.sweep.execute import PreparedCachePlugin, run_model

    t0 = time.perf_counter()
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                     dashboard_address=":0", silence_logs=logging.ERROR) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(n_workers)
        started = time.perf_counter() - t0
        if run_fn is None:
            client.register_plugin(PreparedCachePlugin())
        t0 = time.perf_counter()
        first = spec.runs()[0]
        warmups = [
            client.submit(warm, first.scenario, first.seed + 1, run_fn=run_fn or run_model,
                          workers=[addr], pure=False)
            for addr in client.scheduler_info()["workers"]
        ]
        client.gather(warmups)
        yield client, {"start_s": started, "warmup_s": time.perf_counter() - t0}


def time_sweep(spec, client, run_fn, out: Path) -> float:
    from transport_sim.sweep.execute import sweep

    t0 = time.perf_counter()
    res = sweep(spec, out, scheduler=client, run_fn=run_fn)
    elapsed = time.perf_counter() - t0
    if len(res.failures) or res.n_finished != res.n_runs:
        msg = f"{len(res.failures)} runs failed: {res.failures['message'].tolist()[:1]}"
        raise RuntimeError(msg)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized case")
    parser.add_argument("--synthetic", action="store_true",
                        help="analytic stand-in model with a fixed CPU cost per run")
    parser.add_argument("--replications", type=int, help="replications of the smoke sweep")
    parser.add_argument("--repeat", type=int, help="timed sweeps per worker count (best kept)")
    args = parser.parse_args()

    from transport_sim.sweep.spec import load_sweep

    replications = args.replications or (3 if args.quick else 8)
    args.repeat = args.repeat or (1 if args.quick else 3)
    spec = dataclasses.replace(load_sweep(SMOKE), replications=replications)
    run_fn = None
    if args.synthetic:
        sys.path.insert(0, str(REPO / "tests" / "sweep"))  # the stand-in model lives with the tests
        from sweep_support import synthetic_run

        run_fn = functools.partial(synthetic_run, busy_s=0.5 if args.quick else 2.0)
    print(f"model: {'synthetic' if args.synthetic else 'transport_sim (real)'}")
    print(f"cpus: {len(os.sched_getaffinity(0))}")
    print(f"load_average_1min_before: {os.getloadavg()[0]:.2f}")
    times: dict[int, list[float]] = {1: [], 2: []}
    with (
        tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp,
        warm_cluster(spec, 1, run_fn) as (one, one_info),
        warm_cluster(spec, 2, run_fn) as (two, two_info),
    ):
        for i in range(args.repeat):  # alternate, so that background load hits both alike
            times[1].append(time_sweep(spec, one, run_fn, Path(tmp) / f"w1-{i}"))
            times[2].append(time_sweep(spec, two, run_fn, Path(tmp) / f"w2-{i}"))
    print(f"load_average_1min_after: {os.getloadavg()[0]:.2f}")
    print(f"sweep_runs: {len(spec.runs())}")
    print(f"repeats: {args.repeat}")
    print(f"cluster_start_1_worker_s: {one_info['start_s']:.2f}")
    print(f"cluster_start_2_workers_s: {two_info['start_s']:.2f}")
    print(f"warmup_1_worker_s: {one_info['warmup_s']:.2f}")
    print(f"warmup_2_workers_s: {two_info['warmup_s']:.2f}")
    print(f"sweep_1_worker_all_s: {' '.join(f'{t:.2f}' for t in times[1])}")
    print(f"sweep_2_workers_all_s: {' '.join(f'{t:.2f}' for t in times[2])}")
    print(f"sweep_1_worker_s: {min(times[1]):.2f}")
    print(f"sweep_2_workers_s: {min(times[2]):.2f}")
    print(f"per_run_1_worker_s: {min(times[1]) / len(spec.runs()):.2f}")
    print(f"speedup_2_vs_1: {min(times[1]) / min(times[2]):.2f}")
    print(f"speedup_2_vs_1_median: {statistics.median(times[1]) / statistics.median(times[2]):.2f}")


if __name__ == "__main__":
    main()
