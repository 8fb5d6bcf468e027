"""From simulated days to annual tables: scaling, carriers, CO2, pollutants, rail freight.

A representative day's totals are scaled to the year by each fleet's operating days:
``annual = weekday x (days - holidays) + holiday x holidays`` (with only a weekday
simulated, ``weekday x days``).  Final energy becomes carrier amounts with the carriers'
lower heating values; BEV electricity is taken at the charger (battery energy divided by
the charger efficiency), whether it was charged during the day or overnight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from transport_sim.accounting.demand import undone_co2_t
from transport_sim.codes import THROUGH_FLEET
from transport_sim.fleets.factors import (
    carrier_amount_from_kwh,
    co2_ttw_kg,
    co2_wtw_kg,
    nox_pm_g_per_km,
    rail_freight,
)
from transport_sim.units import G_PER_T, KG_PER_T

if TYPE_CHECKING:
    from transport_sim.sim.model import TransportModel
    from transport_sim.sim.prepare import Prepared

SUM_COLUMNS = [
    "sim_vehicles",
    "trips",
    "vkm",
    "tkm",
    "energy_kwh",
    "grid_kwh",
    "stranded",
    "wait_h",
    "requests",
    "unserved",
    # demand conservation (transport_sim.accounting.demand.ACTIVITY_COLUMNS)
    "runs_planned",
    "runs_cancelled",
    "km_planned",
    "km_not_done",
    "tonnes_planned",
    "tonnes_delivered",
    "tonnes_undelivered",
    "tkm_planned",
    "tkm_delivered",
    "tkm_undelivered",
    # rail-yard drayage legs (tonnes planned, t-km driven) of Shiyan's trucks
    "drayage_t",
    "drayage_tkm",
]
CARRIER_COLUMN = {
    "diesel": "diesel_l",
    "petrol": "petrol_l",
    "cng": "cng_kg",
    "lng": "lng_kg",
    "electricity": "electricity_kwh",
    "hydrogen": "hydrogen_kg",
}
#: Columns of ``annual.parquet`` in order (a contract: names and meanings never change).
ANNUAL_COLUMNS = (
    "year", "fleet", "powertrain", "vehicles", "sim_vehicles", "trips", "vkm", "tkm",
    "energy_kwh", *CARRIER_COLUMN.values(), "co2_ttw_t", "co2_wtw_t", "nox_t", "pm_t",
    "stranded", "charge_wait_h", "requests", "unserved",
    # demand conservation: planned = done + not done (transport_sim.accounting.demand)
    "bev_vehicle_days", "runs_planned", "runs_cancelled", "tonnes_planned",
    "tonnes_delivered", "tonnes_undelivered", "tkm_planned", "tkm_delivered",
    "tkm_undelivered", "co2_ttw_undone_t", "co2_wtw_undone_t", "drayage_t", "drayage_tkm",
)


def day_weights(prep: Prepared, fleet: str, day_types: tuple[str, ...]) -> dict[str, float]:
    """Days per year each simulated day type stands for, for ``fleet``.

    Through traffic (:data:`~transport_sim.codes.THROUGH_FLEET`) runs on the truck
    fleet's operating days.
    """
    spec = prep.fleet_def.fleet(spec_fleet(fleet))
    days = float(spec.operating_days_per_year)
    holidays = min(float(prep.scenario.run.holiday_days_per_year), days)
    if "holiday" in day_types and "weekday" in day_types:
        return {"weekday": days - holidays, "holiday": holidays}
    return {day_types[0]: days}


def spec_fleet(fleet: str) -> str:
    """Return the fleet whose specs a result fleet drives (through traffic: trucks)."""
    return "truck" if fleet == THROUGH_FLEET else fleet


def annual_table(days: pd.DataFrame, prep: Prepared, *, by_class: bool = False) -> pd.DataFrame:
    """Return ``annual.parquet``: one row per (year, fleet, powertrain).

    Parameters
    ----------
    days
        Day totals per (year, day_type, fleet, size_class, powertrain), already scaled to
        real vehicles.
    prep
        The run's inputs (scenario, fleet definition, stock trajectory).
    by_class
        Keep the size classes apart: one row per (year, fleet, size_class, powertrain),
        the columns of ``annual.parquet`` plus ``size_class`` (rail freight rows carry
        their powertrain as class).  Written as ``annual_by_class.parquet`` for the
        decomposition, whose energy intensity must not mix size classes.
    """
    return aggregate(annual_cells(days, prep), prep, by_class=by_class)


def annual_tables(days: pd.DataFrame, prep: Prepared) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(annual, annual_by_class)`` from one pass over the cells (:func:`annual_table`)."""
    cells = annual_cells(days, prep)
    return aggregate(cells, prep, by_class=False), aggregate(cells, prep, by_class=True)


def annual_cells(days: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """Year totals per (year, fleet, size_class, powertrain) cell: carriers, CO2, pollutants.

    The day totals are weighted by the days each day type stands for (:func:`day_weights`)
    and summed; final energy becomes carrier amounts, CO2 (TTW, WTW) and pollutants.
    Through traffic uses the truck specs and the national emission-standard mix.
    """
    scen, fdef, stock = prep.scenario, prep.fleet_def, prep.stock
    day_types = scen.run.day_types
    frame = days.copy()
    for col in ("drayage_t", "drayage_tkm"):
        if col not in frame:
            frame[col] = 0.0
    frame["days"] = [
        day_weights(prep, f, day_types).get(d, 0.0)
        for f, d in zip(frame["fleet"], frame["day_type"], strict=True)
    ]
    for col in SUM_COLUMNS:
        frame[col] = frame[col].astype(float) * frame["days"]
    # sim_vehicles: the average day; every other count (stranded too) per year
    total_days = frame.groupby(["year", "fleet", "size_class", "powertrain"])["days"].transform(
        "sum"
    )
    frame["sim_vehicle_days"] = frame["sim_vehicles"]  # vehicle-days per year (stranding base)
    frame["sim_vehicles"] = frame["sim_vehicles"] / total_days
    cells = (
        frame.groupby(["year", "fleet", "size_class", "powertrain"], sort=True)[
            [*SUM_COLUMNS, "sim_vehicle_days"]
        ]
        .sum()
        .reset_index()
    )
    eff = scen.charging.charger_efficiency
    rows: list[dict[str, Any]] = []
    for rec in cells.itertuples(index=False):
        spec = fdef.spec(spec_fleet(rec.fleet), rec.size_class, rec.powertrain)
        carrier = spec.carrier
        if spec.is_bev:
            amount = rec.energy_kwh / eff
            energy_kwh = amount
        else:
            amount = float(carrier_amount_from_kwh(carrier, rec.energy_kwh))
            energy_kwh = rec.energy_kwh
        row = {c: 0.0 for c in CARRIER_COLUMN.values()}
        row.update(
            year=int(rec.year),
            fleet=rec.fleet,
            powertrain=rec.powertrain,
            size_class=rec.size_class,
            sim_vehicles=rec.sim_vehicles,
            trips=rec.trips,
            vkm=rec.vkm,
            tkm=rec.tkm,
            energy_kwh=energy_kwh,
            co2_ttw_t=float(co2_ttw_kg(carrier, amount)) / KG_PER_T,
            co2_wtw_t=float(co2_wtw_kg(carrier, amount, rec.year, scen)) / KG_PER_T,
            stranded=rec.stranded,
            charge_wait_h=rec.wait_h,
            requests=rec.requests,
            unserved=rec.unserved,
            bev_vehicle_days=rec.sim_vehicle_days if spec.is_bev else 0.0,
            runs_planned=rec.runs_planned,
            runs_cancelled=rec.runs_cancelled,
            tonnes_planned=rec.tonnes_planned,
            tonnes_delivered=rec.tonnes_delivered,
            tonnes_undelivered=rec.tonnes_undelivered,
            tkm_planned=rec.tkm_planned,
            tkm_delivered=rec.tkm_delivered,
            tkm_undelivered=rec.tkm_undelivered,
            drayage_t=rec.drayage_t,
            drayage_tkm=rec.drayage_tkm,
        )
        for scope in ("ttw", "wtw"):
            row[f"co2_{scope}_undone_t"] = undone_co2_t(
                row[f"co2_{scope}_t"], rec.km_planned, rec.km_not_done, rec.requests,
                rec.unserved,
            )
        row[CARRIER_COLUMN[carrier]] = amount
        nox, pm = _pollutants_t(stock, rec, prep)
        row["nox_t"], row["pm_t"] = nox, pm
        rows.append(row)
    return pd.DataFrame(rows)


def aggregate(cells: pd.DataFrame, prep: Prepared, *, by_class: bool) -> pd.DataFrame:
    """Sum :func:`annual_cells` by (year, fleet[, size_class], powertrain); add stock and rail."""
    stock = prep.stock
    group = ["year", "fleet", "size_class", "powertrain"] if by_class else [
        "year", "fleet", "powertrain"]
    annual = cells.groupby(group, sort=True).sum(numeric_only=True).reset_index()
    # stock: every (year, fleet, powertrain) with vehicles gets a row, simulated or not
    vehicles = stock.groupby(group)["vehicles"].sum().reset_index()
    annual = vehicles.merge(annual, on=group, how="outer").fillna(0.0)
    annual["vehicles"] = annual["vehicles"].astype(np.int64)
    rail = _rail_rows(prep)
    if by_class:
        rail["size_class"] = rail["powertrain"]
    annual = pd.concat([annual, rail], ignore_index=True)
    annual = annual[[*ANNUAL_COLUMNS, "size_class"] if by_class else list(ANNUAL_COLUMNS)]
    annual = annual.sort_values(group).reset_index(drop=True)
    annual["year"] = annual["year"].astype(np.int64)
    return annual


def _pollutants_t(stock: pd.DataFrame, rec: Any, prep: Prepared) -> tuple[float, float]:
    """NOx and PM2.5 (t) of a diesel road cell: vkm x the stock's standard-weighted factors.

    Through traffic weighs the standards by China's national heavy-truck mix of the year
    (calibration ``[through_traffic] standard_shares``), not by Shiyan's stock.
    """
    if rec.powertrain not in ("diesel", "hybrid") or rec.fleet not in (
            "bus", "truck", THROUGH_FLEET):
        return 0.0, 0.0
    if rec.fleet == THROUGH_FLEET:
        freight = prep.calibration_file().freight
        if rec.powertrain != "diesel" or freight is None:
            return 0.0, 0.0
        mix = freight.through.standard_mix(int(rec.year))
        nox = sum(s * nox_pm_g_per_km(std, "truck", rec.size_class)[0] for std, s in mix.items())
        pm = sum(s * nox_pm_g_per_km(std, "truck", rec.size_class)[1] for std, s in mix.items())
        return rec.vkm * nox / G_PER_T, rec.vkm * pm / G_PER_T
    if (
        rec.powertrain == "hybrid"
        and prep.fleet_def.spec(rec.fleet, rec.size_class, "hybrid").carrier != "diesel"
    ):
        return 0.0, 0.0
    cell = stock[
        (stock["year"] == rec.year)
        & (stock["fleet"] == rec.fleet)
        & (stock["size_class"] == rec.size_class)
        & (stock["powertrain"] == rec.powertrain)
    ]
    by_std = cell.groupby("standard")["vehicles"].sum()
    total = float(by_std.sum())
    if total <= 0:
        return 0.0, 0.0
    nox = pm = 0.0
    for std, n in by_std.items():
        e_nox, e_pm = nox_pm_g_per_km(str(std), rec.fleet, rec.size_class)
        nox += n / total * e_nox
        pm += n / total * e_pm
    return rec.vkm * nox / G_PER_T, rec.vkm * pm / G_PER_T


def _rail_rows(prep: Prepared) -> pd.DataFrame:
    """Rail freight rows (electric and diesel traction): tonnage x haul, accounted not simulated."""
    from transport_sim.fleets.factors import (
        carrier_kwh_from_amount,
        rail_diesel_l_per_tkm,
        rail_kwh_per_tkm,
    )
    from transport_sim.policy.turnover import freight_tonnage_t_per_year

    scen, fdef = prep.scenario, prep.fleet_def
    rows = []
    for year in scen.years:
        _, rail_t_year = freight_tonnage_t_per_year(year, scen, fdef)
        rail = rail_freight(rail_t_year * fdef.freight.average_haul_km, year, scen)
        zero = dict.fromkeys(CARRIER_COLUMN.values(), 0.0)
        common = {
            "year": year,
            "fleet": "rail_freight",
            "vehicles": 0,
            "sim_vehicles": 0.0,
            "trips": 0.0,
            "vkm": 0.0,
            "nox_t": 0.0,
            "pm_t": 0.0,
            "stranded": 0.0,
            "charge_wait_h": 0.0,
            "requests": 0.0,
            "unserved": 0.0,
            "bev_vehicle_days": 0.0,
            "runs_planned": 0.0,
            "runs_cancelled": 0.0,
            "tonnes_planned": 0.0,  # split by traction below
            "tonnes_delivered": 0.0,
            "tonnes_undelivered": 0.0,
            "tkm_undelivered": 0.0,
            "co2_ttw_undone_t": 0.0,
            "co2_wtw_undone_t": 0.0,
            "drayage_t": 0.0,
            "drayage_tkm": 0.0,
        }
        rows.append(
            {
                **zero,
                **common,
                "powertrain": "electric_rail",
                "tkm": rail.electricity_kwh / rail_kwh_per_tkm(),
                "tkm_planned": rail.electricity_kwh / rail_kwh_per_tkm(),
                "tkm_delivered": rail.electricity_kwh / rail_kwh_per_tkm(),
                "electricity_kwh": rail.electricity_kwh,
                "energy_kwh": rail.electricity_kwh,
                "co2_ttw_t": 0.0,
                "co2_wtw_t": float(co2_wtw_kg("electricity", rail.electricity_kwh, year, scen))
                / KG_PER_T,
            }
        )
        rows.append(
            {
                **zero,
                **common,
                "powertrain": "diesel_rail",
                "tkm": rail.diesel_l / rail_diesel_l_per_tkm(),
                "tkm_planned": rail.diesel_l / rail_diesel_l_per_tkm(),
                "tkm_delivered": rail.diesel_l / rail_diesel_l_per_tkm(),
                "diesel_l": rail.diesel_l,
                "energy_kwh": float(carrier_kwh_from_amount("diesel", rail.diesel_l)),
                "co2_ttw_t": rail.co2_ttw_kg / KG_PER_T,
                "co2_wtw_t": float(co2_wtw_kg("diesel", rail.diesel_l, year, scen)) / KG_PER_T,
            }
        )
        rail_tkm = rows[-1]["tkm"] + rows[-2]["tkm"]
        for r in rows[-2:]:  # the year's rail tonnes, split by traction like the t-km
            r["tonnes_planned"] = r["tonnes_delivered"] = (
                rail_t_year * r["tkm"] / rail_tkm if rail_tkm > 0 else 0.0
            )
    return pd.DataFrame(rows)


def charger_tables(
    model: TransportModel, year: int, day_type: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``chargers`` rows and the hourly queue profile of one simulated day."""
    from transport_sim.charging.statistics import hourly_profile, site_statistics

    stats = site_statistics(model.site_arrays, model.sites, year, day_type)
    hourly = hourly_profile(model.site_arrays, model.sites)
    hourly.insert(0, "day_type", day_type)
    hourly.insert(0, "year", year)
    return stats, hourly
