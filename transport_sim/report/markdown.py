"""Reports a modeller can hand to a bureau: figures, ``report.md`` and scenario comparisons.

* :func:`render_into` is called by :func:`transport_sim.pipeline.run.run` inside the atomic
  results folder: it draws every figure (PNG, 150 dpi) and writes ``report.md``.
* :func:`plot_folder` (``transport-sim plot DIR``) re-renders them from the files alone;
  sweep folders are drawn by :func:`transport_sim.sweep.figures.plot_sweep`.
* :func:`compare_results` (``transport-sim compare DIR...``) draws scenarios side by side
  and writes a table of differences (``compare.csv``, ``compare.md``) atomically.

Every number printed comes from the results files (Parquet tables, ``run.json``,
``scenario.resolved.toml``) through :mod:`transport_sim.report.targets`.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from transport_sim.errors import ResultsError, describe
from transport_sim.io import write_text_atomic
from transport_sim.report import targets as rt
from transport_sim.report.calibration_section import calibration_headline, calibration_section
from transport_sim.report.service import (
    QUEUED_MAX_SHARE,
    STRANDED_MAX_SHARE,
    UNDONE_MAX_SHARE,
    pct_text,
    service_by_year,
    service_headline,
    service_wait_min,
)
from transport_sim.results.folder import (
    RESOLVED_SCENARIO,
    Results,
)
from transport_sim.units import TKM_PER_MTKM

REPORT_FILE: Final = "report.md"
COMPARE_CSV: Final = "compare.csv"
COMPARE_MD: Final = "compare.md"
#: A folder holding one of these files is a sweep folder, not a run's results folder.
SWEEP_MARKERS: Final = ("summary.parquet", "sweep.json")
#: Tables a results folder must hold to be reported on.
REQUIRED_TABLES: Final = ("annual", "stock")
#: One-line captions of the figures, by file name (charger heatmaps by prefix).
CAPTIONS: Final = {
    "co2_by_fleet.png": "CO2 by fleet, TTW and WTW (kt/yr), peak marked",
    "plan_targets.png": "plan targets against the simulated trajectories",
    "fleet_composition.png": "stock by powertrain per fleet (vehicles)",
    "energy_by_carrier.png": "energy by carrier and fleet, physical units (million L, kt, "
                             "GWh, t)",
    "final_energy_by_carrier.png": "final energy by carrier, GWh/yr (electricity at the "
                                   "charger)",
    "nox_pm.png": "exhaust NOx and PM2.5 by fleet (t/yr)",
    "charger_utilisation_weekday.png": "busiest charger sites by hour, last year, weekday",
    "charger_utilisation_holiday.png": "busiest charger sites by hour, last year, holiday peak",
    "charger_map.png": "charger sites coloured by utilisation over the road network",
    "day_profile.png": "vehicles moving/charging/queued/stranded over the representative day",
    "co2_decomposition.png": "what drove the change of WTW CO2, first to last year (LMDI)",
    "sensitivity_tornado.png": "WTW CO2 in the last report year with each accounting factor "
                               "at its low and high value",
}
DASH: Final = "-"


# ======================================================================================
# public API
# ======================================================================================
def render_into(folder: Path, results: Results, *, lang: str = "en") -> None:
    """Write every figure and ``report.md`` of ``results`` into ``folder``.

    Called by :func:`transport_sim.pipeline.run.run` inside the temporary results folder
    (``write_results(..., extra=render_into)``), so a failure leaves nothing behind.

    Parameters
    ----------
    folder
        The (temporary) results folder; it already holds the tables and ``run.json``.
    results
        The run's tables, ``meta`` (run.json) and resolved scenario.
    lang
        Figure labels: ``"en"`` (default), ``"zh"`` or ``"en+zh"`` (Chinese needs a CJK
        font; without one the figures are drawn in English with a warning).
    """
    render_figures_and_report(Path(folder), results, lang=lang)


def render_figures_and_report(folder: Path, results: Results, *, lang: str = "en") -> list[Path]:
    """Draw the figures and write ``report.md`` into ``folder``; return the figures."""
    from transport_sim.report.costs import draw_cost_figures
    from transport_sim.report.figures import draw_run_figures

    scenario = results.scenario_toml or read_scenario(folder)
    figures = draw_run_figures(results.tables, results.meta, scenario, folder, lang=lang)
    figures += draw_cost_figures(results.tables, folder)
    figures += draw_analysis_figures(results.tables, results.meta, scenario, folder, lang=lang)
    text = report_markdown(results.tables, results.meta, scenario,
                           figures=[p.name for p in figures])
    write_text_atomic(folder / REPORT_FILE, text)
    figures += write_chinese_report(folder, results, scenario)
    return figures


def write_chinese_report(folder: Path, results: Results, scenario: Mapping[str, Any]) -> list[Path]:
    """Draw the figures with Chinese labels (``*.zh.png``) and write ``report.zh.md``.

    Without a CJK font (the ``noto-cjk-sans-otc`` dependency missing) the figures fall back
    to English labels with a warning; the report text is Chinese either way.
    """
    import tempfile

    from transport_sim.report.figures import draw_run_figures
    from transport_sim.report.markdown_zh import REPORT_ZH_FILE, report_zh

    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="zh-figures-") as tmp:
        drawn = draw_run_figures(results.tables, results.meta, scenario, Path(tmp), lang="zh")
        for path in drawn:
            target = folder / path.name.replace(".png", ".zh.png")
            _move(path, target)
            written.append(target)
    written += draw_analysis_figures(results.tables, results.meta, scenario, folder, lang="zh",
                                     suffix=".zh.png")
    text = report_zh(results.tables, results.meta, scenario, figures=[p.name for p in written])
    write_text_atomic(folder / REPORT_ZH_FILE, text)
    return written


def _move(source: Path, target: Path) -> None:
    """Move a file across file systems (temporary folder -> results folder)."""
    import shutil

    shutil.move(str(source), str(target))


def draw_analysis_figures(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                          scenario: Mapping[str, Any], folder: Path, *, lang: str = "en",
                          suffix: str = ".png") -> list[Path]:
    """Draw the decomposition waterfall and the sensitivity tornado (see report.analysis)."""
    from transport_sim.report import analysis

    return analysis.draw_analysis_figures(tables, meta, scenario, folder, lang=lang,
                                          suffix=suffix)


def is_sweep_folder(folder: Path) -> bool:
    """Tell whether ``folder`` is a sweep folder (``sweep.json`` or ``summary.parquet``)."""
    return any((Path(folder) / marker).exists() for marker in SWEEP_MARKERS)


def plot_folder(folder: Path, *, lang: str = "en") -> list[Path]:
    """Re-render the figures and ``report.md`` of a results folder from its files alone.

    Parameters
    ----------
    folder
        A run's results folder (sweep folders are drawn by
        :func:`transport_sim.sweep.figures.plot_sweep`; ``transport-sim plot`` tells
        them apart with :func:`is_sweep_folder`).
    lang
        Figure labels (see :func:`render_into`).

    Returns
    -------
    list of Path
        The figures written (``report.md`` is rewritten too but not listed).

    Raises
    ------
    ResultsError
        If ``folder`` is missing or is not a results folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(describe(None, "results", str(folder), "folder not found"))
    if is_sweep_folder(folder):
        raise ResultsError(describe(None, "results", str(folder),
                                    "is a sweep folder; draw it with transport_sim.sweep.figures"))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ResultsError(describe(None, "results", str(folder),
                                    "folder is not writable: the figures cannot be drawn into it"))
    results = load_results(folder)
    check_plot_schema(folder, results)
    try:
        return render_figures_and_report(folder, results, lang=lang)
    except OSError as exc:
        problem = f"cannot write the figures: {' '.join(str(exc).split())}"
        raise ResultsError(describe(None, "results", str(folder), problem)) from None


#: The results-folder schema :func:`plot_folder` draws (``"schema"`` in ``run.json``).
PLOT_SCHEMA: Final = 1
#: Columns the report and the figures read, by table.
PLOT_COLUMNS: Final = {
    "annual": ("year", "fleet", "powertrain", "vehicles", "vkm", "tkm", "energy_kwh",
               "electricity_kwh", "co2_ttw_t", "co2_wtw_t", "nox_t", "pm_t", "stranded",
               "charge_wait_h"),
    "stock": ("year", "fleet", "powertrain", "vehicles"),
    "chargers": ("year", "day_type", "site_id", "kind", "plugs", "sessions", "utilisation",
                 "wait_p95_min"),
}


def check_plot_schema(folder: Path, results: Results) -> None:
    """Raise :class:`ResultsError` (one line) unless ``results`` has the schema plots read."""
    schema = results.meta.get("schema", PLOT_SCHEMA)
    if schema != PLOT_SCHEMA:
        raise ResultsError(describe(folder / "run.json", "schema", schema,
                                    f"this version of transport_sim draws schema {PLOT_SCHEMA}"))
    for table, columns in PLOT_COLUMNS.items():
        if table not in results.tables:
            continue  # required tables are checked by load_results
        missing = [c for c in columns if c not in results.tables[table].columns]
        if missing:
            raise ResultsError(describe(
                folder / f"{table}.parquet", "columns", missing[:3],
                "missing: not a results folder of this version of transport_sim "
                "(re-run the scenario to draw it)"))



# ======================================================================================
# reading
# ======================================================================================
def read_scenario(folder: Path) -> dict[str, Any]:
    """Return ``scenario.resolved.toml`` of ``folder`` as a dict (``{}`` if absent)."""
    path = Path(folder) / RESOLVED_SCENARIO
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ResultsError(describe(path, RESOLVED_SCENARIO, "", f"unreadable: {exc}")) from None


def load_results(folder: Path) -> Results:
    """Read a results folder with its resolved scenario; check the tables reports need.

    Raises
    ------
    ResultsError
        One line naming the folder: missing, not a results folder, or a table missing.
    """
    from transport_sim.results.folder import read_results

    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(describe(None, "results", str(folder), "folder not found"))
    results = read_results(folder)
    missing = [t for t in REQUIRED_TABLES if t not in results.tables]
    if missing:
        raise ResultsError(describe(None, "results", str(folder),
                                    f"not a complete results folder (no {missing[0]}.parquet)"))
    if results.tables["annual"].empty:
        raise ResultsError(describe(None, "results", str(folder), "annual.parquet is empty"))
    results.scenario_toml = read_scenario(folder)
    return results


# ======================================================================================
# number formatting (ASCII minus signs, so that numbers parse back)
# ======================================================================================
def fmt_t(value: float) -> str:
    """Tonnes (or any large quantity) with thousands separators, no decimals."""
    return DASH if missing(value) else f"{value:,.0f}"


def fmt_num(value: float, decimals: int = 1) -> str:
    """Format a number with thousands separators and ``decimals`` decimals."""
    return DASH if missing(value) else f"{value:,.{decimals}f}"


def fmt_share(value: float) -> str:
    """Format a fraction as a percentage with one decimal, e.g. ``"9.0 %"``."""
    return DASH if missing(value) else f"{100.0 * value:.1f} %"


def fmt_change(value: float) -> str:
    """Format a signed percentage change, e.g. ``"+1.2 %"``."""
    return DASH if missing(value) else f"{value:+.1f} %"


def missing(value: Any) -> bool:
    """Tell whether a table value is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]],
             align: str | None = None) -> str:
    """Return a markdown table; ``align`` is one character per column (``l``/``r``)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = [_md_row(header), _md_row(rule)]
    lines += [_md_row(r) for r in rows]
    return "\n".join(lines)


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


# ======================================================================================
# report.md
# ======================================================================================
def report_markdown(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                    scenario: Mapping[str, Any], figures: Sequence[str] = ()) -> str:
    """Return ``report.md`` of one run.

    Parameters
    ----------
    tables
        ``annual``, ``stock`` and ``chargers`` (others unused).
    meta
        ``run.json``.
    scenario
        ``scenario.resolved.toml`` as a dict.
    figures
        File names of the figures to list.
    """
    from transport_sim.report.costs import cost_section
    from transport_sim.report.through import through_section

    annual = tables["annual"]
    stock = tables.get("stock", pd.DataFrame())
    chargers = tables.get("chargers", pd.DataFrame())
    calibration = tables.get("calibration")
    parts = [
        _header(meta),
        _headline(annual, meta, service_headline(annual, chargers, meta, scenario)),
        calibration_headline(calibration),
        _service(annual, chargers, meta, scenario),
        _co2_by_fleet(annual),
        through_section(annual, "en"),
        _energy(annual),
    ]
    if not stock.empty:
        parts.append(_targets(annual, stock, chargers, scenario, tables.get("sites")))
        parts.append(_target_details(annual, stock, chargers, scenario))
    parts.append(cost_section(tables))
    parts.append(_reliability(annual))
    if not chargers.empty:
        parts.append(_worst_chargers(chargers))
    parts.append(calibration_section(calibration))
    parts += _analysis_sections(tables, scenario)
    parts.append(_figures(figures))
    parts.append(_notes())
    return "\n\n".join(p.strip("\n") for p in parts if p) + "\n"


def _analysis_sections(tables: Mapping[str, pd.DataFrame],
                       scenario: Mapping[str, Any]) -> list[str]:
    """Decomposition, sensitivity and scope sections (transport_sim.report.analysis)."""
    from transport_sim.report import analysis

    return [analysis.decomposition_section(tables, "en"),
            analysis.sensitivity_section(tables["annual"], scenario, "en",
                                         tables.get("annual_by_class")),
            analysis.scope_section("en")]


def _header(meta: Mapping[str, Any]) -> str:
    years = meta.get("years", ["?", "?"])
    network = Path(str(meta.get("network_file", "?"))).name
    sha = str(meta.get("network_sha256", ""))[:12]
    lines = [
        f"# Transport decarbonisation report: {meta.get('scenario', '?')}",
        "",
        f"Scenario `{meta.get('scenario', '?')}`, seed {meta.get('seed', '?')}, policy years "
        f"{years[0]}-{years[-1]}, transport_sim {meta.get('version', '?')}.  ",
        f"Network: `{network}` (sha256 `{sha}`).",
    ]
    if meta.get("network_schematic", False):
        lines += ["", "> **Schematic network.** This run used the embedded *schematic* Shiyan "
                      "network (approximate corridors, street grid and site positions), not "
                      "surveyed OSM geometry: distances, queues and site positions are "
                      "indicative."]
    lines += ["", "All numbers are computed from this folder's files (`annual.parquet`, "
                  "`stock.parquet`, `chargers.parquet`, `run.json`, `scenario.resolved.toml`). "
                  "CO2 is in tonnes per year: TTW = tank-to-wheel (exhaust), WTW = well-to-wheel "
                  "(including fuel production and grid electricity); all fleets including rail "
                  "freight."]
    return "\n".join(lines)


def _headline(annual: pd.DataFrame, meta: Mapping[str, Any],
              service: Sequence[str] = ()) -> str:
    peak_year, peak_t = rt.peak(annual, "co2_wtw_t")
    ttw_year, ttw_t = rt.peak(annual, "co2_ttw_t")
    base = rt.base_year(annual)
    table = rt.headline_co2(annual)
    rows = []
    for rec in table.itertuples(index=False):
        if not rec.simulated:
            rows.append([str(rec.year), "not simulated", DASH, "not simulated", DASH])
            continue
        is_base = rec.year == base
        rows.append([str(rec.year), fmt_t(rec.co2_ttw_t),
                     "base" if is_base else fmt_change(rec.ttw_change_pct),
                     fmt_t(rec.co2_wtw_t), "base" if is_base else fmt_change(rec.wtw_change_pct)])
    lines = [
        "## Headline",
        "",
        f"- **WTW CO2 peak: {peak_year}, {fmt_t(peak_t)} t**{_peak_note(annual, peak_year)}",
        f"- TTW CO2 peak: {ttw_year}, {fmt_t(ttw_t)} t{_peak_note(annual, ttw_year)}",
        *service,
    ]
    if meta.get("dropped_fleets"):
        dropped = ", ".join(str(f) for f in meta["dropped_fleets"])
        lines.append(f"- **Fleets dropped: {dropped}** (`[run] drop_fleets`: the network cannot "
                     "carry them); every total above and below leaves them out.")
    if "peak_year" in meta and int(meta["peak_year"]) != peak_year:
        lines.append(f"- Warning: run.json says peak_year = {meta['peak_year']}; "
                     "annual.parquet gives the year above.")
    lines += ["", f"### CO2 by year (t/yr) and change against {base}", "",
              md_table(["year", "TTW CO2 (t)", f"TTW vs {base}", "WTW CO2 (t)", f"WTW vs {base}"],
                       rows)]
    return "\n".join(lines)


def _service(
    annual: pd.DataFrame, chargers: pd.DataFrame, meta: Mapping[str, Any],
    scenario: Mapping[str, Any],
) -> str:
    """Markdown: failures of the charging system and demand not done, flagged by year."""
    wait = service_wait_min(scenario)
    table = service_by_year(annual, chargers, meta, wait)
    if table.empty:
        return ""
    flagged = table[table["flags"] != ""]
    fleets = [f for f in ("bus", "taxi", "truck", "ship") if f"undone_{f}" in table.columns]
    rows = [[str(y), fmt_num(r.stranded_vehicle_days, 0), pct_text(r.stranded_share),
             f"{r.worst_p95_min:.0f}", pct_text(r.queued_midnight_share),
             *(pct_text(getattr(r, f"undone_{f}")) for f in fleets),
             pct_text(r.tonnes_undelivered_share), fmt_t(r.co2_wtw_t), fmt_t(r.co2_wtw_undone_t),
             r["flags"] or "ok"] for y, r in table.iterrows()]
    if flagged.empty:
        verdict = "**No year breaks a service threshold.**"
    else:
        verdict = (f"**{len(flagged)} of {len(table)} years break a service threshold** "
                   f"({', '.join(map(str, flagged.index))}): see the flags below; the CO2 of "
                   "those years leaves out activity the charging system did not deliver.")
    sized = float(scenario.get("charging", {}).get("size_for_p95_wait_min", 0.0) or 0.0)
    level = (f"; sites sized for a P95 wait of {wait:g} min" if sized > 0
             else f"; worst P95 wait <= {wait:g} min" if wait > 0 else "")
    return "\n".join([
        "## Charging service and demand not done", "",
        verdict, "",
        f"Thresholds: stranded < {100 * STRANDED_MAX_SHARE:g} % of battery vehicle-days, "
        f"< {100 * QUEUED_MAX_SHARE:g} % of vehicles queued at midnight, undone activity "
        f"<= {100 * UNDONE_MAX_SHARE:g} % per fleet{level}.  Stranded = vehicle-days per year "
        "(every stranding is listed in `strandings.parquet`: where, when, class, why).  Undone "
        "= bus runs, truck trips and sailings lost to the charging system (runs cancelled / "
        "planned), taxi requests unserved.  CO2 (WTW) is what the fleets drove; *CO2 of undone "
        "activity* is what the undone activity would add at the same CO2 per km "
        "(`co2_wtw_undone_t`), reported beside it, never subtracted.", "",
        md_table(["year", "stranded veh-days/yr", "stranded share", "worst P95 wait (min)",
                  "queued at midnight", *(f"undone {f}" for f in fleets),
                  "freight t undelivered", "WTW CO2 (t)", "CO2 of undone activity (t)",
                  "flags"], rows),
    ])


def _peak_note(annual: pd.DataFrame, year: int) -> str:
    """Say when the peak sits at an edge of the run (and so may not be a peak at all)."""
    first, last = int(annual["year"].min()), int(annual["year"].max())
    if first == last:
        return " (a single simulated year)"
    if year == last:
        return " (the last simulated year: still rising, no peak within the run)"
    if year == first:
        return " (the first simulated year: falling from the start of the run)"
    return ""


def _co2_by_fleet(annual: pd.DataFrame) -> str:
    from transport_sim.report.style import FLEET_ORDER, ordered

    table = rt.co2_by_year_fleet(annual, "co2_wtw_t")
    years = [y for y in rt.headline_co2(annual)["year"] if y in table.index]
    fleets = ordered(table.columns, FLEET_ORDER)
    rows = [[f, *(fmt_t(table.loc[y, f]) for y in years)] for f in fleets]
    return "\n".join(["### WTW CO2 by fleet (t/yr)", "",
                      md_table(["fleet", *map(str, years)], rows)])


def _energy(annual: pd.DataFrame) -> str:
    from transport_sim.report.style import CARRIER_ORDER

    units = {"diesel": ("diesel_l", "diesel (million L)", 1e-6),
             "petrol": ("petrol_l", "petrol (million L)", 1e-6),
             "cng": ("cng_kg", "CNG (kt)", 1e-6), "lng": ("lng_kg", "LNG (kt)", 1e-6),
             "electricity": ("electricity_kwh", "electricity (GWh)", 1e-6),
             "hydrogen": ("hydrogen_kg", "hydrogen (t)", 1e-3)}
    totals = annual.groupby("year")[[units[c][0] for c in CARRIER_ORDER]].sum()
    years = [y for y in rt.headline_co2(annual)["year"] if y in totals.index]
    rows = [[units[c][1], *(fmt_num(totals.loc[y, units[c][0]] * units[c][2], 2) for y in years)]
            for c in CARRIER_ORDER]
    return "\n".join(["### Energy by carrier (physical units per year)", "",
                      "Electricity is measured at the charger (BEVs) or at the catenary (rail).",
                      "", md_table(["carrier", *map(str, years)], rows)])


def margin_text(check: rt.TargetCheck) -> str:
    """Return the margin of a target check as report text (a dash when there is none)."""
    if check.margin is None:
        return DASH
    if check.unit == "share":
        return f"{check.margin:+.1f} pp"
    return f"{check.margin:+,.0f} vehicles"


def value_text(check: rt.TargetCheck) -> str:
    """Return the simulated value of a target check as report text."""
    if check.value is None:
        return "not in the run"
    where = f" ({check.value_year})" if check.value_year is not None else ""
    if check.unit == "share":
        return f"{fmt_share(check.value)}{where}"
    return f"{check.value:,.0f}{where}"


def _targets(annual: pd.DataFrame, stock: pd.DataFrame, chargers: pd.DataFrame,
             scenario: Mapping[str, Any], sites: pd.DataFrame | None = None) -> str:
    checks = rt.plan_targets(annual, stock, chargers, scenario, sites)
    met = sum(c.status == rt.MET for c in checks)
    assessed = sum(c.status != rt.NOT_ASSESSED for c in checks)
    rows = [[c.target, c.required, c.years, value_text(c), f"**{c.status}**", margin_text(c),
             c.source] for c in checks]
    return "\n".join([
        "## Plan targets (Shiyan carbon-peak plan 2024, section 三(七))",
        "",
        f"{met} of {assessed} assessed targets met.  Shares are assessed in their worst year "
        "of the range (the value shown); margin = how far the value is on the right side of "
        "the target (negative = missed by).",
        "",
        md_table(["target", "required", "years", "simulated", "status", "margin", "source"],
                 rows, "llllrrl"),
    ])


def _target_details(annual: pd.DataFrame, stock: pd.DataFrame, chargers: pd.DataFrame,
                    scenario: Mapping[str, Any]) -> str:
    years = sorted(int(y) for y in annual["year"].unique())
    bus, taxi = rt.nev_shares(stock, "bus"), rt.nev_shares(stock, "taxi")
    nev_rows = [
        [str(y), *(v for s in (bus, taxi) for v in (
            fmt_share(s["nev_share_of_stock"].get(y, math.nan)),
            fmt_share(s["nev_share_of_new"].get(y, math.nan)),
            fmt_t(s["purchased"].get(y, math.nan))))]
        for y in years
    ]
    rail = rt.rail_shares(annual, scenario)
    done = rt.rail_shares_simulated(annual)
    rail_rows = [[str(y), fmt_share(done["rail_tonnage_share"].get(y, math.nan)),
                  fmt_share(rail.loc[y, "rail_tonnage_share"]),
                  fmt_share(rail.loc[y, "rail_tkm_share"]),
                  fmt_num(rail.loc[y, "rail_tkm"] / TKM_PER_MTKM, 1),
                  fmt_num(rail.loc[y, "truck_tkm"] / TKM_PER_MTKM, 1)] for y in rail.index]
    sa = (rt.service_area_sites(chargers, scenario, years) if not chargers.empty
          else pd.DataFrame(columns=["coverage", "sites", "plugs"]))
    old = rt.old_diesel_trucks(stock)
    ships = rt.fossil_ships_purchased(stock)
    other_rows = [[str(y), fmt_share(sa["coverage"].get(y, math.nan)),
                   fmt_t(sa["sites"].get(y, math.nan)), fmt_t(sa["plugs"].get(y, math.nan)),
                   fmt_t(old.get(y, math.nan)), fmt_t(ships.get(y, math.nan))] for y in years]
    zero = rt.first_zero_year(old)
    return "\n".join([
        "### NEV share of buses and taxis (stock.parquet)", "",
        "NEV = BEV + FCEV.  Share of the stock at year end and of the vehicles purchased in "
        "the year (new and replaced).", "",
        md_table(["year", "bus NEV of stock", "bus NEV of new", "buses purchased",
                  "taxi NEV of stock", "taxi NEV of new", "taxis purchased"], nev_rows),
        "", "### Rail share of freight", "",
        "The plan's target is a share of freight tonnage: it is assessed on the tonnes "
        "delivered (annual.parquet: rail / (rail + the tonnes trucks delivered)), beside the "
        "scenario's `policy.freight.rail_share` lever that moves long-haul tonnage to rail.  "
        "The tonne-km share differs because rail takes the long hauls.", "",
        md_table(["year", "rail share of tonnes delivered (simulated)",
                  "rail share lever (scenario)", "rail share of tkm (simulated)",
                  "rail (million tkm)", "truck (million tkm)"], rail_rows),
        "", "### Service-area charging, old diesel trucks, new fossil ships", "",
        "The coverage target is assessed on the areas that had plugs and served sessions "
        "(table above); this table shows the scenario's lever `charging.service_area_coverage` "
        "(share of the network's expressway service areas chosen for chargers) beside the "
        "charged service areas and their plugs counted in chargers.parquet (megawatt "
        "companions not counted separately)."
        + (f"  China III-and-older diesel trucks are gone from {zero} on." if zero else ""),
        "",
        md_table(["year", "service-area coverage (scenario)", "charged service areas",
                  "service-area plugs", "China III-and-older diesel trucks",
                  "non-NEV ships purchased"], other_rows),
    ])


def _reliability(annual: pd.DataFrame) -> str:
    from transport_sim.report.style import ROAD_FLEETS

    rel = rt.reliability_by_year(annual)
    fleets = [f for f in ROAD_FLEETS if f"stranded_{f}" in rel.columns]
    rows = [[str(y), fmt_num(rel.loc[y, "stranded"], 1),
             *(fmt_num(rel.loc[y, f"stranded_{f}"], 1) for f in fleets),
             fmt_t(rel.loc[y, "requests"]), fmt_t(rel.loc[y, "unserved"]),
             fmt_change(rel.loc[y, "unserved_pct"]).lstrip("+")] for y in rel.index]
    return "\n".join([
        "## Stranded vehicles and unserved taxi requests (annual.parquet)", "",
        "Stranded = vehicles with an empty battery before reaching a charger (`stranded`: "
        "vehicle-days per year, the simulated days weighted by the days they stand for).  "
        "Taxi requests and unserved requests are per year.", "",
        md_table(["year", "stranded veh-days/yr, all fleets",
                  *(f"stranded {f} (veh-days/yr)" for f in fleets),
                  "taxi requests", "unserved", "unserved share"], rows),
    ])


def _worst_chargers(chargers: pd.DataFrame) -> str:
    worst = rt.worst_chargers(chargers)
    rows = [[str(i + 1), str(r["name"]), str(r["site_id"]), str(r["kind"]), str(int(r["year"])),
             str(r["day_type"]), fmt_t(r["plugs"]), fmt_share(r["utilisation"]),
             fmt_num(r["wait_mean_min"], 1), fmt_num(r["wait_p95_min"], 1),
             fmt_t(r["max_queue"])] for i, r in worst.iterrows()]
    return "\n".join([
        f"## Worst charger queues (top {len(worst)} sites by P95 wait, chargers.parquet)", "",
        "Each site at its worst (year, day type); waits in minutes over the simulated day.", "",
        md_table(["rank", "site", "site id", "kind", "year", "day type", "plugs", "utilisation",
                  "mean wait (min)", "P95 wait (min)", "max queue"], rows, "rlllllrrrrr"),
    ])


def _figures(figures: Sequence[str]) -> str:
    if not figures:
        return ""
    lines = ["## Figures", ""]
    lines += [f"- [{name}]({name}): {CAPTIONS.get(name, '')}".rstrip(": ") for name in figures]
    return "\n".join(lines)


def _notes() -> str:
    return "\n".join([
        "## Notes", "",
        "- NEV = battery-electric (BEV) + fuel-cell (FCEV).  Hybrids are not NEVs.",
        "- CO2 totals are in-boundary (territorial): they include through traffic "
        "(`through_truck`, China's national truck mix); the city-controllable total without "
        "it is in \"Through traffic and the two CO2 totals\".",
        "- Targets assessed on scenario curves (rail share, service-area coverage) are model "
        "inputs: the run shows their consequences, not whether they are reachable.",
        "- The plan gives no date for the China III diesel-truck phase-out; it is assessed in "
        "the last simulated year.",
    ])
