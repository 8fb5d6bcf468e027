# ruff: noqa: RUF001 - Chinese labels use full-width punctuation on purpose
"""Seaborn/matplotlib figures drawn from result tables only (never from a live model).

Every figure is a :class:`matplotlib.figure.Figure` on an Agg canvas: pyplot and its
global figure registry are never used, and each figure is cleared after it is saved.
Fonts and the seaborn style are set with :func:`matplotlib.rc_context` for the duration
of one drawing call and restored afterwards.

Colours are defined once: :data:`FLEET_COLORS`, :data:`POWERTRAIN_COLORS`,
:data:`CARRIER_COLORS` and :data:`SCENARIO_COLORS`.  Labels come in English, Chinese or
both (``lang = "en" | "zh" | "en+zh"``); Chinese needs a CJK font (see
:func:`find_cjk_font`), else the figures fall back to English with a warning.
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from transport_sim import report_targets as rt
from transport_sim.codes import POWERTRAINS, ROAD_CLASSES, SITE_KINDS
from transport_sim.errors import TransportSimError, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ======================================================================================
# constants: palettes, units, labels (immutable)
# ======================================================================================
DPI: Final = 150
LANGS: Final = ("en", "zh", "en+zh")
FLEET_ORDER: Final = ("bus", "taxi", "truck", "ship", "rail_freight")
ROAD_FLEETS: Final = ("bus", "taxi", "truck", "ship")
CARRIER_ORDER: Final = ("diesel", "petrol", "cng", "lng", "electricity", "hydrogen")
DAY_TYPE_ORDER: Final = ("weekday", "holiday")
#: One colour per fleet (seaborn "colorblind").
FLEET_COLORS: Final[Mapping[str, str]] = MappingProxyType({
    "bus": "#0173b2", "taxi": "#de8f05", "truck": "#d55e00", "ship": "#56b4e9",
    "rail_freight": "#949494",
})
#: One colour per powertrain: fossil in greys/warm tones, electric in greens/blues.
POWERTRAIN_COLORS: Final[Mapping[str, str]] = MappingProxyType({
    "diesel": "#4d4d4d", "petrol": "#d55e00", "cng": "#e6ab02", "lng": "#a6761d",
    "hybrid": "#cc78bc", "bev": "#029e73", "fcev": "#0173b2", "electric_rail": "#8fd175",
    "diesel_rail": "#949494",
})
#: One colour per energy carrier.
CARRIER_COLORS: Final[Mapping[str, str]] = MappingProxyType({
    "diesel": "#4d4d4d", "petrol": "#d55e00", "cng": "#e6ab02", "lng": "#a6761d",
    "electricity": "#029e73", "hydrogen": "#0173b2",
})
#: Colours of compared scenarios, in folder order (seaborn "colorblind", reordered).
SCENARIO_COLORS: Final = ("#0173b2", "#d55e00", "#029e73", "#cc78bc", "#de8f05", "#56b4e9",
                          "#ca9161", "#949494", "#fbafe4", "#ece133")
#: Marker per fleet (lines that may overlap, e.g. NEV shares at 100 %).
FLEET_MARKERS: Final[Mapping[str, str]] = MappingProxyType({
    "bus": "o", "taxi": "s", "truck": "^", "ship": "D", "rail_freight": "v",
})
#: Marker per charger site kind.
SITE_KIND_MARKERS: Final[Mapping[str, str]] = MappingProxyType({
    "depot": "s", "urban": "o", "service_area": "^", "port": "D",
})
#: Carrier -> (annual.parquet column, factor to the plotted unit, unit label key).
CARRIER_UNITS: Final[Mapping[str, tuple[str, float, str]]] = MappingProxyType({
    "diesel": ("diesel_l", 1e-6, "unit_ml"),
    "petrol": ("petrol_l", 1e-6, "unit_ml"),
    "cng": ("cng_kg", 1e-6, "unit_kt"),
    "lng": ("lng_kg", 1e-6, "unit_kt"),
    "electricity": ("electricity_kwh", 1e-6, "unit_gwh"),
    "hydrogen": ("hydrogen_kg", 1e-3, "unit_t"),
})
#: Line width (points) per road class code, expressway first; water edges last.
ROAD_WIDTH_PT: Final = (1.3, 1.0, 0.8, 0.6, 0.4, 0.25, 0.6)
#: Sites shown in a charger heatmap.
HEATMAP_SITES: Final = 25
#: Sites labelled on the charger map.
MAP_LABELLED_SITES: Final = 5
#: Fonts that carry Chinese glyphs, in order of preference.
CJK_FONT_NAMES: Final = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                         "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
                         "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")
#: File-name fragments of the same fonts (found on disk but not yet known to matplotlib).
CJK_FONT_FILES: Final = ("notosanscjk", "notosanssc", "sourcehansans", "wqy-zenhei",
                         "wqy-microhei", "droidsansfallback", "uming", "simhei", "msyh")
CJK_PACKAGES: Final = "fonts-noto-cjk or fonts-wqy-zenhei"

#: key -> (English, Chinese).  Titles and axis labels; units are part of the label.
LABELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "co2_title": ("CO₂ emissions by fleet", "分车队二氧化碳排放"),
    "ttw": ("tank-to-wheel (TTW)", "油箱到车轮 (TTW)"),
    "wtw": ("well-to-wheel (WTW)", "油井到车轮 (WTW)"),
    "co2_axis": ("CO₂, kt/yr", "二氧化碳，千吨/年"),
    "year": ("year", "年份"),
    "peak": ("peak", "峰值"),
    "composition_title": ("Fleet composition by powertrain (stock at year end)",
                          "各车队动力类型构成（年末保有量）"),
    "vehicles_axis": ("vehicles in stock", "保有量，辆"),
    "energy_title": ("Energy use by carrier and fleet, physical units",
                     "分能源品种、分车队能耗（实物量）"),
    "final_energy_title": ("Final energy by carrier (electricity at the charger)",
                           "分能源品种终端能耗（电力按充电端计）"),
    "final_energy_axis": ("final energy, GWh/yr", "终端能耗，吉瓦时/年"),
    "unit_ml": ("million L/yr", "百万升/年"),
    "unit_kt": ("kt/yr", "千吨/年"),
    "unit_gwh": ("GWh/yr", "吉瓦时/年"),
    "unit_t": ("t/yr", "吨/年"),
    "none": ("none", "无"),
    "heatmap_title": ("Chargers: busiest {n} sites by hour, {year} {day}",
                      "充电站分时负荷：最繁忙的{n}个站点，{year}年{day}"),
    "util_axis": ("plugs busy, % of plugs", "在用充电枪，%"),
    "queue_axis": ("vehicles waiting (mean)", "排队车辆（平均），辆"),
    "p95_axis": ("P95 wait, min", "95分位等待，分钟"),
    "hour_axis": ("hour of day, h", "时段，时"),
    "util_panel": ("utilisation by hour", "分时利用率"),
    "queue_panel": ("queue by hour", "分时排队"),
    "p95_panel": ("P95 wait (day)", "95分位等待（全天）"),
    "map_title": ("Charger sites coloured by daily utilisation, {year} {day}",
                  "充电站日利用率分布，{year}年{day}"),
    "lon_axis": ("longitude, °E", "经度，°E"),
    "lat_axis": ("latitude, °N", "纬度，°N"),
    "daily_util": ("daily utilisation, % of plug-hours", "日利用率，% 充电枪小时"),
    "roads_missing": ("road network not available: sites only", "路网不可用：仅显示站点"),
    "size_note": ("marker size ~ plugs", "符号大小 ~ 充电枪数"),
    "nox_title": ("Exhaust NOx and PM2.5 by fleet", "分车队尾气氮氧化物与细颗粒物"),
    "nox_axis": ("NOx, t/yr", "氮氧化物，吨/年"),
    "pm_axis": ("PM2.5, t/yr", "细颗粒物 PM2.5，吨/年"),
    "targets_title": ("Plan targets: Shiyan carbon-peak plan 2024, section III(7)",
                      "规划目标：十堰市碳达峰方案（2024）三(七)"),
    "nev_new_axis": ("NEV share of new vehicles, %", "新增车辆新能源占比，%"),
    "nev_stock_axis": ("NEV share of stock, %", "保有量新能源占比，%"),
    "light_truck": ("light truck", "轻型货车"),
    "rail_axis": ("rail share of freight, %", "铁路货运占比，%"),
    "rail_curve": ("tonnage (scenario input)", "货运量（情景输入）"),
    "rail_tkm": ("tonne-km (simulated)", "周转量（模拟）"),
    "coverage_axis": ("service areas with chargers (scenario input), %",
                      "服务区充电覆盖率（情景输入），%"),
    "sites_axis": ("charged service areas, sites", "有充电设施的服务区，个"),
    "old_trucks_axis": ("China III-and-older diesel trucks, vehicles", "国三及以下柴油货车，辆"),
    "ships_axis": ("non-NEV ships purchased, vessels/yr", "新增非新能源船舶，艘/年"),
    "target": ("plan target", "规划目标"),
    "nev_new_panel": ("NEV share of new vehicles\n(target: bus, taxi 100 % from 2025)",
                      "新增车辆新能源占比\n（目标：公交、出租2025年起100%）"),
    "nev_stock_panel": ("NEV share of stock\n(no target)", "保有量新能源占比\n（无目标）"),
    "rail_panel": ("rail share of freight\n(target: ≥ 9 % from 2025)",
                   "铁路货运占比\n（目标：2025年起不低于9%）"),
    "coverage_panel": ("service-area charging\n(target: ≥ 70 % by 2030)",
                       "服务区充电设施\n（目标：2030年不低于70%）"),
    "old_trucks_panel": ("China III-and-older diesel trucks\n(target: phased out)",
                         "国三及以下柴油货车\n（目标：淘汰）"),
    "ships_panel": ("new non-NEV reservoir ships\n(target: none from 2025)",
                    "新增非新能源船舶\n（目标：2025年起为0）"),
    "day_title": ("Vehicles by state over the representative day (simulated sample)",
                  "典型日各状态车辆数（模拟样本）"),
    "time_axis": ("time of day, h", "时刻，时"),
    "sim_vehicles_axis": ("simulated vehicles", "模拟车辆数，辆"),
    "schematic": ("SCHEMATIC network", "示意路网"),
    "seed": ("seed", "随机种子"),
    "compare_co2_title": ("CO₂ emissions: scenarios compared", "二氧化碳排放：情景比较"),
    "compare_fleet_title": ("Well-to-wheel CO₂ by fleet: scenarios compared",
                            "分车队油井到车轮二氧化碳排放：情景比较"),
    "compare_nev_title": ("NEV share by fleet: scenarios compared (solid: stock, dashed: new)",
                          "分车队新能源占比：情景比较（实线：保有量，虚线：新增）"),
    "compare_energy_title": ("Energy use by carrier: scenarios compared (physical units)",
                             "分能源品种能耗：情景比较（实物量）"),
    "compare_nox_title": ("Exhaust NOx and PM2.5: scenarios compared",
                          "尾气氮氧化物与细颗粒物：情景比较"),
    "nev_share_axis": ("NEV share, %", "新能源占比，%"),
})
#: Category names: (English, Chinese).
NAMES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "bus": ("bus", "公交车"), "taxi": ("taxi", "出租车"), "truck": ("truck", "货车"),
    "ship": ("ship", "船舶"), "rail_freight": ("rail freight", "铁路货运"),
    "diesel": ("diesel", "柴油"), "petrol": ("petrol", "汽油"), "cng": ("CNG", "压缩天然气"),
    "lng": ("LNG", "液化天然气"), "hybrid": ("hybrid", "混合动力"), "bev": ("BEV", "纯电动"),
    "fcev": ("FCEV", "燃料电池"), "electric_rail": ("electric rail", "电力机车"),
    "diesel_rail": ("diesel rail", "内燃机车"), "electricity": ("electricity", "电力"),
    "hydrogen": ("hydrogen", "氢"), "weekday": ("weekday", "工作日"),
    "holiday": ("holiday peak", "节假日高峰"), "depot": ("bus depot", "公交场站"),
    "urban": ("urban hub", "城市充电站"), "service_area": ("service area", "高速服务区"),
    "port": ("port", "港口"), "moving": ("moving", "行驶"), "queued": ("queued", "排队"),
    "charging": ("charging", "充电"), "stranded": ("stranded", "电量耗尽"),
})
#: Vehicle states of ``timeseries.parquet`` drawn in the day profile.
DAY_STATES: Final = ("moving", "charging", "queued", "stranded")
DAY_STATE_COLORS: Final[Mapping[str, str]] = MappingProxyType({
    "moving": "#0173b2", "charging": "#029e73", "queued": "#de8f05", "stranded": "#d55e00",
})


# ======================================================================================
# labels and fonts
# ======================================================================================
@dataclass(frozen=True)
class Labeller:
    """Figure text in one language.

    Parameters
    ----------
    lang
        ``"en"``, ``"zh"`` or ``"en+zh"`` (English first line, Chinese second line).
    """

    lang: str = "en"

    def text(self, key: str, **fmt: Any) -> str:
        """Return the title/axis label ``key``; category values in ``fmt`` are translated."""
        en, zh = LABELS[key]
        en_text = en.format(**{k: self._translate(v, 0) for k, v in fmt.items()})
        zh_text = zh.format(**{k: self._translate(v, 1) for k, v in fmt.items()})
        if self.lang == "zh":
            return zh_text
        if self.lang == "en+zh":
            return f"{en_text}\n{zh_text}"
        return en_text

    def name(self, key: str) -> str:
        """Return the display name of a category (fleet, powertrain, carrier, kind...)."""
        en, zh = NAMES.get(key, (key, key))
        if self.lang == "zh":
            return zh
        if self.lang == "en+zh":
            return f"{en} {zh}"
        return en

    @staticmethod
    def _translate(value: Any, index: int) -> Any:
        return NAMES[value][index] if isinstance(value, str) and value in NAMES else value


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is one of :data:`LANGS`, else raise a user error."""
    if lang not in LANGS:
        raise TransportSimError(
            describe(None, "lang", lang, f"expected one of: {', '.join(LANGS)}"))
    return lang


def find_cjk_font() -> str | None:
    """Return the family name of an installed font with Chinese glyphs, or ``None``.

    Looks at the fonts matplotlib knows, then at font files on disk whose names match
    :data:`CJK_FONT_FILES` (fonts installed after matplotlib built its font cache) and
    registers such a file with matplotlib's font manager.
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONT_NAMES:
        if name in known:
            return name
    for path in sorted(font_manager.findSystemFonts()):
        stem = Path(path).name.lower().replace("_", "").replace(" ", "")
        if any(frag in stem for frag in CJK_FONT_FILES):
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
    return None


def resolve_lang(lang: str) -> tuple[str, str | None]:
    """Return ``(lang, cjk_font)``: the language actually drawn and the CJK font, if any.

    Falls back to English with a :class:`UserWarning` when Chinese labels are asked for
    and no CJK font is installed.
    """
    lang = check_lang(lang)
    font = find_cjk_font()
    if lang != "en" and font is None:
        warnings.warn(
            f"lang = {lang!r}: no CJK font found (install {CJK_PACKAGES}); "
            "drawing the figures with English labels",
            UserWarning, stacklevel=3,
        )
        return "en", None
    return lang, font


@contextlib.contextmanager
def figure_style(cjk_font: str | None) -> Iterator[None]:
    """Apply the seaborn ``whitegrid`` style and fonts for the duration of a block.

    Not thread-safe: :func:`matplotlib.rc_context` changes ``rcParams`` until the block
    ends.
    """
    import matplotlib as mpl
    import seaborn as sns

    # explicit family names: matplotlib falls back glyph by glyph along this list only
    # (a generic "sans-serif" entry resolves to a single font)
    families = ["DejaVu Sans", *([cjk_font] if cjk_font else [])]
    rc = {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("notebook", font_scale=0.85),
        "font.family": families,
        "axes.titleweight": "bold",
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "legend.frameon": False,
    }
    with mpl.rc_context(rc):
        yield


def drawable(text: str, cjk_font: str | None) -> bool:
    """Return True if ``text`` can be drawn: ASCII/Latin, or any text with a CJK font."""
    return cjk_font is not None or all(ord(c) < 0x2E80 for c in text)


# ======================================================================================
# figure plumbing
# ======================================================================================
@dataclass(frozen=True)
class RunInfo:
    """What figure titles say about the run(s) drawn.

    Attributes
    ----------
    label
        ``"<scenario>, seed <n>"`` or the compared scenarios.
    schematic
        True when a run used the schematic network (flagged in every title).
    """

    label: str
    schematic: bool

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> RunInfo:
        """Build from ``run.json``."""
        return cls(f"{meta.get('scenario', '?')}, seed {meta.get('seed', '?')}",
                   bool(meta.get("network_schematic", False)))


def new_figure(width_in: float, height_in: float) -> Figure:
    """Return a constrained-layout :class:`~matplotlib.figure.Figure` on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def set_suptitle(fig: Figure, title: str, info: RunInfo, lab: Labeller) -> None:
    """Title plus a subtitle naming the run; the schematic network is flagged there."""
    sub = info.label
    if info.schematic:
        sub += f"  —  {lab.text('schematic').replace(chr(10), ' / ')}"
    fig.suptitle(f"{title}\n{sub}", fontsize="large")


def save_figure(fig: Figure, path: Path) -> Path:
    """Save ``fig`` as a PNG at :data:`DPI` (atomically: temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.png")
    try:
        fig.savefig(tmp, dpi=DPI, format="png", facecolor="white")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        fig.clear()
    return path


def integer_years(ax: Axes) -> None:
    """Put year ticks on whole years."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))


def outside_legend(fig: Figure, handles: Sequence[Any], labels: Sequence[str],
                   ncols: int | None = None) -> None:
    """One legend for the whole figure, below the axes."""
    if not handles:
        return
    fig.legend(handles, labels, loc="outside lower center",
               ncols=ncols or min(len(labels), 6))


def ordered(values: Sequence[str] | pd.Index, order: Sequence[str]) -> list[str]:
    """Return ``values`` in ``order`` (unknown values last, sorted)."""
    present = {str(v) for v in values}
    return [v for v in order if v in present] + sorted(present - set(order))


# ======================================================================================
# figures of one run
# ======================================================================================
def fig_co2_by_fleet(annual: pd.DataFrame, info: RunInfo, lab: Labeller) -> Figure:
    """TTW and WTW CO2 by fleet (stacked areas, kt/yr) with each total's peak marked."""
    fig = new_figure(12, 5.2)
    axes = fig.subplots(1, 2, sharey=True)
    handles: list[Any] = []
    labels: list[str] = []
    for ax, column, key in zip(axes, ("co2_ttw_t", "co2_wtw_t"), ("ttw", "wtw"), strict=True):
        table = rt.co2_by_year_fleet(annual, column) / 1e3
        fleets = ordered(table.columns, FLEET_ORDER)
        years = table.index.to_numpy()
        polys = ax.stackplot(years, *(table[f].to_numpy() for f in fleets),
                             colors=[FLEET_COLORS.get(f, "#999999") for f in fleets],
                             labels=[lab.name(f) for f in fleets], alpha=0.9, linewidth=0.3,
                             edgecolor="white")
        total = table.sum(axis=1)
        ax.plot(years, total.to_numpy(), color="black", linewidth=1.2)
        peak_year = int(total.idxmax())
        peak_kt = float(total.loc[peak_year])
        ax.axvline(peak_year, color="black", linestyle="--", linewidth=0.9)
        ax.plot([peak_year], [peak_kt], marker="v", color="black", markersize=8)
        ax.annotate(f"{lab.text('peak')} {peak_year}: {peak_kt:,.0f} kt", (peak_year, peak_kt),
                    xytext=(0, 12), textcoords="offset points", ha=_peak_ha(years, peak_year),
                    fontsize="small", bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})
        ax.set_ylim(0, peak_kt * 1.18)
        ax.set_xlim(years.min(), years.max())
        ax.set_title(lab.text(key))
        ax.set_xlabel(lab.text("year"))
        integer_years(ax)
        if not handles:
            handles, labels = list(polys), [lab.name(f) for f in fleets]
    axes[0].set_ylabel(lab.text("co2_axis"))
    set_suptitle(fig, lab.text("co2_title"), info, lab)
    outside_legend(fig, handles, labels)
    return fig


def _peak_ha(years: np.ndarray, peak_year: int) -> str:
    if peak_year <= years.min() + 0.15 * (years.max() - years.min()):
        return "left"
    if peak_year >= years.max() - 0.15 * (years.max() - years.min()):
        return "right"
    return "center"


def stacked_bars(ax: Axes, table: pd.DataFrame, colors: Mapping[str, str], lab: Labeller,
                 width: float = 0.8) -> list[Any]:
    """Draw ``table`` (index: year, columns: categories) as stacked bars; return handles."""
    bottom = np.zeros(len(table))
    handles = []
    x = table.index.to_numpy()
    for col in table.columns:
        values = table[col].to_numpy(dtype=float)
        handles.append(ax.bar(x, values, width, bottom=bottom, color=colors.get(col, "#999999"),
                              label=lab.name(col), linewidth=0))
        bottom += values
    return handles


def fig_fleet_composition(stock: pd.DataFrame, info: RunInfo, lab: Labeller) -> Figure:
    """Stock by powertrain per fleet: stacked bars per year, one panel per fleet."""
    fig = new_figure(12, 7.5)
    fleets = ordered(stock["fleet"].unique(), ROAD_FLEETS)
    ncols = 2
    nrows = max(1, math.ceil(len(fleets) / ncols))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    seen: dict[str, Any] = {}
    for ax, fleet in zip(axes, fleets, strict=False):
        sel = stock[stock["fleet"] == fleet]
        table = sel.pivot_table(index="year", columns="powertrain", values="vehicles",
                                aggfunc="sum").fillna(0)
        table = table[ordered(table.columns, POWERTRAINS)]
        table = table.loc[:, table.sum() > 0]
        for col, handle in zip(table.columns, stacked_bars(ax, table, POWERTRAIN_COLORS, lab),
                               strict=True):
            seen.setdefault(col, handle)
        ax.set_title(lab.name(fleet))
        ax.set_xlabel(lab.text("year"))
        ax.set_ylabel(lab.text("vehicles_axis"))
        ax.yaxis.set_major_formatter(_thousands())
        integer_years(ax)
        ax.grid(axis="x", visible=False)
    for ax in axes[len(fleets):]:
        ax.set_visible(False)
    set_suptitle(fig, lab.text("composition_title"), info, lab)
    keys = ordered(list(seen), POWERTRAINS)
    outside_legend(fig, [seen[k] for k in keys], [lab.name(k) for k in keys], ncols=len(keys))
    return fig


def _integer_locator() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def fig_energy_by_carrier(annual: pd.DataFrame, info: RunInfo, lab: Labeller) -> Figure:
    """Energy use per carrier in physical units (million L, kt, GWh, t), stacked by fleet."""
    fig = new_figure(13, 7.5)
    axes = fig.subplots(2, 3).ravel()
    seen: dict[str, Any] = {}
    years = sorted(int(y) for y in annual["year"].unique())
    for ax, carrier in zip(axes, CARRIER_ORDER, strict=True):
        column, factor, unit_key = CARRIER_UNITS[carrier]
        table = annual.pivot_table(index="year", columns="fleet", values=column,
                                   aggfunc="sum").reindex(years).fillna(0.0) * factor
        table = table[ordered(table.columns, FLEET_ORDER)]
        table = table.loc[:, table.sum() > 0]
        if table.empty:
            ax.text(0.5, 0.5, lab.text("none"), ha="center", va="center",
                    transform=ax.transAxes, color="0.5")
        else:
            for col, handle in zip(table.columns, stacked_bars(ax, table, FLEET_COLORS, lab),
                                   strict=True):
                seen.setdefault(col, handle)
        ax.set_title(lab.name(carrier))
        ax.set_ylabel(lab.text(unit_key))
        ax.set_xlabel(lab.text("year"))
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        integer_years(ax)
        ax.grid(axis="x", visible=False)
    set_suptitle(fig, lab.text("energy_title"), info, lab)
    keys = ordered(list(seen), FLEET_ORDER)
    outside_legend(fig, [seen[k] for k in keys], [lab.name(k) for k in keys])
    return fig


def energy_kwh_by_carrier(annual: pd.DataFrame) -> pd.DataFrame:
    """Return final energy (kWh/yr) per year (rows) and carrier (columns).

    Each ``annual.parquet`` row burns one carrier (the carrier column that is non-zero);
    its ``energy_kwh`` is attributed to that carrier.  Rows with no carrier amount (stock
    that was not simulated) carry no energy.
    """
    cols = [CARRIER_UNITS[c][0] for c in CARRIER_ORDER]
    amounts = annual[cols].to_numpy(dtype=float)
    has = amounts.max(axis=1) > 0
    carrier = np.array(CARRIER_ORDER, dtype=object)[np.argmax(amounts > 0, axis=1)]
    frame = pd.DataFrame({"year": annual["year"].astype(int).to_numpy()[has],
                          "carrier": carrier[has],
                          "energy_kwh": annual["energy_kwh"].to_numpy(dtype=float)[has]})
    years = sorted(int(y) for y in annual["year"].unique())
    table = frame.pivot_table(index="year", columns="carrier", values="energy_kwh",
                              aggfunc="sum").reindex(years).fillna(0.0)
    return table[ordered(table.columns, CARRIER_ORDER)]


def fig_final_energy(annual: pd.DataFrame, info: RunInfo, lab: Labeller) -> Figure:
    """Draw final energy by carrier, GWh/yr, as stacked areas."""
    fig = new_figure(10, 5.5)
    ax = fig.subplots()
    table = energy_kwh_by_carrier(annual) / 1e6
    table = table.loc[:, table.sum() > 0]
    years = table.index.to_numpy()
    polys = ax.stackplot(years, *(table[c].to_numpy() for c in table.columns),
                         colors=[CARRIER_COLORS[c] for c in table.columns], alpha=0.9,
                         linewidth=0.3, edgecolor="white")
    ax.set_xlim(years.min(), years.max())
    ax.set_xlabel(lab.text("year"))
    ax.set_ylabel(lab.text("final_energy_axis"))
    ax.yaxis.set_major_formatter(_thousands())
    integer_years(ax)
    set_suptitle(fig, lab.text("final_energy_title"), info, lab)
    outside_legend(fig, list(polys), [lab.name(c) for c in table.columns])
    return fig


def hourly_matrix(chargers: pd.DataFrame, hourly: pd.DataFrame, year: int, day_type: str,
                  n_sites: int = HEATMAP_SITES) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the busiest sites of a day and their hourly utilisation and queue.

    Returns
    -------
    sites, util_pct, queue
        ``sites``: chargers rows of the ``n_sites`` sites with the highest daily
        utilisation (descending); ``util_pct``: busy plugs / plugs x 100 per site (rows,
        same order) and hour (columns 0-23); ``queue``: mean vehicles waiting.
    """
    day = chargers[(chargers["year"] == year) & (chargers["day_type"] == day_type)]
    day = day[day["plugs"] > 0]
    sites = day.sort_values(["utilisation", "site_id"], ascending=[False, True],
                            kind="stable").head(n_sites).reset_index(drop=True)
    rows = hourly[(hourly["year"] == year) & (hourly["day_type"] == day_type)
                  & hourly["site_id"].isin(sites["site_id"])]
    busy = rows.pivot_table(index="site_id", columns="hour", values="busy_plugs",
                            aggfunc="mean").reindex(sites["site_id"]).reindex(
                                columns=range(24)).fillna(0.0)
    queue = rows.pivot_table(index="site_id", columns="hour", values="mean_queue",
                             aggfunc="mean").reindex(sites["site_id"]).reindex(
                                 columns=range(24)).fillna(0.0)
    util = 100.0 * busy.div(sites.set_index("site_id")["plugs"].astype(float), axis=0)
    return sites, util, queue


def site_name(row: Any, cjk_font: str | None) -> str:
    """Site name if the fonts can draw it, else the drawable parts of its id.

    Without a CJK font, ``"service_area:11:武当山服务区"`` becomes ``"service_area:11"``.
    """
    name = str(row["name"])
    if drawable(name, cjk_font):
        return name
    parts = [p for p in str(row["site_id"]).split(":") if p and drawable(p, cjk_font)]
    return ":".join(parts) or "?"


def site_label(row: Any, lab: Labeller, cjk_font: str | None) -> str:
    """Site name (see :func:`site_name`) with its kind."""
    return f"{site_name(row, cjk_font)} ({lab.name(str(row['kind']))})"


def fig_charger_heatmap(chargers: pd.DataFrame, hourly: pd.DataFrame, year: int,
                        day_type: str, info: RunInfo, lab: Labeller,
                        cjk_font: str | None) -> Figure:
    """Busiest sites by hour: utilisation and queue heatmaps plus each site's P95 wait."""
    import seaborn as sns

    sites, util, queue = hourly_matrix(chargers, hourly, year, day_type)
    n = len(sites)
    fig = new_figure(16, 3.2 + 0.3 * max(n, 5))
    ax_util, ax_queue, ax_wait = fig.subplots(1, 3, sharey=True,
                                              gridspec_kw={"width_ratios": [5, 5, 1.6]})
    labels = [site_label(r, lab, cjk_font) for _, r in sites.iterrows()]
    util.index = queue.index = labels
    # explicit tick labels: seaborn's "auto" ticks draw the whole figure to measure them
    ticks = {"xticklabels": True, "yticklabels": True}
    sns.heatmap(util, ax=ax_util, cmap="rocket_r", vmin=0, vmax=100, linewidths=0.2,
                linecolor="white", cbar_kws={"label": lab.text("util_axis"), "shrink": 0.8},
                **ticks)
    from matplotlib.colors import PowerNorm

    # a square-root scale keeps short queues visible next to a single overloaded site
    queue_norm = PowerNorm(0.5, vmin=0.0, vmax=max(1.0, float(queue.to_numpy().max())))
    sns.heatmap(queue, ax=ax_queue, cmap="mako_r", norm=queue_norm, linewidths=0.2,
                linecolor="white", cbar_kws={"label": lab.text("queue_axis"), "shrink": 0.8},
                **ticks)
    for ax, key in ((ax_util, "util_panel"), (ax_queue, "queue_panel")):
        ax.set_xlabel(lab.text("hour_axis"))
        ax.set_ylabel("")
        ax.set_title(lab.text(key))
        ax.tick_params(axis="x", rotation=0, labelsize="small")
    ax_util.tick_params(axis="y", labelsize="small")
    ax_queue.tick_params(axis="y", left=False)
    y = np.arange(n) + 0.5
    ax_wait.barh(y, sites["wait_p95_min"].to_numpy(float), height=0.7,
                 color=[_kind_color(k) for k in sites["kind"]])
    ax_wait.set_xlabel(lab.text("p95_axis"))
    ax_wait.set_title(lab.text("p95_panel"))
    ax_wait.grid(axis="y", visible=False)
    ax_wait.tick_params(axis="y", left=False)
    kinds = ordered(sites["kind"].unique(), SITE_KINDS)
    _kind_legend(fig, kinds, lab)
    title = lab.text("heatmap_title", n=n, year=year, day=day_type)
    set_suptitle(fig, title, info, lab)
    return fig


def _kind_legend(fig: Figure, kinds: Sequence[str], lab: Labeller) -> None:
    from matplotlib.patches import Patch

    outside_legend(fig, [Patch(color=_kind_color(k)) for k in kinds],
                   [lab.name(k) for k in kinds])


def _kind_color(kind: str) -> str:
    palette = dict(zip(SITE_KINDS, ("#0173b2", "#de8f05", "#d55e00", "#56b4e9"), strict=True))
    return palette.get(kind, "#949494")


def load_roads(meta: Mapping[str, Any]) -> Any:
    """Return the run's network (``.roads`` and ``.water``) or ``None`` if it cannot load.

    The map is context, not data: any failure (missing file, no osmnx, corrupt cache)
    leaves the map with the sites only.
    """
    path = meta.get("network_file")
    if not path or not Path(path).exists():
        return None
    try:
        from transport_sim.network import load_network

        network = load_network(Path(path))
    except Exception as exc:
        warnings.warn(f"charger map: road network {path} not drawn: {exc}", UserWarning,
                      stacklevel=2)
        return None
    return SimpleNamespace(roads=network.roads, water=getattr(network, "water", None))


def draw_graph(ax: Axes, graph: Any, *, water: bool = False) -> None:
    """Draw a :class:`~transport_sim.network.GraphArrays` as light line segments."""
    from matplotlib.collections import LineCollection

    lon = np.asarray(graph.node_lon, float)
    lat = np.asarray(graph.node_lat, float)
    tail = np.asarray(graph.edge_tail, int)
    head = np.asarray(graph.edge_head, int)
    cls = np.asarray(graph.edge_class, int)
    segments = np.stack([np.column_stack([lon[tail], lat[tail]]),
                         np.column_stack([lon[head], lat[head]])], axis=1)
    widths = np.asarray(ROAD_WIDTH_PT)[np.clip(cls, 0, len(ROAD_WIDTH_PT) - 1)]
    water_code = ROAD_CLASSES.index("water")
    colors = np.where((cls == water_code) | water, "#9ecae1", "#bdbdbd")
    order = np.argsort(-cls, kind="stable")  # minor roads first, expressways on top
    ax.add_collection(LineCollection(segments[order], linewidths=widths[order],
                                     colors=colors[order], zorder=1, capstyle="round"))


def busiest_day(chargers: pd.DataFrame, year: int) -> str:
    """Return the day type shown on the map: the holiday peak if simulated."""
    days = set(chargers.loc[chargers["year"] == year, "day_type"])
    return "holiday" if "holiday" in days else (sorted(days)[0] if days else "weekday")


def fig_charger_map(chargers: pd.DataFrame, network: Any, info: RunInfo, lab: Labeller,
                    cjk_font: str | None) -> Figure:
    """Charger sites of the last year's busiest day coloured by utilisation over the roads.

    When the city's sites crowd into a small part of the map, an inset shows them zoomed.
    """
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    year = int(chargers["year"].max())
    day_type = busiest_day(chargers, year)
    day = chargers[(chargers["year"] == year) & (chargers["day_type"] == day_type)]
    # megawatt companions share their service area's position: show the area once
    day = day[~day["site_id"].astype(str).str.endswith(rt.MCS_SUFFIX)]
    extent = map_extent(day, network)
    fig = new_figure(11, map_height_in(extent, 8.0))
    ax = fig.subplots()
    util = 100.0 * day["utilisation"].to_numpy(float)
    vmax = max(50.0, float(np.ceil(util.max() / 10) * 10)) if len(util) else 100.0
    norm = Normalize(vmin=0.0, vmax=vmax)
    scatter = draw_sites(ax, day, network, norm)
    if network is None:
        ax.text(0.01, 0.01, lab.text("roads_missing"), transform=ax.transAxes, fontsize="small",
                color="0.4")
    if scatter is not None:
        fig.colorbar(scatter, ax=ax, label=lab.text("daily_util"), shrink=0.8)
    for rank, (_, row) in enumerate(rt.worst_chargers(day, MAP_LABELLED_SITES).iterrows()):
        dx, dy, ha = LABEL_OFFSETS[rank % len(LABEL_OFFSETS)]
        ax.annotate(f"{site_name(row, cjk_font)}: P95 {row['wait_p95_min']:.0f} min",
                    (row["lon"], row["lat"]), xytext=(dx, dy), ha=ha,
                    textcoords="offset points", fontsize="x-small", zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6",
                          "alpha": 0.85})
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect(extent[4])
    _city_inset(ax, day, network, norm, extent)
    handles = [Line2D([], [], marker=SITE_KIND_MARKERS.get(k, "o"), linestyle="",
                      markerfacecolor="white", markeredgecolor="black", markersize=8,
                      label=lab.name(k)) for k in ordered(day["kind"].unique(), SITE_KINDS)]
    outside_legend(fig, handles, [h.get_label() for h in handles], ncols=max(1, len(handles)))
    ax.set_xlabel(lab.text("lon_axis"))
    ax.set_ylabel(lab.text("lat_axis"))
    ax.set_title(lab.text("size_note"), fontsize="small", fontweight="normal", loc="right")
    set_suptitle(fig, lab.text("map_title", year=year, day=day_type), info, lab)
    return fig


def draw_sites(ax: Axes, sites: pd.DataFrame, network: Any, norm: Any) -> Any:
    """Draw the road (and water) network and the sites; return the last scatter."""
    if network is not None:
        draw_graph(ax, network.roads)
        if getattr(network, "water", None) is not None:
            draw_graph(ax, network.water, water=True)
    scatter = None
    for kind in ordered(sites["kind"].unique(), SITE_KINDS):
        sel = sites[sites["kind"] == kind]
        scatter = ax.scatter(sel["lon"], sel["lat"], c=100.0 * sel["utilisation"],
                             cmap="rocket_r", norm=norm, s=site_marker_size(sel["plugs"]),
                             marker=SITE_KIND_MARKERS.get(kind, "o"), edgecolors="black",
                             linewidths=0.6, zorder=3)
    return scatter


#: Offsets (points) and alignment of the labels of the worst sites, used in turn.
LABEL_OFFSETS: Final = ((8, 8, "left"), (8, -14, "left"), (-8, 8, "right"), (-8, -14, "right"))
#: Inset positions (axes fractions: x, y), in order of preference.
INSET_CORNERS: Final = ((0.0, 0.62), (0.62, 0.62), (0.0, 0.0), (0.62, 0.0))
INSET_SIZE: Final = 0.38
#: The city inset is drawn when the urban sites span less than this share of the map.
INSET_MAX_SPAN: Final = 0.2


def _emptiest_corner(sites: pd.DataFrame,
                     extent: tuple[float, float, float, float, float]) -> tuple[float, float]:
    """Return the corner of :data:`INSET_CORNERS` that covers the fewest sites."""
    x = (sites["lon"].to_numpy(float) - extent[0]) / (extent[1] - extent[0])
    y = (sites["lat"].to_numpy(float) - extent[2]) / (extent[3] - extent[2])
    counts = [int(np.sum((x >= cx) & (x <= cx + INSET_SIZE) & (y >= cy) & (y <= cy + INSET_SIZE)))
              for cx, cy in INSET_CORNERS]
    return INSET_CORNERS[int(np.argmin(counts))]


def _city_inset(ax: Axes, sites: pd.DataFrame, network: Any, norm: Any,
                extent: tuple[float, float, float, float, float]) -> None:
    """Zoomed inset of the urban hubs and depots when they crowd a small part of the map."""
    city = sites[sites["kind"] == "urban"]
    if len(city) < 3:
        return
    lon0, lon1 = np.percentile(city["lon"], [5, 95])
    lat0, lat1 = np.percentile(city["lat"], [5, 95])
    span = max((lon1 - lon0) / (extent[1] - extent[0]), (lat1 - lat0) / (extent[3] - extent[2]))
    if span > INSET_MAX_SPAN:
        return
    pad = 0.3 * max(lon1 - lon0, lat1 - lat0, 0.02)
    inset = ax.inset_axes((*_emptiest_corner(sites, extent), INSET_SIZE, INSET_SIZE))
    draw_sites(inset, sites, network, norm)
    inset.set_xlim(lon0 - pad, lon1 + pad)
    inset.set_ylim(lat0 - pad, lat1 + pad)
    inset.set_aspect(extent[4])
    inset.set_xticks([])
    inset.set_yticks([])
    inset.grid(visible=False)
    inset.set_facecolor("white")
    ax.indicate_inset_zoom(inset, edgecolor="0.3")


def site_marker_size(plugs: pd.Series) -> np.ndarray:
    """Scatter marker area (points^2) growing with the square root of the plug count."""
    return 30.0 + 25.0 * np.sqrt(plugs.to_numpy(float))


def map_extent(sites: pd.DataFrame, network: Any) -> tuple[float, float, float, float, float]:
    """Return ``(lon_min, lon_max, lat_min, lat_max, aspect)`` of the map (padded).

    ``aspect`` = 1 / cos(mean latitude), so that distances look right.
    """
    lon = sites["lon"].to_numpy(float)
    lat = sites["lat"].to_numpy(float)
    if network is not None:
        lon = np.concatenate([lon, np.asarray(network.roads.node_lon, float)])
        lat = np.concatenate([lat, np.asarray(network.roads.node_lat, float)])
    if lon.size == 0:
        return 0.0, 1.0, 0.0, 1.0, 1.0
    pad_lon = max(0.02, 0.04 * float(np.ptp(lon)))
    pad_lat = max(0.02, 0.04 * float(np.ptp(lat)))
    aspect = 1.0 / math.cos(math.radians(float(np.mean(lat))))
    return (float(lon.min() - pad_lon), float(lon.max() + pad_lon),
            float(lat.min() - pad_lat), float(lat.max() + pad_lat), aspect)


def map_height_in(extent: tuple[float, float, float, float, float], axes_width_in: float) -> float:
    """Figure height (inches) for a map axes ``axes_width_in`` wide, plus titles and legend."""
    dx = extent[1] - extent[0]
    dy = (extent[3] - extent[2]) * extent[4]
    return float(np.clip(axes_width_in * dy / dx + 2.4, 5.5, 12.0))


def fig_nox_pm(annual: pd.DataFrame, info: RunInfo, lab: Labeller) -> Figure:
    """NOx and PM2.5 exhaust emissions by fleet, t/yr, stacked areas."""
    fig = new_figure(12, 5)
    axes = fig.subplots(1, 2)
    handles: dict[str, Any] = {}
    for ax, column, axis_key in zip(axes, ("nox_t", "pm_t"), ("nox_axis", "pm_axis"),
                                    strict=True):
        table = rt.co2_by_year_fleet(annual, column)
        table = table[ordered(table.columns, FLEET_ORDER)]
        table = table.loc[:, table.sum() > 0]
        years = table.index.to_numpy()
        if table.empty:
            ax.text(0.5, 0.5, lab.text("none"), ha="center", va="center", transform=ax.transAxes)
        else:
            polys = ax.stackplot(years, *(table[f].to_numpy() for f in table.columns),
                                 colors=[FLEET_COLORS[f] for f in table.columns], alpha=0.9)
            handles.update(zip(table.columns, polys, strict=True))
            ax.set_xlim(years.min(), years.max())
        ax.set_ylabel(lab.text(axis_key))
        ax.set_xlabel(lab.text("year"))
        ax.set_title(lab.text(axis_key).split(",")[0].split("，")[0])
        integer_years(ax)
    set_suptitle(fig, lab.text("nox_title"), info, lab)
    keys = ordered(list(handles), FLEET_ORDER)
    outside_legend(fig, [handles[k] for k in keys], [lab.name(k) for k in keys])
    return fig


def _target_line(ax: Axes, value: float, from_year: float, to_year: float, lab: Labeller) -> Any:
    return ax.hlines(value, from_year, to_year, colors="black", linestyles=":", linewidth=1.6,
                     label=lab.text("target"))


def fig_plan_targets(annual: pd.DataFrame, stock: pd.DataFrame, chargers: pd.DataFrame,
                     scenario: Mapping[str, Any], info: RunInfo, lab: Labeller) -> Figure:
    """Draw the plan's transport targets against the simulated trajectories (six panels)."""
    fig = new_figure(14, 8.5)
    axes = fig.subplots(2, 3).ravel()
    years = sorted(int(y) for y in annual["year"].unique())
    y0, y1 = years[0] - 0.3, years[-1] + 0.3
    # (a) NEV share of new vehicles, (b) of the stock
    groups = [("bus", None, "bus"), ("taxi", None, "taxi"), ("truck", None, "truck"),
              ("ship", None, "ship")]
    if (stock["size_class"] == "light").any():
        groups.append(("truck", "light", "light_truck"))
    for ax, column, panel in ((axes[0], "nev_share_of_new", "nev_new_panel"),
                              (axes[1], "nev_share_of_stock", "nev_stock_panel")):
        for fleet, size_class, key in groups:
            shares = rt.nev_shares(stock, fleet, size_class)[column] * 100.0
            style = "--" if size_class else "-"
            label = lab.text(key) if key == "light_truck" else lab.name(fleet)
            ax.plot(shares.index, shares.to_numpy(), style, marker=FLEET_MARKERS[fleet],
                    markersize=4, markerfacecolor="none", color=FLEET_COLORS[fleet], label=label)
        ax.set_ylim(-3, 105)
        ax.set_ylabel(lab.text("nev_new_axis" if column == "nev_share_of_new"
                               else "nev_stock_axis"))
        ax.set_title(lab.text(panel))
    _target_line(axes[0], 100.0, rt.TARGET_FROM_YEAR - 0.3, y1, lab)
    # (c) rail share
    rail = rt.rail_shares(annual, scenario) * 100.0
    ax = axes[2]
    ax.plot(rail.index, rail["rail_tonnage_share"], "-", marker="o", markersize=3,
            color=FLEET_COLORS["rail_freight"], label=lab.text("rail_curve"))
    ax.plot(rail.index, rail["rail_tkm_share"], "--", marker="s", markersize=3,
            color="#0173b2", label=lab.text("rail_tkm"))
    _target_line(ax, rt.TARGET_THRESHOLDS["rail_share"][0] * 100, rt.TARGET_FROM_YEAR - 0.3, y1,
                 lab)
    ax.set_ylim(0, max(15.0, float(np.nanmax(rail[["rail_tonnage_share", "rail_tkm_share"]]
                                              .to_numpy())) * 1.15))
    ax.set_ylabel(lab.text("rail_axis"))
    ax.set_title(lab.text("rail_panel"))
    ax.legend(fontsize="small", loc="lower right")
    # (d) service-area coverage (curve) and simulated charged service areas
    sa = rt.service_area_sites(chargers, scenario, years)
    ax = axes[3]
    ax.plot(sa.index, sa["coverage"] * 100.0, "-", marker="o", markersize=3, color="#d55e00")
    _target_line(ax, rt.TARGET_THRESHOLDS["service_area_coverage"][0] * 100,
                 rt.COVERAGE_TARGET_YEAR - 0.3, max(y1, rt.COVERAGE_TARGET_YEAR + 0.3), lab)
    ax.set_ylim(0, 105)
    ax.set_ylabel(lab.text("coverage_axis"))
    ax.set_title(lab.text("coverage_panel"))
    twin = ax.twinx()
    twin.bar(sa.index, sa["sites"], width=0.6, color="#d55e00", alpha=0.25)
    twin.set_ylabel(lab.text("sites_axis"))
    twin.set_ylim(0, max(1, int(sa["sites"].max())) * 1.6)
    twin.yaxis.set_major_locator(_integer_locator())
    twin.grid(visible=False)
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    # no legend: each axis label takes the colour of what it measures
    ax.yaxis.label.set_color("#d55e00")
    twin.yaxis.label.set_color("#b07a4f")
    # (e) China III-and-older diesel trucks, (f) non-NEV ships purchased
    old = rt.old_diesel_trucks(stock)
    axes[4].bar(old.index, old.to_numpy(), color=POWERTRAIN_COLORS["diesel"], width=0.7)
    axes[4].set_ylabel(lab.text("old_trucks_axis"))
    axes[4].set_title(lab.text("old_trucks_panel"))
    ships = rt.fossil_ships_purchased(stock)
    axes[5].bar(ships.index, ships.to_numpy(), color=FLEET_COLORS["ship"], width=0.7)
    axes[5].set_ylabel(lab.text("ships_axis"))
    axes[5].set_title(lab.text("ships_panel"))
    for ax in axes[4:]:
        ax.set_ylim(bottom=0, top=max(5.0, ax.get_ylim()[1]))
        ax.yaxis.set_major_locator(_integer_locator())
        ax.yaxis.set_major_formatter(_thousands())
    for ax in axes:
        ax.set_xlim(y0, y1)
        ax.set_xlabel(lab.text("year"))
        integer_years(ax)
    set_suptitle(fig, lab.text("targets_title"), info, lab)
    outside_legend(fig, *axes[0].get_legend_handles_labels())
    return fig


def fig_day_profile(timeseries: pd.DataFrame, info: RunInfo, lab: Labeller) -> Figure:
    """Vehicles moving, charging, queued and stranded over the day: first and last year."""
    years = sorted(int(y) for y in timeseries["year"].unique())
    shown = list(dict.fromkeys([years[0], years[-1]]))
    fig = new_figure(12, 4.8)
    axes = np.atleast_1d(fig.subplots(1, len(shown), sharey=True, squeeze=False)).ravel()
    handles: dict[str, Any] = {}
    for ax, year in zip(axes, shown, strict=True):
        for day_type in ordered(timeseries["day_type"].unique(), DAY_TYPE_ORDER):
            sel = timeseries[(timeseries["year"] == year) & (timeseries["day_type"] == day_type)]
            style = "-" if day_type == "weekday" else "--"
            for state in DAY_STATES:
                (line,) = ax.plot(sel["time_h"], sel[state], style, color=DAY_STATE_COLORS[state],
                                  linewidth=1.2)
                handles.setdefault(state, line)
            handles.setdefault(f"day:{day_type}", ax.plot([], [], style, color="black")[0])
        ax.set_title(str(year))
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 3))
        ax.set_xlabel(lab.text("time_axis"))
        ax.set_yscale("symlog", linthresh=10)
    axes[0].set_ylabel(lab.text("sim_vehicles_axis"))
    set_suptitle(fig, lab.text("day_title"), info, lab)
    keys = [*DAY_STATES, *(k for k in handles if k.startswith("day:"))]
    outside_legend(fig, [handles[k] for k in keys if k in handles],
                   [lab.name(k.removeprefix("day:")) for k in keys if k in handles])
    return fig


# ======================================================================================
# all figures of one run
# ======================================================================================
#: File names of the figures of one run (charger heatmaps: one per simulated day type).
RUN_FIGURES: Final = (
    "co2_by_fleet.png", "fleet_composition.png", "energy_by_carrier.png",
    "final_energy_by_carrier.png", "plan_targets.png", "nox_pm.png",
    "charger_utilisation_{day_type}.png", "charger_map.png", "day_profile.png",
)


def draw_run_figures(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                     scenario: Mapping[str, Any], folder: Path, *, lang: str = "en",
                     network: Any = None) -> list[Path]:
    """Draw every figure of one run into ``folder``; return the PNG paths.

    Parameters
    ----------
    tables
        The run's tables (``annual``, ``stock``, ``chargers``, ``charger_hourly``,
        ``timeseries``); figures whose tables are missing or empty are skipped.
    meta
        ``run.json``.
    scenario
        The resolved scenario (``scenario.resolved.toml``) as a dict.
    folder
        Where the PNGs go.
    lang
        ``"en"``, ``"zh"`` or ``"en+zh"``.
    network
        An object with ``roads`` (and ``water``) graph arrays for the map background;
        ``None`` loads ``meta["network_file"]`` (sites only if that fails).
    """
    folder = Path(folder)
    lang, cjk_font = resolve_lang(lang)
    lab = Labeller(lang)
    info = RunInfo.from_meta(meta)
    annual = tables["annual"]
    stock = tables.get("stock", pd.DataFrame())
    chargers = tables.get("chargers", pd.DataFrame())
    hourly = tables.get("charger_hourly", pd.DataFrame())
    series = tables.get("timeseries", pd.DataFrame())
    jobs: list[tuple[str, Any]] = [
        ("co2_by_fleet.png", lambda: fig_co2_by_fleet(annual, info, lab)),
        ("energy_by_carrier.png", lambda: fig_energy_by_carrier(annual, info, lab)),
        ("final_energy_by_carrier.png", lambda: fig_final_energy(annual, info, lab)),
        ("nox_pm.png", lambda: fig_nox_pm(annual, info, lab)),
    ]
    if not stock.empty:
        jobs += [
            ("fleet_composition.png", lambda: fig_fleet_composition(stock, info, lab)),
            ("plan_targets.png", lambda: fig_plan_targets(annual, stock, chargers, scenario,
                                                          info, lab)),
        ]
    if not chargers.empty:
        last = int(chargers["year"].max())
        if not hourly.empty:
            for day_type in ordered(chargers.loc[chargers["year"] == last, "day_type"].unique(),
                                    DAY_TYPE_ORDER):
                jobs.append((f"charger_utilisation_{day_type}.png",
                             lambda d=day_type: fig_charger_heatmap(
                                 chargers, hourly, last, d, info, lab, cjk_font)))
        roads = network if network is not None else load_roads(meta)
        jobs.append(("charger_map.png",
                     lambda: fig_charger_map(chargers, roads, info, lab, cjk_font)))
    if not series.empty:
        jobs.append(("day_profile.png", lambda: fig_day_profile(series, info, lab)))
    written = []
    with figure_style(cjk_font):
        for name, build in jobs:
            written.append(save_figure(build(), folder / name))
    return written


# ======================================================================================
# comparison figures
# ======================================================================================
@dataclass(frozen=True)
class ComparedRun:
    """One run in a comparison: its display name, colour and tables."""

    name: str
    color: str
    annual: pd.DataFrame
    stock: pd.DataFrame
    schematic: bool


def _line(ax: Axes, x: Any, y: Any, run: ComparedRun, style: str = "-") -> Any:
    (line,) = ax.plot(x, y, style, color=run.color, marker="o", markersize=3, linewidth=1.6,
                      label=run.name)
    return line


def _compare_info(runs: Sequence[ComparedRun]) -> RunInfo:
    return RunInfo(" vs ".join(r.name for r in runs), any(r.schematic for r in runs))


def fig_compare_co2(runs: Sequence[ComparedRun], lab: Labeller) -> Figure:
    """Total TTW and WTW CO2 per scenario (kt/yr) with each scenario's peak marked."""
    fig = new_figure(12, 5)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column, key in zip(axes, ("co2_ttw_t", "co2_wtw_t"), ("ttw", "wtw"), strict=True):
        for run in runs:
            total = rt.co2_by_year(run.annual)[column] / 1e3
            _line(ax, total.index, total.to_numpy(), run)
            year = int(total.idxmax())
            ax.plot([year], [total.loc[year]], marker="v", markersize=10, color=run.color,
                    markeredgecolor="black", linestyle="")
        ax.set_title(lab.text(key))
        ax.set_xlabel(lab.text("year"))
        integer_years(ax)
    axes[0].set_ylim(bottom=0)  # shared: set once all lines are drawn
    axes[0].set_ylabel(lab.text("co2_axis"))
    set_suptitle(fig, lab.text("compare_co2_title") + f"  (▼ {lab.text('peak')})",
                 _compare_info(runs), lab)
    outside_legend(fig, *axes[0].get_legend_handles_labels())
    return fig


def fig_compare_co2_by_fleet(runs: Sequence[ComparedRun], lab: Labeller) -> Figure:
    """WTW CO2 per fleet (one panel each), one line per scenario."""
    fleets = ordered({f for r in runs for f in r.annual["fleet"].unique()}, FLEET_ORDER)
    fig = new_figure(15, 4.8)
    axes = np.atleast_1d(fig.subplots(1, len(fleets), squeeze=False)).ravel()
    for ax, fleet in zip(axes, fleets, strict=True):
        for run in runs:
            table = rt.co2_by_year_fleet(run.annual, "co2_wtw_t") / 1e3
            if fleet in table.columns:
                _line(ax, table.index, table[fleet].to_numpy(), run)
        ax.set_title(lab.name(fleet))
        ax.set_xlabel(lab.text("year"))
        ax.set_ylim(bottom=0)
        integer_years(ax)
    axes[0].set_ylabel(lab.text("co2_axis"))
    set_suptitle(fig, lab.text("compare_fleet_title"), _compare_info(runs), lab)
    outside_legend(fig, *axes[0].get_legend_handles_labels())
    return fig


def fig_compare_nev(runs: Sequence[ComparedRun], lab: Labeller) -> Figure:
    """NEV share of stock (solid) and of new purchases (dashed) per fleet and scenario."""
    fig = new_figure(15, 4.8)
    axes = fig.subplots(1, len(ROAD_FLEETS), sharey=True)
    for ax, fleet in zip(axes, ROAD_FLEETS, strict=True):
        for run in runs:
            shares = rt.nev_shares(run.stock, fleet) * 100.0
            _line(ax, shares.index, shares["nev_share_of_stock"].to_numpy(), run)
            _line(ax, shares.index, shares["nev_share_of_new"].to_numpy(), run, "--")
        ax.set_title(lab.name(fleet))
        ax.set_xlabel(lab.text("year"))
        ax.set_ylim(-3, 105)
        integer_years(ax)
    axes[0].set_ylabel(lab.text("nev_share_axis"))
    set_suptitle(fig, lab.text("compare_nev_title"), _compare_info(runs), lab)
    handles, labels = axes[0].get_legend_handles_labels()
    outside_legend(fig, handles[::2], labels[::2])
    return fig


def fig_compare_energy(runs: Sequence[ComparedRun], lab: Labeller) -> Figure:
    """Energy use per carrier (physical units), one line per scenario."""
    fig = new_figure(13, 7.5)
    axes = fig.subplots(2, 3).ravel()
    for ax, carrier in zip(axes, CARRIER_ORDER, strict=True):
        column, factor, unit_key = CARRIER_UNITS[carrier]
        for run in runs:
            total = run.annual.groupby("year")[column].sum() * factor
            _line(ax, total.index, total.to_numpy(), run)
        ax.set_title(lab.name(carrier))
        ax.set_ylabel(lab.text(unit_key))
        ax.set_xlabel(lab.text("year"))
        ax.set_ylim(bottom=0)
        integer_years(ax)
    set_suptitle(fig, lab.text("compare_energy_title"), _compare_info(runs), lab)
    outside_legend(fig, *axes[0].get_legend_handles_labels())
    return fig


def fig_compare_nox_pm(runs: Sequence[ComparedRun], lab: Labeller) -> Figure:
    """NOx and PM2.5 totals per scenario, t/yr."""
    fig = new_figure(12, 5)
    axes = fig.subplots(1, 2)
    for ax, column, key in zip(axes, ("nox_t", "pm_t"), ("nox_axis", "pm_axis"), strict=True):
        for run in runs:
            total = run.annual.groupby("year")[column].sum()
            _line(ax, total.index, total.to_numpy(), run)
        ax.set_ylabel(lab.text(key))
        ax.set_xlabel(lab.text("year"))
        ax.set_ylim(bottom=0)
        integer_years(ax)
    set_suptitle(fig, lab.text("compare_nox_title"), _compare_info(runs), lab)
    outside_legend(fig, *axes[0].get_legend_handles_labels())
    return fig


#: File names of the comparison figures.
COMPARE_FIGURES: Final = ("compare_co2.png", "compare_co2_by_fleet.png", "compare_nev_share.png",
                          "compare_energy_by_carrier.png", "compare_nox_pm.png")


def draw_compare_figures(runs: Sequence[ComparedRun], folder: Path, *,
                         lang: str = "en") -> list[Path]:
    """Draw the comparison figures of ``runs`` into ``folder``; return the PNG paths."""
    lang, cjk_font = resolve_lang(lang)
    lab = Labeller(lang)
    builders = (fig_compare_co2, fig_compare_co2_by_fleet, fig_compare_nev, fig_compare_energy,
                fig_compare_nox_pm)
    written = []
    with figure_style(cjk_font):
        for name, build in zip(COMPARE_FIGURES, builders, strict=True):
            written.append(save_figure(build(runs, lab), Path(folder) / name))
    return written
