"""``transport-sim calibrate``: fit the free demand parameters of the base year.

The free parameters (calibration file ``[fitted]``) are fitted by a damped fixed-point
iteration on the simulated base-year day (first day type, ``run.start_year``, the
scenario's seed, so the fit is deterministic):

* ``bus_block_km_factor`` <- x (target / simulated) km per bus (all bus classes);
* ``taxi_request_factor`` <- x (target / simulated) trips per taxi;
* ``tours_per_light_truck`` <- x (target / simulated) km per light truck;
* ``round_trips_per_vehicle_day[class]`` <- x (target / simulated) km per truck;
* ``ship_sailings_factor[class]`` <- x (target / simulated) km per ship (sailings are
  whole numbers, so the ship metrics converge in steps).

Each of them scales its metric about proportionally, so a few iterations suffice; the
loop stops when every fitted metric is within ``tolerance`` of its target.  The fitted
values are written into the ``[fitted]`` table of the calibration file (the rest of the
file is kept byte for byte).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from transport_sim.errors import FleetError, describe
from transport_sim.io import write_text_atomic

if TYPE_CHECKING:
    from transport_sim.fleets.calibration import Calibration
    from transport_sim.scenario.settings import Scenario

#: Fitted parameter -> (fleet, size class or None for all classes, metric).
FIT_METRICS: dict[str, tuple[str, str | None, str]] = {
    "bus_block_km_factor": ("bus", None, "km_per_vehicle_day"),
    "taxi_request_factor": ("taxi", None, "trips_per_vehicle_day"),
    "tours_per_light_truck": ("truck", "light", "km_per_vehicle_day"),
}


def _class_ratio(table: pd.DataFrame, fleet: str, cname: str | None, metric: str) -> float:
    """Mean simulated / target over the class rows (``powertrain == "all"``)."""
    rows = table[
        (table["fleet"] == fleet) & (table["metric"] == metric) & (table["powertrain"] == "all")
    ]
    if cname is not None:
        rows = rows[rows["class"] == cname]
    if rows.empty:
        return float("nan")
    return float(rows["ratio"].mean())


def fit_step(
    fitted: dict[str, Any], table: pd.DataFrame, damping: float = 1.0
) -> tuple[dict[str, Any], dict[str, float]]:
    """One fixed-point step: return the new fitted values and the ratio of each."""
    new = dict(fitted)
    ratios: dict[str, float] = {}
    for key, (fleet, cname, metric) in FIT_METRICS.items():
        r = _class_ratio(table, fleet, cname, metric)
        ratios[key] = r
        if math.isfinite(r) and r > 0:
            new[key] = float(fitted[key]) / r**damping
    trips = dict(fitted["round_trips_per_vehicle_day"])
    for cname, value in list(trips.items()):
        r = _class_ratio(table, "truck", cname, "km_per_vehicle_day")
        ratios[f"round_trips_per_vehicle_day.{cname}"] = r
        if math.isfinite(r) and r > 0:
            trips[cname] = float(value) / r**damping
    new["round_trips_per_vehicle_day"] = MappingProxyType(trips)
    sail = dict(fitted.get("ship_sailings_factor", {}))
    for cname, value in list(sail.items()):
        r = _class_ratio(table, "ship", cname, "km_per_vehicle_day")
        ratios[f"ship_sailings_factor.{cname}"] = r
        if math.isfinite(r) and r > 0:
            sail[cname] = float(value) / r**damping
    new["ship_sailings_factor"] = MappingProxyType(sail)
    return new, ratios


def calibrate(
    scenario: Scenario,
    *,
    max_iterations: int = 8,
    tolerance: float = 0.02,
    progress: bool = True,
) -> tuple[Calibration, pd.DataFrame, list[dict[str, float]]]:
    """Fit the ``[fitted]`` values of the scenario's calibration file.

    Returns
    -------
    tuple
        The fitted calibration, the calibration table of the last simulated day (with
        the fitted values), and the ratios of every iteration.
    """
    from transport_sim.accounting.calibration import calibration_table
    from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

    prep = prepare(scenario, progress=progress)
    cal = prep.calibration_file()
    year, day_type = scenario.run.start_year, scenario.run.day_types[0]
    seq = day_seeds(scenario.run.seed, range(year, year + 1), (day_type,))[(year, day_type)]
    history: list[dict[str, float]] = []
    table = pd.DataFrame()
    for it in range(max_iterations + 1):
        prep.calibration = cal
        model = simulate_day(prep, year, day_type, seq)
        table = calibration_table(model, cal)
        model.release()
        new, ratios = fit_step(dict(cal.fitted), table)
        history.append(ratios)
        worst = max(ratios, key=lambda k: abs(ratios[k] - 1.0) if math.isfinite(ratios[k]) else 0)
        if progress:
            print(
                f"calibrate: iteration {it}: worst {worst} at {ratios[worst]:.3f} x target",
                file=sys.stderr,
                flush=True,
            )
        done = all(abs(r - 1.0) <= tolerance for r in ratios.values() if math.isfinite(r))
        if done or it == max_iterations:
            break
        cal = replace(cal, fitted=MappingProxyType(new))
    return cal, table, history


def fitted_toml(fitted: dict[str, Any]) -> str:
    """Return the ``[fitted]`` table's value lines (6 significant digits)."""
    lines = []
    for key, value in fitted.items():
        if isinstance(value, dict | MappingProxyType):
            inner = ", ".join(f"{k} = {float(v):.6g}" for k, v in value.items())
            lines.append(f"{key} = {{{inner}}}")
        else:
            lines.append(f"{key} = {float(value):.6g}")
    return "\n".join(lines) + "\n"


def write_fitted(source: Path, out: Path, fitted: dict[str, Any]) -> Path:
    """Copy the calibration file ``source`` to ``out`` with its ``[fitted]`` values replaced."""
    text = source.read_text(encoding="utf-8")
    pattern = re.compile(r"(^\[fitted\]\n)(.*?)(?=^\[fitted\.sources\])", re.S | re.M)
    if not pattern.search(text):
        raise FleetError(
            describe(source, "fitted", None, "no [fitted] table followed by [fitted.sources]")
        )
    new = pattern.sub(lambda m: m.group(1) + fitted_toml(fitted) + "\n", text, count=1)
    return write_text_atomic(out, new)
