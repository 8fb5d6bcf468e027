# ruff: noqa: RUF001 - the Chinese headline uses full-width punctuation on purpose
"""Report section: charging service and demand not done (failures first, never hidden).

Reads ``annual.parquet`` (stranded, BEV vehicle-days, runs cancelled, taxi requests,
tonnes and t-km undelivered, CO2 of the undone activity), ``chargers.parquet`` (P95 waits)
and ``run.json`` (vehicles queued at midnight) and flags every year that breaks a
service threshold below.
"""

from __future__ import annotations

from types import MappingProxyType
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
        flags = [FLAG_TEXT_EN[kind].format(value=v, extra=x)
                 for kind, v, x in flag_items(row, max_wait_p95_min)]
        row["flags"] = "; ".join(flags)
        rows.append(row)
    return pd.DataFrame(rows).set_index("year")


#: How each service flag reads in English and in Chinese (``value`` and ``extra`` from
#: :func:`flag_items`).
FLAG_TEXT_EN: Mapping[str, str] = MappingProxyType({
    "stranded": "stranded {value:.2f} % of BEV vehicle-days",
    "wait": "P95 wait {value:.0f} min > {extra}",
    "queued": "{value:.1f} % queued at midnight",
    "undone": "{extra} undone {value:.1f} %",
    "freight": "freight undelivered {value:.1f} %",
})
FLAG_TEXT_ZH: Mapping[str, str] = MappingProxyType({
    "stranded": "纯电动车辆电量耗尽抛锚 {value:.2f} %（车日）",
    "wait": "充电排队P95等待 {value:.0f} 分钟 > {extra}",
    "queued": "午夜仍在排队 {value:.1f} %",
    "undone": "{extra}未完成 {value:.1f} %",
    "freight": "货运未送达 {value:.1f} %",
})


def flag_items(row: Mapping[str, Any], max_wait_p95_min: float) -> list[tuple[str, float, str]]:
    """Return the service thresholds a year breaks: ``(kind, value in % or min, extra)``."""
    items: list[tuple[str, float, str]] = []
    if row["stranded_share"] >= STRANDED_MAX_SHARE:
        items.append(("stranded", 100 * row["stranded_share"], ""))
    if max_wait_p95_min > 0 and row["worst_p95_min"] > max_wait_p95_min + 1e-9:
        items.append(("wait", row["worst_p95_min"], f"{max_wait_p95_min:g}"))
    if row["queued_midnight_share"] >= QUEUED_MAX_SHARE:
        items.append(("queued", 100 * row["queued_midnight_share"], ""))
    items += [("undone", 100 * v, f) for f in ("bus", "taxi", "truck", "ship")
              if (v := row.get(f"undone_{f}", 0.0)) > UNDONE_MAX_SHARE]
    if row["tonnes_undelivered_share"] > UNDONE_MAX_SHARE:
        items.append(("freight", 100 * row["tonnes_undelivered_share"], ""))
    return items


def service_headline_zh(
    annual: pd.DataFrame, chargers: pd.DataFrame, meta: Mapping[str, Any],
    scenario: Mapping[str, Any],
) -> list[str]:
    """Return the headline bullets of :func:`service_headline` in Chinese."""
    wait = service_wait_min(scenario)
    table = service_by_year(annual, chargers, meta, wait)
    if table.empty:
        return []
    names = {"bus": "公交", "taxi": "出租车", "truck": "货车", "ship": "船舶"}
    lines = []
    for year, row in table.iterrows():
        items = flag_items(row, wait)
        if items:
            text = "；".join(
                FLAG_TEXT_ZH[k].format(value=v, extra=names.get(x, x)) for k, v, x in items)
            lines.append(f"  - {year}年：{text}")
    if not lines:
        return [f"- 充电服务：各年均未超过阈值（电量耗尽抛锚最多 "
                f"{100 * table['stranded_share'].max():.2f} % 车日；最差P95等待 "
                f"{table['worst_p95_min'].max():.0f} 分钟）"]
    return [f"- **充电服务在 {len(lines)} / {len(table)} 个年份未达标**"
            "（下列年份的CO2不含未完成的运输活动）：", *lines]


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
