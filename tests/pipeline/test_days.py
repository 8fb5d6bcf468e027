"""The days of a run in parallel: same tables for 1, 2 and N workers, in any completion order.

The scheduler is tested on a stand-in day (no simulation; random run times, so days
finish in a different order every time) for the serial program's sizing chains, wrong
guesses, and errors; one slow case compares every table of a real run with charger
sizing on 1 and 2 workers.
"""

from __future__ import annotations

import gc
import random
import threading
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import small

from transport_sim.errors import ScenarioError
from transport_sim.pipeline import days as days_mod
from transport_sim.pipeline.day_jobs import Cancelled, DayJob, DayOutcome, fresh_sequence
from transport_sim.pipeline.run import run_tables
from transport_sim.pipeline.year_sizing import first_estimate
from transport_sim.sim.model import DAY_STREAMS
from transport_sim.sim.prepare import day_seeds

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "experiments" / "shiyan_plan.toml"


def test_every_simulation_of_a_day_draws_the_same_streams() -> None:
    # common random numbers: the sizing runs of a (year, day type) and its result share
    # their demand, whatever ran before on the same sequence
    seq = day_seeds(7, range(2024, 2026), ("weekday", "holiday"))[(2025, "holiday")]
    first = [s.generate_state(4) for s in seq.spawn(DAY_STREAMS)]  # advances ``seq``
    for _ in range(3):
        copy = fresh_sequence(seq)
        got = [s.generate_state(4) for s in copy.spawn(DAY_STREAMS)]
        assert all(np.array_equal(a, b) for a, b in zip(first, got, strict=True))
    other = day_seeds(7, range(2024, 2026), ("weekday", "holiday"))[(2025, "weekday")]
    assert not np.array_equal(fresh_sequence(other).spawn(1)[0].generate_state(4), first[0])


def test_first_estimate_keeps_what_sizing_added_above_growth() -> None:
    grown_before = {"a": 10, "b": 4, "c": 7}
    built = {"a": 13, "b": 4, "c": 7}  # sizing added 3 at "a"
    grown = {"a": 12, "b": 6, "c": 5, "d": 2}  # "c" shrinks, "d" is new
    got = first_estimate(grown, grown_before, built)
    assert got == {"a": 15, "b": 6, "c": 7, "d": 2}
    # a site sized in another year than it is grown in keeps at least its plugs
    assert first_estimate({"a": 1}, {}, {"a": 9}) == {"a": 9}


# ------------------------------------------------------------------ stand-in days
SITES = ("depot:1", "port:2", "sa:3")


def need(job: DayJob) -> dict[str, int]:
    """Plugs each site needs on this day (the hub draws more vehicles as it grows)."""
    k = job.year - 2024
    if job.day_type == "holiday":
        plugs = dict(job.plugs or ())
        return {"depot:1": 4 + 2 * k + plugs.get("depot:1", 0) % 2, "sa:3": 3 + k}
    return {"port:2": 5 + k * (job.year % 2)}


def fake_day(
    prep, job: DayJob, seq, cancel: threading.Event | None = None, *, fail: DayJob | None = None
) -> DayOutcome:
    """A day that takes a random time and is late where its plugs fall short of ``need``."""
    for _ in range(5):
        time.sleep(random.uniform(0.0, 0.004))
        if cancel is not None and cancel.is_set():
            return DayOutcome(error=Cancelled())
    if job == fail:
        return DayOutcome(error=RuntimeError(f"failed {job.year} {job.day_type}"))
    plugs = dict(job.plugs or ())
    short = {s: n for s, n in need(job).items() if plugs and plugs[s] < n}
    state = int(seq.generate_state(1)[0])  # the seed this day would draw from
    return DayOutcome(
        late=len(short) if job.sizing else 0,
        worst_p95_min=float(state % 1000),
        total_plugs=sum(plugs.values()),
        raise_to={} if job.last_round else {s: max(n, plugs[s] + 1) for s, n in short.items()},
        sim_s=float(job.round),
    )


def fake_grown(year: int) -> dict[str, int]:
    return {"depot:1": 3 + (year - 2024), "port:2": 4, "sa:3": 2}


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch):
    """Swap in the stand-in day; return the list of jobs started (in start order)."""

    def use(fail: DayJob | None = None, hold: DayJob | None = None) -> list[DayJob]:
        """``hold``: that day waits (up to 30 s) until ``fail`` has started, so the guess
        that ``fail`` is happens whatever the threads' timing."""
        started: list[DayJob] = []
        fail_started = threading.Event()

        def day(prep, job, seq, cancel=None, plans=None):
            started.append(job)
            if job == fail:
                fail_started.set()
            if hold is not None and job == hold:
                fail_started.wait(30.0)
            return fake_day(prep, job, seq, cancel, fail=fail)

        monkeypatch.setattr(days_mod, "execute_day", day)
        monkeypatch.setattr(days_mod._Grown, "__call__", lambda self, year: fake_grown(year))
        return started

    return use


def prep_for(**overrides: object) -> object:
    settings = {
        "run__end_year": 2028,
        "run__day_types": ["weekday", "holiday"],
        "charging__size_for_p95_wait_min": 30.0,
        **overrides,
    }
    scenario = small(PLAN, **settings)
    return types.SimpleNamespace(scenario=scenario)


def trace(prep: object, workers: int, capsys: pytest.CaptureFixture[str]):
    result = days_mod.run_days(prep, workers=workers, progress=True)
    lines = capsys.readouterr().err
    rows = [(y, d, o.total_plugs, o.worst_p95_min, o.sim_s) for y, d, o in result.days]
    return rows, result.sizing_runs, lines, result


@pytest.mark.parametrize("size_day_types", [("holiday", "weekday"), ("weekday",), ("holiday",)])
def test_any_worker_count_gives_the_serial_days(stand_in, capsys, size_day_types) -> None:
    stand_in()
    prep = prep_for(charging__size_day_types=list(size_day_types), charging__size_max_rounds=3)
    serial = trace(prep, 1, capsys)
    assert serial[3].discarded == 0
    assert serial[1][2025] >= 2  # the stand-in makes the sizing loop iterate
    # the holiday is re-sized only when it is one of the sizing day types
    assert ("sizing 2025 holiday run 2" in serial[2]) == ("holiday" in size_day_types)
    for workers in (2, 3, 5, 2, 3):  # repeated: days finish in another order each time
        got = trace(prep, workers, capsys)
        assert got[:3] == serial[:3]


def test_inputs_are_frozen_while_days_run_and_released_after(
    stand_in, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    stand_in()

    def day(prep, job, seq, cancel=None, plans=None):
        seen.append(gc.get_freeze_count())
        return fake_day(prep, job, seq, cancel)

    monkeypatch.setattr(days_mod, "execute_day", day)
    prep = prep_for()
    for workers in (1, 2):
        trace(prep, workers, capsys)
        assert gc.get_freeze_count() == 0  # the collector sees everything again
    assert seen
    assert min(seen) > 0  # the run's inputs were frozen while days ran


def test_base_year_and_unsized_years_run_side_by_side(stand_in, capsys) -> None:
    stand_in()
    prep = prep_for(charging__size_for_p95_wait_min=0.0)
    serial = trace(prep, 1, capsys)
    parallel = trace(prep, 4, capsys)
    assert parallel[:3] == serial[:3]
    assert parallel[3].discarded == 0  # nothing to guess: every day is independent
    assert serial[1] == {}


def test_a_failing_day_the_run_needs_raises_whatever_the_workers(stand_in) -> None:
    prep = prep_for(charging__size_day_types=["holiday", "weekday"])
    serial_jobs = stand_in()
    days_mod.run_days(prep, workers=1)
    victim = serial_jobs[5]
    for workers in (1, 2, 3):
        stand_in(fail=victim)
        with pytest.raises(RuntimeError, match=f"failed {victim.year} {victim.day_type}"):
            days_mod.run_days(prep, workers=workers)


def test_a_failing_guess_the_run_does_not_need_is_ignored(stand_in, capsys) -> None:
    prep = prep_for(charging__size_day_types=["holiday", "weekday"])
    serial_jobs = stand_in()
    serial = trace(prep, 1, capsys)
    # year 2025's first weekday verification with the first run's plugs: guessed with 2
    # workers (if that holiday run met the target), never asked for (it did not)
    plugs = days_mod.frozen_plugs(fake_grown(2025))
    wrong = DayJob(2025, "weekday", plugs, sizing=True, round=1, last_round=False, target_min=30.0)
    # the holiday run it is guessed beside waits for it, so the guess is not a race
    holiday = next(j for j in serial_jobs if (j.year, j.day_type, j.round) == (2025, "holiday", 1))
    started = stand_in(fail=wrong, hold=holiday)
    got = trace(prep, 2, capsys)
    assert wrong in started  # it was guessed ...
    assert got[:3] == serial[:3]  # ... and its failure did not matter
    assert got[3].discarded >= 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ScenarioError, match="--workers") as info:
        days_mod.check_workers(bad)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ the real model
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::transport_sim.errors.TransportSimWarning")  # tiny on purpose
def test_real_run_with_sizing_same_tables_on_one_and_two_workers() -> None:
    scenario = small(
        PLAN,
        run__day_types=["weekday", "holiday"],
        run__vehicle_scale=0.03,
        run__tick_s=30.0,
        charging__size_for_p95_wait_min=10.0,
    )
    one = run_tables(scenario, workers=1)
    two = run_tables(scenario, workers=2)
    assert one.meta["sizing_runs_by_year"][2025] >= 2  # the sizing loop iterated
    assert one.meta["sizing_runs_by_year"] == two.meta["sizing_runs_by_year"]
    assert one.meta["at_midnight"] == two.meta["at_midnight"]
    assert set(one.tables) == set(two.tables)
    for name, table in one.tables.items():
        other = two.tables[name]
        assert isinstance(table, pd.DataFrame)
        assert table.dtypes.equals(other.dtypes), name
        assert table.equals(other), name
