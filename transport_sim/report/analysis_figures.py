"""Figures of the analysis sections: LMDI waterfall and sensitivity tornado.

Both take plain tables computed from a results folder
(:mod:`transport_sim.accounting.decomposition`, :mod:`transport_sim.accounting.sensitivity`)
and a :class:`~transport_sim.report.style.Labeller` for English or Chinese text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from transport_sim.report.style import Labeller, RunInfo, new_figure, set_suptitle

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Names of the waterfall terms (keys of
#: :func:`transport_sim.accounting.decomposition.summary_terms`): (English, Chinese).
TERM_NAMES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "activity": ("activity (t-km, vehicle-km)", "运输活动量"),
    "mode": ("mode shift (rail, bus/taxi)", "运输方式结构"),
    "size_class": ("vehicle-size mix", "车型结构"),
    "powertrain": ("powertrain mix", "动力类型结构"),
    "energy_intensity": ("energy intensity", "能耗强度"),
    "carbon_intensity_grid": ("carbon intensity: grid", "碳强度：电网"),
    "carbon_intensity_hydrogen": ("carbon intensity: hydrogen", "碳强度：氢气"),
    "carbon_intensity_fuel": ("carbon intensity: fuels", "碳强度：燃料"),
    "through_traffic": ("through traffic (national mix)", "过境货运（全国车型结构）"),
    "unallocated": ("unallocated", "未分解"),
})
TEXT: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "waterfall_title": ("What drove the change of WTW CO2",
                        "全生命周期CO2变化的驱动因素分解（LMDI）"),
    "waterfall_y": ("WTW CO2 (kt/yr)", "全生命周期CO2（万吨/年）"),
    "tornado_title": ("Sensitivity to the accounting factors", "核算因子敏感性分析"),
    "tornado_x_co2": ("WTW CO2 in {year} (kt)", "{year}年全生命周期CO2（万吨）"),
    "tornado_x_saving": ("CO2 saved in {year} against {ref} (kt)",
                         "{year}年相对{ref}的CO2减排量（万吨）"),
    "low": ("low", "低值"),
    "high": ("high", "高值"),
    "central": ("central", "基准值"),
    "increase": ("increase", "增加"),
    "decrease": ("decrease", "减少"),
})


def _t(key: str, lab: Labeller, **fmt: object) -> str:
    en, zh = TEXT[key]
    if lab.lang == "zh":
        return zh.format(**fmt)
    if lab.lang == "en+zh":
        return f"{en.format(**fmt)}\n{zh.format(**fmt)}"
    return en.format(**fmt)


def term_name(key: str, lab: Labeller) -> str:
    """Display name of a waterfall term in the labeller's language."""
    en, zh = TERM_NAMES.get(key, (key, key))
    return zh if lab.lang == "zh" else (f"{en} {zh}" if lab.lang == "en+zh" else en)


def _unit(lab: Labeller) -> float:
    """Tonnes per display unit: kt in English, 万吨 (10 kt) in Chinese."""
    return 1e4 if lab.lang == "zh" else 1e3


def fig_waterfall(terms: pd.Series, start: tuple[str, float], end: tuple[str, float],
                  info: RunInfo, lab: Labeller, title: str | None = None) -> Figure:
    """Draw a waterfall from a start total through the LMDI terms to the end total.

    Parameters
    ----------
    terms
        Term name -> CO2 change (t), as from ``summary_terms``; zero terms are skipped
        (``unallocated`` is drawn only when non-zero).
    start, end
        ``(label, total CO2 in t)`` of the two ends (years or runs).
    info, lab
        Title information and labels.
    title
        Overrides the default title.
    """
    unit = _unit(lab)
    # terms that round to 0.0 in the display unit are left out (they stay in the tables)
    shown = [(k, float(v)) for k, v in terms.items() if abs(v) / unit >= 0.05]
    labels = [start[0], *(term_name(k, lab) for k, _ in shown), end[0]]
    fig = new_figure(9.0, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    level = start[1] / unit
    ax.bar(0, level, color="#7f7f7f", width=0.6)
    ax.text(0, level, f"{level:,.1f}", ha="center", va="bottom", fontsize=8)
    for i, (_, value) in enumerate(shown, start=1):
        delta = value / unit
        color = "#d55e00" if delta > 0 else "#029e73"
        ax.bar(i, delta, bottom=level, color=color, width=0.6)
        ax.plot([i - 1.3, i + 0.3], [level, level], color="#444444", lw=0.6)
        ax.text(i, level + max(delta, 0.0), f"{delta:+,.1f}", ha="center", va="bottom",
                fontsize=8)
        level += delta
    n = len(shown) + 1
    ax.bar(n, end[1] / unit, color="#404040", width=0.6)
    ax.plot([n - 1.3, n + 0.3], [level, level], color="#444444", lw=0.6)
    ax.text(n, end[1] / unit, f"{end[1] / unit:,.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(n + 1), [textwrap.fill(t, 11) for t in labels], rotation=0,
                  fontsize="small")
    # the axis starts near the smallest level (not at 0) so that small terms stay visible
    levels = np.cumsum([start[1], *(v for _, v in shown)]) / unit
    low = min(float(levels.min()), end[1] / unit)
    high = max(float(levels.max()), end[1] / unit)
    span = max(high - low, 0.05 * max(abs(high), 1e-9))
    ax.set_ylim(max(0.0, low - 0.6 * span), high + 0.15 * span)
    ax.set_ylabel(_t("waterfall_y", lab))
    set_suptitle(fig, title or _t("waterfall_title", lab), info, lab)
    return fig


def fig_tornado(table: pd.DataFrame, value: str, central: float, names: Mapping[str, str],
                info: RunInfo, lab: Labeller, xlabel: str, title: str | None = None) -> Figure:
    """Draw a tornado: for each factor a bar from its low to its high result.

    Parameters
    ----------
    table
        Rows ``factor, setting, <value>`` for one year (settings low, central, high).
    value
        Column to draw (``co2_wtw_t`` or ``saving_t``), in t.
    central
        The central result (t), drawn as a vertical line.
    names
        Factor -> display name.
    xlabel
        Axis label.
    """
    unit = _unit(lab)
    wide = table.pivot_table(index="factor", columns="setting", values=value, aggfunc="sum")
    wide["span"] = (wide["high"] - wide["low"]).abs()
    wide = wide.sort_values("span")
    fig = new_figure(8.0, 0.55 * len(wide) + 1.8)
    ax = fig.add_subplot(1, 1, 1)
    c = central / unit
    for i, (_, row) in enumerate(wide.iterrows()):
        for setting, color in (("low", "#0173b2"), ("high", "#de8f05")):
            v = row[setting] / unit
            ax.barh(i, v - c, left=c, color=color, height=0.6,
                    label=_t(setting, lab) if i == 0 else None)
            ax.text(v, i, f" {v:,.1f} ", va="center", fontsize=7,
                    ha="left" if v >= c else "right")
    ax.axvline(c, color="#222222", lw=1.0)
    ax.set_yticks(np.arange(len(wide)), [names.get(f, f) for f in wide.index])
    ax.set_xlabel(xlabel)
    lo = min(wide["low"].min(), wide["high"].min(), central) / unit
    hi = max(wide["low"].max(), wide["high"].max(), central) / unit
    pad = 0.15 * max(hi - lo, abs(c) * 0.05, 1e-9)
    ax.set_xlim(lo - pad, hi + pad)
    ax.legend(loc="lower right", fontsize=8)
    set_suptitle(fig, title or _t("tornado_title", lab), info, lab)
    return fig


def tornado_xlabel(lab: Labeller, year: int, ref: str | None = None) -> str:
    """Axis label of a tornado: CO2 in a year, or the saving against ``ref``."""
    if ref is None:
        return _t("tornado_x_co2", lab, year=year)
    return _t("tornado_x_saving", lab, year=year, ref=ref)
