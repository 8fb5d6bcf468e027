"""The days of a run on ``workers`` threads, with results independent of the worker count.

The days a run simulates follow from a serial program (:func:`day_program`): for each
year, with charger sizing, the sizing runs of :func:`~transport_sim.pipeline.year_sizing.
size_year`, then every day type.  It asks for days (:class:`~transport_sim.pipeline.
day_jobs.DayJob`) and is handed their outcomes in its own order, so its result -- and
so the run's tables -- is the serial result whatever ran where and when.

Dependencies: without sizing, and in the base year, every day is independent.  With
sizing, each run of a year's loop needs the previous run's outcome (the plugs it
proposes), the other day type's verification needs the first's final plugs, and year
Y + 1 starts from year Y's final plugs (built plugs stay built; see
:func:`~transport_sim.pipeline.year_sizing.first_estimate`).  So the sizing chain is
serial; :func:`run_days` keeps the other cores busy by *speculating*: it replays the
program assuming every day still running or not yet run comes back meeting the target,
and runs the first days that replay asks for (typically the other day type's
verification and the next year's first run).  A day is a pure function of its job, so a
correct guess is the day the program asks for next, bit for bit; a wrong guess is
stopped (at its next reporting interval) and thrown away.  (Starting the next years'
sizing runs before the other day types' days was tried: 1-3 % on the plan's schedule,
within the noise of ``bench_days.py --schedule``, so the simpler serial order stays.)

Days run on threads: the day loop is compiled ``nogil`` code, building a day and its
tables is Python (measured in ``benchmarks/RESULTS.md``).  The sizing runs of a (year,
day type) draw the same demand, so they share one day plan
(:class:`~transport_sim.sim.model.DayPlans`), and the run's inputs are kept out of the
garbage collector's scans while days run.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from transport_sim.errors import ScenarioError, describe
from transport_sim.pipeline.day_jobs import Cancelled, DayJob, DayOutcome, execute_day, frozen_plugs
from transport_sim.pipeline.year_sizing import first_estimate, size_year
from transport_sim.sim.model import DayPlans
from transport_sim.sim.prepare import day_seeds, log_progress

if TYPE_CHECKING:
    import numpy as np

    from transport_sim.sim.prepare import Prepared


def default_workers() -> int:
    """Return the cores this process may run on (``transport-sim run --workers`` default)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_workers(workers: object) -> int:
    """Return ``workers`` if it is an integer >= 1, else raise a one-line ScenarioError."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ScenarioError(describe(None, "--workers", workers, "expected an integer >= 1"))
    return workers


@dataclass
class RunDays:
    """The days of a run in serial order and what sizing them took.

    Attributes
    ----------
    days
        ``(year, day_type, outcome)`` for every year and day type of the run.
    sizing_runs
        Simulated days used by the sizing of each sized year.
    simulated
        Days simulated to completion (including speculative ones not used).
    discarded
        Speculative days stopped, or simulated and not used.
    wall_s
        Wall time of all days (s).
    """

    days: list[tuple[int, str, DayOutcome]]
    sizing_runs: dict[int, int]
    simulated: int = 0
    discarded: int = 0
    wall_s: float = 0.0


#: The run's program: yields a day to simulate or a progress line, is sent the day's
#: outcome (or ``None`` after a line), returns the days in serial order.
RunProgram = Generator[
    DayJob | str, DayOutcome | None, tuple[list[tuple[int, str, DayOutcome]], dict[int, int]]
]


def day_program(prep: Prepared, grown: Callable[[int], dict[str, int]]) -> RunProgram:
    """Yield a run's days in serial order (a generator; see the module docstring).

    Parameters
    ----------
    prep
        The run's inputs.
    grown
        ``grown(year)``: ``{site_id: plugs}`` of the year's sites grown with the fleets.
    """
    scenario = prep.scenario
    ch = scenario.charging
    built: dict[str, int] = {}  # plugs after the previous year's sizing (stay built)
    built_year = 0  # the year ``built`` was sized in
    sizing_runs: dict[int, int] = {}
    days: list[tuple[int, str, DayOutcome]] = []
    for year in scenario.years:
        plugs: dict[str, int] | None = None
        sized: dict[str, DayOutcome] = {}
        # the base year's plugs are today's infrastructure, shared by every scenario:
        # estimated so that today's fleets are served (charging.base_year_p95_wait_min);
        # sizing for the scenario's own W is a lever and acts from the next year on
        base_year = year == scenario.run.start_year
        target = ch.base_year_p95_wait_min if base_year else ch.size_for_p95_wait_min
        if target > 0:
            floor = first_estimate(grown(year), grown(built_year), built) if built else {}
            plugs, sized, sizing_runs[year] = yield from size_year(
                prep, year, grown(year), floor, target
            )
            built, built_year = plugs, year
        elif built:  # plugs built in the base year (or sized before) stay built
            plugs = {sid: max(int(p), int(built.get(sid, 0))) for sid, p in grown(year).items()}
        for day_type in scenario.run.day_types:
            if day_type in sized:
                outcome = sized[day_type]  # the last verification run is this day's result
                seconds = outcome.frames_s
            else:
                job = DayJob(year, day_type, frozen_plugs(plugs))
                outcome = yield job
                assert outcome is not None  # the driver's protocol
                seconds = outcome.sim_s + outcome.frames_s
            days.append((year, day_type, outcome))
            n = outcome.frames.n_vehicles if outcome.frames is not None else 0
            yield f"  {year} {day_type:8s} {n:6d} vehicles {seconds:6.1f} s"
    return days, sizing_runs


#: Outcome assumed for a day not yet done when guessing what the program asks next.
_CONVERGED = DayOutcome()


class _Seeds:
    """The fresh SeedSequence of each (year, day type), as the serial runner used them."""

    def __init__(self, prep: Prepared) -> None:
        scenario = prep.scenario
        years = scenario.years
        self.run = day_seeds(scenario.run.seed, years, scenario.run.day_types)
        self.sizing = day_seeds(scenario.run.seed, years, scenario.charging.size_day_types)

    def __call__(self, year: int, day_type: str) -> np.random.SeedSequence:
        # a sized day type that is also a run day type draws from the run's seed
        return self.run.get((year, day_type)) or self.sizing[(year, day_type)]


class _Grown:
    """``{site_id: plugs}`` of each year's sites grown with the fleets (computed once)."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.cache: dict[int, dict[str, int]] = {}

    def __call__(self, year: int) -> dict[str, int]:
        if year not in self.cache:
            from transport_sim.charging.year_sites import build_year_sites

            p = self.prep
            sites = build_year_sites(p.context, p.scenario, p.fleet_def, p.stock, year)
            self.cache[year] = {
                str(sid): int(n) for sid, n in zip(sites.site_id, sites.plugs, strict=True)
            }
        return self.cache[year]


def _guess(
    prep: Prepared, grown: _Grown, done: dict[DayJob, DayOutcome], limit: int
) -> list[DayJob]:
    """Return the first ``limit`` days not done that the program asks for if pending days converge.

    Replays :func:`day_program` from the start with the known outcomes; a day not done
    (running or not started) is assumed to meet the target (no plugs added).  The first
    job returned is the one the run waits for.
    """
    program = day_program(prep, grown)
    wanted: list[DayJob] = []
    try:
        item = next(program)
        while len(wanted) < limit:
            if isinstance(item, str):
                item = program.send(None)
                continue
            outcome = done.get(item)
            if outcome is None:
                wanted.append(item)
                outcome = _CONVERGED
            elif outcome.error is not None:
                break  # a failed day: what follows cannot be guessed
            item = program.send(outcome)
    except StopIteration:
        pass
    finally:
        program.close()
    return wanted


def _submit(
    pool: ThreadPoolExecutor,
    prep: Prepared,
    wanted: list[DayJob],
    seeds: _Seeds,
    running: dict[DayJob, tuple[Future[DayOutcome], threading.Event]],
    workers: int,
    plans: DayPlans,
) -> None:
    """Run the ``wanted`` days not running yet; stop running days no longer wanted."""
    for job, (_, cancel) in running.items():
        if job not in wanted:
            cancel.set()  # a wrong guess: it stops at its next reporting interval
    active = sum(not cancel.is_set() for _, cancel in running.values())
    for job in wanted:
        if job in running or active >= workers:
            continue
        cancel = threading.Event()
        future = pool.submit(
            execute_day, prep, job, seeds(job.year, job.day_type), cancel, plans=plans
        )
        running[job] = (future, cancel)
        active += 1


@contextmanager
def _inputs_frozen() -> Iterator[None]:
    """Keep the objects alive now (the run's inputs) out of the garbage collector's scans.

    A day allocates and frees tens of thousands of objects (agents, frames), so full
    collections come often, and each one scanned the network, context and stock again;
    frozen, they are scanned no more until the days are done (``gc.freeze``).
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_days(prep: Prepared, *, workers: int = 1, progress: bool = False) -> RunDays:
    """Simulate the days of a run on ``workers`` threads; the result is the serial one.

    Parameters
    ----------
    prep
        The run's inputs (read-only while days run).
    workers
        Days simulated at once (1: one after another, in this thread).
    progress
        Print one line per simulated day, in serial order, to stderr.

    Raises
    ------
    ScenarioError
        If ``workers`` is not an integer >= 1.
    Exception
        The first exception, in serial order, of a day the run needs.
    """
    check_workers(workers)
    t0 = time.perf_counter()
    seeds, grown = _Seeds(prep), _Grown(prep)
    plans = DayPlans(capacity=workers + 1)  # the sizing runs of a day reuse its plan
    done: dict[DayJob, DayOutcome] = {}
    running: dict[DayJob, tuple[Future[DayOutcome], threading.Event]] = {}
    counts = {"simulated": 0, "discarded": 0}
    consumed: set[DayJob] = set()  # days the serial program used
    program = day_program(prep, grown)

    def collect(finished: set[Future[DayOutcome]]) -> None:
        for job, (future, _) in list(running.items()):
            if future in finished:
                del running[job]
                outcome = future.result()
                if isinstance(outcome.error, Cancelled):
                    counts["discarded"] += 1
                else:
                    counts["simulated"] += 1
                    done[job] = outcome

    pool = ThreadPoolExecutor(workers, thread_name_prefix="day") if workers > 1 else None
    with _inputs_frozen():
        try:
            item = next(program)
            while True:
                # advance the serial program as far as outcomes are known
                while isinstance(item, str) or item in done:
                    if isinstance(item, str):
                        log_progress(progress, item)
                        item = program.send(None)
                        continue
                    outcome = done[item]
                    consumed.add(item)
                    if outcome.error is not None:
                        raise outcome.error
                    item = program.send(outcome)
                if pool is None:  # one worker: the day the program waits for, here
                    seq = seeds(item.year, item.day_type)
                    done[item] = execute_day(prep, item, seq, plans=plans)
                    counts["simulated"] += 1
                    continue
                wanted = _guess(prep, grown, done, workers)
                _submit(pool, prep, wanted, seeds, running, workers, plans)
                finished, _ = wait([f for f, _ in running.values()], return_when=FIRST_COMPLETED)
                collect(finished)
        except StopIteration as stop:
            days, sizing_runs = stop.value
        finally:
            for _, cancel in running.values():
                cancel.set()
            if pool is not None:
                pool.shutdown(wait=True)
            program.close()
    return RunDays(
        days=days,
        sizing_runs=sizing_runs,
        simulated=counts["simulated"],
        discarded=counts["discarded"] + counts["simulated"] - len(consumed),
        wall_s=time.perf_counter() - t0,
    )
