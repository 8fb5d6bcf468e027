"""Sweeps that must resume, fail early and cost what ``--max-runs`` says (issue 13)."""

from __future__ import annotations

import argparse
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_support import synthetic_run

from transport_sim.errors import ResultsError, ScenarioError, TransportSimError
from transport_sim.sweep.execute import _check_address, run_sweep_cli, sweep
from transport_sim.sweep.folder import SweepFolder, read_sweep
from transport_sim.sweep.spec import MAX_REPLICATIONS, load_sweep

BASE = """\
[scenario]
name = "base"
network = "net.osm"
fleet_file = "fleet.toml"

[run]
start_year = 2024
end_year = 2031
day_types = ["weekday"]
"""

GRID = """\
[sweep]
name = "grid"
base = "base.toml"
replications = 2
seed = 11

[[parameter]]
name = "truck_2030"
path = "policy.truck.nev_share_of_new"
values = [0.2, 0.6]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "net.osm").write_text("<osm/>", encoding="utf-8")
    (tmp_path / "fleet.toml").write_text("", encoding="utf-8")
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    return tmp_path


def write(folder: Path, text: str, name: str = "sw.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, scenario, seed):
        self.calls += 1
        return synthetic_run(scenario, seed)


@pytest.mark.parametrize("damage", ["empty", "garbage", "empty_table"])
def test_a_damaged_run_file_is_unfinished_and_rerun_on_resume(folder: Path, damage: str) -> None:
    path = write(folder, GRID)
    out = folder / "out"
    sweep(path, out, scheduler="serial", run_fn=synthetic_run)
    rid = load_sweep(path).runs()[1].run_id
    sf = SweepFolder(out)
    target = sf.part("annual" if damage == "empty_table" else "summary", rid)
    target.write_bytes(b"" if damage != "garbage" else b"PAR1 not parquet at all PAR1")
    assert rid not in sf.finished(("annual", "chargers"))
    assert read_sweep(out).n_finished in (3, 4)  # the stale summary.parquet is not trusted
    counting = Counting()
    res = sweep(path, out, scheduler="serial", run_fn=counting, resume=True)
    assert counting.calls == 1
    assert res.n_finished == 4
    pd.read_parquet(target)  # rewritten


def test_an_unreadable_error_record_does_not_break_consolidation(folder: Path) -> None:
    path = write(folder, GRID)
    out = folder / "out"

    def fail(scenario, seed):
        raise RuntimeError("boom")

    sweep(path, out, scheduler="serial", run_fn=fail, max_runs=1)
    record = next((out / "errors").glob("*.json"))
    record.write_bytes(b"")
    res = sweep(path, out, scheduler="serial", run_fn=fail, resume=True, max_runs=1)
    assert res.failures["error_type"].tolist() == ["RuntimeError"]  # rewritten by the retry


@pytest.mark.parametrize(
    ("address", "needle"),
    [
        ("not an address at all", "--scheduler"),
        ("ftp://host:21", "unknown scheme"),
        ("tcp://127.0.0.1", "HOST:PORT"),
        ("tcp://host:notaport", "--scheduler"),
    ],
)
def test_a_bad_scheduler_address_fails_before_the_folder_exists(
    folder: Path, address: str, needle: str
) -> None:
    out = folder / "out"
    with pytest.raises(ScenarioError, match=needle) as info:
        sweep(write(folder, GRID), out, scheduler=address, run_fn=synthetic_run)
    assert "\n" not in str(info.value)
    assert not out.exists()


def test_an_unreachable_scheduler_fails_before_the_folder_exists(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transport_sim.sweep import execute

    monkeypatch.setattr(execute, "SCHEDULER_TIMEOUT_S", 1)
    out = folder / "out"
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="cannot connect"):
        sweep(write(folder, GRID), out, scheduler="tcp://127.0.0.1:9", run_fn=synthetic_run)
    assert time.perf_counter() - t0 < 30
    assert not out.exists()


def test_scheduler_addresses_accepted() -> None:
    assert _check_address("127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert _check_address("tls://sched.example:8786") == "tls://sched.example:8786"


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_out_that_is_or_lies_under_a_file_fails_before_running(folder: Path, where: str) -> None:
    blocker = folder / "blocker"
    blocker.write_text("mine", encoding="utf-8")
    out = blocker if where == "file" else blocker / "sweep"
    counting = Counting()
    with pytest.raises(ResultsError, match="--out"):
        sweep(write(folder, GRID), out, scheduler="serial", run_fn=counting)
    assert counting.calls == 0
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_max_runs_costs_what_it_says_with_the_largest_replication_count(folder: Path) -> None:
    with pytest.raises(ScenarioError, match=r"sweep\.replications = 1000000000: must be <= "):
        load_sweep(write(folder, GRID.replace("replications = 2", "replications = 1_000_000_000")))
    path = write(folder, GRID.replace("replications = 2", f"replications = {MAX_REPLICATIONS}"))
    spec = load_sweep(path)
    assert spec.n_runs == 2 * MAX_REPLICATIONS
    out = folder / "out"
    counting = Counting()
    t0 = time.perf_counter()
    res = sweep(spec, out, scheduler="serial", run_fn=counting, max_runs=1)
    assert time.perf_counter() - t0 < 20
    assert counting.calls == 1
    assert (res.n_finished, res.n_runs) == (1, 2 * MAX_REPLICATIONS)
    assert len(pd.read_parquet(out / "design.parquet")) == 1
    again = sweep(spec, out, scheduler="serial", run_fn=counting, max_runs=3, resume=True)
    assert (counting.calls, again.n_finished) == (3, 3)
    assert pd.read_parquet(out / "design.parquet")["run"].tolist() == [0, 1, 2]
    # a later session with a smaller limit keeps the runs an earlier one listed
    third = sweep(spec, out, scheduler="serial", run_fn=counting, max_runs=1, resume=True)
    assert third.n_finished == 3


def test_lazy_runs_equal_the_full_enumeration(folder: Path) -> None:
    spec = load_sweep(write(folder, GRID))
    full = spec.runs()
    assert [r.run_id for r in spec.runs(3)] == [r.run_id for r in full[:3]]
    assert spec.n_runs == len(full) == 4
    assert spec.replication_seeds() == tuple(spec.replication_seed(r) for r in range(2))


def test_cli_bad_scheduler_is_a_user_error(folder: Path) -> None:
    args = argparse.Namespace(sweep=write(folder, GRID), out=folder / "out", workers=None,
                              scheduler="ftp://x:1", resume=False, max_runs=None)
    with pytest.raises(TransportSimError):
        run_sweep_cli(args)
    assert not (folder / "out").exists()


@pytest.mark.parametrize("damage", ["sweep_json_garbage", "sweep_json_fields", "design"])
def test_plot_of_a_damaged_sweep_folder_is_one_line(
    folder: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from transport_sim.cli import main

    out = folder / "out"
    sweep(write(folder, GRID), out, scheduler="serial", run_fn=synthetic_run, max_runs=1)
    if damage == "sweep_json_garbage":
        (out / "sweep.json").write_text("{not json", encoding="utf-8")
    elif damage == "sweep_json_fields":
        (out / "sweep.json").write_text('{"package": "transport_sim"}', encoding="utf-8")
    else:
        (out / "design.parquet").write_bytes(b"")
    assert main(["plot", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err


def test_a_damaged_summary_is_rebuilt_when_read(folder: Path) -> None:
    out = folder / "out"
    sweep(write(folder, GRID), out, scheduler="serial", run_fn=synthetic_run)
    (out / "summary.parquet").write_bytes(b"")
    assert read_sweep(out).n_finished == 4
    pd.read_parquet(out / "summary.parquet")


def test_plot_of_a_read_only_sweep_folder_is_one_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transport_sim.sweep import figures

    out = folder / "out"
    sweep(write(folder, GRID), out, scheduler="serial", run_fn=synthetic_run, max_runs=1)
    monkeypatch.setattr(figures.os, "access", lambda path, mode: False)
    with pytest.raises(ResultsError, match="not writable"):
        figures.plot_sweep(out)
