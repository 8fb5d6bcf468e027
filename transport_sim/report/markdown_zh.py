"""``report.zh.md``: the report in Chinese, in the units a Chinese transport bureau uses.

Units: 万吨CO2 (10 kt), 万吨标准煤 (final energy converted with the GB/T 2589-2020
coefficients of ``fleets/factor_ranges.toml``, SOURCES.md S-gbt2589-coal), 亿吨公里
(10^8 t-km) and 万辆 (10^4 vehicles).  Every table and heading is in Chinese; figures
are the ``*.zh.png`` files drawn with Chinese labels.  Every number comes from the
results folder (``annual.parquet``, ``stock.parquet``, ``chargers.parquet``,
``decomposition.parquet``, ``run.json``, ``scenario.resolved.toml``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from transport_sim.accounting.sensitivity import load_standard_coal
from transport_sim.codes import NEV_POWERTRAINS
from transport_sim.fleets.factors import CONSTANTS
from transport_sim.report import analysis
from transport_sim.report import targets as rt

REPORT_ZH_FILE: Final = "report.zh.md"
WAN: Final = 1e4
YI: Final = 1e8
FLEET_ORDER: Final = ("bus", "taxi", "truck", "ship", "rail_freight", "through_truck")
STATUS_ZH: Final = {rt.MET: "达标", rt.MISSED: "未达标", rt.NOT_ASSESSED: "未评估"}
TARGET_ZH: Final = {
    "bus_nev_new": "新增和更新公交车新能源比例（三(七)1）",
    "taxi_nev_new": "新增和更新出租车、网约车新能源比例（三(七)1）",
    "light_truck_nev_new": "新增城市物流车新能源比例（交通强国试点）",
    "rail_share": "铁路货运分担率（三(七)2）",
    "service_area_coverage": "高速公路服务区充（换）电覆盖率（三(七)3）",
    "old_diesel_trucks": "国三及以下柴油货车保有量（三(七)1）",
    "fossil_ships_purchased": "新增非新能源船舶数量（三(七)1）",
}
CARRIERS_ZH: Final = ("柴油", "汽油", "天然气", "电力", "氢气")


def _md(header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    return analysis.markdown_table(header, rows, align)


def _n(value: float, decimals: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:,.{decimals}f}"


def standard_coal_t(annual: pd.DataFrame) -> pd.DataFrame:
    """Return final energy in tonnes of standard coal (tce) per year and carrier group.

    Columns follow :data:`CARRIERS_ZH`; diesel and petrol litres become kg with the
    model's densities, gas kg become standard m3 with its gas density.
    """
    coal = load_standard_coal()
    gas_m3 = (annual["cng_kg"] + annual["lng_kg"]) / CONSTANTS[
        "natural_gas_density_kg_per_nm3"].value
    frame = pd.DataFrame({
        "year": annual["year"],
        "柴油": annual["diesel_l"] * CONSTANTS["diesel_density_kg_per_l"].value
        * coal["diesel_kgce_per_kg"],
        "汽油": annual["petrol_l"] * CONSTANTS["petrol_density_kg_per_l"].value
        * coal["petrol_kgce_per_kg"],
        "天然气": gas_m3 * coal["natural_gas_kgce_per_nm3"],
        "电力": annual["electricity_kwh"] * coal["electricity_kgce_per_kwh"],
        "氢气": annual["hydrogen_kg"] * coal["hydrogen_kgce_per_kg"],
    })
    return frame.groupby("year").sum() / 1000.0


def report_zh(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
              scenario: Mapping[str, Any], figures: Sequence[str] = ()) -> str:
    """Return ``report.zh.md`` of one run (every table and heading in Chinese)."""
    annual = tables["annual"]
    stock = tables.get("stock", pd.DataFrame())
    chargers = tables.get("chargers", pd.DataFrame())
    from transport_sim.report.through import through_section

    parts = [_header(meta), _headline(annual, chargers, meta, scenario), _co2_by_fleet(annual),
             through_section(annual, "zh"),
             _energy(annual),
             _freight(annual)]
    if not stock.empty:
        parts += [_fleet(stock), _targets(annual, stock, chargers, scenario)]
    parts += [analysis.decomposition_section(tables, "zh"),
              analysis.sensitivity_section(annual, scenario, "zh",
                                           tables.get("annual_by_class")),
              analysis.scope_section("zh"),
              _figures(figures)]
    return "\n\n".join(p.strip("\n") for p in parts if p) + "\n"


def _header(meta: Mapping[str, Any]) -> str:
    years = meta.get("years", ["?", "?"])
    network = Path(str(meta.get("network_file", "?"))).name
    lines = [
        f"# 十堰市交通运输碳排放模拟报告：{meta.get('scenario', '?')}",
        "",
        f"情景 `{meta.get('scenario', '?')}`，随机种子 {meta.get('seed', '?')}，模拟年份 "
        f"{years[0]}—{years[-1]}年，transport_sim {meta.get('version', '?')}。路网文件："
        f"`{network}`。",
    ]
    if meta.get("network_schematic", False):
        lines += ["", "> **示意路网。** 本次运行使用内置的十堰示意路网（走廊、街道网格和站点位置"
                      "为近似），并非实测OSM数据：距离、排队和站点位置仅供参考。"]
    lines += ["", "本报告所有数据均由本结果文件夹中的文件计算得到。单位：二氧化碳为万吨CO2"
                  "（尾气排放TTW，全生命周期排放WTW，含燃料生产和电网发电）；能源为万吨标准煤"
                  "（GB/T 2589-2020折标系数，电力按当量值）；货运周转量为亿吨公里；车辆为万辆。"
                  "范围包括公交、出租车（含网约车）、货车、丹江口库区船舶和铁路货运。"]
    return "\n".join(lines)


def _headline(annual: pd.DataFrame, chargers: pd.DataFrame, meta: Mapping[str, Any],
              scenario: Mapping[str, Any]) -> str:
    from transport_sim.report.service import service_headline_zh

    peak_year, peak_t = rt.peak(annual, "co2_wtw_t")
    ttw_year, ttw_t = rt.peak(annual, "co2_ttw_t")
    by_year = rt.co2_by_year(annual)
    base = rt.base_year(annual)
    rows = [[str(y), _n(r.co2_ttw_t / WAN), _n(r.co2_wtw_t / WAN),
             "基准年" if y == base else
             f"{100 * (r.co2_wtw_t / by_year.loc[base, 'co2_wtw_t'] - 1):+.1f} %"]
            for y, r in by_year.iterrows()]
    last = int(annual["year"].max())
    note = "（模拟末年，尚未达峰）" if peak_year == last and peak_year != base else ""
    return "\n".join([
        "## 主要结论",
        "",
        f"- **全生命周期CO2峰值：{peak_year}年，{_n(peak_t / WAN)} 万吨**{note}",
        f"- 尾气CO2峰值：{ttw_year}年，{_n(ttw_t / WAN)} 万吨",
        *service_headline_zh(annual, chargers, meta, scenario),
        "",
        "### 逐年CO2排放（万吨CO2）",
        "",
        _md(["年份", "尾气排放", "全生命周期排放", f"全生命周期较{base}年"], rows),
    ])


def _co2_by_fleet(annual: pd.DataFrame) -> str:
    table = rt.co2_by_year_fleet(annual, "co2_wtw_t")
    fleets = [f for f in FLEET_ORDER if f in table.columns]
    rows = [[str(y), *(_n(table.loc[y, f] / WAN) for f in fleets), _n(table.loc[y].sum() / WAN)]
            for y in table.index]
    return "\n".join(["### 分车队全生命周期CO2排放（万吨CO2）", "",
                      _md(["年份", *(analysis.FLEET_ZH[f] for f in fleets), "合计"], rows)])


def _energy(annual: pd.DataFrame) -> str:
    tce = standard_coal_t(annual)
    rows = [[str(y), *(_n(tce.loc[y, c] / WAN, 3) for c in CARRIERS_ZH),
             _n(tce.loc[y].sum() / WAN, 3)] for y in tce.index]
    return "\n".join([
        "## 能源消费（万吨标准煤）", "",
        "按GB/T 2589-2020折标准煤系数：柴油1.4571、汽油1.4714 kgce/kg，天然气1.3300 kgce/m³，"
        "电力0.1229 kgce/kWh（当量值），氢气4.0945 kgce/kg（按低位热值推算）。电力为充电桩"
        "（纯电车辆）或牵引供电（铁路）处的用电量。", "",
        _md(["年份", *CARRIERS_ZH, "合计"], rows)])


def _freight(annual: pd.DataFrame) -> str:
    road = annual[annual["fleet"] == "truck"].groupby("year")["tkm"].sum()
    rail = annual[annual["fleet"] == "rail_freight"].groupby("year")["tkm"].sum()
    years = sorted(set(road.index) | set(rail.index))
    rows = []
    for y in years:
        r, q = float(road.get(y, 0.0)), float(rail.get(y, 0.0))
        share = q / (r + q) if r + q > 0 else float("nan")
        rows.append([str(y), _n(r / YI, 3), _n(q / YI, 3), _n((r + q) / YI, 3),
                     "-" if math.isnan(share) else f"{100 * share:.1f} %"])
    return "\n".join(["## 货运周转量（亿吨公里）", "",
                      "公路为模拟货车完成的吨公里（区域内路段），铁路按吨位与平均运距核算。", "",
                      _md(["年份", "公路", "铁路", "合计", "铁路占比"], rows)])


def _fleet(stock: pd.DataFrame) -> str:
    veh = stock.groupby(["year", "fleet"])["vehicles"].sum().unstack(fill_value=0)
    nev = stock[stock["powertrain"].isin(NEV_POWERTRAINS)].groupby(["year", "fleet"])[
        "vehicles"].sum().unstack(fill_value=0).reindex_like(veh).fillna(0)
    fleets = [f for f in FLEET_ORDER if f in veh.columns]
    rows = [[str(y), *(f"{veh.loc[y, f] / WAN:,.3f}（{100 * nev.loc[y, f] / veh.loc[y, f]:.0f} %）"
                       if veh.loc[y, f] else "-" for f in fleets)] for y in veh.index]
    return "\n".join(["## 车辆保有量（万辆，括号内为新能源占比）", "",
                      "新能源 = 纯电动 + 氢燃料电池（混合动力不计入）。", "",
                      _md(["年份", *(analysis.FLEET_ZH[f] for f in fleets)], rows)])


def _targets(annual: pd.DataFrame, stock: pd.DataFrame, chargers: pd.DataFrame,
             scenario: Mapping[str, Any]) -> str:
    checks = rt.plan_targets(annual, stock, chargers, scenario)
    rows = []
    for c in checks:
        if c.value is None:
            value = "-"
        elif c.unit == "share":
            value = f"{100 * c.value:.1f} %"
        else:
            value = f"{c.value:,.0f} {'艘' if 'ship' in c.key else '辆'}"
        year = "" if c.value_year is None else f"（{c.value_year}年）"
        rows.append([TARGET_ZH.get(c.key, c.key), c.years, value + year,
                     f"**{STATUS_ZH.get(c.status, c.status)}**"])
    met = sum(c.status == rt.MET for c in checks)
    assessed = sum(c.status != rt.NOT_ASSESSED for c in checks)
    return "\n".join([
        "## 规划目标核查（《国家碳达峰试点（十堰）实施方案》三(七)）", "",
        f"已评估的 {assessed} 项目标中 {met} 项达标。比例类目标取评估期内最不利年份的值。"
        "铁路分担率和服务区覆盖率为情景输入，模拟结果反映其影响，不检验其可实现性。", "",
        _md(["目标", "评估年份", "模拟值", "结论"], rows, "llrl")])


def _figures(figures: Sequence[str]) -> str:
    if not figures:
        return ""
    return "\n".join(["## 图表", "", *(f"- [{name}]({name})" for name in figures)])
