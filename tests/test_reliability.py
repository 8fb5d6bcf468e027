"""Reliability: determinism across processes, crash safety, and bounded memory over many years."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

SMALL = [
    "--years", "2024:2025", "--vehicle-scale", "0.1", "--no-figures", "--quiet",
]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "transport_sim", *args],
        capture_output=True, text=True, check=False, cwd=cwd, timeout=900,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_parquet_across_processes(tmp_path: Path) -> None:
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        proc = cli("run", str(REPO / "experiments" / "shiyan_plan.toml"), "--out", str(out),
                   *SMALL, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for table in ("annual.parquet", "chargers.parquet", "timeseries.parquet", "stock.parquet"):
        assert digest(outs[0] / table) == digest(outs[1] / table), table


def test_killed_run_leaves_no_results_folder(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "transport_sim", "run", "--out", str(out), "--quiet"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(8.0)  # well inside the simulation of the 12 policy years
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not out.exists()
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}")]
    # a kill during the final write may leave a hidden partial folder, never the final one;
    # the next run removes stale partial folders of dead processes
    for stale in leftovers:
        assert ".partial-" in stale.name
    if os.name == "posix" and leftovers:
        from transport_sim.results.folder import remove_stale_partials

        remove_stale_partials(out)
        assert not any(p.exists() for p in leftovers)


def rss_mb() -> float:
    """Resident set size of this process, MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_soak_twenty_years_three_times_the_fleets_without_memory_growth() -> None:
    import gc

    from transport_sim.scenario.settings import load_scenario
    from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

    scen = load_scenario(REPO / "experiments" / "shiyan_plan.toml").with_overrides(
        {
            "run.start_year": 2024,
            "run.end_year": 2043,
            "run.vehicle_scale": 0.05,
            "fleet_overrides.bus.stock": 3600,
            "fleet_overrides.taxi.stock": 13500,
            "fleet_overrides.truck.stock": 150000,
            "fleet_overrides.ship.stock": 900,
            "fleet_overrides.freight.road_tonnage_mt_per_year": 225.0,
        }
    )
    prep = prepare(scen)
    seeds = day_seeds(scen.run.seed, scen.years, scen.run.day_types)
    rss = []
    for year in scen.years:
        for day_type in scen.run.day_types:
            model = simulate_day(prep, year, day_type, seeds[(year, day_type)])
            assert model.fleet_totals()["vkm"].sum() > 0
            model.release()  # Mesa keeps models in a class-level registry otherwise
            del model
        gc.collect()
        rss.append(rss_mb())
    settled = max(rss[2:6])
    assert max(rss[6:]) <= settled * 1.10 + 50.0, rss
