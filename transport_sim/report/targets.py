"""Headline numbers and plan-target checks computed from a results folder's files only.

Everything here is plain pandas on the result tables (``annual``, ``stock``, ``chargers``)
and the resolved scenario (``scenario.resolved.toml`` as a dict); nothing is re-simulated
and nothing is drawn.  :mod:`transport_sim.report.markdown` turns these numbers into ``report.md``
and ``compare.md``; :mod:`transport_sim.report.figures` draws them.

The plan targets are those of the Shiyan carbon-peak plan (2024), section 三(七), and the
"transport power" pilot 2024-2028 (``fleets/SOURCES.md``, entries S-plan-3-7-1 to
S-plan-3-7-3 and S-pilot-transport-power).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd

from transport_sim.codes import NEV_POWERTRAINS
from transport_sim.scenario.curves import Curve
from transport_sim.scenario.settings import EMISSION_STANDARDS

#: Year the plan's changes are measured against.
BASE_YEAR: Final = 2024
#: Years the report prints CO2 for (besides the base year).
HEADLINE_YEARS: Final = (2025, 2030, 2035)
#: First year of the "100 % NEV of new buses / taxis", rail and no-new-fossil-ship targets.
TARGET_FROM_YEAR: Final = 2025
#: Year by which 70 % of expressway service areas have chargers.
COVERAGE_TARGET_YEAR: Final = 2030
#: Pilot year of the ">= 80 % NEV among new urban logistics vehicles" target.
PILOT_YEAR: Final = 2026
#: Diesel standards phased out by the plan: China III and older.
PHASED_OUT_STANDARDS: Final = EMISSION_STANDARDS[: EMISSION_STANDARDS.index("china3") + 1]
#: Suffix of the megawatt (MCS) companion site of a service area in ``chargers.parquet``.
MCS_SUFFIX: Final = ":mcs"
#: Share targets are met when the value is within this tolerance of the threshold.
SHARE_TOLERANCE: Final = 1e-9
#: Number of worst charger sites listed in the report.
N_WORST_SITES: Final = 5

MET: Final = "MET"
MISSED: Final = "MISSED"
NOT_ASSESSED: Final = "NOT ASSESSED"

#: Plan targets: key -> (threshold, unit).  Shares as fractions, counts in vehicles.
TARGET_THRESHOLDS: Final[Mapping[str, tuple[float, str]]] = MappingProxyType({
    "bus_nev_new": (1.0, "share"),
    "taxi_nev_new": (1.0, "share"),
    "light_truck_nev_new": (0.8, "share"),
    "rail_share": (0.09, "share"),
    "service_area_coverage": (0.70, "share"),
    "old_diesel_trucks": (0.0, "count"),
    "fossil_ships_purchased": (0.0, "count"),
})


@dataclass(frozen=True)
class TargetCheck:
    """One plan target, assessed from the results files.

    Attributes
    ----------
    key
        Stable identifier (a key of :data:`TARGET_THRESHOLDS`).
    target
        What the plan asks for, in words, with the plan section.
    required
        The requirement, e.g. ``"100 % of new from 2025"``.
    value
        The assessed value: a share (0-1) or a vehicle count; ``None`` when not assessed.
    value_year
        The year the value refers to (the worst year of the assessed range), or ``None``.
    years
        The assessed years as text, e.g. ``"2025-2035"``.
    status
        ``"MET"``, ``"MISSED"`` or ``"NOT ASSESSED"``.
    margin
        How far the value is on the right side of the target: percentage points for
        shares, vehicles for counts; negative = missed by that much; ``None`` when not
        assessed.
    unit
        ``"share"`` or ``"count"``.
    source
        Which file and column the value comes from.
    """

    key: str
    target: str
    required: str
    value: float | None
    value_year: int | None
    years: str
    status: str
    margin: float | None
    unit: str
    source: str


# --------------------------------------------------------------------------------------
# scenario curves
# --------------------------------------------------------------------------------------
def scenario_entry(scenario: Mapping[str, Any], dotted: str) -> Any:
    """Return the value at ``dotted`` (e.g. ``"policy.freight.rail_share"``) or ``None``."""
    node: Any = scenario
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def curve_from_toml(value: Any) -> Curve | None:
    """Return a :class:`~transport_sim.scenario.curves.Curve` from its TOML form.

    Parameters
    ----------
    value
        A number (constant curve) or a ``{year: value}`` table with string or int keys.

    Returns
    -------
    Curve or None
        ``None`` when ``value`` is neither.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Curve.constant(float(value))
    if isinstance(value, Mapping) and value:
        points = sorted((int(k), float(v)) for k, v in value.items())
        return Curve(tuple(p[0] for p in points), tuple(p[1] for p in points))
    return None


def scenario_curve_at(scenario: Mapping[str, Any], dotted: str, year: int) -> float | None:
    """Return the scenario curve at ``dotted`` evaluated in ``year`` (``None`` if absent)."""
    curve = curve_from_toml(scenario_entry(scenario, dotted))
    return None if curve is None else curve.at(year)


# --------------------------------------------------------------------------------------
# CO2
# --------------------------------------------------------------------------------------
def co2_by_year(annual: pd.DataFrame) -> pd.DataFrame:
    """Return total CO2 per year (all fleets, rail freight included).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year`` with columns ``co2_ttw_t`` and ``co2_wtw_t`` (t/yr).
    """
    out = annual.groupby("year")[["co2_ttw_t", "co2_wtw_t"]].sum().sort_index()
    out.index = out.index.astype(int)
    return out


def co2_by_year_fleet(annual: pd.DataFrame, column: str = "co2_wtw_t") -> pd.DataFrame:
    """Return ``column`` (t/yr) per year (rows) and fleet (columns)."""
    out = annual.pivot_table(index="year", columns="fleet", values=column, aggfunc="sum")
    out.index = out.index.astype(int)
    return out.fillna(0.0)


def peak(annual: pd.DataFrame, column: str = "co2_wtw_t") -> tuple[int, float]:
    """Return ``(year, t)`` of the highest yearly total of ``column`` (first such year)."""
    totals = co2_by_year(annual)[column]
    year = int(totals.idxmax())
    return year, float(totals.loc[year])


def base_year(annual: pd.DataFrame) -> int:
    """Return the year changes are measured against: 2024 if simulated, else the first year."""
    years = sorted(int(y) for y in annual["year"].unique())
    return BASE_YEAR if BASE_YEAR in years else years[0]


def headline_co2(annual: pd.DataFrame) -> pd.DataFrame:
    """Return CO2 in the base year and the headline years, with % change vs the base year.

    Returns
    -------
    pandas.DataFrame
        One row per year of :func:`report_years` with columns ``year``,
        ``simulated`` (bool), ``co2_ttw_t``, ``co2_wtw_t``, ``ttw_change_pct``,
        ``wtw_change_pct`` (NaN where the year was not simulated).
    """
    totals = co2_by_year(annual)
    base = base_year(annual)
    rows = []
    for year in report_years(annual):
        if year in totals.index:
            ttw, wtw = (float(totals.loc[year, c]) for c in ("co2_ttw_t", "co2_wtw_t"))
            rows.append({
                "year": year, "simulated": True, "co2_ttw_t": ttw, "co2_wtw_t": wtw,
                "ttw_change_pct": pct_change(ttw, float(totals.loc[base, "co2_ttw_t"])),
                "wtw_change_pct": pct_change(wtw, float(totals.loc[base, "co2_wtw_t"])),
            })
        else:
            rows.append({"year": year, "simulated": False, "co2_ttw_t": math.nan,
                         "co2_wtw_t": math.nan, "ttw_change_pct": math.nan,
                         "wtw_change_pct": math.nan})
    return pd.DataFrame(rows)


def report_years(annual: pd.DataFrame) -> list[int]:
    """Years the report tabulates: the base year, 2025, 2030, 2035 and the last run year."""
    last = int(annual["year"].max())
    return sorted({base_year(annual), *HEADLINE_YEARS, last})


def pct_change(value: float, reference: float) -> float:
    """Return ``100 (value - reference) / reference`` (NaN when the reference is 0)."""
    if reference == 0 or not math.isfinite(reference):
        return math.nan
    return 100.0 * (value - reference) / reference


# --------------------------------------------------------------------------------------
# fleets
# --------------------------------------------------------------------------------------
def nev_shares(stock: pd.DataFrame, fleet: str, size_class: str | None = None) -> pd.DataFrame:
    """Return the NEV (bev + fcev) share of the stock and of new purchases per year.

    Parameters
    ----------
    stock
        ``stock.parquet``.
    fleet
        Fleet name.
    size_class
        Restrict to one size class (e.g. ``"light"`` trucks).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``vehicles``, ``nev_vehicles``, ``purchased``,
        ``nev_purchased`` (counts) and ``nev_share_of_stock``, ``nev_share_of_new``
        (fractions; NaN when there are no vehicles / no purchases).
    """
    sel = stock[stock["fleet"] == fleet]
    if size_class is not None:
        sel = sel[sel["size_class"] == size_class]
    nev = sel["powertrain"].isin(NEV_POWERTRAINS)
    frame = pd.DataFrame({
        "year": sel["year"].astype(int),
        "vehicles": sel["vehicles"].astype(float),
        "nev_vehicles": sel["vehicles"].where(nev, 0).astype(float),
        "purchased": sel["purchased"].astype(float),
        "nev_purchased": sel["purchased"].where(nev, 0).astype(float),
    })
    out = frame.groupby("year").sum().sort_index()
    out["nev_share_of_stock"] = _ratio(out["nev_vehicles"], out["vehicles"])
    out["nev_share_of_new"] = _ratio(out["nev_purchased"], out["purchased"])
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return (num.astype(float) / den.where(den > 0)).astype(float)


def old_diesel_trucks(stock: pd.DataFrame) -> pd.Series:
    """Return diesel trucks of China III and older in the stock per year (vehicles)."""
    years = sorted(int(y) for y in stock["year"].unique())
    sel = stock[(stock["fleet"] == "truck") & (stock["powertrain"] == "diesel")
                & stock["standard"].isin(PHASED_OUT_STANDARDS)]
    counts = sel.groupby(sel["year"].astype(int))["vehicles"].sum()
    return counts.reindex(years, fill_value=0).astype(int).rename("old_diesel_trucks")


def fossil_ships_purchased(stock: pd.DataFrame) -> pd.Series:
    """Return non-NEV (not bev/fcev) ships purchased per year (vehicles)."""
    years = sorted(int(y) for y in stock["year"].unique())
    sel = stock[(stock["fleet"] == "ship") & ~stock["powertrain"].isin(NEV_POWERTRAINS)]
    counts = sel.groupby(sel["year"].astype(int))["purchased"].sum()
    return counts.reindex(years, fill_value=0).astype(int).rename("fossil_ships_purchased")


# --------------------------------------------------------------------------------------
# freight and charging
# --------------------------------------------------------------------------------------
def rail_shares(annual: pd.DataFrame, scenario: Mapping[str, Any]) -> pd.DataFrame:
    """Return the rail share of freight per year: scenario tonnage curve and simulated tkm.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``rail_tkm``, ``truck_tkm``, ``rail_tkm_share``
        (= rail / (rail + truck) tonne-km, from ``annual.parquet``) and
        ``rail_tonnage_share`` (``policy.freight.rail_share`` of the resolved scenario:
        the share of freight tonnage the model moves to rail; NaN if absent).
    """
    tkm = annual.pivot_table(index="year", columns="fleet", values="tkm", aggfunc="sum")
    tkm.index = tkm.index.astype(int)
    out = pd.DataFrame(index=tkm.index)
    out["rail_tkm"] = tkm.get("rail_freight", pd.Series(0.0, index=tkm.index)).fillna(0.0)
    out["truck_tkm"] = tkm.get("truck", pd.Series(0.0, index=tkm.index)).fillna(0.0)
    out["rail_tkm_share"] = _ratio(out["rail_tkm"], out["rail_tkm"] + out["truck_tkm"])
    out["rail_tonnage_share"] = [
        _nan_if_none(scenario_curve_at(scenario, "policy.freight.rail_share", y))
        for y in out.index
    ]
    return out.sort_index()


def rail_shares_simulated(annual: pd.DataFrame) -> pd.DataFrame:
    """Rail share of freight per year from the result tables (tonnes and t-km done).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``rail_tonnage_share`` = rail tonnes / (rail tonnes + tonnes
        the trucks delivered), ``rail_tkm_share`` likewise on t-km; NaN when
        ``annual.parquet`` lacks the delivered columns (results of older versions).
    """
    years = sorted(int(y) for y in annual["year"].unique())
    out = pd.DataFrame(index=pd.Index(years, name="year"))
    if "tonnes_delivered" not in annual.columns:
        out["rail_tonnage_share"] = math.nan
        out["rail_tkm_share"] = math.nan
        return out
    for col, name in (("tonnes_delivered", "rail_tonnage_share"),
                      ("tkm_delivered", "rail_tkm_share")):
        by = annual.pivot_table(index="year", columns="fleet", values=col, aggfunc="sum")
        by.index = by.index.astype(int)
        rail = by.get("rail_freight", pd.Series(0.0, index=by.index)).fillna(0.0)
        road = by.get("truck", pd.Series(0.0, index=by.index)).fillna(0.0)
        if col == "tonnes_delivered" and "drayage_t" in annual.columns:
            # a tonne rail carries is counted once, as rail: its road leg to the rail yard
            # (drayage, inside the truck rows) is not road freight of its own
            trucks = annual[annual["fleet"] == "truck"]
            road = road - trucks.groupby("year")["drayage_t"].sum().reindex(
                road.index).fillna(0.0).to_numpy()
        out[name] = _ratio(rail, rail + road).reindex(years)
    return out


def service_area_coverage_simulated(
    chargers: pd.DataFrame, sites: pd.DataFrame | None
) -> pd.Series:
    """Share of expressway service areas that had plugs *and* served sessions, per year.

    Numerator: service areas (megawatt companions folded into their area) with plugs that
    started at least one charging session on a simulated day of the year
    (``chargers.parquet``); denominator: every service area of the network
    (``sites.parquet`` lists the ones without chargers with 0 plugs).  Empty when
    ``sites`` is ``None`` (results of older versions): coverage is then not assessed.
    """
    if sites is None or sites.empty:
        return pd.Series(dtype=float)
    cand = sites[(sites["kind"] == "service_area")
                 & ~sites["site_id"].astype(str).str.endswith(MCS_SUFFIX)]
    total = cand.groupby(cand["year"].astype(int))["site_id"].nunique()
    sa = chargers[chargers["kind"] == "service_area"].copy()
    sa["area"] = sa["site_id"].astype(str).str.removesuffix(MCS_SUFFIX)
    served = sa[(sa["plugs"] > 0) & (sa["sessions"] > 0)]
    n_served = served.groupby(served["year"].astype(int))["area"].nunique()
    return (n_served.reindex(total.index, fill_value=0) / total).astype(float)


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def service_area_sites(chargers: pd.DataFrame, scenario: Mapping[str, Any],
                       years: list[int]) -> pd.DataFrame:
    """Return service areas with chargers per year: scenario coverage and simulated sites.

    Parameters
    ----------
    chargers
        ``chargers.parquet``; megawatt companions (site ids ending ``:mcs``) are not
        counted as separate service areas.
    scenario
        The resolved scenario (``charging.service_area_coverage``).
    years
        The run's years.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``coverage`` (scenario curve, fraction), ``sites``
        (service areas with at least one plug) and ``plugs`` (their plugs).
    """
    sel = chargers[(chargers["kind"] == "service_area")
                   & ~chargers["site_id"].astype(str).str.endswith(MCS_SUFFIX)
                   & (chargers["plugs"] > 0)]
    sel = sel.drop_duplicates(["year", "site_id"])
    grouped = sel.groupby(sel["year"].astype(int)).agg(
        sites=("site_id", "nunique"), plugs=("plugs", "sum")
    )
    out = grouped.reindex(years, fill_value=0).astype(int)
    out.index.name = "year"
    out.insert(0, "coverage", [
        _nan_if_none(scenario_curve_at(scenario, "charging.service_area_coverage", y))
        for y in years
    ])
    return out


def worst_chargers(chargers: pd.DataFrame, n: int = N_WORST_SITES) -> pd.DataFrame:
    """Return the ``n`` sites with the longest P95 wait, each at its worst (year, day type).

    Ties are broken by the longest queue, then year, day type and site id, so the
    order is deterministic.
    """
    if chargers.empty:
        return chargers.copy()
    ranked = chargers.sort_values(
        ["wait_p95_min", "max_queue", "year", "day_type", "site_id"],
        ascending=[False, False, True, True, True], kind="stable",
    )
    return ranked.drop_duplicates("site_id").head(n).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# reliability
# --------------------------------------------------------------------------------------
def reliability_by_year(annual: pd.DataFrame) -> pd.DataFrame:
    """Return stranded vehicles and taxi requests per year.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``stranded`` (sum of ``annual.stranded`` over fleets), one
        ``stranded_<fleet>`` column per fleet, ``requests``, ``unserved`` and
        ``unserved_pct`` (NaN when there were no requests).
    """
    totals = annual.groupby("year")[["stranded", "requests", "unserved"]].sum()
    totals.index = totals.index.astype(int)
    by_fleet = annual.pivot_table(index="year", columns="fleet", values="stranded",
                                  aggfunc="sum").fillna(0.0)
    by_fleet.index = by_fleet.index.astype(int)
    out = totals[["stranded"]].copy()
    for fleet in by_fleet.columns:
        out[f"stranded_{fleet}"] = by_fleet[fleet]
    out["requests"] = totals["requests"]
    out["unserved"] = totals["unserved"]
    out["unserved_pct"] = 100.0 * _ratio(totals["unserved"], totals["requests"])
    return out.sort_index()


# --------------------------------------------------------------------------------------
# plan targets
# --------------------------------------------------------------------------------------
def _year_range(years: list[int]) -> str:
    if not years:
        return "-"
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _share_check(key: str, target: str, required: str, shares: pd.Series,
                 years: list[int], source: str) -> TargetCheck:
    """Assess a ``share >= threshold in every year of years`` target (worst year counts)."""
    threshold = TARGET_THRESHOLDS[key][0]
    values = shares.reindex(years).dropna()
    if values.empty:
        return TargetCheck(key, target, required, None, None, _year_range(years),
                           NOT_ASSESSED, None, "share", source)
    worst_year = int(values.idxmin())
    worst = float(values.loc[worst_year])
    ok = worst >= threshold - SHARE_TOLERANCE
    margin = 100.0 * (worst - threshold)
    return TargetCheck(key, target, required, worst, worst_year,
                       _year_range([int(y) for y in values.index]),
                       MET if ok else MISSED, margin, "share", source)


def _count_check(key: str, target: str, required: str, value: float | None,
                 value_year: int | None, years: list[int], source: str) -> TargetCheck:
    """Assess a ``count == 0`` target."""
    if value is None:
        return TargetCheck(key, target, required, None, None, _year_range(years),
                           NOT_ASSESSED, None, "count", source)
    threshold = TARGET_THRESHOLDS[key][0]
    margin = threshold - float(value)
    return TargetCheck(key, target, required, float(value), value_year, _year_range(years),
                       MET if value <= threshold else MISSED, margin, "count", source)


def plan_targets(annual: pd.DataFrame, stock: pd.DataFrame, chargers: pd.DataFrame,
                 scenario: Mapping[str, Any],
                 sites: pd.DataFrame | None = None) -> list[TargetCheck]:
    """Assess every plan target from the result tables and the resolved scenario.

    Parameters
    ----------
    annual, stock, chargers
        ``annual.parquet``, ``stock.parquet`` and ``chargers.parquet``.
    scenario
        The resolved scenario as a dict (``scenario.resolved.toml``).

    Returns
    -------
    list of TargetCheck
        In the order of the report's target table.

    Notes
    -----
    Share targets are assessed in their worst year of the range (the lowest share).
    Every target is assessed on results, never on the scenario's own inputs: the rail
    share on the rail and truck tonnes delivered (:func:`rail_shares_simulated`), the
    service-area coverage on the areas that had plugs and served sessions
    (:func:`service_area_coverage_simulated`, needs ``sites.parquet``); without those
    tables they are NOT ASSESSED.
    """
    years = sorted(int(y) for y in annual["year"].unique())
    from_2025 = [y for y in years if y >= TARGET_FROM_YEAR]
    checks = [
        _share_check("bus_nev_new", "Buses: NEV share of new and replaced buses (三(七)1)",
                     "100 % of new from 2025", nev_shares(stock, "bus")["nev_share_of_new"],
                     from_2025, "stock.parquet: purchased (bev+fcev / all)"),
        _share_check("taxi_nev_new",
                     "Taxis and ride-hailing: NEV share of new and replaced cars (三(七)1)",
                     "100 % of new from 2025", nev_shares(stock, "taxi")["nev_share_of_new"],
                     from_2025, "stock.parquet: purchased (bev+fcev / all)"),
    ]
    if (stock["size_class"] == "light").any():
        light = nev_shares(stock, "truck", "light")["nev_share_of_new"]
        checks.append(_share_check(
            "light_truck_nev_new",
            "Urban logistics (light trucks): NEV share of new (transport-power pilot)",
            "≥ 80 % of new in 2026", light, [y for y in years if y == PILOT_YEAR],
            "stock.parquet: purchased, truck size_class light",
        ))
    rail = rail_shares_simulated(annual)["rail_tonnage_share"]
    checks.append(_share_check(
        "rail_share", "Rail share of freight tonnage (三(七)2)", "≥ 9 % from 2025", rail,
        from_2025, "annual.parquet: tonnes_delivered, rail / (rail + truck)",
    ))
    cov_years = [y for y in years if y >= COVERAGE_TARGET_YEAR]
    check = _share_check(
        "service_area_coverage", "Expressway service areas with charging/swapping (三(七)3)",
        "≥ 70 % by 2030", service_area_coverage_simulated(chargers, sites), cov_years,
        "sites.parquet + chargers.parquet: areas with plugs that served sessions / all areas",
    )
    if years and years[-1] < COVERAGE_TARGET_YEAR:
        check = replace(check, years=f"{COVERAGE_TARGET_YEAR} (the run ends {years[-1]})")
    checks.append(check)
    old = old_diesel_trucks(stock)
    last = years[-1] if years else None
    checks.append(_count_check(
        "old_diesel_trucks", "China III-and-older operating diesel trucks phased out (三(七)1)",
        "0 in stock (no date in the plan; assessed in the last year)",
        float(old.loc[last]) if last in old.index else None, last, years[-1:],
        "stock.parquet: truck, diesel, standard china2/china3",
    ))
    ships = fossil_ships_purchased(stock).reindex(from_2025).dropna()
    checks.append(_count_check(
        "fossil_ships_purchased", "No new non-electric reservoir ships (三(七)1)",
        "0 purchased from 2025", float(ships.sum()) if from_2025 else None,
        None, from_2025, "stock.parquet: ship purchased, powertrain not bev/fcev",
    ))
    return checks


def first_zero_year(series: pd.Series) -> int | None:
    """Return the first year from which ``series`` stays at 0 until its end (or ``None``)."""
    values = series.sort_index()
    nonzero = np.flatnonzero(values.to_numpy() != 0)
    if nonzero.size == 0:
        return int(values.index[0]) if len(values) else None
    if nonzero[-1] == len(values) - 1:
        return None
    return int(values.index[nonzero[-1] + 1])
