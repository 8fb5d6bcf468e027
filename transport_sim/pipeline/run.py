"""One run: a scenario and a seed in, result tables out.

:func:`run_tables` is a pure, picklable function of (resolved scenario, seed) and is what
sweeps fan out with Dask; :func:`run` adds the results folder (atomic), figures and the
report.  Random numbers come from one :class:`numpy.random.SeedSequence` per run, spawned
into one child per (year, day type), so results do not depend on the order or the
process in which days are simulated.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from transport_sim import __version__
from transport_sim.codes import FLEETS, THROUGH_FLEET
from transport_sim.results.folder import Results, marker, prepare_output, write_results
from transport_sim.scenario.settings import Scenario, load_scenario
from transport_sim.sim.prepare import Prepared, prepare

if TYPE_CHECKING:
    pass


def run_tables(
    scenario: Scenario,
    seed: int | None = None,
    *,
    progress: bool = False,
    prepared: Prepared | None = None,
    workers: int = 1,
) -> Results:
    """Run ``scenario`` and return its tables in memory (no folder written).

    Parameters
    ----------
    scenario
        A validated scenario.
    seed
        Overrides ``run.seed`` when given.
    progress
        Print one line per simulated day to stderr.
    prepared
        Reuse the network and context built by :func:`prepare` for a scenario with the
        same network file and fleet file (sweeps); fleets and stock are recomputed.
    workers
        Days simulated at once on threads (:func:`transport_sim.pipeline.days.run_days`);
        the tables are the same for any number.  1 (the default) suits sweeps, which
        run whole runs in parallel.
    """
    from transport_sim.accounting.annual import annual_tables
    from transport_sim.accounting.costs import cost_tables
    from transport_sim.accounting.decomposition import decomposition_table
    from transport_sim.accounting.outcomes import summarise
    from transport_sim.fleets.costs import load_costs
    from transport_sim.kernels.cache import configure_numba_cache

    configure_numba_cache()  # a no-op when already set (CLI, earlier runs, Dask workers)
    if seed is not None:
        scenario = scenario.with_overrides({"run.seed": int(seed)})
    t_start = time.perf_counter()
    from transport_sim.fleets.reader import load_fleets_for

    cost_data = load_costs(scenario.cost_path, load_fleets_for(scenario))  # fail early
    if prepared is None:
        prep = prepare(scenario, progress=progress)
    else:
        # reuse the network and context (they depend on the network file and the bus
        # timetable only); fleets and the stock path follow this scenario's levers
        from transport_sim.fleets.reader import load_fleets_for
        from transport_sim.policy.turnover import simulate_stock

        fleet_def = load_fleets_for(scenario)
        prep = Prepared(
            scenario,
            prepared.network,
            fleet_def,
            prepared.context,
            simulate_stock(scenario, fleet_def),
            dict(prepared.timings),
        )
        prep.calibration_file()
    years = scenario.years
    from transport_sim.pipeline.days import run_days

    result = run_days(prep, workers=workers, progress=progress)
    frames = [outcome.frames for _, _, outcome in result.days]
    day_rows = [f.totals for f in frames]
    charger_frames = [f.chargers for f in frames]
    midnight = {f"{y} {d}": o.frames.midnight for y, d, o in result.days}
    sizing_runs = result.sizing_runs
    t_sim = result.wall_s
    days = pd.concat(day_rows, ignore_index=True)
    annual, by_class = annual_tables(days, prep)
    stock = prep.stock
    dropped = list(scenario.run.drop_fleets)
    if dropped:  # fleets left out on purpose get no rows (not zeros that look like data)
        annual = annual[~annual["fleet"].isin(dropped)].reset_index(drop=True)
        if "fleet" in stock.columns:
            stock = stock[~stock["fleet"].isin(dropped)].reset_index(drop=True)
    if dropped:
        by_class = by_class[~by_class["fleet"].isin(dropped)].reset_index(drop=True)
    chargers = pd.concat(charger_frames, ignore_index=True)
    energy = pd.concat([f.energy for f in frames], ignore_index=True)
    # through traffic is not the city's fleet: it drives and emits in the network but
    # its vehicles, fuel and maintenance are paid elsewhere (left out of costs)
    own = days["fleet"] != THROUGH_FLEET
    costs, tco = cost_tables(days[own], prep, annual, chargers, energy, cost_data)
    meta = {
        **marker("run"),
        "package": "transport_sim",
        "version": __version__,
        "scenario": scenario.name,
        "seed": scenario.run.seed,
        "network_file": str(prep.network.source),
        "network_sha256": prep.network.sha256,
        "network_schematic": bool(prep.network.schematic),
        "fleet_file": str(prep.fleet_def.path),
        "years": [years.start, years.stop - 1],
        "day_types": list(scenario.run.day_types),
        "tick_s": scenario.run.tick_s,
        "dropped_fleets": dropped,
        "timings_s": {
            **prep.timings,
            "simulation_s": t_sim,
            "total_s": time.perf_counter() - t_start,
        },
    }
    meta.update(summarise(annual, chargers))
    tables = {
        "annual": annual,
        "chargers": chargers,
        "charger_hourly": pd.concat([f.hourly for f in frames], ignore_index=True),
        "timeseries": pd.concat([f.timeseries for f in frames], ignore_index=True),
        "stock": stock,
        "calibration": pd.concat(
            [f.calibration for f in frames if f.calibration is not None], ignore_index=True
        ),
        "charging_energy": energy,
        "costs": costs,
        "tco": tco,
        "sites": pd.concat([f.sites for f in frames if f.sites is not None], ignore_index=True),
        "strandings": pd.concat([f.strandings for f in frames], ignore_index=True),
        "annual_by_class": by_class,
        "decomposition": decomposition_table(by_class),
    }
    meta["at_midnight"] = midnight
    # days simulated at once; speculative days run and not used (the tables never depend
    # on either)
    meta["days"] = {
        "workers": workers, "simulated": result.simulated, "discarded": result.discarded
    }
    if sizing_runs:
        meta["sizing_runs_by_year"] = sizing_runs
    from transport_sim.accounting.outcomes import OUTCOMES, compute_outcomes

    table_outcomes = {o.name for o in OUTCOMES if o.table is not None}
    meta.update({k: v for k, v in compute_outcomes(annual, chargers, tables).items()
                 if k in table_outcomes})
    return Results(tables=tables, meta=meta, scenario_toml=scenario.to_dict())


def run(
    scenario_or_path: Scenario | str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    *,
    overwrite: bool = False,
    figures: bool = True,
    progress: bool = False,
    workers: int | None = None,
    **overrides: Any,
) -> Results:
    """Run a scenario; write its results folder when ``out`` is given.

    Parameters
    ----------
    scenario_or_path
        A :class:`Scenario`, a scenario TOML path, or ``None`` for the Shiyan plan.
    out
        Results folder (written atomically; refused if it exists unless ``overwrite``).
    seed
        Overrides ``run.seed``.
    figures
        Draw figures and ``report.md`` into the folder.
    progress
        Print progress to stderr.
    workers
        Days simulated at once on threads (default: every core this process may use);
        the tables do not depend on it.
    **overrides
        Scenario fields by dotted path with ``__`` for dots, e.g.
        ``policy__bus__nev_share_of_new=0.9``.

    Returns
    -------
    Results
        Tables as DataFrames, ``meta`` (run.json) and ``path``.
    """
    from transport_sim.paths import default_scenario_path

    if isinstance(scenario_or_path, Scenario):
        scenario = scenario_or_path
    else:
        scenario = load_scenario(Path(scenario_or_path or default_scenario_path()))
    if overrides:
        scenario = scenario.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
    from transport_sim.pipeline.days import check_workers, default_workers

    workers = default_workers() if workers is None else check_workers(workers)
    if out is not None:  # milliseconds: a bad --out fails before hours of simulation
        prepare_output(Path(out), overwrite=overwrite)
    results = run_tables(scenario, seed, progress=progress, workers=workers)
    if out is None:
        return results
    extra = None
    if figures:
        from transport_sim.report.markdown import render_into

        extra = render_into
    write_results(results, Path(out), overwrite=overwrite, extra=extra)
    return results


def fleet_names() -> tuple[str, ...]:
    """Fleets simulated by a run."""
    return FLEETS
