"""The base-year calibration part of ``report.md`` (from ``calibration.parquet``)."""

from __future__ import annotations

import pandas as pd

from transport_sim.accounting.calibration import FLAG_TOLERANCE, flagged

METRIC_LABELS = {
    "km_per_vehicle_day": "km per vehicle-day",
    "trips_per_vehicle_day": "trips per vehicle-day",
    "empty_running_share": "empty-running share of km",
}


def _fmt(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"


def _md_table(header: list[str], rows: list[list[str]], align: str) -> str:
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(r) + " |" for r in lines)


def calibration_headline(table: pd.DataFrame | None) -> str:
    """Return a headline warning listing the class-level metrics more than 10 % off target."""
    if table is None or table.empty:
        return ""
    off = flagged(table[table["powertrain"] == "all"])
    if off.empty:
        return (f"> Base-year calibration: every class-level activity metric is within "
                f"{FLAG_TOLERANCE:.0%} of its target (calibration.parquet).")
    items = "; ".join(
        f"{r.fleet} {r[1]} {METRIC_LABELS.get(r.metric, r.metric)} "
        f"{_fmt(r.simulated)} vs {_fmt(r.target)} ({r.ratio - 1.0:+.0%})"
        for r in off.itertuples(index=False)
    )
    return (f"> **Base-year calibration: {len(off)} class-level metric(s) more than "
            f"{FLAG_TOLERANCE:.0%} off target** ({items}). CO2 of these classes inherits "
            "the error; see the calibration section.")


def calibration_section(table: pd.DataFrame | None) -> str:
    """Return the calibration table: target, simulated and ratio per class and powertrain."""
    if table is None or table.empty:
        return ""
    rows = []
    for r in table.itertuples(index=False):
        mark = " **(>10 %)**" if abs(r.ratio - 1.0) > FLAG_TOLERANCE or pd.isna(r.ratio) else ""
        rows.append([r.fleet, r[1], r.powertrain, METRIC_LABELS.get(r.metric, r.metric),
                     _fmt(r.target), _fmt(r.simulated), f"{r.ratio:.2f}{mark}"])
    return "\n".join([
        "## Base-year calibration (calibration.parquet)",
        "",
        "Simulated first day type of the first policy year against the targets of the "
        "calibration file (sources in `fleets/SOURCES.md`).  `all` pools a size class; "
        "per-powertrain rows show assignment effects (battery buses take the blocks their "
        "range allows, so they can run fewer km than diesel buses).",
        "",
        _md_table(["fleet", "class", "powertrain", "metric", "target", "simulated", "ratio"],
                  rows, "lllllrr"),
    ])
