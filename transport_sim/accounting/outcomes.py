"""Run outcomes, declared once: name, unit, definition and how each is computed.

Every consumer reads :data:`OUTCOMES`: ``run.json`` holds ``{name: value}`` for each of
them, the sweep summary has one column per outcome, and the report and ``compare`` print
them under the same names.  An outcome is computed from a run's ``annual`` and
``chargers`` tables only, so it can be recomputed from any results folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

#: Years summed by the ``cumulative_*`` outcomes (clipped to the run's years).
CUMULATIVE_YEARS = (2024, 2035)
#: Year of the ``co2_2030_wtw_t`` outcome (NaN when the run does not reach it).
MILESTONE_YEAR = 2030


@dataclass(frozen=True)
class Outcome:
    """One scalar outcome of a run.

    Attributes
    ----------
    name
        Column name in the sweep summary and key in ``run.json``.
    unit
        Unit of the value (``"t CO2"``, ``"vehicle-days"``, ``"min"``, ``"year"``).
    definition
        What the number is, in one sentence.
    compute
        ``compute(annual, chargers) -> float`` on a run's tables.
    integer
        Stored as an integer (the peak year).
    """

    name: str
    unit: str
    definition: str
    compute: Callable[[pd.DataFrame, pd.DataFrame | None], float]
    integer: bool = False


def _by_year(annual: pd.DataFrame, column: str) -> pd.Series:
    return annual.groupby("year")[column].sum().sort_index()


def _peak_year(annual: pd.DataFrame, _chargers: pd.DataFrame | None) -> float:
    return float(int(_by_year(annual, "co2_wtw_t").idxmax()))


def _peak_value(annual: pd.DataFrame, _chargers: pd.DataFrame | None) -> float:
    return float(_by_year(annual, "co2_wtw_t").max())


def _co2_milestone(annual: pd.DataFrame, _chargers: pd.DataFrame | None) -> float:
    return float(_by_year(annual, "co2_wtw_t").get(MILESTONE_YEAR, math.nan))


def _cumulative(column: str) -> Callable[[pd.DataFrame, pd.DataFrame | None], float]:
    def compute(annual: pd.DataFrame, _chargers: pd.DataFrame | None) -> float:
        series = _by_year(annual, column)
        first, last = CUMULATIVE_YEARS
        return float(series[(series.index >= first) & (series.index <= last)].sum())

    return compute


def _column_sum(column: str) -> Callable[[pd.DataFrame, pd.DataFrame | None], float]:
    def compute(annual: pd.DataFrame, _chargers: pd.DataFrame | None) -> float:
        return float(annual[column].sum()) if column in annual else math.nan

    return compute


def _worst_wait(_annual: pd.DataFrame, chargers: pd.DataFrame | None) -> float:
    if chargers is None or len(chargers) == 0:
        return math.nan
    return float(chargers["wait_p95_min"].max())


#: Every run-level outcome, in the order of the sweep summary's columns.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("peak_year", "year", "year of the highest well-to-wheel CO2", _peak_year,
            integer=True),
    Outcome("peak_co2_wtw_t", "t CO2", "well-to-wheel CO2 in the peak year", _peak_value),
    Outcome("co2_2030_wtw_t", "t CO2", f"well-to-wheel CO2 in {MILESTONE_YEAR}",
            _co2_milestone),
    Outcome("cumulative_co2_wtw_t", "t CO2",
            f"well-to-wheel CO2 summed over {CUMULATIVE_YEARS[0]}-{CUMULATIVE_YEARS[1]}",
            _cumulative("co2_wtw_t")),
    Outcome("cumulative_co2_ttw_t", "t CO2",
            f"tank-to-wheel CO2 summed over {CUMULATIVE_YEARS[0]}-{CUMULATIVE_YEARS[1]}",
            _cumulative("co2_ttw_t")),
    Outcome("stranded_vehicle_days", "vehicle-days",
            "battery vehicles stranded (empty battery on the road), summed over all years",
            _column_sum("stranded")),
    Outcome("unserved_taxi_requests", "requests",
            "taxi requests no vehicle served, summed over all years", _column_sum("unserved")),
    Outcome("worst_p95_wait_min", "min",
            "largest 95th-percentile charger wait of any site, year and day type", _worst_wait),
)

#: Outcome names, in summary column order.
OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)


def outcome(name: str) -> Outcome:
    """Return the declaration of outcome ``name``.

    Raises
    ------
    KeyError
        If no outcome has that name.
    """
    for item in OUTCOMES:
        if item.name == name:
            return item
    raise KeyError(name)


def compute_outcomes(annual: pd.DataFrame, chargers: pd.DataFrame | None) -> dict[str, float]:
    """Return ``{name: value}`` for every outcome of :data:`OUTCOMES`."""
    return {o.name: o.compute(annual, chargers) for o in OUTCOMES}


def outcomes_frame(values: Mapping[str, Any]) -> pd.DataFrame:
    """One row with a column per outcome (floats; integer outcomes as int64)."""
    frame = pd.DataFrame([{o.name: values[o.name] for o in OUTCOMES}])
    frame = frame.astype({o.name: "float64" for o in OUTCOMES})
    return frame.astype({o.name: "int64" for o in OUTCOMES if o.integer})
