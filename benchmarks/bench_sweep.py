"""Speed-up of a sweep on 2 local Dask workers over 1 (target: >= 1.8x).

Runs the same sweep on a one-worker and a two-worker ``LocalCluster`` and prints::

    sweep_runs: N
    sweep_1_worker_s: X
    sweep_2_workers_s: Y
    speedup_2_vs_1: Z

Cluster start-up and worker warm-up (imports, Numba kernels, loading the network once
per worker) are timed separately (``cluster_start_*_s``, ``warmup_*_s``) and are not
part of the sweep times: a real sweep runs for hours, so what matters is throughput.
The sweep is ``experiments/sweep_smoke.toml`` with more replications (the real model);
``--synthetic`` swaps in the analytic stand-in with a fixed CPU cost per run, which
measures the engine's own overhead.  ``--quick`` is the CI-sized case.

Usage::

    python benchmarks/bench_sweep.py [--quick] [--synthetic] [--replications R]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "experiments" / "sweep_smoke.toml"


def warm(scenario, seed, *, run_fn):
    """Run once on a worker so that imports, kernels and the network cache are loaded."""
    run_fn(scenario, seed)
    return os.getpid()


def time_sweep(spec, n_workers: int, run_fn, folder: Path) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from transport_sim.experiments import PreparedCachePlugin, run_model, sweep

    t0 = time.perf_counter()
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                     dashboard_address=":0", silence_logs=logging.ERROR) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(n_workers)
        started = time.perf_counter() - t0
        fn = run_fn if run_fn is not None else run_model
        if run_fn is None:
            client.register_plugin(PreparedCachePlugin())
        t0 = time.perf_counter()
        first = spec.runs()[0]
        warmups = [
            client.submit(warm, first.scenario, first.seed + 1, run_fn=fn, workers=[addr],
                          pure=False)
            for addr in client.scheduler_info()["workers"]
        ]
        client.gather(warmups)
        warmed = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = sweep(spec, folder / f"w{n_workers}", scheduler=client, run_fn=run_fn)
        elapsed = time.perf_counter() - t0
    if len(res.failures):
        msg = f"{len(res.failures)} runs failed: {res.failures['message'].iloc[0]}"
        raise RuntimeError(msg)
    return {"start_s": started, "warmup_s": warmed, "sweep_s": elapsed, "runs": res.n_finished}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized case")
    parser.add_argument("--synthetic", action="store_true",
                        help="analytic stand-in model with a fixed CPU cost per run")
    parser.add_argument("--replications", type=int, help="replications of the smoke sweep")
    args = parser.parse_args()

    from transport_sim.experiments import load_sweep, synthetic_run

    replications = args.replications or (3 if args.quick else 8)
    spec = dataclasses.replace(load_sweep(SMOKE), replications=replications)
    run_fn = None
    if args.synthetic:
        run_fn = functools.partial(synthetic_run, busy_s=0.5 if args.quick else 2.0)
    print(f"model: {'synthetic' if args.synthetic else 'transport_sim (real)'}")
    print(f"cpus: {len(os.sched_getaffinity(0))}")
    print(f"load_average_1min: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        one = time_sweep(spec, 1, run_fn, Path(tmp))
        two = time_sweep(spec, 2, run_fn, Path(tmp))
    print(f"sweep_runs: {one['runs']}")
    print(f"cluster_start_1_worker_s: {one['start_s']:.2f}")
    print(f"cluster_start_2_workers_s: {two['start_s']:.2f}")
    print(f"warmup_1_worker_s: {one['warmup_s']:.2f}")
    print(f"warmup_2_workers_s: {two['warmup_s']:.2f}")
    print(f"sweep_1_worker_s: {one['sweep_s']:.2f}")
    print(f"sweep_2_workers_s: {two['sweep_s']:.2f}")
    print(f"per_run_1_worker_s: {one['sweep_s'] / one['runs']:.2f}")
    print(f"speedup_2_vs_1: {one['sweep_s'] / two['sweep_s']:.2f}")


if __name__ == "__main__":
    main()
