"""Figures comparing several runs side by side (``transport-sim compare``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from transport_sim.report import targets as rt
from transport_sim.report.style import (
    CARRIER_ORDER,
    CARRIER_UNITS,
    FLEET_ORDER,
    ROAD_FLEETS,
    Labeller,
    RunInfo,
    figure_style,
    integer_years,
    new_figure,
    ordered,
    outside_legend,
    resolve_lang,
    save_figure,
    set_suptitle,
)
from transport_sim.units import T_PER_KT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
            total = rt.co2_by_year(run.annual)[column] / T_PER_KT
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
            table = rt.co2_by_year_fleet(run.annual, "co2_wtw_t") / T_PER_KT
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
