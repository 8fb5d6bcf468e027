"""Size each year's charger sites inside a run (``charging.size_for_p95_wait_min = W``).

The base year is sized the same way for ``charging.base_year_p95_wait_min`` (today's
infrastructure, shared by every scenario); its plugs stay built in later years.

For every policy year and each day type of ``charging.size_day_types`` in turn (the
holiday peak first by default):

1. simulate the day with the year's first estimate (:func:`first_estimate`: the sites
   grown with the fleets plus what sizing added above growth the year before), every
   site keeping at least the plugs it had after the previous year's sizing and the
   previous day type's (built plugs stay built);
2. where a site's simulated P95 wait exceeds ``W``, the size-chargers estimator
   (:func:`transport_sim.charging.queueing.size_sites`: busiest-hour Erlang-C, verified by
   replaying the recorded arrivals) proposes a plug count; late sites get
   ``max(estimate, plugs + 1)``;
3. re-simulate (verification run) and repeat from 2 until every site meets ``W`` or
   ``charging.size_max_rounds`` runs of that day type are spent.

When a later day type adds plugs, the earlier day types are sized again with them (up to
:data:`MAX_PASSES` passes), so every sized day type's last run has the year's final plugs
and *is* that day type's result (same seed, same plugs).
Vehicles choose hubs by the queue they see, so a bigger site draws more of them; that is
why the estimate is verified in the model and not trusted alone.

Every run of a (year, day type) draws the same demand (common random numbers): the
sizing runs differ only in their plugs, so a site is raised for its own queue and not for
another draw's noise, the loop settles in fewer runs, and the last run -- with the final
plugs -- is the same day the run would simulate with them.

The loop is written as a program that asks for days (:class:`~transport_sim.pipeline.
day_jobs.DayJob`) and is handed their outcomes (:func:`size_year` is a generator), so
:mod:`transport_sim.pipeline.days` can run the days it will probably ask for next on
other cores while it waits; its result does not depend on that.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from transport_sim.pipeline.day_jobs import DayJob, DayOutcome, frozen_plugs

#: Passes over the day types: a day type is sized again when a later one added plugs.
MAX_PASSES = 3

if TYPE_CHECKING:
    from transport_sim.sim.prepare import Prepared

#: What the sizing program yields (a day to simulate, or a progress line) and is sent back
#: (the day's outcome, or ``None`` after a line).
DayProgram = Generator[
    DayJob | str, DayOutcome | None, tuple[dict[str, int], dict[str, DayOutcome], int]
]


def size_year(
    prep: Prepared,
    year: int,
    grown: dict[str, int],
    built: dict[str, int],
    target_min: float,
) -> DayProgram:
    """Size the sites of ``year`` for the scenario's P95 wait target (a generator).

    Parameters
    ----------
    prep
        The run's inputs (its scenario sets ``charging.size_for_p95_wait_min > 0``).
    year
        Policy year.
    grown
        ``{site_id: plugs}`` of the year's sites as grown with the fleets.
    built
        ``{site_id: plugs}`` a site never gets fewer than (the previous year's sizing, or
        the :func:`first_estimate` built on it).
    target_min
        The P95 wait to size for, minutes (``charging.size_for_p95_wait_min``; the base
        year uses ``charging.base_year_p95_wait_min``).

    Yields
    ------
    DayJob or str
        A day to simulate (send back its :class:`DayOutcome`) or a progress line (send
        ``None``).

    Returns
    -------
    (plugs, outcomes, runs)
        ``{site_id: plugs}`` of every site of the year; per day type, the outcome of its
        last run when that run had the final plugs (it is that day type's result); the
        number of simulated days used.
    """
    ch = prep.scenario.charging
    plugs = {sid: max(int(p), int(built.get(sid, 0))) for sid, p in grown.items()}
    runs = 0
    last: dict[str, tuple[DayOutcome, dict[str, int]]] = {}
    todo = list(ch.size_day_types)
    for _ in range(MAX_PASSES):
        for day_type in todo:
            last.pop(day_type, None)
            outcome, n = yield from _size_day(prep, year, day_type, plugs, target_min)
            runs += n
            last[day_type] = (outcome, dict(plugs))
        # a later day type may have added plugs: verify the earlier ones again
        todo = [d for d, (_, used) in last.items() if used != plugs]
        if not todo:
            break
    outcomes = {d: outcome for d, (outcome, used) in last.items() if used == plugs}
    return plugs, outcomes, runs


def _size_day(
    prep: Prepared,
    year: int,
    day_type: str,
    plugs: dict[str, int],
    target_min: float,
) -> Generator[DayJob | str, DayOutcome | None, tuple[DayOutcome, int]]:
    """Raise ``plugs`` (in place) until ``day_type`` meets ``target_min`` (P95 wait, minutes).

    Returns the last run.
    """
    ch = prep.scenario.charging
    rounds = 0
    while True:
        rounds += 1
        job = DayJob(
            year,
            day_type,
            frozen_plugs(plugs),
            sizing=True,
            round=rounds,
            last_round=rounds >= ch.size_max_rounds,
            target_min=target_min,
        )
        outcome = yield job
        assert outcome is not None  # the driver's protocol
        yield (
            f"  sizing {year} {day_type} run {rounds}: {outcome.late} site(s) above P95 "
            f"{target_min:g} min (worst {outcome.worst_p95_min:.0f} min), "
            f"{outcome.total_plugs} plugs"
        )
        if outcome.late == 0 or job.last_round:
            return outcome, rounds
        plugs.update(outcome.raise_to)


def first_estimate(
    grown: dict[str, int], grown_before: dict[str, int], built: dict[str, int]
) -> dict[str, int]:
    """Return the plugs a year's sizing starts from.

    Each site gets the plugs grown with the fleets this year plus what sizing added above
    growth the year before (``built - grown_before``, never negative), and never fewer
    than it has (``built``).  A site that queued beyond the target last year keeps its
    margin as its fleets grow, instead of being grown back into the same queue and
    re-sized.

    Parameters
    ----------
    grown
        ``{site_id: plugs}`` of this year's sites grown with the fleets.
    grown_before
        The same for the year ``built`` was sized in.
    built
        ``{site_id: plugs}`` after that year's sizing.
    """
    out = {}
    for sid, p in grown.items():
        have = int(built.get(sid, 0))
        added = max(0, have - int(grown_before.get(sid, have)))
        out[sid] = max(int(p) + added, have)
    return out
