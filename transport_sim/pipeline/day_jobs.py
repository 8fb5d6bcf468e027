"""One simulated day of a run as a pure job: DayJob in, DayOutcome out.

A run simulates many days (the representative days of every year and, with charger
sizing, the sizing runs of each year).  Each is a pure function of its :class:`DayJob`
-- year, day type, which draw of the day's seed, plug counts -- so days can run on any
thread in any order (:mod:`transport_sim.pipeline.days`) and a run's tables do not
depend on the number of workers.  :func:`execute_day` runs one job and keeps only what
the run needs of it (the day's tables; the sizing statistics and proposal), so the
model and its arrays are released as soon as the day is done.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from transport_sim.sim.model import DayPlans, TransportModel
    from transport_sim.sim.prepare import Prepared


class DayJob(NamedTuple):
    """One simulated day: everything its result depends on besides the run's inputs.

    Attributes
    ----------
    year, day_type
        The policy year and the representative day.  Every simulation of a (year, day
        type) draws from the same fresh SeedSequence (:func:`fresh_sequence`): the sizing
        runs and the day's result share their demand (common random numbers).
    plugs
        ``((site_id, plugs), ...)`` sorted by site id (charger sizing), or ``None`` for the
        year's sites as grown with the fleets.
    sizing
        A sizing run: record the sites' P95 waits and, where above the target, the plugs
        the estimator proposes.
    round
        The sizing run's number within its day type's loop (1, 2, ...; 0 for a plain day).
    last_round
        The sizing loop stops after this run whatever it shows (``charging.size_max_rounds``).
    target_min
        The P95 wait (minutes) a sizing run is checked against: the scenario's
        ``charging.size_for_p95_wait_min``, or ``charging.base_year_p95_wait_min`` in
        the base year.
    """

    year: int
    day_type: str
    plugs: tuple[tuple[str, int], ...] | None
    sizing: bool = False
    round: int = 0
    last_round: bool = False
    target_min: float = 0.0


def frozen_plugs(plugs: dict[str, int] | None) -> tuple[tuple[str, int], ...] | None:
    """Return ``plugs`` as the hashable, order-independent form of :attr:`DayJob.plugs`."""
    if plugs is None:
        return None
    return tuple(sorted((str(k), int(v)) for k, v in plugs.items()))


class DayFrames(NamedTuple):
    """The tables one representative day contributes to a run (see ``run_tables``)."""

    totals: pd.DataFrame
    chargers: pd.DataFrame
    hourly: pd.DataFrame
    energy: pd.DataFrame
    timeseries: pd.DataFrame
    strandings: pd.DataFrame
    sites: pd.DataFrame | None  # the first day type of each year
    calibration: pd.DataFrame | None  # the first day of the base year
    midnight: dict[str, int]
    n_vehicles: int


@dataclass
class DayOutcome:
    """What a run keeps of one simulated day.

    Attributes
    ----------
    frames
        The day's tables; ``None`` for a sizing run that cannot be the day's result
        (sites above the target and more rounds to go).
    late, worst_p95_min, total_plugs
        Sizing runs: sites whose P95 wait exceeds the target, the worst site's P95 wait
        (min) and the plugs simulated.
    raise_to
        Sizing runs with late sites: ``{site_id: plugs}`` for the next run.
    sim_s, build_s, frames_s
        Wall time of the simulation (building and running the day), of building the day
        alone (Python: sites, day plan, agents) and of building its tables (s).
    error
        The exception the job raised (re-raised where the run reads the outcome).
    """

    frames: DayFrames | None = None
    late: int = 0
    worst_p95_min: float = float("nan")
    total_plugs: int = 0
    raise_to: dict[str, int] = field(default_factory=dict)
    sim_s: float = 0.0
    build_s: float = 0.0
    frames_s: float = 0.0
    error: BaseException | None = None


class Cancelled(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a day whose result is no longer wanted (a speculative run)."""


def fresh_sequence(seq: np.random.SeedSequence) -> np.random.SeedSequence:
    """Return a copy of ``seq`` that no child has been spawned from yet.

    Building a day spawns children of its SeedSequence (which advances it); every
    simulation of a (year, day type) builds from its own copy, so a day's draws depend on
    its :class:`DayJob` and not on which thread ran which day before.
    """
    return np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size)


def day_frames(model: TransportModel, prep: Prepared) -> DayFrames:
    """Return the tables of a finished day (the per-day part of ``run_tables``)."""
    from transport_sim.accounting.annual import SUM_COLUMNS, charger_tables
    from transport_sim.accounting.calibration import calibration_table
    from transport_sim.accounting.costs import charging_energy, with_hourly_energy
    from transport_sim.accounting.demand import ACTIVITY_COLUMNS, day_activity, strandings
    from transport_sim.charging.year_sites import sites_frame
    from transport_sim.codes import STATUS_CHARGING, STATUS_QUEUED

    scenario = prep.scenario
    year, day_type = model.plan.year, model.plan.day_type
    first = day_type == scenario.run.day_types[0]
    calibration = None
    if year == scenario.years.start and first:
        calibration = calibration_table(model, prep.calibration_file())
    sites = sites_frame(model.sites, year, prep.context.sites["service_area"]) if first else None
    midnight = {
        "queued": model.count_status(STATUS_QUEUED),
        "charging": model.count_status(STATUS_CHARGING),
        "vehicles": int(model.plan.n_vehicles),
    }
    totals = (
        model.fleet_totals()
        .merge(day_activity(model), on=["fleet", "size_class", "powertrain"], how="left")
        .fillna(dict.fromkeys(ACTIVITY_COLUMNS, 0.0))
    )
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
    # per-vehicle counts to the real fleet: each row times its fleet's factor (1 for a
    # label without one)
    cols = [*SUM_COLUMNS, "charged_kwh"]
    factor = totals["fleet"].map(model.plan.vehicle_scale).fillna(1.0).to_numpy(np.float64)
    totals[cols] = totals[cols].to_numpy(np.float64) * factor[:, None]
    chg, hourly = charger_tables(model, year, day_type)
    energy = charging_energy(model, year, day_type)
    hourly = with_hourly_energy(hourly, energy)
    ts = model.datacollector.get_model_vars_dataframe().copy()
    ts.insert(0, "day_type", day_type)
    ts.insert(0, "year", year)
    return DayFrames(
        totals=totals,
        chargers=chg,
        hourly=hourly,
        energy=energy,
        timeseries=ts,
        strandings=strandings(model, year, day_type),
        sites=sites,
        calibration=calibration,
        midnight=midnight,
        n_vehicles=int(model.plan.n_vehicles),
    )


def _sizing_result(
    model: TransportModel, prep: Prepared, job: DayJob
) -> tuple[int, float, dict[str, int]]:
    """Return (late sites, worst P95 wait in min, ``{site_id: plugs}`` for the next run)."""
    from transport_sim.charging.queueing import size_sites
    from transport_sim.charging.statistics import session_log_frame, site_statistics

    target = job.target_min
    stats = site_statistics(model.site_arrays, model.sites, job.year, job.day_type)
    late = stats[stats["wait_p95_min"] > target + 1e-9]
    worst = float(stats["wait_p95_min"].max())
    if late.empty or job.last_round:
        return len(late), worst, {}
    plugs = dict(job.plugs or ())
    log = session_log_frame(model.site_arrays, model.sites, model.state.fleet)
    log = log[log["site_id"].isin(set(late["site_id"]))]
    estimate = size_sites(
        log,
        target,
        site_info=model.sites.to_frame(),
        tick_s=prep.scenario.run.tick_s,
        max_plugs=max(500, 4 * max(plugs.values(), default=1)),
    )
    proposed = dict(zip(estimate.sites["site_id"], estimate.sites["plugs_verified"], strict=True))
    # late sites get at least one more plug, so the loop always moves
    raise_to = {sid: max(int(proposed.get(sid, 0)), plugs[sid] + 1) for sid in late["site_id"]}
    return len(late), worst, raise_to


def execute_day(
    prep: Prepared,
    job: DayJob,
    seq: np.random.SeedSequence,
    cancel: threading.Event | None = None,
    plans: DayPlans | None = None,
) -> DayOutcome:
    """Simulate ``job`` and return what the run keeps of it; never raises.

    Parameters
    ----------
    prep
        The run's inputs (shared read-only by concurrent days).
    job
        The day.
    seq
        The fresh (never spawned from) SeedSequence of the job's (year, day type).
    cancel
        When set, the simulation stops at the next reporting interval and the outcome's
        ``error`` is :class:`Cancelled`.
    plans
        Day plans shared by the run's days (the sizing runs of a (year, day type) build
        the same plan; see :class:`~transport_sim.sim.model.DayPlans`).
    """
    from transport_sim.sim.model import TransportModel

    def check(_share: float) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled

    t0 = time.perf_counter()
    try:
        plugs = None if job.plugs is None else dict(job.plugs)
        model = TransportModel.for_day(
            prep,
            job.year,
            job.day_type,
            fresh_sequence(seq),
            plug_overrides=plugs,
            plans=plans,
        )
        t_built = time.perf_counter()
        try:
            model.run_day(check)
            t1 = time.perf_counter()
            late, worst, raise_to = 0, float("nan"), {}
            if job.sizing:
                late, worst, raise_to = _sizing_result(model, prep, job)
            frames = None
            if not job.sizing or late == 0 or job.last_round:  # can be the day's result
                frames = day_frames(model, prep)
        finally:
            model.release()
    except Exception as exc:  # handed to the run, which re-raises it if it needs the day
        return DayOutcome(error=exc, sim_s=time.perf_counter() - t0)
    return DayOutcome(
        frames=frames,
        late=late,
        worst_p95_min=worst,
        total_plugs=sum(p for _, p in job.plugs or ()),
        raise_to=raise_to,
        sim_s=t1 - t0,
        build_s=t_built - t0,
        frames_s=time.perf_counter() - t1,
    )
