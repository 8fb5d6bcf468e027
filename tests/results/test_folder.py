"""The results-folder contract: files written, atomicity, refusal to overwrite."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from transport_sim.errors import ResultsError
from transport_sim.results.folder import Results, atomic_folder, marker, read_results, write_results


def sample() -> Results:
    annual = pd.DataFrame(
        {
            "year": [2024],
            "fleet": ["bus"],
            "powertrain": ["bev"],
            "vehicles": [10],
            "vkm": [1.0],
            "energy_kwh": [2.0],
            "co2_ttw_t": [0.0],
            "co2_wtw_t": [1.0],
        }
    )
    return Results(
        tables={"annual": annual},
        meta={**marker("run"), "seed": 1},
        scenario_toml={"scenario": {"name": "x"}},
    )


def test_write_and_read_back(tmp_path: Path) -> None:
    out = write_results(sample(), tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == [
        "annual.parquet",
        "run.json",
        "scenario.resolved.toml",
    ]
    assert json.loads((out / "run.json").read_text())["seed"] == 1
    assert tomllib.loads((out / "scenario.resolved.toml").read_text())["scenario"]["name"] == "x"
    back = read_results(out)
    pd.testing.assert_frame_equal(back.annual, sample().annual)


def test_existing_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(ResultsError, match="left untouched"):
            write_results(sample(), out, overwrite=overwrite)
    assert (out / "keep.txt").read_text() == "mine"


def test_overwrite_replaces_own_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_results(sample(), out)
    (out / "old.png").write_bytes(b"x")
    write_results(sample(), out, overwrite=True)
    assert not (out / "old.png").exists()
    assert (out / "annual.parquet").exists()


def test_exception_mid_write_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    def write_then_fail() -> None:
        with atomic_folder(out) as tmp:
            (tmp / "annual.parquet").write_text("partial")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_then_fail()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_not_a_results_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not a results folder"):
        read_results(tmp_path)
