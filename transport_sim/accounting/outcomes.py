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
        ``compute(annual, chargers) -> float`` on a run's tables; with ``table`` set,
        ``compute(tables[table], annual)`` (NaN when the run has no such table).
    integer
        Stored as an integer (the peak year).
    table
        Another table the outcome is computed from (``costs``, ``charger_hourly``).
    """

    name: str
    unit: str
    definition: str
    compute: Callable[[pd.DataFrame, pd.DataFrame | None], float]
    integer: bool = False
    table: str | None = None


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


def _resource_cost(costs: pd.DataFrame) -> pd.DataFrame:
    from transport_sim.accounting.costs import RESOURCE_ITEMS

    first, last = CUMULATIVE_YEARS
    keep = costs["item"].isin(RESOURCE_ITEMS) & costs["year"].between(first, last)
    return costs[keep]


def _npv_cost(costs: pd.DataFrame, _annual: pd.DataFrame | None) -> float:
    sel = _resource_cost(costs)
    return float((sel["annualised_cny"] * sel["discount_factor"]).sum())


def _cost_milestone(costs: pd.DataFrame, _annual: pd.DataFrame | None) -> float:
    sel = _resource_cost(costs)
    sel = sel[sel["year"] == MILESTONE_YEAR]
    return float(sel["annualised_cny"].sum()) if len(sel) else math.nan


def _discounted_co2(costs: pd.DataFrame, annual: pd.DataFrame | None) -> float:
    if annual is None:
        return math.nan
    factor = costs.groupby("year")["discount_factor"].first()
    co2 = _by_year(annual, "co2_wtw_t")
    first, last = CUMULATIVE_YEARS
    co2 = co2[(co2.index >= first) & (co2.index <= last)]
    return float((co2 * factor.reindex(co2.index)).sum())


def _charging_peak(hourly: pd.DataFrame, _annual: pd.DataFrame | None) -> float:
    from transport_sim.accounting.grid import city_peak_load

    if "energy_kwh" not in hourly or hourly.empty:
        return math.nan
    chargers = pd.DataFrame(columns=["year", "day_type", "plugs", "power_kw"])
    return float(city_peak_load(hourly, chargers)["peak_kw"].max())


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
    Outcome("npv_cost_cny", "CNY",
            f"present value of the resource cost (annualised vehicles and chargers, energy, "
            f"maintenance; no subsidies or carbon charges) over "
            f"{CUMULATIVE_YEARS[0]}-{CUMULATIVE_YEARS[1]}", _npv_cost, table="costs"),
    Outcome("cost_2030_cny", "CNY", f"resource cost in {MILESTONE_YEAR} (annualised)",
            _cost_milestone, table="costs"),
    Outcome("discounted_co2_wtw_t", "t CO2",
            "well-to-wheel CO2 discounted at the cost file's rate (denominator of levelised "
            "abatement costs)", _discounted_co2, table="costs"),
    Outcome("charging_peak_kw", "kW",
            "largest city-wide hourly charging load of any year and day type",
            _charging_peak, table="charger_hourly"),
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


def compute_outcomes(
    annual: pd.DataFrame,
    chargers: pd.DataFrame | None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, float]:
    """Return ``{name: value}`` for every outcome of :data:`OUTCOMES`.

    ``tables`` holds the run's other tables (``costs``, ``charger_hourly``); outcomes of a
    table the run does not have are NaN.
    """
    out = {}
    for o in OUTCOMES:
        if o.table is None:
            out[o.name] = o.compute(annual, chargers)
        else:
            table = (tables or {}).get(o.table)
            out[o.name] = math.nan if table is None else o.compute(table, annual)
    return out


def outcomes_frame(values: Mapping[str, Any]) -> pd.DataFrame:
    """One row with a column per outcome (floats; integer outcomes as int64)."""
    frame = pd.DataFrame([{o.name: values[o.name] for o in OUTCOMES}])
    frame = frame.astype({o.name: "float64" for o in OUTCOMES})
    return frame.astype({o.name: "int64" for o in OUTCOMES if o.integer})


def summarise(annual: pd.DataFrame, chargers: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers for ``run.json``: every outcome, CO2 by year and the worst site.

    The outcomes are those of :data:`OUTCOMES`, under the names the sweep summary, the
    report and ``compare`` use; outcomes that need other tables are added by the runner.
    """
    from transport_sim.codes import SITE_KINDS

    by_year = annual.groupby("year")[["co2_wtw_t", "co2_ttw_t"]].sum()
    out: dict[str, Any] = dict(compute_outcomes(annual, chargers))
    out["peak_year"] = int(out["peak_year"])
    out["co2_wtw_t_by_year"] = {int(y): float(v) for y, v in by_year["co2_wtw_t"].items()}
    out["co2_ttw_t_by_year"] = {int(y): float(v) for y, v in by_year["co2_ttw_t"].items()}
    if len(chargers):
        worst = chargers.sort_values("wait_p95_min", ascending=False).iloc[0]
        out["worst_p95_wait_site"] = str(worst.get("name", worst["site_id"]))
        out["site_kinds"] = list(SITE_KINDS)
    return out
