"""Report sections on what drove CO2, what it depends on and what the model covers.

* :func:`decomposition_section` - the LMDI terms of ``decomposition.parquet``;
* :func:`sensitivity_section` - CO2 in 2030 and 2035 with each accounting factor at its
  low and high value, and the zero-emission levers whose saving changes sign;
* :func:`scope_section` - every transport measure of the plan, modelled or not;
* :func:`draw_analysis_figures` - the waterfall and tornado figures of one run;
* :func:`compare_analysis` - the same for a comparison of runs (``transport-sim compare``).

Each section exists in English (``report.md``) and Chinese (``report.zh.md``).  Every
number comes from the results folder: ``annual.parquet``, ``decomposition.parquet`` and
``scenario.resolved.toml``; the factor ranges and the scope table are data files of the
repository (``fleets/factor_ranges.toml``, ``fleets/plan_scope.toml``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from transport_sim.accounting import decomposition as dec
from transport_sim.accounting import sensitivity as sens
from transport_sim.paths import repo_root

if TYPE_CHECKING:
    from transport_sim.results.folder import Results

WATERFALL_FILE: Final = "co2_decomposition.png"
TORNADO_FILE: Final = "sensitivity_tornado.png"
STATUS_ZH: Final = {"modelled": "已建模", "partly": "部分建模", "not modelled": "未建模"}
FLEET_ZH: Final = {"bus": "公交车", "taxi": "出租车", "truck": "货车", "ship": "船舶",
                   "rail_freight": "铁路货运", "through_truck": "过境货车"}
POWERTRAIN_ZH: Final = {"bev": "纯电动", "fcev": "氢燃料电池"}


def scope_path() -> Path:
    """Return ``fleets/plan_scope.toml`` of the repository."""
    return repo_root() / "fleets" / "plan_scope.toml"


def load_scope(path: Path | None = None) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """Return the plan measures and the list of what is outside the model."""
    data = tomllib.loads((Path(path) if path else scope_path()).read_text(encoding="utf-8"))
    return list(data["measure"]), dict(data["outside"])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                   align: str | None = None) -> str:
    """Return a markdown table, laid out as ``markdown.md_table``.

    Defined here because ``markdown`` imports this module (no import back).
    """
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([row(header), row(rule), *(row(r) for r in rows)])


def _fmt(value: float, unit: float, decimals: int = 1) -> str:
    return f"{value / unit:,.{decimals}f}"


# ======================================================================================
# decomposition
# ======================================================================================
def decomposition_of(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Return ``decomposition.parquet`` (computed from ``annual`` for older folders)."""
    table = tables.get("decomposition")
    if table is None:
        table = dec.decomposition_table(tables["annual"])
    return table


def _terms(decomp: pd.DataFrame, start: int, end: int, metric: str = "wtw") -> pd.Series:
    rows = decomp[(decomp["metric"] == metric) & (decomp["from_year"] == start)
                  & (decomp["to_year"] == end)]
    return dec.summary_terms(rows)


def _term_label(key: str, lang: str) -> str:
    from transport_sim.report.analysis_figures import TERM_NAMES

    en, zh = TERM_NAMES[key]
    return zh if lang == "zh" else en


def decomposition_section(tables: Mapping[str, pd.DataFrame], lang: str = "en") -> str:
    """Return the LMDI section: terms from the first year to 2030 and to the last year."""
    annual = tables["annual"]
    years = sorted(int(y) for y in annual["year"].unique())
    if len(years) < 2:
        return ""
    decomp = decomposition_of(tables)
    start = years[0]
    ends = [y for y in (2030,) if start < y < years[-1]] + [years[-1]]
    totals = annual.groupby("year")["co2_wtw_t"].sum()
    unit = 1e4 if lang == "zh" else 1e3
    cols = {e: _terms(decomp, start, e) for e in ends}
    keys = [k for k in cols[ends[-1]].index
            if any(abs(c[k]) > 0 for c in cols.values()) or k != dec.UNALLOCATED]
    rows = [[_term_label(k, lang), *(_fmt(cols[e][k], unit) for e in ends)] for k in keys]
    change = [_fmt(totals[e] - totals[start], unit) for e in ends]
    check = [_fmt(cols[e].sum(), unit) for e in ends]
    if lang == "zh":
        rows.append(["**合计（= CO2变化量）**", *(f"**{c}**" for c in check)])
        header = ["驱动因素", *(f"{start}→{e}年（万吨CO2）" for e in ends)]
        return "\n".join([
            "## 排放变化驱动因素分解（LMDI加法分解）",
            "",
            "全生命周期CO2的变化按对数平均迪氏指数法（LMDI-I加法形式）分解为：运输活动量"
            "（货运吨公里、客运车公里）、运输方式结构（铁路与公路货运分担、公交与出租车分担）、"
            "车型结构（轻型、中型、牵引车等）、同车型内的动力类型结构、能耗强度（单位活动量能耗）"
            "和碳强度（电网、氢气、燃料的单位能量排放）。"
            f"各项之和严格等于CO2变化量（{', '.join(change)} 万吨）。"
            "过境货运（按全国货车保有结构，不受十堰政策影响）单列为一项，不计入十堰货运活动量及其"
            "结构、强度因素。数据来源：`decomposition.parquet`。",
            "",
            markdown_table(header, rows),
            "",
            f"![排放变化分解]({WATERFALL_FILE.replace('.png', '.zh.png')})",
        ])
    rows.append(["**sum (= change of CO2)**", *(f"**{c}**" for c in check)])
    header = ["driver", *(f"{start}->{e} (kt CO2)" for e in ends)]
    return "\n".join([
        "## What drove the change of CO2 (LMDI decomposition)",
        "",
        "The change of well-to-wheel CO2 is split by the additive log-mean Divisia index "
        "(LMDI-I) into activity (freight tonne-km, passenger vehicle-km), mode shift (rail vs "
        "road freight, bus vs taxi), vehicle-size mix (light, rigid, tractor...), powertrain "
        "mix within a size class, energy intensity (kWh per t-km or vehicle-km of a size class "
        "and powertrain) and carbon intensity (CO2 per kWh: grid, hydrogen pathway, fuels).  "
        f"The terms add up exactly to the change ({', '.join(change)} kt).  Through traffic "
        "(fleet `through_truck`: gateway-to-gateway trucks of China's national truck mix, "
        "which no Shiyan lever touches) is its own term, kept out of Shiyan's freight "
        "activity, structure and intensity terms.  Every "
        "change between two years is in `decomposition.parquet` (WTW and TTW), by fleet, size "
        "class and powertrain.",
        "",
        markdown_table(header, rows),
        "",
        f"![decomposition]({WATERFALL_FILE})",
    ])


# ======================================================================================
# sensitivity
# ======================================================================================
def sensitivity_section(annual: pd.DataFrame, scenario: Mapping[str, Any],
                        lang: str = "en", by_class: pd.DataFrame | None = None) -> str:
    """Return the sensitivity section: CO2 per factor setting, lever sign flips.

    ``by_class`` (``annual_by_class.parquet``) lets the lever check compare each
    zero-emission vehicle with fossil vehicles of its own size class.
    """
    if not scenario.get("grid") or not scenario.get("hydrogen"):
        return ""
    ranges = sens.load_ranges()
    table = sens.sensitivity_table(annual, dict(scenario), ranges)
    levers = sens.lever_table(by_class if by_class is not None else annual, dict(scenario),
                              ranges)
    years = sorted(table["year"].unique())
    unit = 1e4 if lang == "zh" else 1e3
    rows = []
    for factor in sens.FACTORS:
        r = ranges[factor]
        cells = []
        for y in years:
            sel = table[(table["factor"] == factor) & (table["year"] == y)].set_index("setting")
            cells.append(" / ".join(_fmt(sel.loc[s, "co2_wtw_t"], unit) for s in sens.SETTINGS))
        rows.append([r.label_zh if lang == "zh" else r.label, _range_text(r), *cells,
                     r.source])
    flips = levers[levers["sign_flips"]]
    lever_rows = [
        [_fleet_pt(rec.fleet, rec.powertrain, lang), str(rec.year),
         _fmt(rec.central_saving_t, unit),
         f"{_fmt(rec.min_saving_t, unit)} ... {_fmt(rec.max_saving_t, unit)}",
         ("**是**" if lang == "zh" else "**yes**") if rec.sign_flips else
         ("否" if lang == "zh" else "no")]
        for rec in levers.itertuples()
    ]
    if lang == "zh":
        text = [
            "## 核算因子敏感性分析",
            "",
            "不重新模拟：按各车队的能源消费量（`annual.parquet`）重新计算全生命周期CO2，"
            "每次仅将一个核算因子取其低值或高值（`fleets/factor_ranges.toml`，来源见 "
            "`fleets/SOURCES.md`）。表中为“低值 / 基准值 / 高值”（万吨CO2）。",
            "",
            markdown_table(["核算因子", "取值范围", *(f"{y}年CO2" for y in years), "来源"],
                           rows, "ll" + "r" * len(years) + "l"),
        ]
        if not levers.empty:
            text += ["", "零排放车辆相对同车队化石燃料车辆的全生命周期减排量（万吨CO2，"
                         "与同车型化石燃料车辆按单位活动量排放比较；"
                         "同车型已无化石燃料车辆的年份不列出）：", "",
                     markdown_table(["车队与动力", "年份", "基准减排量", "范围内最小…最大",
                                     "是否变号"],
                            lever_rows, "lrrrl")]
        for rec in flips.drop_duplicates(["fleet", "powertrain"]).itertuples():
            text += ["", f"> **注意：**{_fleet_pt(rec.fleet, rec.powertrain, 'zh')}的减排效果在"
                         f"核算因子范围内正负变号（最不利：{_worst_text(rec.worst_factor, 'zh')}；"
                         f"最有利：{_worst_text(rec.best_factor, 'zh')}；基准值 "
                         f"{_fmt(rec.central_saving_t, unit)} 万吨）。"
                         "该措施未必减少全生命周期CO2。"]
        text += ["", f"![敏感性分析]({TORNADO_FILE.replace('.png', '.zh.png')})"]
        return "\n".join(text)
    text = [
        "## Sensitivity to the accounting factors",
        "",
        "No re-simulation: well-to-wheel CO2 is recomputed from the fleets' carrier amounts "
        "(`annual.parquet`) with one accounting factor at a time at its low or high value "
        "(`fleets/factor_ranges.toml`, sources in `fleets/SOURCES.md`).  Cells are "
        "low / central / high, kt CO2.",
        "",
        markdown_table(["factor", "range", *(f"CO2 {y}" for y in years), "source"], rows,
                       "ll" + "r" * len(years) + "l"),
    ]
    if not levers.empty:
        text += ["", "WTW saving of each zero-emission powertrain against fossil vehicles of "
                     "the same fleet and size class doing the same t-km (trucks) or vehicle-km "
                     "(kt CO2; a year is missing where no fossil vehicle of the class is left "
                     "to compare with):", "",
                 markdown_table(["fleet and powertrain", "year", "central saving",
                                 "min ... max in ranges",
                         "sign flips"], lever_rows, "lrrrl")]
    for rec in flips.drop_duplicates(["fleet", "powertrain"]).itertuples():
        if rec.central_saving_t < 0:
            text += ["", f"> **Warning:** the {rec.powertrain.upper()} {rec.fleet} lever adds "
                         "WTW CO2 at the central factors "
                         f"({_fmt(-rec.central_saving_t, unit)} kt in {rec.year}) and saves CO2 "
                         f"only with {_worst_text(rec.best_factor, 'en')}: it is not a saving "
                         "today."]
        else:
            text += ["", f"> **Warning:** the {rec.powertrain.upper()} {rec.fleet} lever's WTW "
                         "saving changes sign inside the factor ranges: with "
                         f"{_worst_text(rec.worst_factor, 'en')} it adds CO2 rather than "
                         "saving it."]
    text += ["", f"![sensitivity]({TORNADO_FILE})"]
    return "\n".join(text)


def _worst_text(tag: str, lang: str) -> str:
    """Say in words which factor setting gives the lowest saving (``"factor:level"``)."""
    factor, level = tag.split(":")
    ranges = sens.load_ranges()
    name = ranges[factor].label_zh if lang == "zh" else ranges[factor].label
    if lang == "zh":
        return f"{name}取{'高值' if level == 'high' else '低值' if level == 'low' else '基准值'}"
    if factor == "hydrogen_mix" and level == "high":
        return "the national hydrogen mix (56 % from coal)"
    if factor == "hydrogen_mix" and level == "low":
        return "a clean-dominated hydrogen mix (60 % clean, 10 % coal)"
    return f"the {name} at its {level} value"


def _range_text(r: sens.FactorRange) -> str:
    if isinstance(r.low, dict):
        return "; ".join(f"{k} {r.low[k]:g}-{r.high[k]:g}" for k in r.low)
    if r.name == "td_loss":
        return f"{100 * r.low:g}-{100 * r.high:g} %"
    return f"x{r.low:g} - x{r.high:g}"


def _fleet_pt(fleet: str, powertrain: str, lang: str) -> str:
    if lang == "zh":
        return f"{FLEET_ZH.get(fleet, fleet)}（{POWERTRAIN_ZH.get(powertrain, powertrain)}）"
    return f"{fleet} {powertrain}"


# ======================================================================================
# scope
# ======================================================================================
def scope_section(lang: str = "en") -> str:
    """Return the scope section: the plan's transport measures and what is outside."""
    measures, outside = load_scope()
    if lang == "zh":
        rows = [[m["section"], m["measure_zh"], STATUS_ZH[m["status"]], m["how_zh"]]
                for m in measures]
        return "\n".join([
            "## 模型范围",
            "",
            "《国家碳达峰试点（十堰）实施方案》中涉及车辆、燃料、充电、氢能、铁路和航运的措施"
            "及其在模型中的处理：",
            "",
            markdown_table(["条款", "措施", "状态", "模型中的处理"], rows, "llll"),
            "",
            "模型以外（任何表中均不含其排放）：" + "；".join(outside["items_zh"]) + "。",
        ])
    rows = [[m["section"], m["measure"], m["status"], m["how"]] for m in measures]
    return "\n".join([
        "## Scope: the plan's transport measures in the model",
        "",
        "Every measure of the Shiyan carbon-peak plan that touches vehicles, fuels, charging, "
        "hydrogen, rail or shipping, and how the model carries it:",
        "",
        markdown_table(["section", "measure", "status", "in the model"], rows, "llll"),
        "",
        "Outside the model (their CO2 is in no table): " + "; ".join(outside["items"]) + ".",
    ])


# ======================================================================================
# figures of one run and of a comparison
# ======================================================================================
def draw_analysis_figures(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                          scenario: Mapping[str, Any], folder: Path, *, lang: str = "en",
                          suffix: str = ".png") -> list[Path]:
    """Draw the waterfall (first to last year) and the tornado (last report year)."""
    from transport_sim.report.analysis_figures import (
        fig_tornado,
        fig_waterfall,
        tornado_xlabel,
    )
    from transport_sim.report.style import (
        Labeller,
        RunInfo,
        figure_style,
        resolve_lang,
        save_figure,
    )

    lang, font = resolve_lang(lang)
    lab = Labeller(lang)
    info = RunInfo.from_meta(meta)
    annual = tables["annual"]
    years = sorted(int(y) for y in annual["year"].unique())
    totals = annual.groupby("year")["co2_wtw_t"].sum()
    written = []
    with figure_style(font):
        if len(years) > 1:
            terms = _terms(decomposition_of(tables), years[0], years[-1])
            fig = fig_waterfall(terms, (str(years[0]), totals[years[0]]),
                                (str(years[-1]), totals[years[-1]]), info, lab)
            written.append(save_figure(fig, folder / WATERFALL_FILE.replace(".png", suffix)))
        if scenario.get("grid") and scenario.get("hydrogen"):
            ranges = sens.load_ranges()
            table = sens.sensitivity_table(annual, dict(scenario), ranges)
            year = int(table["year"].max())
            one = table[table["year"] == year]
            central = float(one[one["setting"] == "central"]["co2_wtw_t"].iloc[0])
            names = {k: (r.label_zh if lang == "zh" else r.label) for k, r in ranges.items()}
            fig = fig_tornado(one, "co2_wtw_t", central, names, info, lab,
                              tornado_xlabel(lab, year))
            written.append(save_figure(fig, folder / TORNADO_FILE.replace(".png", suffix)))
    return written


def compare_analysis(runs: Sequence[Results], names: Sequence[str], folder: Path, *,
                     lang: str = "en") -> tuple[str, list[Path], pd.DataFrame]:
    """Decompose each run's difference from the first run; savings under factor ranges.

    Returns
    -------
    tuple
        Markdown for ``compare.md``, the figures written, and the decomposition rows
        (``decomposition.csv``: ``metric, year, reference, run, sector, fleet, powertrain,
        carrier, factor, co2_t``).
    """
    from transport_sim.report.analysis_figures import fig_tornado, fig_waterfall, tornado_xlabel
    from transport_sim.report.style import (
        Labeller,
        RunInfo,
        figure_style,
        resolve_lang,
        save_figure,
    )

    lang, font = resolve_lang(lang)
    lab = Labeller(lang)
    ref, ref_name = runs[0], names[0]
    ref_annual = ref.tables["annual"]
    parts = ["## Decomposition of the differences (LMDI)", "",
             f"Each run's WTW CO2 minus that of `{ref_name}` in the last common year, split into "
             "activity, mode shift, vehicle-size mix, powertrain mix, energy intensity, "
             "carbon intensity and through traffic (its whole difference, one term); the terms "
             "add up exactly to the difference "
             "(`decomposition.csv`, by fleet, size class and powertrain)."]
    frames, figures = [], []
    savings_parts: list[str] = []
    with figure_style(font):
        for i, (run, name) in enumerate(zip(runs[1:], names[1:], strict=True), start=1):
            annual = run.tables["annual"]
            common = sorted(set(ref_annual["year"]) & set(annual["year"]))
            if not common:
                continue
            year = int(common[-1])
            rows = dec.decompose_runs(_by_class(ref), _by_class(run), year)
            rows.insert(2, "reference", ref_name)
            rows.insert(3, "run", name)
            frames.append(rows)
            terms = dec.summary_terms(rows)
            a = float(ref_annual.loc[ref_annual["year"] == year, "co2_wtw_t"].sum())
            b = float(annual.loc[annual["year"] == year, "co2_wtw_t"].sum())
            info = RunInfo(f"{ref_name} vs {name}", bool(run.meta.get("network_schematic")))
            fig = fig_waterfall(terms, (f"{ref_name} {year}", a), (f"{name} {year}", b), info,
                                lab)
            file = f"compare_decomposition_{i}.png"
            figures.append(save_figure(fig, folder / file))
            table_rows = [[_term_label(k, "en"), _fmt(v, 1e3)] for k, v in terms.items()
                          if k != dec.UNALLOCATED or v != 0]
            table_rows.append(["**sum = difference**", f"**{_fmt(b - a, 1e3)}**"])
            parts += ["", f"### {name} - {ref_name}, {year}", "",
                      markdown_table(["driver", "kt CO2"], table_rows), "", f"![{name}]({file})"]
            if all(r.scenario_toml.get(k) for r in (ref, run) for k in ("grid", "hydrogen")):
                sav = sens.saving_table(ref_annual, dict(ref.scenario_toml), annual,
                                        dict(run.scenario_toml))
                savings_parts += _saving_markdown(sav, ref_name, name)
                last = int(sav["year"].max())
                one = sav[sav["year"] == last]
                central = float(one[one["setting"] == "central"]["saving_t"].iloc[0])
                ranges = sens.load_ranges()
                fig = fig_tornado(one, "saving_t", central,
                                  {k: r.label for k, r in ranges.items()}, info, lab,
                                  tornado_xlabel(lab, last, ref_name))
                file = f"compare_sensitivity_{i}.png"
                figures.append(save_figure(fig, folder / file))
                savings_parts += ["", f"![{name} sensitivity]({file})"]
    if savings_parts:
        parts += ["", "## Saving under the accounting-factor ranges", "",
                  "CO2 saved against the reference (kt, positive = less CO2) with each factor "
                  "at its low / central / high value (`fleets/factor_ranges.toml`), recomputed "
                  "from both runs' carrier amounts.", *savings_parts]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return "\n".join(parts), figures, table


def _by_class(run: Results) -> pd.DataFrame:
    """``annual_by_class.parquet`` of a run, or ``annual.parquet`` for older folders."""
    table = run.tables.get("annual_by_class")
    return table if table is not None else run.tables["annual"]


def _saving_markdown(sav: pd.DataFrame, ref_name: str, name: str) -> list[str]:
    ranges = sens.load_ranges()
    years = sorted(sav["year"].unique())
    rows = []
    for factor in sens.FACTORS:
        cells = []
        for y in years:
            sel = sav[(sav["factor"] == factor) & (sav["year"] == y)].set_index("setting")
            cells.append(" / ".join(_fmt(sel.loc[s, "saving_t"], 1e3) for s in sens.SETTINGS))
        rows.append([ranges[factor].label, *cells])
    return ["", f"### {name} against {ref_name}", "",
            markdown_table(["factor", *(f"saved {y}" for y in years)], rows)]
