"""Sweeps on Dask: same bytes whatever the worker count, resume, worker death, the real model.

One two-worker :class:`distributed.LocalCluster` is shared by the module (start-up is
slow); the 1- and 4-worker cases let :func:`~transport_sim.sweep.execute.sweep` start its
own cluster, which also covers the default path.  Functions of this module are shipped
to the workers by value (``cloudpickle.register_pickle_by_value``), so the workers need
not import the test module.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sweep_support import base_scenario, synthetic_run, write_base

from transport_sim.sweep.execute import sweep
from transport_sim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "experiments" / "sweep_smoke.toml"

BASE = base_scenario(2030)

GRID = """\
[sweep]
name = "grid"
base = "base.toml"
replications = 2
seed = 5

[[parameter]]
name = "truck_2030"
path = "policy.truck.nev_share_of_new"
template = {2024 = "{base}", 2030 = "{value}"}
values = [0.2, 0.5, 0.8]

[[parameter]]
name = "coverage"
path = "charging.service_area_coverage"
values = [0.5, 1.0]
"""
VICTIM = 0.5  # truck_2030 of the runs the killers below take down


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    import cloudpickle
    import dask
    from distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    settings = {
        # a task whose worker dies twice is given up (KilledWorker) ...
        "distributed.scheduler.allowed-failures": 1,
        # ... and only the task a worker is running dies with it
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with (
        dask.config.set(settings),
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def grid(tmp_path: Path) -> Path:
    write_base(tmp_path, BASE)
    path = tmp_path / "grid.toml"
    path.write_text(GRID, encoding="utf-8")
    return path


def files_of(out: Path) -> dict[str, bytes]:
    """Per-run table files, summary.parquet and annual.parquet (sorted by run id)."""
    found = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("runs/*/run_id=*/*"))}
    for name in ("summary.parquet", "annual.parquet"):
        found[name] = (out / name).read_bytes()
    return found


def kill_once(scenario, seed, *, marker: str):
    """Kill the worker process the first time a victim run starts, then behave."""
    if scenario.policy.truck.nev_share_of_new.at(2030) == VICTIM and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        os._exit(1)
    return synthetic_run(scenario, seed)


def kill_always(scenario, seed):
    """Kill the worker process whenever the victim run (one design point, replication 0) starts."""
    victim = (
        scenario.policy.truck.nev_share_of_new.at(2030) == VICTIM
        and scenario.charging.service_area_coverage.at(2030) == 1.0
        and seed == load_sweep_seed()
    )
    if victim:
        os._exit(1)
    return synthetic_run(scenario, seed)


def load_sweep_seed() -> int:
    """Seed of replication 0 of GRID (SeedSequence(5), child 1)."""
    import numpy as np

    return int(np.random.SeedSequence(5, spawn_key=(1,)).generate_state(1)[0])


# ------------------------------------------------------------------------------ synthetic
def test_same_bytes_serially_and_on_1_2_4_workers(grid: Path, client: object) -> None:
    out = grid.parent
    serial = sweep(grid, out / "serial", scheduler="serial", run_fn=synthetic_run)
    assert serial.n_finished == 12
    expected = files_of(out / "serial")
    for name, kwargs in (("w1", {"workers": 1}), ("w2", {"scheduler": client}),
                         ("w4", {"workers": 4})):
        res = sweep(grid, out / name, run_fn=synthetic_run, **kwargs)
        assert (res.n_finished, len(res.failures)) == (12, 0), name
        assert files_of(out / name) == expected, name


def test_resume_on_a_cluster(grid: Path, client: object) -> None:
    out = grid.parent
    sweep(grid, out / "full", scheduler="serial", run_fn=synthetic_run)
    part = sweep(grid, out / "part", scheduler=client, run_fn=synthetic_run, max_runs=5)
    assert part.n_finished == 5
    address = client.scheduler.address  # a scheduler address, as with --scheduler
    res = sweep(grid, out / "part", scheduler=address, run_fn=synthetic_run, resume=True)
    assert res.n_finished == 12
    assert files_of(out / "part") == files_of(out / "full")


def test_a_worker_dying_once_loses_nothing(grid: Path, client: object) -> None:
    out = grid.parent
    sweep(grid, out / "serial", scheduler="serial", run_fn=synthetic_run)
    marker = out / "killed"
    run_fn = functools.partial(kill_once, marker=str(marker))
    res = sweep(grid, out / "dask", scheduler=client, run_fn=run_fn)
    assert marker.exists()  # a worker did die
    assert (res.n_finished, len(res.failures)) == (12, 0)  # its run was retried elsewhere
    assert files_of(out / "dask") == files_of(out / "serial")


def test_a_run_that_keeps_killing_workers_is_recorded(grid: Path, client: object) -> None:
    out = grid.parent / "dask"
    res = sweep(grid, out, scheduler=client, run_fn=kill_always)
    assert res.n_finished == 11  # every other run finished and is in the dataset
    assert len(res.failures) == 1
    failure = res.failures.iloc[0]
    assert (failure["truck_2030"], failure["error_type"]) == (VICTIM, "KilledWorker")
    assert len(list((out / "runs" / "summary").iterdir())) == 11
    design = pd.read_parquet(out / "design.parquet")
    assert set(design["run_id"]) == set(res.summary["run_id"]) | {failure["run_id"]}


# ------------------------------------------------------------------------------ real model
@pytest.fixture(scope="module")
def real_serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "serial"
    res = sweep(SMOKE, out, scheduler="serial")
    assert (res.n_finished, len(res.failures)) == (res.n_runs, 0), res.failures
    return out


@pytest.mark.slow
def test_real_model_same_bytes_serially_and_on_a_cluster(
    real_serial: Path, client: object, tmp_path: Path
) -> None:
    res = sweep(SMOKE, tmp_path / "dask", scheduler=client)
    assert (res.n_finished, len(res.failures)) == (4, 0), res.failures
    assert files_of(tmp_path / "dask") == files_of(real_serial)
    summary = res.summary.set_index("taxi_nev_share_of_new")
    assert (summary["cumulative_co2_wtw_t"] > 0).all()
    metas = [json.loads(p.read_text()) for p in (tmp_path / "dask" / "runs" / "meta").iterdir()]
    assert any(m["timings_s"].get("prepared_reused") for m in metas)  # the worker cache works


@pytest.mark.slow
def test_real_model_cli_max_runs_then_resume(
    real_serial: Path, client: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from transport_sim.cli import main

    out = tmp_path / "cli"
    address = client.scheduler.address
    args = ["sweep", str(SMOKE), "--out", str(out), "--scheduler", address]
    assert main([*args, "--max-runs", "2"]) == 0
    assert "runs: 2/4 finished, 0 failed" in capsys.readouterr().out
    assert main([*args, "--resume"]) == 0
    assert "runs: 4/4 finished, 0 failed" in capsys.readouterr().out
    assert files_of(out) == files_of(real_serial)
    assert (out / "figures" / "co2_trajectories.png").is_file()
    assert len(load_sweep(out / "sweep.resolved.toml").runs()) == 4

