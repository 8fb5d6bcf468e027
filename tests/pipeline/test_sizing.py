"""``size-chargers`` end to end: a plug count per site whose verification run meets the target."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.cli import main

pytestmark = pytest.mark.slow


def test_size_chargers_meets_the_target_in_its_verification_run(tmp_path: Path) -> None:
    from transport_sim.pipeline.sizing import size_chargers

    scen = small(PLAN, run__end_year=2026, run__day_types=["weekday", "holiday"])
    out = size_chargers(scen, year=2026, max_wait_p95_min=20.0, day_type="holiday",
                        out=tmp_path / "sizing")
    table = pd.read_parquet(out / "sizing.parquet")
    assert {"depot", "urban", "service_area", "port"} <= set(table["kind"])
    assert (table["plugs_proposed"] >= 1).all()
    assert (table["power_needed_kw"] == table["plugs_proposed"] * table["power_kw"]).all()
    busy = table[table["sessions"] > 0]
    assert len(busy) > 10
    assert busy["meets_target"].mean() >= 0.95
    assert (out / "wait_vs_plugs.png").stat().st_size > 10_000
    assert (out / "sizing.csv").exists()


def test_size_chargers_cli_rejects_a_bad_target(tmp_path: Path, capsys) -> None:
    code = main(["size-chargers", str(PLAN), "--year", "2030", "--max-wait-p95-min", "0",
                 "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--max-wait-p95-min" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
