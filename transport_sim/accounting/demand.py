"""Demand conservation and strandings of a simulated day.

Every planned leg of the day (bus runs, truck trips and delivery drops, ship sailings) is
either *done* or *not done* at midnight; taxi requests are served or unserved (the
dispatch counts, :mod:`transport_sim.pipeline.run`).  A leg still open at midnight is

* **not done** when its vehicle is stranded, or is held by charging at midnight (queued,
  plugged in, or driving to a charger), or the leg was due to end before midnight by its
  timetable (earliest departure + free-flow time of its path) while the vehicle had waited
  for a charger during the day: the activity was lost to the charging system;
* **in progress** otherwise (a vehicle on its normal schedule whose trip runs past
  midnight): counted as done.  The representative day is a steady state, so trips that
  run into the next day stand for the ones that ran into this one.

Quantities per leg, from the plan (not from the vehicle's odometer, so that done + not
done = planned holds exactly): path length (shortest path from the previous stop), tonnes
unloaded at its end (the drop in payload from this leg to the next one of the vehicle,
0 when nothing is unloaded), t-km (payload x path length), revenue trips (legs that end a
trip: bus runs, truck trips, sailings).

How undone activity enters CO2 (:func:`undone_co2_t`): it is reported as a separate line,
``co2_wtw_undone_t`` / ``co2_ttw_undone_t``, the CO2 the undone activity would have
emitted had it been done later at the same energy per km as the activity that was done;
``co2_*_t`` stays the CO2 of what the model drove.  The report shows both and their sum,
so undelivered freight never lowers the CO2 a reader is given without a flag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from transport_sim.codes import (
    FLEETS,
    STATUS_CHARGING,
    STATUS_MOVING,
    STATUS_QUEUED,
    STATUS_STRANDED,
)
from transport_sim.kernels.state import LEG_TRIP_END
from transport_sim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from transport_sim.sim.model import TransportModel

#: Columns :func:`day_activity` adds to the day totals (summed per fleet cell).
ACTIVITY_COLUMNS = (
    "runs_planned", "runs_cancelled", "km_planned", "km_not_done",
    "tonnes_planned", "tonnes_delivered", "tonnes_undelivered",
    "tkm_planned", "tkm_delivered", "tkm_undelivered",
)
#: Columns of ``strandings.parquet``.
STRANDING_COLUMNS = (
    "year", "day_type", "vehicle", "fleet", "size_class", "powertrain", "stranded_at_h",
    "lon", "lat", "node", "battery_kwh", "heading_to_site", "reason",
)


class LegPlan(NamedTuple):
    """The planned legs of the fleets' scheduled vehicles (taxis excluded), one entry each.

    Attributes
    ----------
    vehicle
        Vehicle row (int64).
    km
        Path length from the previous stop (km).
    tonnes
        Tonnes unloaded at its end (t).
    tkm
        Payload x path length (t-km).
    run
        True when it ends a trip.
    not_done
        Open at midnight and lost (see the module notes).
    """

    vehicle: np.ndarray
    km: np.ndarray
    tonnes: np.ndarray
    tkm: np.ndarray
    run: np.ndarray
    not_done: np.ndarray


def leg_plan(model: TransportModel) -> LegPlan:
    """Return the planned legs of the day's scheduled vehicles (see :class:`LegPlan`)."""
    st, n = model.state, model.plan.n_vehicles
    targets = model.context.targets
    sched = np.flatnonzero(~st.dispatchable[:n].astype(bool))
    begin = st.leg_begin[sched].astype(np.int64)
    end = st.leg_end[sched].astype(np.int64)
    count = end - begin
    vehicle = np.repeat(sched, count)
    first = np.repeat(begin, count)
    leg = first + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    k = st.leg_target[leg].astype(np.int64)
    prev_node = np.where(
        leg > first, targets.node[st.leg_target[np.maximum(leg - 1, 0)]],
        model.start_node[vehicle],
    )
    dist_m = targets.dist_m[k, prev_node].astype(np.float64)
    time_s = targets.time_s[k, prev_node].astype(np.float64)
    dist_m = np.where(np.isfinite(dist_m), dist_m, 0.0)
    time_s = np.where(np.isfinite(time_s), time_s, 0.0)
    payload = st.leg_payload_t[leg]
    last = leg == np.repeat(end, count) - 1
    following = st.leg_payload_t[np.minimum(leg + 1, len(st.leg_payload_t) - 1)]
    next_payload = np.where(last, 0.0, following)
    # a leg unloads what it carries unless the next leg carries part of it on (a delivery
    # tour's drops: the payload falls leg by leg); a next leg as heavy or heavier was
    # loaded anew (a shuttle's backhaul), so this leg unloaded all of its payload
    tonnes = np.where(next_payload >= payload, payload, payload - next_payload)
    done = leg < st.leg[vehicle]
    status = st.status[vehicle]
    held = (
        (status == STATUS_STRANDED)
        | (status == STATUS_QUEUED)
        | (status == STATUS_CHARGING)
        | ((status == STATUS_MOVING) & (st.charge_site[vehicle] >= 0))
    )
    due = st.leg_depart_s[leg] + time_s <= SECONDS_PER_DAY
    waited = st.wait_s[vehicle] > 0.0
    not_done = ~done & (held | (due & waited))
    return LegPlan(
        vehicle=vehicle,
        km=dist_m / 1000.0,
        tonnes=tonnes,
        tkm=payload * dist_m / 1000.0,
        run=(st.leg_flags[leg] & LEG_TRIP_END) != 0,
        not_done=not_done,
    )


def day_activity(model: TransportModel) -> pd.DataFrame:
    """Planned, done and not-done activity per (fleet, size_class, powertrain) of the day.

    Columns: fleet, size_class, powertrain and :data:`ACTIVITY_COLUMNS` (simulated
    vehicles, not yet scaled to the real fleet).  ``*_planned = *_delivered +
    *_undelivered`` (tonnes, t-km) holds exactly by construction of the leg table; the
    test checks it after scaling to the year.
    """
    legs = leg_plan(model)
    spec = model.state.spec[legs.vehicle]
    nd, kept = legs.not_done, ~legs.not_done  # lost at midnight, or done / in progress
    # one float block, a row per column of ACTIVITY_COLUMNS, summed by pandas per spec
    block = np.vstack([
        legs.run.astype(float), (legs.run & nd).astype(float),
        legs.km, legs.km * nd,
        legs.tonnes, legs.tonnes * kept, legs.tonnes * nd,
        legs.tkm, legs.tkm * kept, legs.tkm * nd,
    ])  # fmt: skip
    frame = pd.DataFrame(block.T, columns=list(ACTIVITY_COLUMNS), copy=False)
    out = frame.groupby(pd.Series(spec, name="spec"), sort=True).sum().reset_index()
    keys = model.plan.spec_keys
    out.insert(0, "fleet", [keys[s][0] for s in out["spec"]])
    out.insert(1, "size_class", [keys[s][1] for s in out["spec"]])
    out.insert(2, "powertrain", [keys[s][2] for s in out["spec"]])
    return out.drop(columns="spec")


def strandings(model: TransportModel, year: int, day_type: str) -> pd.DataFrame:
    """Return one row per vehicle stranded in the day: where, when, which class and why.

    ``stranded_at_h`` is the end of the reporting interval in which the battery ran out
    (resolution ``run.report_interval_s``).  ``reason``:

    * ``"empty driving to a charger"``: it had chosen a site (``heading_to_site``) and
      the battery ran out on the way (the site was too far or it waited too long before);
    * ``"no charger in range on its route"``: it never found a usable site of its kind
      on its path before the battery ran out.
    """
    st, n = model.state, model.plan.n_vehicles
    rows = np.flatnonzero(st.status[:n] == STATUS_STRANDED)
    keys = model.plan.spec_keys
    sites = model.sites
    records = []
    for v in rows:
        fleet, cname, pt = keys[int(st.spec[v])]
        lon, lat = model.position_lonlat(int(v))
        site = int(st.charge_site[v])
        records.append({
            "year": int(year),
            "day_type": day_type,
            "vehicle": int(v),
            "fleet": fleet,
            "size_class": cname,
            "powertrain": pt,
            "stranded_at_h": float(model.stranded_at_s[v]) / SECONDS_PER_HOUR,
            "lon": lon,
            "lat": lat,
            "node": int(st.node[v]),
            "battery_kwh": float(st.battery_kwh[v]),
            "heading_to_site": sites.site_id[site] if 0 <= site < sites.n_sites else "",
            "reason": (
                "empty driving to a charger" if site >= 0 else "no charger in range on its route"
            ),
        })
    return pd.DataFrame.from_records(records, columns=list(STRANDING_COLUMNS))


def undone_share(annual: pd.DataFrame) -> pd.DataFrame:
    """Share of the planned activity not done, per year and fleet.

    Buses, trucks and ships: runs cancelled / runs planned (trucks also by tonnes and
    t-km); taxis: unserved / requests.  Columns: year, fleet, undone_share and, for
    trucks, tonnes_undelivered_share and tkm_undelivered_share.
    """
    road = annual[annual["fleet"].isin(FLEETS)]
    g = road.groupby(["year", "fleet"])[
        ["runs_planned", "runs_cancelled", "requests", "unserved", "tonnes_planned",
         "tonnes_undelivered", "tkm_planned", "tkm_undelivered"]
    ].sum()
    taxi = g.index.get_level_values("fleet") == "taxi"
    num = np.where(taxi, g["unserved"], g["runs_cancelled"])
    den = np.where(taxi, g["requests"], g["runs_planned"])
    out = pd.DataFrame(index=g.index)
    out["undone_share"] = np.divide(num, den, out=np.zeros(len(g)), where=den > 0)
    out["tonnes_undelivered_share"] = np.divide(
        g["tonnes_undelivered"], g["tonnes_planned"], out=np.zeros(len(g)),
        where=g["tonnes_planned"] > 0,
    )
    out["tkm_undelivered_share"] = np.divide(
        g["tkm_undelivered"], g["tkm_planned"], out=np.zeros(len(g)),
        where=g["tkm_planned"] > 0,
    )
    return out.reset_index()


def undone_co2_t(
    co2_t: float, km_planned: float, km_not_done: float, requests: float, unserved: float
) -> float:
    """CO2 (t) of the undone activity had it been done at the done activity's CO2 per unit.

    Scheduled fleets: ``co2_t x km_not_done / (km_planned - km_not_done)``; taxis (no
    planned legs): ``co2_t x unserved / (requests - unserved)``.  0 when nothing was done.
    """
    if km_planned > 0:
        done = km_planned - km_not_done
        return co2_t * km_not_done / done if done > 0 else 0.0
    if requests > 0:
        done = requests - unserved
        return co2_t * unserved / done if done > 0 else 0.0
    return 0.0
