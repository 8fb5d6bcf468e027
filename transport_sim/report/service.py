"""Report section: charging service and demand not done (failures first, never hidden).

Reads ``annual.parquet`` (stranded, BEV vehicle-days, runs cancelled, taxi requests,
tonnes and t-km undelivered, CO2 of the undone activity), ``chargers.parquet`` (P95 waits)
and ``run.json`` (vehicles queued at midnight) and flags every year that breaks a
service threshold below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Thresholds a year is flagged at (issue 16's service levels): stranded share of battery
#: vehicle-days, undone share of a fleet's planned activity, vehicles queued at midnight.
STRANDED_MAX_SHARE: Final = 0.005
UNDONE_MAX_SHARE: Final = 0.01
QUEUED_MAX_SHARE: Final = 0.01


def service_by_year(
    annual: pd.DataFrame, chargers: pd.DataFrame, meta: Mapping[str, Any],
    max_wait_p95_min: float = 0.0,
) -> pd.DataFrame:
    """Return the service indicators per year with a ``flags`` column (empty when all is well).

    Columns: stranded_vehicle_days (per year), stranded_share (of BEV vehicle-days),
    worst_p95_min, worst_site, queued_midnight_share (worst simulated day type),
    undone_<fleet> (bus/truck/ship runs cancelled, taxi requests unserved, share),
    tonnes_undelivered_share, co2_wtw_t, co2_wtw_undone_t, flags.
    """
    from transport_sim.accounting.demand import undone_share

    if "bev_vehicle_days" not in annual.columns:
        return pd.DataFrame()
    years = sorted(int(y) for y in annual["year"].unique())
    g = annual.groupby("year")[["stranded", "bev_vehicle_days", "co2_wtw_t",
                                "co2_wtw_undone_t"]].sum()
    und = undone_share(annual)
    truck = annual[annual["fleet"] == "truck"].groupby("year")[
        ["tonnes_planned", "tonnes_undelivered"]].sum()
    rows = []
    for y in years:
        row: dict[str, Any] = {"year": y}
        row["stranded_vehicle_days"] = float(g.loc[y, "stranded"])
        den = float(g.loc[y, "bev_vehicle_days"])
        row["stranded_share"] = row["stranded_vehicle_days"] / den if den > 0 else 0.0
        ch = chargers[chargers["year"] == y] if len(chargers) else chargers
        if len(ch):
            worst = ch.sort_values("wait_p95_min", ascending=False).iloc[0]
            row["worst_p95_min"] = float(worst["wait_p95_min"])
            row["worst_site"] = str(worst["site_id"])
        else:
            row["worst_p95_min"], row["worst_site"] = 0.0, ""
        shares = [v["queued"] / v["vehicles"] for k, v in meta.get("at_midnight", {}).items()
                  if k.startswith(f"{y} ") and v.get("vehicles")]
        row["queued_midnight_share"] = max(shares) if shares else float("nan")
        for rec in und[und["year"] == y].itertuples(index=False):
            row[f"undone_{rec.fleet}"] = float(rec.undone_share)
        tp = float(truck.loc[y, "tonnes_planned"]) if y in truck.index else 0.0
        row["tonnes_undelivered_share"] = (
            float(truck.loc[y, "tonnes_undelivered"]) / tp if tp > 0 else 0.0
        )
        row["co2_wtw_t"] = float(g.loc[y, "co2_wtw_t"])
        row["co2_wtw_undone_t"] = float(g.loc[y, "co2_wtw_undone_t"])
        flags = []
        if row["stranded_share"] >= STRANDED_MAX_SHARE:
            flags.append(f"stranded {100 * row['stranded_share']:.2f} % of BEV vehicle-days")
        if max_wait_p95_min > 0 and row["worst_p95_min"] > max_wait_p95_min + 1e-9:
            flags.append(f"P95 wait {row['worst_p95_min']:.0f} min > {max_wait_p95_min:g}")
        if row["queued_midnight_share"] >= QUEUED_MAX_SHARE:
            flags.append(f"{100 * row['queued_midnight_share']:.1f} % queued at midnight")
        flags += [
            f"{f} undone {100 * v:.1f} %" for f in ("bus", "taxi", "truck", "ship")
            if (v := row.get(f"undone_{f}", 0.0)) > UNDONE_MAX_SHARE
        ]
        if row["tonnes_undelivered_share"] > UNDONE_MAX_SHARE:
            flags.append(f"freight undelivered {100 * row['tonnes_undelivered_share']:.1f} %")
        row["flags"] = "; ".join(flags)
        rows.append(row)
    return pd.DataFrame(rows).set_index("year")


def service_wait_min(scenario: Mapping[str, Any]) -> float:
    """P95 wait (min) a year is judged against: the sizing target, else the report's."""
    ch = scenario.get("charging", {})
    sized = float(ch.get("size_for_p95_wait_min", 0.0) or 0.0)
    return sized if sized > 0 else float(ch.get("report_max_wait_p95_min", 0.0) or 0.0)


def pct_text(value: float) -> str:
    """``"12.34 %"`` for a share, ``"n/a"`` for NaN."""
    return "n/a" if value != value else f"{100 * value:.2f} %"  # noqa: PLR0124


def service_headline(
    annual: pd.DataFrame, chargers: pd.DataFrame, meta: Mapping[str, Any],
    scenario: Mapping[str, Any],
) -> list[str]:
    """Headline bullets: the years that break a service threshold, or that none does."""
    wait = service_wait_min(scenario)
    table = service_by_year(annual, chargers, meta, wait)
    if table.empty:
        return []
    flagged = table[table["flags"] != ""]
    if flagged.empty:
        worst = table["stranded_share"].max()
        return [f"- Charging service: no year breaks a threshold (stranded at most "
                f"{100 * worst:.2f} % of battery vehicle-days; worst P95 wait "
                f"{table['worst_p95_min'].max():.0f} min)"]
    lines = [f"- **Charging service fails in {len(flagged)} of {len(table)} years** "
             "(CO2 below leaves out the activity not done; see *Charging service and demand "
             "not done*):"]
    lines += [f"  - {y}: {r['flags']}" for y, r in flagged.iterrows()]
    return lines
