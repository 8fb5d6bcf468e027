"""Size each year's charger sites inside a run (``charging.size_for_p95_wait_min = W``).

The base year is sized the same way for ``charging.base_year_p95_wait_min`` (today's
infrastructure, shared by every scenario); its plugs stay built in later years.

For every policy year and each day type of ``charging.size_day_types`` in turn (the
holiday peak first by default):

1. simulate the day with the year's sites (grown with the fleets), every site keeping at
   least the plugs it had after the previous year's sizing and the previous day type's
   (built plugs stay built);
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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transport_sim.sim.prepare import log_progress, simulate_day

#: Passes over the day types: a day type is sized again when a later one added plugs.
MAX_PASSES = 3

if TYPE_CHECKING:
    import numpy as np

    from transport_sim.sim.model import TransportModel
    from transport_sim.sim.prepare import Prepared


def size_year(
    prep: Prepared,
    year: int,
    seqs: dict[str, np.random.SeedSequence],
    built: dict[str, int],
    *,
    progress: bool = False,
    target_min: float | None = None,
) -> tuple[dict[str, int], dict[str, TransportModel], int]:
    """Size the sites of ``year`` for the scenario's P95 wait target.

    Parameters
    ----------
    prep
        The run's inputs (its scenario sets ``charging.size_for_p95_wait_min > 0``).
    year
        Policy year.
    seqs
        The seed of (``year``, day type) for every day type of ``charging.size_day_types``.
    built
        ``{site_id: plugs}`` after the previous year's sizing; a site never gets fewer.
    target_min
        The P95 wait to size for, minutes (default ``charging.size_for_p95_wait_min``;
        the base year uses ``charging.base_year_p95_wait_min``).

    Returns
    -------
    (plugs, models, runs)
        ``{site_id: plugs}`` of every site of the year; per day type, the finished model
        of its last run when that run had the final plugs (others are released); the
        number of simulated days used.
    """
    ch = prep.scenario.charging
    target = ch.size_for_p95_wait_min if target_min is None else float(target_min)
    plugs = kept_plugs(prep, year, built)
    runs = 0
    last: dict[str, tuple[TransportModel, dict[str, int]]] = {}
    todo = list(ch.size_day_types)
    for _ in range(MAX_PASSES):
        for day_type in todo:
            if day_type in last:
                last.pop(day_type)[0].release()
            model, n = _size_day(prep, year, day_type, seqs[day_type], plugs, progress, target)
            runs += n
            last[day_type] = (model, dict(plugs))
        # a later day type may have added plugs: verify the earlier ones again
        todo = [d for d, (_, used) in last.items() if used != plugs]
        if not todo:
            break
    models: dict[str, TransportModel] = {}
    for day_type, (model, used) in last.items():
        if used == plugs:
            models[day_type] = model
        else:
            model.release()
    return plugs, models, runs


def _size_day(
    prep: Prepared,
    year: int,
    day_type: str,
    seq: np.random.SeedSequence,
    plugs: dict[str, int],
    progress: bool,
    target: float,
) -> tuple[TransportModel, int]:
    """Raise ``plugs`` (in place) until ``day_type`` meets ``target`` (P95 wait, minutes).

    Returns the last model.
    """
    from transport_sim.charging.queueing import size_sites
    from transport_sim.charging.statistics import session_log_frame, site_statistics

    ch = prep.scenario.charging
    rounds = 0
    while True:
        model = simulate_day(prep, year, day_type, seq, plug_overrides=plugs)
        rounds += 1
        stats = site_statistics(model.site_arrays, model.sites, year, day_type)
        late = stats[stats["wait_p95_min"] > target + 1e-9]
        log_progress(
            progress,
            f"  sizing {year} {day_type} run {rounds}: {len(late)} site(s) above P95 "
            f"{target:g} min (worst {stats['wait_p95_min'].max():.0f} min), "
            f"{sum(plugs.values())} plugs",
        )
        if late.empty or rounds >= ch.size_max_rounds:
            return model, rounds
        log = session_log_frame(model.site_arrays, model.sites, model.state.fleet)
        log = log[log["site_id"].isin(set(late["site_id"]))]
        info = model.sites.to_frame()
        model.release()
        estimate = size_sites(
            log, target, site_info=info, tick_s=prep.scenario.run.tick_s,
            max_plugs=max(500, 4 * max(plugs.values(), default=1)),
        )
        proposed = dict(
            zip(estimate.sites["site_id"], estimate.sites["plugs_verified"], strict=True)
        )
        for sid in late["site_id"]:
            plugs[sid] = max(int(proposed.get(sid, 0)), plugs[sid] + 1)


def kept_plugs(prep: Prepared, year: int, built: dict[str, int]) -> dict[str, int]:
    """Plugs of every site of ``year``: grown with the fleets, never fewer than ``built``.

    ``built`` holds ``{site_id: plugs}`` of the sites sized before (the base year's
    infrastructure, earlier sized years): plugs once built stay built.
    """
    from transport_sim.charging.year_sites import build_year_sites

    grown = build_year_sites(prep.context, prep.scenario, prep.fleet_def, prep.stock, year)
    return {
        sid: max(int(p), int(built.get(sid, 0)))
        for sid, p in zip(grown.site_id, grown.plugs, strict=True)
    }
