# ruff: noqa: RUF001 - Chinese labels use full-width punctuation on purpose
"""Figure style: colours, English and Chinese labels, CJK fonts and shared helpers."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from transport_sim.errors import TransportSimError, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# ======================================================================================
# constants: palettes, units, labels (immutable)
# ======================================================================================
DPI: Final = 150
LANGS: Final = ("en", "zh", "en+zh")
FLEET_ORDER: Final = ("bus", "taxi", "truck", "ship", "rail_freight", "through_truck")
ROAD_FLEETS: Final = ("bus", "taxi", "truck", "ship")
CARRIER_ORDER: Final = ("diesel", "petrol", "cng", "lng", "electricity", "hydrogen")
DAY_TYPE_ORDER: Final = ("weekday", "holiday")
#: One colour per fleet (seaborn "colorblind").
FLEET_COLORS: Final[Mapping[str, str]] = MappingProxyType({
    "bus": "#0173b2", "taxi": "#de8f05", "truck": "#d55e00", "ship": "#56b4e9",
    "rail_freight": "#949494", "through_truck": "#ca9161",
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
    "through_truck": ">",
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
CJK_PACKAGES: Final = ("the noto-cjk-sans-otc Python package (a dependency of transport_sim), "
                       "or fonts-noto-cjk")

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
    "through_truck": ("through trucks", "过境货车"),
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

    First the Noto Sans CJK font of the ``noto-cjk-sans-otc`` package (a dependency, so a
    fresh install needs no system font); then the fonts matplotlib knows, then font files
    on disk whose names match
    :data:`CJK_FONT_FILES` (fonts installed after matplotlib built its font cache) and
    registers such a file with matplotlib's font manager.
    """
    from matplotlib import font_manager

    packaged = packaged_cjk_font()
    if packaged is not None:
        return packaged
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


def packaged_cjk_font() -> str | None:
    """Register the font file of the ``noto-cjk-sans-otc`` package; return its family.

    Returns ``None`` when the package is not installed or its file cannot be read.
    Registering the same file again is harmless (matplotlib keeps one entry per file).
    """
    from matplotlib import font_manager

    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    path = str(FONT_PATH)
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        if not any(f.fname == path for f in font_manager.fontManager.ttflist):
            font_manager.fontManager.addfont(path)
        # the collection holds JP, KR, SC, TC and HK faces: simplified Chinese first
        faces = {f.name for f in font_manager.fontManager.ttflist if f.fname == path}
        for name in CJK_FONT_NAMES:
            if name in faces:
                return name
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
    # the packaged Noto Sans CJK is a Regular-only collection: bold titles fall back to
    # its regular weight, which matplotlib logs once per lookup; expected, so kept quiet
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    if cjk_font:
        font_log.setLevel(logging.ERROR)
    try:
        with mpl.rc_context(rc):
            yield
    finally:
        font_log.setLevel(level)


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
