"""Report section: through traffic, the two CO2 totals, and rail-yard drayage.

Through traffic (fleet ``through_truck``) drives and emits inside the network, so it is
part of the *in-boundary (territorial)* total, the headline of every report; a bureau
also needs the *city-controllable* total without it, since no Shiyan lever acts on
trucks of China's national mix.  Both are shown per year, with the through tonnage,
tonne-km and CO2, and the road legs (drayage) of the tonnage rail carries.  Computed
from ``annual.parquet`` only.
"""

# Chinese report text uses full-width punctuation on purpose
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Final

import pandas as pd

from transport_sim.codes import THROUGH_FLEET
from transport_sim.report.analysis import markdown_table
from transport_sim.units import T_PER_KT, TKM_PER_MTKM

#: Shown years: the first, these if simulated, and the last.
KEY_YEARS: Final = (2025, 2030)
#: Chinese reporting units: 万 (1e4) tonnes and 亿 (1e8) tonne-km (as ``markdown_zh``).
T_PER_WAN_T: Final = 1e4
TKM_PER_YI_TKM: Final = 1e8


def _years(annual: pd.DataFrame) -> list[int]:
    years = sorted(int(y) for y in annual["year"].unique())
    return sorted({years[0], *(y for y in KEY_YEARS if y in years), years[-1]})


def through_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Per year: through tonnes, t-km, WTW CO2, the territorial and city-controllable totals.

    Also the drayage tonnes and t-km of Shiyan's trucks (road legs to the rail yards).
    Empty when the run has no through traffic.
    """
    if THROUGH_FLEET not in set(annual["fleet"]):
        return pd.DataFrame()
    by_year = annual.groupby("year")
    through = annual[annual["fleet"] == THROUGH_FLEET].groupby("year")
    out = pd.DataFrame({
        "through_t": through["tonnes_planned"].sum(),
        "through_tkm": through["tkm"].sum(),
        "through_co2_wtw_t": through["co2_wtw_t"].sum(),
        "territorial_co2_wtw_t": by_year["co2_wtw_t"].sum(),
    }).fillna(0.0)
    out["city_co2_wtw_t"] = out["territorial_co2_wtw_t"] - out["through_co2_wtw_t"]
    if "drayage_t" in annual:
        out["drayage_t"] = by_year["drayage_t"].sum()
        out["drayage_tkm"] = by_year["drayage_tkm"].sum()
    return out.loc[[y for y in _years(annual) if y in out.index]]


def through_section(annual: pd.DataFrame, lang: str = "en") -> str:
    """Return the markdown section (``lang`` ``"en"`` or ``"zh"``); empty without through rows."""
    table = through_table(annual)
    if table.empty:
        return ""
    zh = lang == "zh"
    t_unit, co2_unit, tkm_unit = (T_PER_WAN_T, T_PER_WAN_T, TKM_PER_YI_TKM) if zh else (
        T_PER_KT, T_PER_KT, TKM_PER_MTKM)
    dray = "drayage_t" in table
    rows = []
    for y, r in table.iterrows():
        rows.append([
            str(y), f"{r.through_t / t_unit:,.1f}", f"{r.through_tkm / tkm_unit:,.2f}",
            f"{r.through_co2_wtw_t / co2_unit:,.1f}", f"{r.territorial_co2_wtw_t / co2_unit:,.1f}",
            f"{r.city_co2_wtw_t / co2_unit:,.1f}",
            *([f"{r.drayage_t / t_unit:,.1f}", f"{r.drayage_tkm / tkm_unit:,.2f}"] if dray
              else []),
        ])
    if zh:
        header = ["年份", "过境货运量（万吨）", "过境周转量（亿吨公里）", "过境CO2（万吨）",
                  "辖区内总排放（万吨）", "城市可调控排放（万吨）",
                  *(["铁路集疏运量（万吨）", "集疏运周转量（亿吨公里）"] if dray else [])]
        text = (
            "过境货车（从一个高速出入口进入、从另一个出入口驶出，不在十堰装卸）按全国重型货车"
            "保有量的动力类型与排放标准结构（随年份按全国曲线变化）单独核算，不受十堰新能源"
            "购置和国三淘汰等政策影响。报告标题中的排放总量为**辖区内（属地）总排放**，含过境"
            "货运；**城市可调控排放**为扣除过境货运后的排放。铁路集疏运为铁路货运量在十堰端"
            "往返铁路货场与工厂、物流枢纽之间的公路短驳，由十堰本地货车完成，已计入货车排放。"
            "过境货车不计入十堰车辆保有量与成本。")
        title = "## 过境货运与两种排放口径"
    else:
        header = ["year", "through t (kt)", "through t-km (million)", "through WTW CO2 (kt)",
                  "in-boundary total (kt)", "city-controllable total (kt)",
                  *(["drayage t (kt)", "drayage t-km (million)"] if dray else [])]
        text = (
            "Through traffic (trucks entering at one expressway gateway and leaving at another, "
            "without loading or unloading in Shiyan) is accounted as its own fleet "
            "`through_truck`, with the powertrain and emission-standard mix of China's "
            "heavy-truck stock on its own national curve: Shiyan's NEV purchase and China III "
            "phase-out levers do not act on it.  The headline total of this report is the "
            "**in-boundary (territorial) total, including through traffic**; the "
            "**city-controllable total** leaves it out.  Drayage is the road leg of the "
            "tonnage rail carries, between the rail freight yards and the plants and logistics "
            "hubs, driven by Shiyan's trucks (inside the truck rows).  Through trucks are not "
            "in Shiyan's stock or costs.")
        title = "## Through traffic and the two CO2 totals"
    return "\n".join([title, "", text, "", markdown_table(header, rows)])
