"""The calibration table: simulated base-year activity against the calibration targets.

One row per (fleet, size class, powertrain, metric) with the target, the simulated value
and their ratio; ``powertrain == "all"`` rows pool the class.  Metrics:

``km_per_vehicle_day``
    Odometer km per simulated vehicle of the day (every simulated vehicle is in
    service on an operating day).
``trips_per_vehicle_day``
    Revenue trips per vehicle (taxis).
``empty_running_share``
    Empty km / all km of the class's trucks, from the day's legs (a leg with no
    payload is empty; leg length = network distance from where the leg starts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from transport_sim.codes import FLEETS

if TYPE_CHECKING:
    from transport_sim.fleets.calibration import Calibration
    from transport_sim.sim.model import TransportModel

COLUMNS = ("fleet", "class", "powertrain", "metric", "target", "simulated", "ratio")
#: A metric further than this from its target (|ratio - 1|) is flagged in the report.
FLAG_TOLERANCE = 0.10


def calibration_table(model: TransportModel, calibration: Calibration) -> pd.DataFrame:
    """Return the calibration table of a finished base-year day (see module docstring)."""
    st, plan = model.state, model.plan
    n = plan.n_vehicles
    keys = plan.spec_keys
    frame = pd.DataFrame(
        {
            "fleet": [keys[k][0] for k in st.spec[:n]],
            "class": [keys[k][1] for k in st.spec[:n]],
            "powertrain": [keys[k][2] for k in st.spec[:n]],
            "km": st.odometer_m[:n] / 1000.0,
            "trips": st.trips[:n].astype(np.float64),
        }
    )
    empty_km = np.zeros(n)
    all_km = np.zeros(n)
    trucks = np.flatnonzero(st.fleet[:n] == FLEETS.index("truck"))
    if trucks.size:
        empty_km[trucks], all_km[trucks] = _truck_leg_lengths_m(model, trucks)
    frame["empty_km"] = empty_km / 1000.0
    frame["leg_km"] = all_km / 1000.0
    rows: list[tuple] = []
    for (fleet, cname), metrics in calibration.targets.items():
        cls = frame[(frame["fleet"] == fleet) & (frame["class"] == cname)]
        if cls.empty:
            continue
        groups = [("all", cls), *((pt, g) for pt, g in cls.groupby("powertrain", sort=True))]
        for pt, g in groups:
            for metric, target in metrics.items():
                if metric == "km_per_vehicle_day":
                    sim = float(g["km"].mean())
                elif metric == "trips_per_vehicle_day":
                    sim = float(g["trips"].mean())
                else:  # empty_running_share
                    total = float(g["leg_km"].sum())
                    sim = float(g["empty_km"].sum()) / total if total > 0 else float("nan")
                rows.append((fleet, cname, pt, metric, float(target), sim, sim / float(target)))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _truck_leg_lengths_m(
    model: TransportModel, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Empty and total metres of the planned legs of truck ``rows`` (arrays like ``rows``).

    Each vehicle's legs are added in its own order, one leg per pass over the vehicles
    that still have one (the additions of a loop per vehicle, in a few array passes).
    """
    st, tg = model.state, model.context.targets
    begin = st.leg_begin[rows].astype(np.int64)
    count = st.leg_end[rows].astype(np.int64) - begin
    here = model.plan.start_node[rows].astype(np.int64)
    empty_m = np.zeros(rows.size)
    total_m = np.zeros(rows.size)
    for i in range(int(count.max(initial=0))):
        on = np.flatnonzero(count > i)
        j = begin[on] + i
        k = st.leg_target[j].astype(np.int64)
        d_m = tg.dist_m[k, here[on]].astype(np.float64)
        ok = np.isfinite(d_m)
        total_m[on[ok]] += d_m[ok]
        empty = ok & (st.leg_payload_t[j] <= 0.0)
        empty_m[on[empty]] += d_m[empty]
        here[on] = tg.node[k]
    return empty_m, total_m


def flagged(table: pd.DataFrame, tolerance: float = FLAG_TOLERANCE) -> pd.DataFrame:
    """Rows of ``table`` more than ``tolerance`` from their target."""
    off = (table["ratio"] - 1.0).abs() > tolerance
    return table[off | table["ratio"].isna()]
