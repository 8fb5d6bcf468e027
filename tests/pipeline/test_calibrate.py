"""transport-sim calibrate: the fit reaches its targets, deterministically, and writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import PLAN, small

from transport_sim.fleets.calibration import read_calibration_toml
from transport_sim.pipeline.calibrate import calibrate, fit_step, write_fitted


@pytest.mark.slow
def test_calibration_reaches_its_targets_on_a_reduced_case(tmp_path: Path) -> None:
    # start from neutral values, not the shipped fit
    start = {"bus_block_km_factor": 1.0, "taxi_request_factor": 1.0,
             "tours_per_light_truck": 2.0,
             # rigid 2.0: drayage shuttles (fixed round trips) share the class and damp its
             # response, so a start as far off as 1.0 needs more than six iterations
             "round_trips_per_vehicle_day": {"heavy_tractor": 1.0, "rigid": 2.0},
             "ship_sailings_factor": {"ferry": 1.0, "tourist": 1.0, "cargo": 1.0,
                                      "official": 1.0}}
    scen = small(PLAN, run__end_year=2024, run__vehicle_scale=0.1,
                 calibration_overrides={"fitted": start})
    # at 10 % of the fleets a class has few trucks, so one iteration's ratio carries a few
    # per cent of noise: the fit must reach the issue's +-10 % within ten iterations
    cal, table, history = calibrate(scen, max_iterations=10, tolerance=0.03, progress=False)
    first, last = history[0], history[-1]
    for key, ratio in last.items():
        assert abs(ratio - 1.0) <= 0.10, f"{key}: {ratio:.3f} x target after the fit"
    # the starting values were off, so the fit did something
    assert max(abs(r - 1.0) for r in first.values()) > 0.1
    # deterministic: the same scenario gives the same fitted values
    cal2, _, _ = calibrate(scen, max_iterations=len(history) - 1, tolerance=0.03,
                           progress=False)
    assert dict(cal2.fitted) == dict(cal.fitted)
    # written into [fitted] only; the file still loads and holds the fitted values
    out = write_fitted(scen.calibration_path, tmp_path / "cal.toml", dict(cal.fitted))
    data = read_calibration_toml(out)
    assert data["fitted"]["taxi_request_factor"] == pytest.approx(
        cal.fitted["taxi_request_factor"], rel=1e-5)
    assert data["targets"] == read_calibration_toml(scen.calibration_path)["targets"]
    assert set(table["metric"]) >= {"km_per_vehicle_day", "trips_per_vehicle_day"}


def test_fit_step_scales_each_free_value_by_its_miss() -> None:
    import pandas as pd

    table = pd.DataFrame(
        [("bus", "standard", "all", "km_per_vehicle_day", 180.0, 360.0, 2.0),
         ("taxi", "cruising", "all", "trips_per_vehicle_day", 24.0, 12.0, 0.5),
         ("truck", "light", "all", "km_per_vehicle_day", 100.0, 125.0, 1.25),
         ("truck", "rigid", "all", "km_per_vehicle_day", 159.0, 79.5, 0.5)],
        columns=["fleet", "class", "powertrain", "metric", "target", "simulated", "ratio"],
    )
    fitted = {"bus_block_km_factor": 1.0, "taxi_request_factor": 1.0,
              "tours_per_light_truck": 2.0,
              "round_trips_per_vehicle_day": {"rigid": 1.0, "heavy_tractor": 2.0}}
    new, ratios = fit_step(fitted, table)
    assert new["bus_block_km_factor"] == pytest.approx(0.5)
    assert new["taxi_request_factor"] == pytest.approx(2.0)
    assert new["tours_per_light_truck"] == pytest.approx(1.6)
    assert new["round_trips_per_vehicle_day"]["rigid"] == pytest.approx(2.0)
    assert new["round_trips_per_vehicle_day"]["heavy_tractor"] == 2.0  # no row: unchanged
    assert ratios["taxi_request_factor"] == 0.5
