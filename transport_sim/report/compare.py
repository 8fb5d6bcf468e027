"""``transport-sim compare``: runs side by side, differences, decomposition and abatement cost."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from transport_sim.errors import ResultsError, describe
from transport_sim.report import targets as rt
from transport_sim.report.markdown import (
    COMPARE_CSV,
    COMPARE_MD,
    DASH,
    fmt_change,
    fmt_t,
    load_results,
    margin_text,
    md_table,
    missing,
    value_text,
)
from transport_sim.results.folder import (
    Results,
    atomic_folder,
    check_writable,
    marker,
    remove_stale_partials,
)


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
    from transport_sim.report.costs import MAC_FIGURE, abatement_markdown, compare_costs
    from transport_sim.report.style import SCENARIO_COLORS

    if not dirs:
        raise ResultsError(describe(None, "compare", [], "give at least one results folder"))
    out = Path(out)
    check_writable(out, overwrite=overwrite, can_overwrite=False)  # before reading the runs
    loaded = [load_results(Path(d)) for d in dirs]
    remove_stale_partials(out)
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
        abatement = compare_costs(loaded, names, tmp)
        if abatement is not None:
            figures += [tmp / MAC_FIGURE] if (tmp / MAC_FIGURE).exists() else []
        extra_md, extra_figures, decomposition = _compare_analysis(loaded, names, tmp, lang)
        if not decomposition.empty:
            decomposition.to_csv(tmp / "decomposition.csv", index=False)
        text = compare_markdown(table, loaded, names, [p.name for p in figures])
        if abatement is not None:
            text = text.rstrip("\n") + "\n\n" + abatement_markdown(abatement)
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
                                 run.tables.get("chargers", pd.DataFrame()), run.scenario_toml,
                                 run.tables.get("sites"))
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
    if missing(delta):
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
                               r.tables.get("chargers", pd.DataFrame()), r.scenario_toml,
                               r.tables.get("sites"))
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
            cells.append(f"{check.status} ({value_text(check)}; {margin_text(check)})")
        rows.append([label, *cells])
    return ["## Plan targets", "", md_table(["target", *names], rows, "l" * (len(names) + 1)),
            ""]
