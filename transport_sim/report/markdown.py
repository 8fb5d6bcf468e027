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

import json
import math
import os
import tomllib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from transport_sim.errors import ResultsError, describe
from transport_sim.report import targets as rt
from transport_sim.results.folder import (
    RESOLVED_SCENARIO,
    Results,
    atomic_folder,
    check_writable,
    marker,
)

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
    from transport_sim.report.figures import draw_run_figures

    scenario = results.scenario_toml or read_scenario(folder)
    figures = draw_run_figures(results.tables, results.meta, scenario, folder, lang=lang)
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
    return render_figures_and_report(folder, load_results(folder), lang=lang)


def compare_results(dirs: Sequence[Path], out: Path, *, overwrite: bool = False,
                    lang: str = "en") -> Path:
    """Compare results folders: side-by-side figures and a table of differences.

    Parameters
    ----------
    dirs
        Results folders; the first one is the reference the differences are taken from.
    out
        Output folder, written atomically: ``compare.csv``, ``compare.md`` and
        :data:`transport_sim.report.compare_figures.COMPARE_FIGURES`.
    overwrite
        Replace an existing ``out``.
    lang
        Figure labels (see :func:`render_into`).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ResultsError
        If no folder is given, a folder is missing or not a results folder (the message
        names it), or ``out`` exists and ``overwrite`` is false.
    """
    from transport_sim.report.compare_figures import ComparedRun, draw_compare_figures
    from transport_sim.report.style import SCENARIO_COLORS

    if not dirs:
        raise ResultsError(describe(None, "compare", [], "give at least one results folder"))
    out = Path(out)
    loaded = [load_results(Path(d)) for d in dirs]
    check_writable(out, overwrite=overwrite, can_overwrite=False)
    names = display_names(loaded)
    table = compare_table(loaded, names)
    runs = [
        ComparedRun(name, SCENARIO_COLORS[i % len(SCENARIO_COLORS)], r.tables["annual"],
                    r.tables["stock"], bool(r.meta.get("network_schematic", False)))
        for i, (name, r) in enumerate(zip(names, loaded, strict=True))
    ]
    with atomic_folder(out, overwrite=overwrite) as tmp:
        table.to_csv(tmp / COMPARE_CSV, index=False)
        (tmp / "compare.json").write_text(
            json.dumps({**marker("compare"), "runs": [str(d) for d in dirs]}, indent=2),
            encoding="utf-8")
        figures = draw_compare_figures(runs, tmp, lang=lang)
        extra_md, extra_figures, decomposition = _compare_analysis(loaded, names, tmp, lang)
        if not decomposition.empty:
            decomposition.to_csv(tmp / "decomposition.csv", index=False)
        text = compare_markdown(table, loaded, names, [p.name for p in figures])
        (tmp / COMPARE_MD).write_text(text.rstrip("\n") + "\n\n" + extra_md + "\n",
                                      encoding="utf-8")
        del extra_figures  # listed inside extra_md
    return out


def _compare_analysis(runs: Sequence[Results], names: Sequence[str], folder: Path,
                      lang: str) -> tuple[str, list[Path], pd.DataFrame]:
    """Decomposition of each difference and savings under the factor ranges."""
    from transport_sim.report.analysis import compare_analysis

    if len(runs) < 2:
        return "", [], pd.DataFrame()
    return compare_analysis(runs, names, folder, lang=lang)


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


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ======================================================================================
# number formatting (ASCII minus signs, so that numbers parse back)
# ======================================================================================
def fmt_t(value: float) -> str:
    """Tonnes (or any large quantity) with thousands separators, no decimals."""
    return DASH if _missing(value) else f"{value:,.0f}"


def fmt_num(value: float, decimals: int = 1) -> str:
    """Format a number with thousands separators and ``decimals`` decimals."""
    return DASH if _missing(value) else f"{value:,.{decimals}f}"


def fmt_share(value: float) -> str:
    """Format a fraction as a percentage with one decimal, e.g. ``"9.0 %"``."""
    return DASH if _missing(value) else f"{100.0 * value:.1f} %"


def fmt_change(value: float) -> str:
    """Format a signed percentage change, e.g. ``"+1.2 %"``."""
    return DASH if _missing(value) else f"{value:+.1f} %"


def _missing(value: Any) -> bool:
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
    annual = tables["annual"]
    stock = tables.get("stock", pd.DataFrame())
    chargers = tables.get("chargers", pd.DataFrame())
    parts = [
        _header(meta),
        _headline(annual, meta),
        _co2_by_fleet(annual),
        _energy(annual),
    ]
    if not stock.empty:
        parts.append(_targets(annual, stock, chargers, scenario))
        parts.append(_target_details(annual, stock, chargers, scenario))
    parts.append(_reliability(annual))
    if not chargers.empty:
        parts.append(_worst_chargers(chargers))
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


def _headline(annual: pd.DataFrame, meta: Mapping[str, Any]) -> str:
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
    ]
    if "peak_year" in meta and int(meta["peak_year"]) != peak_year:
        lines.append(f"- Warning: run.json says peak_year = {meta['peak_year']}; "
                     "annual.parquet gives the year above.")
    lines += ["", f"### CO2 by year (t/yr) and change against {base}", "",
              md_table(["year", "TTW CO2 (t)", f"TTW vs {base}", "WTW CO2 (t)", f"WTW vs {base}"],
                       rows)]
    return "\n".join(lines)


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


def _margin_text(check: rt.TargetCheck) -> str:
    if check.margin is None:
        return DASH
    if check.unit == "share":
        return f"{check.margin:+.1f} pp"
    return f"{check.margin:+,.0f} vehicles"


def _value_text(check: rt.TargetCheck) -> str:
    if check.value is None:
        return "not in the run"
    where = f" ({check.value_year})" if check.value_year is not None else ""
    if check.unit == "share":
        return f"{fmt_share(check.value)}{where}"
    return f"{check.value:,.0f}{where}"


def _targets(annual: pd.DataFrame, stock: pd.DataFrame, chargers: pd.DataFrame,
             scenario: Mapping[str, Any]) -> str:
    checks = rt.plan_targets(annual, stock, chargers, scenario)
    met = sum(c.status == rt.MET for c in checks)
    assessed = sum(c.status != rt.NOT_ASSESSED for c in checks)
    rows = [[c.target, c.required, c.years, _value_text(c), f"**{c.status}**", _margin_text(c),
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
    rail_rows = [[str(y), fmt_share(rail.loc[y, "rail_tonnage_share"]),
                  fmt_share(rail.loc[y, "rail_tkm_share"]),
                  fmt_num(rail.loc[y, "rail_tkm"] / 1e6, 1),
                  fmt_num(rail.loc[y, "truck_tkm"] / 1e6, 1)] for y in rail.index]
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
        "The plan's target is a share of freight tonnage; the model moves the scenario's "
        "`policy.freight.rail_share` of tonnage to rail, so the target is assessed on that "
        "curve.  The simulated tonne-km share (rail / (rail + truck), annual.parquet) differs "
        "because rail and road hauls differ.", "",
        md_table(["year", "rail share of tonnage (scenario)", "rail share of tkm (simulated)",
                  "rail (million tkm)", "truck (million tkm)"], rail_rows),
        "", "### Service-area charging, old diesel trucks, new fossil ships", "",
        "Coverage is the scenario curve `charging.service_area_coverage` (share of the "
        "network's expressway service areas that get chargers); the charged service areas "
        "and their plugs are counted in chargers.parquet (megawatt companions not counted "
        "separately)."
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
        "average per operating day, weighted over the simulated day types).  Taxi requests "
        "and unserved requests are per year.", "",
        md_table(["year", "stranded, all fleets", *(f"stranded {f}" for f in fleets),
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
        "- Targets assessed on scenario curves (rail share, service-area coverage) are model "
        "inputs: the run shows their consequences, not whether they are reachable.",
        "- The plan gives no date for the China III diesel-truck phase-out; it is assessed in "
        "the last simulated year.",
    ])


# ======================================================================================
# compare
# ======================================================================================
def display_names(runs: Sequence[Results]) -> list[str]:
    """Scenario names from run.json, made unique with the seed or the folder name."""
    names = [str(r.meta.get("scenario", r.path.name if r.path else "run")) for r in runs]
    out = [f"{name} (seed {run.meta.get('seed', '?')})" if names.count(name) > 1 else name
           for name, run in zip(names, runs, strict=True)]
    return [f"{n} ({r.path.name})" if out.count(n) > 1 and r.path else n
            for n, r in zip(out, runs, strict=True)]


COMPARE_YEARS: Final = rt.HEADLINE_YEARS


def compare_table(runs: Sequence[Results], names: Sequence[str]) -> pd.DataFrame:
    """Return one row per run: peak, CO2 in 2025/2030/2035 and differences to the first run.

    Columns: ``scenario``, ``folder``, ``seed``, ``peak_year``, ``peak_co2_wtw_t``,
    ``co2_wtw_t_<year>``, ``co2_ttw_t_<year>``, ``targets_met``, ``targets_assessed``, then
    for each CO2 column ``delta_<column>`` (t) and ``delta_<column>_pct`` (%) against the
    first run, and ``delta_peak_year`` (years).
    """
    rows = []
    for name, run in zip(names, runs, strict=True):
        annual = run.tables["annual"]
        totals = rt.co2_by_year(annual)
        peak_year, peak_t = rt.peak(annual)
        checks = rt.plan_targets(annual, run.tables["stock"],
                                 run.tables.get("chargers", pd.DataFrame()), run.scenario_toml)
        row: dict[str, Any] = {"scenario": name, "folder": str(run.path),
                               "seed": run.meta.get("seed"), "peak_year": peak_year,
                               "peak_co2_wtw_t": peak_t}
        for column in ("co2_wtw_t", "co2_ttw_t"):
            for year in COMPARE_YEARS:
                row[f"{column}_{year}"] = (float(totals.loc[year, column])
                                           if year in totals.index else math.nan)
        row["targets_met"] = sum(c.status == rt.MET for c in checks)
        row["targets_assessed"] = sum(c.status != rt.NOT_ASSESSED for c in checks)
        rows.append(row)
    table = pd.DataFrame(rows)
    value_cols = ["peak_co2_wtw_t", *(f"{c}_{y}" for c in ("co2_wtw_t", "co2_ttw_t")
                                      for y in COMPARE_YEARS)]
    for col in value_cols:
        ref = table[col].iloc[0]
        table[f"delta_{col}"] = table[col] - ref
        table[f"delta_{col}_pct"] = [rt.pct_change(v, ref) for v in table[col]]
    table["delta_peak_year"] = table["peak_year"] - table["peak_year"].iloc[0]
    return table


def _delta_text(table: pd.DataFrame, i: int, col: str) -> str:
    if i == 0:
        return "reference"
    delta = table[f"delta_{col}"].iloc[i]
    pct = table[f"delta_{col}_pct"].iloc[i]
    if _missing(delta):
        return DASH
    return f"{delta:+,.0f} t ({fmt_change(pct)})"


def compare_markdown(table: pd.DataFrame, runs: Sequence[Results], names: Sequence[str],
                     figures: Sequence[str]) -> str:
    """Return ``compare.md``: runs compared, CO2 differences, plan targets side by side."""
    schematic = any(r.meta.get("network_schematic", False) for r in runs)
    run_rows = [[str(i + 1), n, str(r.meta.get("seed", "?")),
                 "-".join(str(y) for y in r.meta.get("years", [])),
                 Path(str(r.meta.get("network_file", "?"))).name
                 + (" (schematic)" if r.meta.get("network_schematic") else ""), str(r.path)]
                for i, (n, r) in enumerate(zip(names, runs, strict=True))]
    lines = ["# Scenario comparison", "",
             f"{len(runs)} results folders; differences are against the first "
             f"(`{names[0]}`).  CO2 in t/yr; all numbers from each folder's files.", ""]
    if schematic:
        lines += ["> **Schematic network** in at least one run: distances, queues and site "
                  "positions are indicative.", ""]
    lines += [md_table(["#", "scenario", "seed", "years", "network", "folder"], run_rows,
                       "rlllll"), ""]
    for column, title in (("co2_wtw_t", "Well-to-wheel CO2"), ("co2_ttw_t", "Tank-to-wheel CO2")):
        header = ["scenario"]
        if column == "co2_wtw_t":
            header += ["peak year", "peak WTW CO2 (t)", "vs reference"]
        rows = []
        for i, name in enumerate(names):
            row = [name]
            if column == "co2_wtw_t":
                last = max(int(y) for y in runs[i].tables["annual"]["year"].unique())
                peak_year = int(table["peak_year"].iloc[i])
                row += [f"{peak_year}" + (" (end of run)" if peak_year == last else ""),
                        fmt_t(table["peak_co2_wtw_t"].iloc[i]),
                        _delta_text(table, i, "peak_co2_wtw_t")]
            for year in COMPARE_YEARS:
                row += [fmt_t(table[f"{column}_{year}"].iloc[i]),
                        _delta_text(table, i, f"{column}_{year}")]
            rows.append(row)
        for year in COMPARE_YEARS:
            header += [f"{year} (t)", f"{year} vs reference"]
        lines += [f"## {title}", "", md_table(header, rows), ""]
    lines += _compare_targets(runs, names)
    if figures:
        lines += ["## Figures", "", *(f"- [{f}]({f})" for f in figures), ""]
    lines += [f"Table of differences: [{COMPARE_CSV}]({COMPARE_CSV})."]
    return "\n".join(lines) + "\n"


def _compare_targets(runs: Sequence[Results], names: Sequence[str]) -> list[str]:
    per_run = [rt.plan_targets(r.tables["annual"], r.tables["stock"],
                               r.tables.get("chargers", pd.DataFrame()), r.scenario_toml)
               for r in runs]
    keys = list(dict.fromkeys(c.key for checks in per_run for c in checks))
    rows = []
    for key in keys:
        cells = []
        label = ""
        for checks in per_run:
            check = next((c for c in checks if c.key == key), None)
            if check is None:
                cells.append(DASH)
                continue
            label = label or f"{check.target}: {check.required}"
            cells.append(f"{check.status} ({_value_text(check)}; {_margin_text(check)})")
        rows.append([label, *cells])
    return ["## Plan targets", "", md_table(["target", *names], rows, "l" * (len(names) + 1)),
            ""]
