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
from transport_sim.codes import FLEETS, STATUS_CHARGING, STATUS_QUEUED, THROUGH_FLEET
from transport_sim.results.folder import Results, marker, prepare_output, write_results
from transport_sim.scenario.settings import Scenario, load_scenario
from transport_sim.sim.prepare import Prepared, day_seeds, log_progress, prepare, simulate_day

if TYPE_CHECKING:
    pass


def run_tables(  # noqa: PLR0912
    scenario: Scenario,
    seed: int | None = None,
    *,
    progress: bool = False,
    prepared: Prepared | None = None,
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
    """
    from transport_sim.accounting.annual import SUM_COLUMNS, annual_tables, charger_tables
    from transport_sim.accounting.calibration import calibration_table
    from transport_sim.accounting.costs import charging_energy, cost_tables, with_hourly_energy
    from transport_sim.accounting.decomposition import decomposition_table
    from transport_sim.accounting.demand import ACTIVITY_COLUMNS, day_activity, strandings
    from transport_sim.accounting.outcomes import summarise
    from transport_sim.charging.year_sites import sites_frame
    from transport_sim.fleets.costs import load_costs
    from transport_sim.kernels.cache import configure_numba_cache
    from transport_sim.pipeline.year_sizing import size_year

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
    seeds = day_seeds(scenario.run.seed, years, scenario.run.day_types)
    day_rows: list[pd.DataFrame] = []
    charger_frames: list[pd.DataFrame] = []
    hourly_frames: list[pd.DataFrame] = []
    energy_frames: list[pd.DataFrame] = []
    series: list[pd.DataFrame] = []
    site_frames: list[pd.DataFrame] = []
    stranding_frames: list[pd.DataFrame] = []
    t_sim = 0.0
    calibration_frames: list[pd.DataFrame] = []
    built: dict[str, int] = {}  # plugs after the previous year's sizing (stay built)
    sizing_runs: dict[int, int] = {}
    midnight: dict[str, dict[str, int]] = {}  # simulated vehicles queued at the day's end
    size_types = scenario.charging.size_day_types
    for year in years:
        plugs: dict[str, int] | None = None
        sized: dict[str, Any] = {}
        # the base year keeps today's plugs: sizing is a lever, and levers act from the
        # first year after the base year (every scenario shares the base year)
        if scenario.charging.size_for_p95_wait_min > 0 and year > scenario.run.start_year:
            t0 = time.perf_counter()
            extra = day_seeds(scenario.run.seed, years, size_types)
            seqs = {d: seeds.get((year, d), extra[(year, d)]) for d in size_types}
            plugs, sized, sizing_runs[year] = size_year(prep, year, seqs, built, progress=progress)
            built = plugs
            t_sim += time.perf_counter() - t0
            for d in [d for d in sized if d not in scenario.run.day_types]:
                sized.pop(d).release()
        for day_type in scenario.run.day_types:
            t0 = time.perf_counter()
            if day_type in sized:
                model = sized[day_type]  # the last verification run is this day's result
            else:
                model = simulate_day(
                    prep, year, day_type, seeds[(year, day_type)], plug_overrides=plugs
                )
            t_sim += time.perf_counter() - t0
            if year == years.start and day_type == scenario.run.day_types[0]:
                calibration_frames.append(calibration_table(model, prep.calibration_file()))
            if day_type == scenario.run.day_types[0]:
                site_frames.append(
                    sites_frame(model.sites, year, prep.context.sites["service_area"])
                )
            stranding_frames.append(strandings(model, year, day_type))
            midnight[f"{year} {day_type}"] = {
                "queued": model.count_status(STATUS_QUEUED),
                "charging": model.count_status(STATUS_CHARGING),
                "vehicles": int(model.plan.n_vehicles),
            }
            totals = model.fleet_totals().merge(
                day_activity(model), on=["fleet", "size_class", "powertrain"], how="left"
            ).fillna(dict.fromkeys(ACTIVITY_COLUMNS, 0.0))
            totals.insert(0, "day_type", day_type)
            totals.insert(0, "year", year)
            totals = totals.astype({c: float for c in totals.columns[5:]})
            totals["requests"] = 0.0
            totals["unserved"] = 0.0
            taxi = totals["fleet"] == "taxi"
            if taxi.any():
                served = int(model.dispatch_totals[0])
                unserved = int(model.dispatch.n_requests) - served  # expired or still open
                weights = totals.loc[taxi, "sim_vehicles"] / totals.loc[taxi, "sim_vehicles"].sum()
                totals.loc[taxi, "requests"] = (weights * (served + unserved)).to_numpy()
                totals.loc[taxi, "unserved"] = (weights * unserved).to_numpy()
            for fleet, factor in model.plan.vehicle_scale.items():
                cols = [*SUM_COLUMNS, "charged_kwh"]  # per-vehicle counts to scale
                mask = totals["fleet"] == fleet
                totals.loc[mask, cols] = totals.loc[mask, cols] * factor
            day_rows.append(totals)
            chg, hourly = charger_tables(model, year, day_type)
            energy_frames.append(charging_energy(model, year, day_type))
            hourly = with_hourly_energy(hourly, energy_frames[-1])
            charger_frames.append(chg)
            hourly_frames.append(hourly)
            ts = model.datacollector.get_model_vars_dataframe().copy()
            ts.insert(0, "day_type", day_type)
            ts.insert(0, "year", year)
            series.append(ts)
            model.release()
            log_progress(
                progress,
                f"  {year} {day_type:8s} {model.plan.n_vehicles:6d} vehicles "
                f"{time.perf_counter() - t0:6.1f} s",
            )
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
    energy = pd.concat(energy_frames, ignore_index=True)
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
        "charger_hourly": pd.concat(hourly_frames, ignore_index=True),
        "timeseries": pd.concat(series, ignore_index=True),
        "stock": stock,
        "calibration": pd.concat(calibration_frames, ignore_index=True),
        "charging_energy": energy,
        "costs": costs,
        "tco": tco,
        "sites": pd.concat(site_frames, ignore_index=True),
        "strandings": pd.concat(stranding_frames, ignore_index=True),
        "annual_by_class": by_class,
        "decomposition": decomposition_table(by_class),
    }
    meta["at_midnight"] = midnight
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
    if out is not None:  # milliseconds: a bad --out fails before hours of simulation
        prepare_output(Path(out), overwrite=overwrite)
    results = run_tables(scenario, seed, progress=progress)
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
