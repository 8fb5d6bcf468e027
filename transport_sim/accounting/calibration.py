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
        length = _truck_leg_lengths_m(model, trucks)
        for v, (e, t) in length.items():
            empty_km[v], all_km[v] = e, t
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
) -> dict[int, tuple[float, float]]:
    """``{row: (empty m, all m)}`` of the planned legs of truck ``rows``."""
    st = model.state
    tg = model.context.targets
    start = model.plan.start_node
    out: dict[int, tuple[float, float]] = {}
    for v in rows:
        a, b = int(st.leg_begin[v]), int(st.leg_end[v])
        here = int(start[v])
        empty = total = 0.0
        for j in range(a, b):
            k = int(st.leg_target[j])
            d = float(tg.dist_m[k, here])
            if np.isfinite(d):
                total += d
                if st.leg_payload_t[j] <= 0.0:
                    empty += d
            here = int(tg.node[k])
        out[int(v)] = (empty, total)
    return out


def flagged(table: pd.DataFrame, tolerance: float = FLAG_TOLERANCE) -> pd.DataFrame:
    """Rows of ``table`` more than ``tolerance`` from their target."""
    off = (table["ratio"] - 1.0).abs() > tolerance
    return table[off | table["ratio"].isna()]
