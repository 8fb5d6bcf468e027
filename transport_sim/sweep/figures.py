"""Figures of a sweep folder: CO2 trajectories, responses, heatmaps, Sobol indices.

Everything is read from the folder's files (``sweep.json``, ``design.parquet``,
``summary.parquet``, ``annual.parquet``); nothing here imports the model.  Figures are
:class:`matplotlib.figure.Figure` objects drawn with seaborn on explicit axes (no pyplot
state) and saved as 150 dpi PNG files in ``<sweep>/figures/``:

``co2_trajectories.png``
    Well-to-wheel CO2 per year, one panel per parameter, one line per level of that
    parameter (LHS/Sobol ranges: quartile bins) with a 95 % confidence band over the
    runs at that level (replications and the other parameters).
``co2_trajectories_points.png``
    With at most 12 design points: one line per parameter combination, the band over
    its replications.
``response_<outcome>.png``
    The outcome against each parameter (mean and 95 % band; ranges: scatter + bin means).
``heatmap_<outcome>.png``
    Mean outcome over pairs of parameters (ranges binned into quintiles).
``sobol_<outcome>.png`` and ``sobol_indices.csv``
    Sobol designs: first-order and total indices (:func:`SALib.analyze.sobol.analyze`)
    with their 95 % confidence intervals, on the replication mean of each design point.
"""

from __future__ import annotations

import math
import os
import uuid
import warnings
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from transport_sim.errors import ResultsError, describe
from transport_sim.units import T_PER_KT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from transport_sim.sweep.folder import SweepResults

DPI = 150
MAX_PANELS = 6
MAX_POINT_LINES = 12
TRAJECTORY_BINS = 4
HEATMAP_BINS = 5
N_BOOT = 200
CI = 95


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}.png"
    try:
        fig.savefig(tmp, dpi=DPI, format="png")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _figure(n_panels: int, *, width_in: float = 5.0, height_in: float = 3.6,
            max_cols: int = 3) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    cols = min(max(n_panels, 1), max_cols)
    rows = math.ceil(max(n_panels, 1) / cols)
    fig = Figure(figsize=(width_in * cols, height_in * rows), layout="constrained")
    axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[: max(n_panels, 1)]


def _parameters(results: SweepResults) -> list[dict[str, Any]]:
    return list(results.info["parameters"])[:MAX_PANELS]


def _level(frame: pd.DataFrame, param: dict[str, Any], bins: int) -> pd.Series:
    """Return the level of each row: the value (discrete) or its quantile bin (range)."""
    column = frame[param["name"]]
    if "values" in param or column.nunique() <= bins:
        if param["kind"] == "categorical":
            return column.astype(str)
        return column
    binned = pd.qcut(column, q=bins, duplicates="drop")
    labels = [f"{_short(iv.left)} to {_short(iv.right)}" for iv in binned.cat.categories]
    if len(set(labels)) < len(labels):
        labels = [str(iv) for iv in binned.cat.categories]
    return binned.cat.rename_categories(labels)


def _short(x: float) -> str:
    """Format a bin edge: whole numbers from 100 up without decimals, else 3 digits."""
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _outcome_label(outcome: str) -> str:
    return outcome.replace("_", " ")


def plot_trajectories(results: SweepResults, annual: pd.DataFrame, folder: Path) -> list[Path]:
    """Draw ``co2_trajectories.png`` (and ``co2_trajectories_points.png``)."""
    import seaborn as sns

    design_cols = [c for c in results.design.columns if c != "run_id"]
    per_run = (
        annual.groupby(["run", "year"], as_index=False)["co2_wtw_t"].sum()
        .merge(results.design[design_cols], on="run", how="left")
    )
    per_run["co2_wtw_kt"] = per_run["co2_wtw_t"] / T_PER_KT
    params = _parameters(results)
    written: list[Path] = []
    fig, axes = _figure(len(params))
    for ax, param in zip(axes, params or [None], strict=False):
        hue = None
        if param is not None:
            per_run["level"] = _level(per_run, param, TRAJECTORY_BINS)
            hue = "level"
        sns.lineplot(data=per_run, x="year", y="co2_wtw_kt", hue=hue, errorbar=("ci", CI),
                     n_boot=N_BOOT, seed=0, palette="viridis" if hue else None, ax=ax)
        ax.set_title(param["name"] if param is not None else results.info["name"])
        ax.set_ylabel("WTW CO2, kt/yr")
        if hue is not None and ax.get_legend() is not None:
            ax.get_legend().set_title(param["name"])
    fig.suptitle(f"Sweep {results.info['name']}: WTW CO2 (95 % CI over runs)")
    written.append(_save(fig, folder / "co2_trajectories.png"))

    names = [p["name"] for p in results.info["parameters"]]
    n_points = per_run["point"].nunique()
    if len(names) >= 2 and n_points <= MAX_POINT_LINES:
        per_run["combination"] = [
            ", ".join(f"{n}={row[n]}" for n in names)
            for _, row in per_run[names].iterrows()
        ]
        fig, (ax,) = _figure(1, width_in=9.0, height_in=5.0)
        sns.lineplot(data=per_run, x="year", y="co2_wtw_kt", hue="combination",
                     errorbar=("ci", CI), n_boot=N_BOOT, seed=0, ax=ax)
        ax.set_ylabel("WTW CO2, kt/yr")
        ax.set_title("WTW CO2 by parameter combination (95 % CI over replications)")
        if ax.get_legend() is not None:
            ax.get_legend().set_title("")
        written.append(_save(fig, folder / "co2_trajectories_points.png"))
    return written


def plot_responses(results: SweepResults, folder: Path) -> list[Path]:
    """Draw ``response_<outcome>.png`` for every outcome of the sweep."""
    import seaborn as sns

    params = _parameters(results)
    summary = results.summary
    written: list[Path] = []
    if not params:
        return written
    for outcome in results.info["outcomes"]:
        if summary[outcome].notna().sum() == 0:
            continue
        fig, axes = _figure(len(params))
        for ax, param in zip(axes, params, strict=False):
            name = param["name"]
            if "values" in param:
                x = summary[name].astype(str) if param["kind"] == "categorical" else summary[name]
                sns.lineplot(x=x, y=summary[outcome], errorbar=("ci", CI), n_boot=N_BOOT,
                             seed=0, marker="o", ax=ax)
            else:
                sns.scatterplot(data=summary, x=name, y=outcome, s=12, alpha=0.5, ax=ax)
                level = _level(summary, param, HEATMAP_BINS)
                means = summary.groupby(level, observed=True).agg(
                    x=(name, "mean"), y=(outcome, "mean")
                )
                ax.plot(means["x"], means["y"], color="black", marker="o", label="bin mean")
                ax.legend()
            ax.set_xlabel(name)
            ax.set_ylabel(_outcome_label(outcome))
        fig.suptitle(f"{_outcome_label(outcome)} against each parameter")
        written.append(_save(fig, folder / f"response_{_slug(outcome)}.png"))
    return written


def plot_heatmaps(results: SweepResults, folder: Path) -> list[Path]:
    """Draw ``heatmap_<outcome>.png``: the mean outcome over each pair of parameters."""
    import seaborn as sns

    params = _parameters(results)[:4]
    pairs = list(combinations(params, 2))
    summary = results.summary
    written: list[Path] = []
    if not pairs:
        return written
    for outcome in results.info["outcomes"]:
        if summary[outcome].notna().sum() == 0:
            continue
        fig, axes = _figure(len(pairs), width_in=5.2, height_in=4.2)
        for ax, (px, py) in zip(axes, pairs, strict=False):
            frame = pd.DataFrame({
                "x": _level(summary, px, HEATMAP_BINS),
                "y": _level(summary, py, HEATMAP_BINS),
                "z": summary[outcome],
            })
            table = frame.pivot_table(index="y", columns="x", values="z", aggfunc="mean",
                                      observed=True).sort_index(ascending=False)
            sns.heatmap(table, ax=ax, cmap="viridis", annot=table.size <= 64, fmt=".3g",
                        cbar_kws={"label": _outcome_label(outcome)})
            ax.set_xlabel(px["name"])
            ax.set_ylabel(py["name"])
        fig.suptitle(f"Mean {_outcome_label(outcome)} over pairs of parameters")
        written.append(_save(fig, folder / f"heatmap_{_slug(outcome)}.png"))
    return written


def sobol_indices(results: SweepResults, outcome: str) -> pd.DataFrame | None:
    """Return first-order and total Sobol indices of ``outcome`` (``None`` if not possible).

    Uses the mean over replications of each design point; needs a Sobol design with
    every point finished and a finite, non-constant outcome.

    Returns
    -------
    pandas.DataFrame or None
        Columns ``parameter, S1, S1_conf, ST, ST_conf`` (95 % confidence half-widths).
    """
    from SALib.analyze import sobol

    from transport_sim.sweep.designs import salib_problem

    info = results.info
    if info["design"] != "sobol" or not info["parameters"]:
        return None
    names = [p["name"] for p in info["parameters"]]
    y = results.summary.groupby("point")[outcome].mean().reindex(range(info["n_points"]))
    values = y.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or np.ptp(values) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sobol.analyze(salib_problem(names), values,
                            calc_second_order=bool(info["second_order"]),
                            num_resamples=200, conf_level=0.95, seed=0)
    return pd.DataFrame({
        "parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
        "ST": res["ST"], "ST_conf": res["ST_conf"],
    })


def plot_sobol(results: SweepResults, folder: Path) -> list[Path]:
    """Draw ``sobol_<outcome>.png`` bar charts and write ``sobol_indices.csv``."""
    import seaborn as sns

    written: list[Path] = []
    if results.info["design"] != "sobol":
        return written
    tables = []
    colours = sns.color_palette("deep", 2)
    for outcome in results.info["outcomes"]:
        indices = sobol_indices(results, outcome)
        if indices is None:
            warnings.warn(
                f"no Sobol indices for {outcome}: design incomplete or outcome constant/NaN",
                stacklevel=2,
            )
            continue
        tables.append(indices.assign(outcome=outcome))
        fig, (ax,) = _figure(1, width_in=max(5.0, 1.2 * len(indices) + 2), height_in=4.0)
        x = np.arange(len(indices))
        width = 0.38
        ax.bar(x - width / 2, indices["S1"], width, yerr=indices["S1_conf"], capsize=3,
               color=colours[0], label="first order S1")
        ax.bar(x + width / 2, indices["ST"], width, yerr=indices["ST_conf"], capsize=3,
               color=colours[1], label="total ST")
        ax.set_xticks(x, indices["parameter"], rotation=20, ha="right")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_ylabel("Sobol index")
        ax.set_title(f"Sensitivity of {_outcome_label(outcome)} (95 % CI)")
        ax.legend()
        written.append(_save(fig, folder / f"sobol_{_slug(outcome)}.png"))
    if tables:
        csv = folder / "sobol_indices.csv"
        frame = pd.concat(tables, ignore_index=True)
        tmp = folder / f".sobol_indices.csv.tmp-{uuid.uuid4().hex[:8]}"
        frame.to_csv(tmp, index=False)
        os.replace(tmp, csv)
        written.append(csv)
    return written


def plot_sweep(path: Path) -> list[Path]:
    """Draw every figure of sweep folder ``path`` into ``path/figures``; return the files.

    Raises
    ------
    ResultsError
        If ``path`` is not a sweep folder.
    """
    from transport_sim.sweep.folder import read_sweep

    if not os.access(path, os.W_OK | os.X_OK):
        raise ResultsError(describe(None, "sweep", str(path),
                                    "folder is not writable: the figures cannot be drawn into it"))
    results = read_sweep(path)
    folder = Path(path) / "figures"
    if results.summary.empty:
        warnings.warn(f"{path}: no finished runs to plot", stacklevel=2)
        return []
    written = plot_trajectories(results, results.annual, folder)
    written += plot_responses(results, folder)
    written += plot_heatmaps(results, folder)
    written += plot_sobol(results, folder)
    written += plot_mac(results, folder)
    return written


def plot_mac(results: SweepResults, folder: Path) -> list[Path]:
    """One-lever-at-a-time designs: ``mac_curve.png`` and ``mac_curve.csv`` over the levers.

    Point 0 (every lever at its first value) is the reference; each other point moves one
    lever.  Needs the cost outcomes in the summary (runs of this version).
    """
    from transport_sim.report.costs import MAC_FIGURE, draw_mac_figure, mac_from_summary

    needed = {"point", "npv_cost_cny", "discounted_co2_wtw_t", "cumulative_co2_wtw_t"}
    if results.info["design"] != "oat" or not needed <= set(results.summary.columns):
        return []
    labels = []
    for p in results.info["parameters"]:
        levels = p.get("values") or []
        labels += [f"{p['name']}={v}" for v in levels[1:]] or [p["name"]]
    segments = mac_from_summary(results.summary, labels)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    figure = draw_mac_figure(segments, folder / MAC_FIGURE,
                             f"Sweep {results.info['name']}: marginal abatement cost curve")
    if figure is not None:
        written.append(figure)
    csv = folder / "mac_curve.csv"
    tmp = folder / f".mac_curve.csv.tmp-{uuid.uuid4().hex[:8]}"
    segments.to_csv(tmp, index=False)
    os.replace(tmp, csv)
    return [*written, csv]
