"""Costs in reports: the cost section of ``report.md``, abatement costs and the MAC curve.

Abatement cost of a run against a reference run (the first run of ``compare``, the base
point of a one-lever-at-a-time sweep), per fleet:

* per year: ``(resource cost - reference resource cost) / (reference CO2 - CO2)``, with
  annualised capital, in CNY per t of well-to-wheel CO2 avoided;
* cumulative (levelised): the present value of the extra cost over the present value of
  the tonnes avoided, both discounted at the cost file's rate to the first year.

A negative cost per tonne avoided means the run saves money *and* CO2; when nothing is
avoided (or more is emitted) the ratio is reported as NaN and the signs are left to the
two columns of differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from transport_sim.accounting.costs import RESOURCE_ITEMS
from transport_sim.accounting.grid import city_peak_load, site_peak_load

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ABATEMENT_CSV: Final = "abatement.csv"
MAC_FIGURE: Final = "mac_curve.png"
COST_FIGURE: Final = "costs_by_item.png"
LOAD_FIGURE: Final = "charging_load.png"
ALL_FLEETS: Final = "all"
ABATEMENT_COLUMNS: Final = ("run", "fleet", "year", "delta_cost_cny", "avoided_co2_t",
                            "cny_per_t", "discount_factor")
#: Rows of ``abatement.csv`` with the cumulative (levelised) value carry this year.
CUMULATIVE: Final = -1
TOP_SITES: Final = 10
#: Fleets drawn as one segment of the by-fleet abatement curve of ``compare``.
CURVE_GROUPS: Final = {"truck": "freight (road + rail)", "rail_freight": "freight (road + rail)"}


# ======================================================================================
# numbers
# ======================================================================================
def resource_cost_by_year(costs: pd.DataFrame, by_fleet: bool = False) -> pd.DataFrame:
    """Annualised resource cost (CNY) per year (and fleet), with the discount factor."""
    sel = costs[costs["item"].isin(RESOURCE_ITEMS)]
    keys = ["year", "fleet"] if by_fleet else ["year"]
    out = sel.groupby(keys)["annualised_cny"].sum().rename("cost_cny").reset_index()
    factor = costs.groupby("year")["discount_factor"].first()
    out["discount_factor"] = out["year"].map(factor)
    return out


def cny_per_tonne(delta_cost_cny: float, avoided_t: float) -> float:
    """Cost per tonne avoided; NaN when nothing is avoided."""
    if not avoided_t > 0:
        return math.nan
    return delta_cost_cny / avoided_t


def abatement_table(reference: Mapping[str, pd.DataFrame], run: Mapping[str, pd.DataFrame],
                    name: str) -> pd.DataFrame:
    """Incremental cost, CO2 avoided and CNY/t of ``run`` against ``reference``.

    Both arguments hold the run's ``annual`` and ``costs`` tables.  One row per (fleet,
    year) plus, per fleet, a cumulative row (``year`` = :data:`CUMULATIVE`) with the
    discounted sums and the levelised cost per tonne; fleet ``all`` sums the fleets.
    """
    frames = []
    for tables in (reference, run):
        cost = resource_cost_by_year(tables["costs"], by_fleet=True)
        co2 = tables["annual"].groupby(["year", "fleet"])["co2_wtw_t"].sum().reset_index()
        frames.append(cost.merge(co2, on=["year", "fleet"], how="outer"))
    ref, new = frames
    both = ref.merge(new, on=["year", "fleet"], how="outer", suffixes=("_ref", ""))
    factor = both["discount_factor"].fillna(both["discount_factor_ref"])
    both = both.fillna({"cost_cny": 0.0, "cost_cny_ref": 0.0, "co2_wtw_t": 0.0,
                        "co2_wtw_t_ref": 0.0})
    both["discount_factor"] = factor
    both["delta_cost_cny"] = both["cost_cny"] - both["cost_cny_ref"]
    both["avoided_co2_t"] = both["co2_wtw_t_ref"] - both["co2_wtw_t"]
    total = both.groupby("year", as_index=False)[["delta_cost_cny", "avoided_co2_t"]].sum()
    total["discount_factor"] = both.groupby("year")["discount_factor"].max().to_numpy()
    total["fleet"] = ALL_FLEETS
    rows = pd.concat([both[["fleet", "year", "delta_cost_cny", "avoided_co2_t",
                            "discount_factor"]], total], ignore_index=True)
    cumulative = []
    for fleet, grp in rows.groupby("fleet", sort=False):
        df = grp["discount_factor"].fillna(0.0)
        cumulative.append({
            "fleet": fleet, "year": CUMULATIVE,
            "delta_cost_cny": float((grp["delta_cost_cny"] * df).sum()),
            "avoided_co2_t": float((grp["avoided_co2_t"] * df).sum()),
            "discount_factor": math.nan,
        })
    rows = pd.concat([rows, pd.DataFrame(cumulative)], ignore_index=True)
    rows["cny_per_t"] = [cny_per_tonne(c, t) for c, t in
                         zip(rows["delta_cost_cny"], rows["avoided_co2_t"], strict=True)]
    rows.insert(0, "run", name)
    rows = rows.sort_values(["fleet", "year"], key=lambda s: s.map(_fleet_rank)
                            if s.name == "fleet" else s)
    return rows[list(ABATEMENT_COLUMNS)].reset_index(drop=True)


def _fleet_rank(fleet: object) -> int:
    order = ("bus", "taxi", "truck", "ship", "rail_freight", "car", ALL_FLEETS)
    return order.index(fleet) if fleet in order else len(order)


def mac_segments(labels: Sequence[str], delta_npv_cny: Sequence[float],
                 avoided_discounted_t: Sequence[float], avoided_t: Sequence[float]
                 ) -> pd.DataFrame:
    """Segments of a marginal abatement cost curve, cheapest first.

    Each lever (or fleet) avoids ``avoided_t`` tonnes (the width) at a levelised
    ``delta_npv_cny / avoided_discounted_t`` CNY/t (the height).  Levers that avoid
    nothing cannot be placed on the curve and are left out.
    """
    frame = pd.DataFrame({"label": list(labels), "delta_npv_cny": list(delta_npv_cny),
                          "avoided_discounted_t": list(avoided_discounted_t),
                          "avoided_t": list(avoided_t)})
    frame["cny_per_t"] = [cny_per_tonne(c, t) for c, t in
                          zip(frame["delta_npv_cny"], frame["avoided_discounted_t"], strict=True)]
    frame = frame[np.isfinite(frame["cny_per_t"]) & (frame["avoided_t"] > 0)]
    frame = frame.sort_values(["cny_per_t", "label"]).reset_index(drop=True)
    frame["start_t"] = frame["avoided_t"].cumsum() - frame["avoided_t"]
    return frame


def mac_from_summary(summary: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """MAC segments of a one-lever-at-a-time sweep: point 0 is the base, point i lever i.

    ``summary`` has one row per run with ``point``, ``npv_cost_cny``,
    ``discounted_co2_wtw_t`` and ``cumulative_co2_wtw_t`` (replications are averaged).
    """
    cols = ["npv_cost_cny", "discounted_co2_wtw_t", "cumulative_co2_wtw_t"]
    mean = summary.groupby("point")[cols].mean()
    base = mean.loc[0]
    levers = [p for p in mean.index if p != 0]
    return mac_segments(
        [labels[p - 1] if p - 1 < len(labels) else f"point {p}" for p in levers],
        [mean.loc[p, "npv_cost_cny"] - base["npv_cost_cny"] for p in levers],
        [base["discounted_co2_wtw_t"] - mean.loc[p, "discounted_co2_wtw_t"] for p in levers],
        [base["cumulative_co2_wtw_t"] - mean.loc[p, "cumulative_co2_wtw_t"] for p in levers],
    )


# ======================================================================================
# figures
# ======================================================================================
def fig_mac_curve(segments: pd.DataFrame, title: str) -> Figure:
    """Marginal abatement cost curve: width = t CO2 avoided, height = CNY/t, sorted."""
    from transport_sim.report.style import new_figure

    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    colors = ["#1b9e77" if v < 0 else "#d95f02" for v in segments["cny_per_t"]]
    ax.bar(segments["start_t"] / 1e3, segments["cny_per_t"], width=segments["avoided_t"] / 1e3,
           align="edge", color=colors, edgecolor="white", linewidth=0.8)
    for rec in segments.itertuples(index=False):
        ax.annotate(str(rec.label), (rec.start_t / 1e3 + rec.avoided_t / 2e3, rec.cny_per_t),
                    ha="center", va="bottom" if rec.cny_per_t >= 0 else "top",
                    fontsize="small", rotation=0)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("cumulative CO2 avoided (kt, well-to-wheel)")
    ax.set_ylabel("abatement cost (CNY per t CO2, levelised)")
    ax.set_title(title)
    return fig


def fig_costs_by_item(costs: pd.DataFrame) -> Figure:
    """Annualised cost per year, stacked by item (transfers drawn apart)."""
    from transport_sim.report.style import integer_years, new_figure

    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    integer_years(ax)
    table = costs.pivot_table(index="year", columns="item", values="annualised_cny",
                              aggfunc="sum", fill_value=0.0) / 1e6
    bottom = np.zeros(len(table))
    for item in RESOURCE_ITEMS:
        if item in table:
            ax.bar(table.index, table[item], bottom=bottom, label=item.replace("_", " "))
            bottom += table[item].to_numpy()
    ax.set_ylabel("resource cost (M CNY per year, annualised)")
    ax.set_title("Cost of the transport system by item (base-year prices)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return fig


def fig_charging_load(hourly: pd.DataFrame) -> Figure:
    """City-wide hourly charging load of the first and last year, per day type."""
    from transport_sim.report.style import new_figure

    fig = new_figure(8.0, 4.0)
    ax = fig.add_subplot()
    city = hourly.groupby(["year", "day_type", "hour"])["energy_kwh"].sum().reset_index()
    years = sorted(city["year"].unique())
    for year in dict.fromkeys((years[0], years[-1])):
        for day_type, grp in city[city["year"] == year].groupby("day_type"):
            load = grp["energy_kwh"].to_numpy() / 1e3
            ax.step([*grp["hour"], 24], [*load, load[-1]], where="post",
                    label=f"{year} {day_type}")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("charging load (MW, hourly mean)")
    ax.set_xticks(range(0, 25, 3))
    ax.set_title("City-wide charging load on the grid")
    ax.legend(fontsize="small")
    return fig


def draw_cost_figures(tables: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Draw the cost and grid-load figures of a run (none when it has no costs)."""
    from transport_sim.report.style import figure_style, save_figure

    written: list[Path] = []
    with figure_style(None):
        if "costs" in tables and not tables["costs"].empty:
            written.append(save_figure(fig_costs_by_item(tables["costs"]),
                                       Path(folder) / COST_FIGURE))
        hourly = tables.get("charger_hourly")
        if hourly is not None and "energy_kwh" in hourly and not hourly.empty:
            written.append(save_figure(fig_charging_load(hourly), Path(folder) / LOAD_FIGURE))
    return written


def draw_mac_figure(segments: pd.DataFrame, path: Path, title: str) -> Path | None:
    """Draw the MAC curve into ``path`` (nothing when no segment avoids CO2)."""
    from transport_sim.report.style import figure_style, save_figure

    if segments.empty:
        return None
    with figure_style(None):
        return save_figure(fig_mac_curve(segments, title), path)


# ======================================================================================
# markdown
# ======================================================================================
def _md(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _m(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value / 1e6:,.1f}"


def _per_t(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:,.0f}"


def cost_section(tables: Mapping[str, pd.DataFrame]) -> str:
    """``## Costs`` and ``## Grid load`` of ``report.md`` (empty without a costs table)."""
    costs = tables.get("costs")
    parts = []
    if costs is not None and not costs.empty:
        parts.append(_cost_markdown(costs, tables.get("tco")))
    hourly, chargers = tables.get("charger_hourly"), tables.get("chargers")
    if hourly is not None and chargers is not None and "energy_kwh" in hourly:
        parts.append(_grid_markdown(hourly, chargers))
    return "\n\n".join(parts)


def _cost_markdown(costs: pd.DataFrame, tco: pd.DataFrame | None) -> str:
    years = sorted(costs["year"].unique())
    shown = sorted({years[0], *(y for y in (2025, 2030) if y in years), years[-1]})
    factor = costs.groupby("year")["discount_factor"].first()
    rate = (1.0 / factor.iloc[1] - 1.0) if len(factor) > 1 else math.nan
    pivot = costs.pivot_table(index="item", columns="year", values="annualised_cny",
                              aggfunc="sum", fill_value=0.0)
    rows = [[item.replace("_", " "), *(_m(float(pivot.loc[item].get(y, 0.0))) for y in shown)]
            for item in (*RESOURCE_ITEMS, "subsidy", "carbon") if item in pivot.index]
    resource = resource_cost_by_year(costs)
    total = dict(zip(resource["year"], resource["cost_cny"], strict=True))
    rows.append(["**resource cost**", *(f"**{_m(total.get(y, 0.0))}**" for y in shown)])
    npv = float((resource["cost_cny"] * resource["discount_factor"]).sum())
    lines = [
        "## Costs",
        "",
        f"Annualised costs in M CNY at base-year prices (vehicles and chargers bought during "
        f"the run over their lives, discount rate {rate:.0%}); the resource cost leaves out "
        f"subsidies and carbon charges, which are transfers. Present value of the resource "
        f"cost {years[0]}-{years[-1]}: **{npv / 1e9:,.2f} bn CNY**.",
        "",
        _md(["item", *(str(y) for y in shown)], rows),
    ]
    if tco is not None and not tco.empty:
        lines += ["", _tco_markdown(tco)]
    return "\n".join(lines)


def _tco_markdown(tco: pd.DataFrame) -> str:
    years = sorted(tco["year"].unique())
    year = 2030 if 2030 in years else years[-1]
    cells = (("bus", "standard"), ("taxi", "ride_hailing"), ("taxi", "cruising"),
             ("truck", "heavy_tractor"), ("truck", "light"))
    rows = []
    for y in dict.fromkeys((years[0], year)):
        for fleet, cls in cells:
            sel = tco[(tco["year"] == y) & (tco["fleet"] == fleet) & (tco["size_class"] == cls)]
            for rec in sel.sort_values("tco_cny_per_km").itertuples(index=False):
                rows.append([str(y), f"{fleet} {cls}", rec.powertrain,
                             f"{rec.price_cny / 1e3:,.0f}", f"{rec.km_per_year:,.0f}",
                             f"{rec.tco_cny_per_year / 1e3:,.1f}", f"{rec.tco_cny_per_km:.2f}"])
    return "\n".join([
        "Total cost of ownership of a vehicle bought in the year (capital over its mean "
        "life, energy, maintenance, its share of chargers; simulated km and energy):",
        "",
        _md(["year", "class", "powertrain", "price (k CNY)", "km/yr", "TCO (k CNY/yr)",
             "CNY/km"], rows),
    ])


def _grid_markdown(hourly: pd.DataFrame, chargers: pd.DataFrame) -> str:
    sites = site_peak_load(hourly, chargers)
    city = city_peak_load(hourly, chargers)
    top = (sites.sort_values(["peak_kw", "year"], ascending=[False, True])
           .groupby("site_id", sort=False).head(1).head(TOP_SITES))
    site_rows = [[str(r.name or r.site_id), r.kind.replace("_", " "), str(r.year), r.day_type,
                  f"{r.peak_kw:,.0f}", f"{r.peak_hour:02d}:00", f"{r.installed_kw:,.0f}",
                  f"{r.peak_kw / r.installed_kw:.0%}" if r.installed_kw > 0 else "-"]
                 for r in top.itertuples(index=False)]
    city = (city.sort_values(["year", "peak_kw"], ascending=[True, False])
            .groupby("year", sort=True).head(1))  # each year at its peakiest day type
    city_rows = [[str(r.year), r.day_type, f"{r.peak_kw / 1e3:,.2f}", f"{r.peak_hour:02d}:00",
                  f"{r.installed_kw / 1e3:,.1f}", f"{r.energy_kwh / 1e3:,.1f}"]
                 for r in city.itertuples(index=False)]
    return "\n".join([
        "## Grid load",
        "",
        "Charging load from the simulated hourly profiles (all users of the chargers, "
        "private cars at service areas included); a peak is the largest hourly mean, so "
        "it never exceeds the installed power (plugs x kW).",
        "",
        "Ten largest sites (peak over years and day types):",
        "",
        _md(["site", "kind", "year", "day", "peak kW", "hour", "installed kW", "peak/installed"],
            site_rows),
        "",
        "City-wide charging peak (each year's day type with the highest peak; every day "
        "type in `charger_hourly.parquet`):",
        "",
        _md(["year", "day", "peak MW", "hour", "installed MW", "energy MWh/day"], city_rows),
    ])


def abatement_markdown(table: pd.DataFrame) -> str:
    """Lines of ``compare.md``: cumulative and per-year CNY per t avoided, by fleet."""
    lines = ["## Abatement cost", "",
             "Against the first run: extra resource cost (annualised capital, energy, "
             "maintenance, chargers) per tonne of well-to-wheel CO2 avoided; *cumulative* "
             "is levelised (present values of both). Negative: saves money and CO2.", ""]
    for run, grp in table.groupby("run", sort=False):
        cum = grp[grp["year"] == CUMULATIVE]
        rows = [[r.fleet, _m(r.delta_cost_cny), f"{r.avoided_co2_t:,.0f}", _per_t(r.cny_per_t)]
                for r in cum.itertuples(index=False)]
        lines += [f"### {run}", "", _md(["fleet", "extra cost PV (M CNY)",
                                         "CO2 avoided PV (t)", "CNY/t"], rows), ""]
        per_year = grp[(grp["fleet"] == ALL_FLEETS) & (grp["year"] != CUMULATIVE)]
        rows = [[str(r.year), _m(r.delta_cost_cny), f"{r.avoided_co2_t:,.0f}",
                 _per_t(r.cny_per_t)] for r in per_year.itertuples(index=False)]
        lines += ["All fleets, per year:", "",
                  _md(["year", "extra cost (M CNY)", "CO2 avoided (t)", "CNY/t"], rows), ""]
    return "\n".join(lines)


def compare_costs(runs: Sequence[object], names: Sequence[str], folder: Path
                  ) -> pd.DataFrame | None:
    """Abatement table of every run against the first; ``abatement.csv`` and the MAC curve.

    The curve has one segment per (run, fleet) that avoids CO2, at its levelised cost.
    Returns ``None`` when a run has no ``costs`` table (results of an older version).
    """
    tables = [getattr(r, "tables", {}) for r in runs]
    if len(tables) < 2 or any("costs" not in t for t in tables):
        return None
    table = pd.concat([abatement_table(tables[0], t, n)
                       for t, n in zip(tables[1:], names[1:], strict=True)], ignore_index=True)
    table.to_csv(Path(folder) / ABATEMENT_CSV, index=False)
    # on the curve, road and rail freight are one segment: a rail shift moves CO2 and
    # cost from the trucks to the railway
    curve = table[table["fleet"] != ALL_FLEETS].assign(
        fleet=lambda t: t["fleet"].replace(CURVE_GROUPS))
    curve = curve.groupby(["run", "fleet", "year"], as_index=False, sort=False)[
        ["delta_cost_cny", "avoided_co2_t"]].sum()
    cum = curve[curve["year"] == CUMULATIVE]
    undiscounted = (curve[curve["year"] != CUMULATIVE]
                    .groupby(["run", "fleet"])["avoided_co2_t"].sum())
    multi = len(names) > 2
    segments = mac_segments(
        [f"{r} {f}" if multi else str(f) for r, f in zip(cum["run"], cum["fleet"], strict=True)],
        cum["delta_cost_cny"], cum["avoided_co2_t"],
        [float(undiscounted.get((r, f), 0.0)) for r, f in zip(cum["run"], cum["fleet"],
                                                             strict=True)],
    )
    draw_mac_figure(segments, Path(folder) / MAC_FIGURE,
                    f"Abatement cost by fleet vs {names[0]}")
    return table


def headline(table: pd.DataFrame) -> list[str]:
    """One line per compared run: levelised CNY per t avoided, all fleets."""
    rows = table[(table["year"] == CUMULATIVE) & (table["fleet"] == ALL_FLEETS)]
    return [f"{r.run}: {r.avoided_co2_t:,.0f} t CO2 avoided (discounted), extra cost "
            f"{r.delta_cost_cny / 1e6:,.1f} M CNY (PV) -> {_per_t(r.cny_per_t)} CNY/t"
            for r in rows.itertuples(index=False)]
