"""Additive LMDI decomposition of a CO2 change: what drove it.

The CO2 of each cell (fleet, powertrain) of ``annual.parquet`` is written as the
product of five factors (the Kaya-type identity of transport)::

    C_i = A_s * (Q_f / A_s) * (Q_k / Q_f) * (Q_i / Q_k) * (E_i / Q_i) * (C_i / E_i)
          activity  mode       size mix    powertrain    energy int.   carbon int.

for a cell ``i`` = (fleet, size class, powertrain) of ``annual_by_class.parquet``, with
``s`` the cell's sector (freight: trucks and rail, activity in tonne-km; urban
passenger: buses and taxis, vehicle-km; reservoir shipping: ship vehicle-km), ``f`` its
fleet, ``k`` its size class, ``Q`` activity, ``E`` final energy (kWh, electricity at the
charger) and ``C`` CO2 (TTW or WTW).  The *mode* factor is the rail shift of freight
(rail vs road tonne-km) and the bus/taxi split of urban passenger km; the *size-class*
factor the vehicle-size mix inside a fleet (light, rigid, tractor trucks...); the
*powertrain* factor the powertrain mix inside a size class; energy intensity is kWh per
tonne-km or per vehicle-km of a cell; carbon intensity is CO2 per kWh (grid factor,
hydrogen pathway mix, fuel and upstream factors), reported by the cell's carrier group.

Additive LMDI-I (Ang 2005, "The LMDI approach to decomposition analysis: a practical
guide", Energy Policy 33) attributes ``dC_i = L(C_i^1, C_i^0) ln(x_k^1 / x_k^0)`` to
factor ``k``, with the logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)``; the terms
add up to the change exactly (perfect decomposition).

Zero cells (Ang and Liu 2007, "Handling zero values in the logarithmic mean Divisia
index decomposition approach", Energy Policy 35): when a cell has no CO2 at one end
(a powertrain that appears or disappears, rail freight that starts), the limit of the
LMDI terms as the zero value tends to zero puts the whole change of the cell on the
factor that is zero at that end.  This module uses that limit directly: the first factor
(in the order above) that is zero at the empty end takes the cell's whole change.  A
cell with no CO2 at either end contributes nothing.  A cell that has CO2 but no activity
or no energy (the identity cannot be written) goes to ``unallocated``, so the terms
still add up; runs of this model produce none.

Through traffic (fleet ``through_truck``: trucks of China's national mix crossing the
network gateway to gateway) is its own sector whose whole CO2 change is one term,
``through_traffic``: it is not the city's freight, so it enters neither the activity of
Shiyan's freight nor any of its structure or intensity terms.
"""

from __future__ import annotations

import itertools
from typing import Final

import numpy as np
import pandas as pd

from transport_sim.codes import THROUGH_FLEET

#: Sector of each fleet of ``annual.parquet`` and the activity column measuring it.
SECTOR_OF_FLEET: Final = {
    "truck": "freight",
    "rail_freight": "freight",
    "bus": "urban_passenger",
    "taxi": "urban_passenger",
    "ship": "reservoir",
    THROUGH_FLEET: "through",
}
ACTIVITY_COLUMN: Final = {"freight": "tkm", "urban_passenger": "vkm", "reservoir": "vkm",
                          "through": "tkm"}
#: Factors of the identity, in order (the zero-cell rule picks the first zero one).
FACTORS: Final = ("activity", "mode", "size_class", "powertrain", "energy_intensity",
                  "carbon_intensity")
UNALLOCATED: Final = "unallocated"
#: The term of through traffic: the whole CO2 change of the ``through`` sector (trucks
#: of the national mix crossing the network), kept apart from the city's own factors.
THROUGH_TRAFFIC: Final = "through_traffic"
#: Carbon-intensity groups by the carrier a cell uses.
CARRIER_GROUPS: Final = ("grid", "hydrogen", "fuel")
#: CO2 columns of ``annual.parquet`` decomposed, by metric name.
METRICS: Final = {"wtw": "co2_wtw_t", "ttw": "co2_ttw_t"}
KEYS: Final = ("sector", "fleet", "size_class", "powertrain")
#: Columns of ``decomposition.parquet``.
DECOMPOSITION_COLUMNS: Final = (
    "metric", "from_year", "to_year", "sector", "fleet", "size_class", "powertrain", "carrier",
    "factor", "co2_t",
)


def cells(annual: pd.DataFrame, year: int, metric: str = "wtw") -> pd.DataFrame:
    """Return the decomposition cells of one year of ``annual.parquet``.

    Parameters
    ----------
    annual
        ``annual_by_class.parquet`` or ``annual.parquet`` (columns ``year, fleet,
        powertrain, vkm, tkm, energy_kwh``, the carrier columns and the CO2 columns;
        without ``size_class`` each fleet counts as one class).
    year
        Calendar year.
    metric
        ``"wtw"`` or ``"ttw"``.

    Returns
    -------
    pandas.DataFrame
        One row per (sector, fleet, size_class, powertrain): ``activity`` (t-km or vehicle-km),
        ``energy_kwh``, ``co2_t`` and ``carrier`` (grid, hydrogen or fuel).  Fleets
        outside :data:`SECTOR_OF_FLEET` raise ``ValueError``.
    """
    if metric not in METRICS:
        raise ValueError(f"metric = {metric!r}: expected one of {', '.join(METRICS)}")
    rows = annual[annual["year"] == year]
    unknown = sorted(set(rows["fleet"]) - set(SECTOR_OF_FLEET))
    if unknown:
        raise ValueError(f"fleet = {unknown[0]!r}: no decomposition sector")
    sector = rows["fleet"].map(SECTOR_OF_FLEET)
    activity = np.where(sector.isin(["freight", "through"]), rows["tkm"],
                        rows["vkm"]).astype(float)
    out = pd.DataFrame({
        "sector": sector.to_numpy(),
        "fleet": rows["fleet"].to_numpy(),
        "size_class": (rows["size_class"] if "size_class" in rows else rows["fleet"]).to_numpy(),
        "powertrain": rows["powertrain"].to_numpy(),
        "activity": activity,
        "energy_kwh": rows["energy_kwh"].to_numpy(dtype=float),
        "co2_t": rows[METRICS[metric]].to_numpy(dtype=float),
        "carrier": _carrier_group(rows),
    })
    return out.groupby([*KEYS], sort=True).agg(
        activity=("activity", "sum"), energy_kwh=("energy_kwh", "sum"),
        co2_t=("co2_t", "sum"), carrier=("carrier", "first"),
    ).reset_index()


def _carrier_group(rows: pd.DataFrame) -> np.ndarray:
    """``grid`` for cells using only electricity, ``hydrogen`` for only hydrogen, else fuel."""
    fuels = [c for c in ("diesel_l", "petrol_l", "cng_kg", "lng_kg") if c in rows]
    fossil = rows[fuels].sum(axis=1).to_numpy() > 0 if fuels else np.zeros(len(rows), bool)
    elec = rows.get("electricity_kwh", pd.Series(0.0, index=rows.index)).to_numpy() > 0
    h2 = rows.get("hydrogen_kg", pd.Series(0.0, index=rows.index)).to_numpy() > 0
    group = np.full(len(rows), "fuel", dtype=object)
    group[elec & ~fossil & ~h2] = "grid"
    group[h2 & ~fossil & ~elec] = "hydrogen"
    return group


def _factor_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the five factor values of every cell of ``frame`` (cells of one period)."""
    out = frame.copy()
    sector_q = out.groupby("sector")["activity"].transform("sum")
    fleet_q = out.groupby("fleet")["activity"].transform("sum")
    class_q = out.groupby(["fleet", "size_class"])["activity"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["activity_x"] = sector_q
        out["mode_x"] = fleet_q / sector_q
        out["size_class_x"] = class_q / fleet_q
        out["powertrain_x"] = out["activity"] / class_q
        out["energy_intensity_x"] = out["energy_kwh"] / out["activity"]
        out["carbon_intensity_x"] = out["co2_t"] / out["energy_kwh"]
    return out


def log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the logarithmic mean ``(a - b) / (ln a - ln b)`` (``a`` where ``a == b``).

    Parameters
    ----------
    a, b
        Positive arrays of the same shape.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = a.copy()
    differ = a != b
    out[differ] = (a[differ] - b[differ]) / (np.log(a[differ]) - np.log(b[differ]))
    return out


def lmdi(start: pd.DataFrame, end: pd.DataFrame) -> pd.DataFrame:
    """Decompose the CO2 change from ``start`` cells to ``end`` cells (additive LMDI-I).

    Parameters
    ----------
    start, end
        Cells as returned by :func:`cells` (``sector, fleet, powertrain, activity,
        energy_kwh, co2_t, carrier``).  A cell present on one side only counts as zero
        on the other.

    Returns
    -------
    pandas.DataFrame
        One row per (cell, factor) with a non-zero term: ``sector, fleet, size_class,
        powertrain, carrier, factor, co2_t``.  Its ``co2_t`` adds up to
        ``end.co2_t.sum() - start.co2_t.sum()`` (to rounding).
    """
    keys = list(KEYS)
    union = pd.concat([start[[*keys, "carrier"]], end[[*keys, "carrier"]]])
    union = union.drop_duplicates(keys, keep="last").sort_values(keys).reset_index(drop=True)
    sides = []
    for frame in (start, end):
        full = union.merge(frame.drop(columns="carrier"), on=keys, how="left")
        full[["activity", "energy_kwh", "co2_t"]] = full[
            ["activity", "energy_kwh", "co2_t"]].fillna(0.0)
        sides.append(_factor_values(full))
    c0 = sides[0]["co2_t"].to_numpy(dtype=float)
    c1 = sides[1]["co2_t"].to_numpy(dtype=float)
    x0, x1 = (np.column_stack([s[f"{k}_x"].to_numpy(dtype=float) for k in FACTORS])
              for s in sides)
    valid0, valid1 = (np.all(np.isfinite(x) & (x > 0), axis=1) for x in (x0, x1))
    terms = np.zeros((len(union), len(FACTORS) + 2))  # then through traffic, unallocated
    ok = (c0 > 0) & (c1 > 0) & valid0 & valid1
    if ok.any():
        weight = log_mean(c1[ok], c0[ok])
        terms[ok, : len(FACTORS)] = weight[:, None] * np.log(x1[ok] / x0[ok])
    # one end empty: the first factor that vanishes there takes the whole change
    appear = (c0 <= 0) & (c1 > 0) & valid1
    vanish = (c1 <= 0) & (c0 > 0) & valid0
    for mask, x_empty in ((appear, x0), (vanish, x1)):
        for i in np.flatnonzero(mask):
            zero = ~(np.isfinite(x_empty[i]) & (x_empty[i] > 0))
            terms[i, int(np.argmax(zero))] = c1[i] - c0[i]
    rest = ~(ok | appear | vanish | ((c0 <= 0) & (c1 <= 0)))
    terms[rest, len(FACTORS) + 1] = c1[rest] - c0[rest]
    # through traffic: its whole change is one term, whatever drove it
    through = (union["sector"] == "through").to_numpy()
    terms[through] = 0.0
    terms[through, len(FACTORS)] = c1[through] - c0[through]
    names = [*FACTORS, THROUGH_TRAFFIC, UNALLOCATED]
    long = union[[*keys, "carrier"]].copy()
    long = pd.concat([long] * len(names), ignore_index=True)
    long["factor"] = np.repeat(names, len(union))
    long["co2_t"] = terms.T.reshape(-1)
    long = long[long["co2_t"] != 0.0]
    return long.sort_values([*keys, "factor"]).reset_index(drop=True)


def decompose_years(annual: pd.DataFrame, from_year: int, to_year: int,
                    metric: str = "wtw") -> pd.DataFrame:
    """Decompose the change of one run's CO2 from ``from_year`` to ``to_year``."""
    out = lmdi(cells(annual, from_year, metric), cells(annual, to_year, metric))
    out.insert(0, "to_year", int(to_year))
    out.insert(0, "from_year", int(from_year))
    out.insert(0, "metric", metric)
    return out


def decompose_runs(reference: pd.DataFrame, other: pd.DataFrame, year: int,
                   metric: str = "wtw") -> pd.DataFrame:
    """Decompose ``other - reference`` CO2 in ``year`` (two runs' ``annual.parquet``)."""
    out = lmdi(cells(reference, year, metric), cells(other, year, metric))
    out.insert(0, "year", int(year))
    out.insert(0, "metric", metric)
    return out


def decomposition_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Return ``decomposition.parquet``: every change of a run, decomposed.

    Rows for each metric (WTW, TTW) and for each pair (first year, year) and
    (year - 1, year); columns :data:`DECOMPOSITION_COLUMNS`.
    """
    years = sorted(int(y) for y in annual["year"].unique())
    pairs = sorted({(years[0], y) for y in years[1:]} | set(itertools.pairwise(years)))
    frames = [decompose_years(annual, a, b, m) for m in METRICS for a, b in pairs]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in DECOMPOSITION_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["from_year"] = out["from_year"].astype(np.int64)
    out["to_year"] = out["to_year"].astype(np.int64)
    return out[list(DECOMPOSITION_COLUMNS)]


def _dtype(column: str) -> str:
    if column in ("from_year", "to_year"):
        return "int64"
    return "float64" if column == "co2_t" else "object"


def summary_terms(terms: pd.DataFrame) -> pd.Series:
    """Sum decomposition rows into the terms a waterfall shows, in a fixed order.

    Carbon intensity is split by carrier group (``carbon_intensity_grid``,
    ``carbon_intensity_hydrogen``, ``carbon_intensity_fuel``); every term is present
    (zero when absent).
    """
    label = terms["factor"].where(terms["factor"] != "carbon_intensity",
                                  "carbon_intensity_" + terms["carrier"].astype(str))
    sums = terms.groupby(label)["co2_t"].sum()
    order = [*FACTORS[:-1], *(f"carbon_intensity_{g}" for g in CARRIER_GROUPS),
             THROUGH_TRAFFIC, UNALLOCATED]
    return pd.Series({k: float(sums.get(k, 0.0)) for k in order})
