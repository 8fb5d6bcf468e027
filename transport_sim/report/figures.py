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

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from transport_sim.codes import POWERTRAINS, SITE_KINDS
from transport_sim.report import targets as rt
from transport_sim.report.maps import fig_charger_map, kind_color, kind_legend, load_roads
from transport_sim.report.style import (
    CARRIER_COLORS,
    CARRIER_ORDER,
    CARRIER_UNITS,
    DAY_STATE_COLORS,
    DAY_STATES,
    DAY_TYPE_ORDER,
    FLEET_COLORS,
    FLEET_MARKERS,
    FLEET_ORDER,
    HEATMAP_SITES,
    POWERTRAIN_COLORS,
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
    site_label,
)
from transport_sim.units import KWH_PER_GWH, T_PER_KT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
        table = rt.co2_by_year_fleet(annual, column) / T_PER_KT
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
    table = energy_kwh_by_carrier(annual) / KWH_PER_GWH
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
                 color=[kind_color(k) for k in sites["kind"]])
    ax_wait.set_xlabel(lab.text("p95_axis"))
    ax_wait.set_title(lab.text("p95_panel"))
    ax_wait.grid(axis="y", visible=False)
    ax_wait.tick_params(axis="y", left=False)
    kinds = ordered(sites["kind"].unique(), SITE_KINDS)
    kind_legend(fig, kinds, lab)
    title = lab.text("heatmap_title", n=n, year=year, day=day_type)
    set_suptitle(fig, title, info, lab)
    return fig



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
