"""Day -> year scaling on a constructed case with exact answers.

Two day types, fleets with different operating days, holiday days: a representative
day's totals are multiplied by the days it stands for,
``annual = weekday x (operating days - holidays) + holiday x holidays``, and the number
of simulated vehicles is the average over the operating days.  The day totals are
written by hand here (no simulation), so every annual number has a closed form.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.accounting.annual import ANNUAL_COLUMNS, annual_table, day_weights
from transport_sim.fleets.factors import (
    co2_ttw_kg_per_unit,
    electricity_wtw_kg_per_kwh,
    lower_heating_value_kwh,
)
from transport_sim.fleets.reader import load_fleets_for
from transport_sim.policy.turnover import simulate_stock
from transport_sim.sim.prepare import Prepared

HOLIDAYS = 30
#: Hand-made day totals: (year, day type, fleet, size class, powertrain) -> values.
#: Every column gets a different number so that a mixed-up column shows.
DAY_ROWS = [
    # year, day, fleet, class, powertrain, sim_vehicles, trips, vkm, tkm, energy, grid,
    #                                     stranded, wait_h, requests, unserved
    (2024, "weekday", "bus", "standard", "bev", 50, 400, 9000.0, 0.0, 11_000.0, 7000.0,
     1, 3.5, 0.0, 0.0),
    (2024, "holiday", "bus", "standard", "bev", 40, 300, 7000.0, 0.0, 8000.0, 5000.0,
     0, 1.25, 0.0, 0.0),
    (2024, "weekday", "bus", "standard", "diesel", 5, 30, 1100.0, 0.0, 4200.0, 0.0,
     0, 0.0, 0.0, 0.0),
    (2024, "holiday", "bus", "standard", "diesel", 3, 20, 600.0, 0.0, 2300.0, 0.0,
     0, 0.0, 0.0, 0.0),
    (2024, "weekday", "taxi", "cruising", "petrol", 20, 520, 5000.0, 0.0, 3100.0, 0.0,
     0, 0.0, 600.0, 80.0),
    (2024, "holiday", "taxi", "cruising", "petrol", 20, 610, 5900.0, 0.0, 3600.0, 0.0,
     0, 0.0, 700.0, 90.0),
    (2024, "weekday", "truck", "heavy_tractor", "diesel", 12, 14, 4000.0, 70_000.0,
     11_000.0, 0.0, 2, 0.0, 0.0, 0.0),
    (2024, "holiday", "truck", "heavy_tractor", "diesel", 6, 7, 1800.0, 30_000.0,
     5000.0, 0.0, 0, 0.0, 0.0, 0.0),
    (2025, "weekday", "bus", "standard", "bev", 60, 410, 9100.0, 0.0, 11_500.0, 7100.0,
     0, 2.0, 0.0, 0.0),
    (2025, "holiday", "bus", "standard", "bev", 45, 310, 7100.0, 0.0, 8100.0, 5100.0,
     0, 0.5, 0.0, 0.0),
]
DAY_COLUMNS = [
    "year", "day_type", "fleet", "size_class", "powertrain", "sim_vehicles", "trips", "vkm",
    "tkm", "energy_kwh", "grid_kwh", "stranded", "wait_h", "requests", "unserved",
]


def _day_frame() -> pd.DataFrame:
    """The hand-made day totals, with the activity columns of a day where all was done."""
    frame = pd.DataFrame(DAY_ROWS, columns=DAY_COLUMNS)
    frame["runs_planned"] = frame["trips"].astype(float)
    frame["km_planned"] = frame["vkm"]
    frame["tkm_planned"] = frame["tkm_delivered"] = frame["tkm"]
    frame["tonnes_planned"] = frame["tonnes_delivered"] = frame["tkm"] / 100.0
    for column in ("runs_cancelled", "km_not_done", "tonnes_undelivered", "tkm_undelivered"):
        frame[column] = 0.0
    return frame


@pytest.fixture(scope="module")
def prep() -> Prepared:
    scen = small(
        PLAN, run__day_types=["weekday", "holiday"], run__holiday_days_per_year=HOLIDAYS
    )
    fleet_def = load_fleets_for(scen)
    stock = simulate_stock(scen, fleet_def)
    # annual_table reads the scenario, the fleet file and the stock only
    return Prepared(scen, None, fleet_def, None, stock, {})


@pytest.fixture(scope="module")
def annual(prep: Prepared) -> pd.DataFrame:
    days = _day_frame()
    return annual_table(days, prep)


def _row(annual: pd.DataFrame, year: int, fleet: str, powertrain: str) -> pd.Series:
    sel = annual[
        (annual["year"] == year) & (annual["fleet"] == fleet) & (annual["powertrain"] == powertrain)
    ]
    assert len(sel) == 1
    return sel.iloc[0]


def _days(prep: Prepared, fleet: str) -> tuple[float, float]:
    """(weekday days, holiday days) of ``fleet``."""
    d = float(prep.fleet_def.fleet(fleet).operating_days_per_year)
    return d - HOLIDAYS, float(HOLIDAYS)


def _scaled(fleet: str, year: int, powertrain: str, column: str, prep: Prepared) -> float:
    wd, hd = _days(prep, fleet)
    frame = _day_frame()
    sel = frame[(frame.fleet == fleet) & (frame.year == year) & (frame.powertrain == powertrain)]
    by_day = sel.set_index("day_type")[column]
    return float(by_day["weekday"]) * wd + float(by_day["holiday"]) * hd


def test_day_weights_two_day_types_and_operating_days(prep: Prepared) -> None:
    types = ("weekday", "holiday")
    for fleet in ("bus", "truck"):
        days = prep.fleet_def.fleet(fleet).operating_days_per_year
        assert day_weights(prep, fleet, types) == {"weekday": days - HOLIDAYS, "holiday": HOLIDAYS}
    for fleet in ("bus", "taxi", "truck", "ship"):
        w = day_weights(prep, fleet, types)
        assert sum(w.values()) == prep.fleet_def.fleet(fleet).operating_days_per_year
        # one simulated day type stands for every operating day
        assert day_weights(prep, fleet, ("weekday",)) == {
            "weekday": prep.fleet_def.fleet(fleet).operating_days_per_year
        }


def test_day_weights_cap_holidays_at_the_operating_days() -> None:
    fake = SimpleNamespace(
        fleet_def=SimpleNamespace(fleet=lambda _: SimpleNamespace(operating_days_per_year=12)),
        scenario=SimpleNamespace(run=SimpleNamespace(holiday_days_per_year=20)),
    )
    assert day_weights(fake, "ship", ("weekday", "holiday")) == {"weekday": 0.0, "holiday": 12.0}


def test_counts_scale_by_the_days_each_day_type_stands_for(annual, prep) -> None:
    # bus BEV 2024, by hand: weekday x (D - 30) + holiday x 30 (fleet file: D = 365)
    wd, hd = _days(prep, "bus")
    bus = _row(annual, 2024, "bus", "bev")
    assert bus["vkm"] == pytest.approx(9000 * wd + 7000 * hd, rel=1e-12)
    assert bus["trips"] == pytest.approx(400 * wd + 300 * hd, rel=1e-12)
    assert bus["stranded"] == pytest.approx(1 * wd, rel=1e-12)
    assert bus["charge_wait_h"] == pytest.approx(3.5 * wd + 1.25 * hd, rel=1e-12)
    # the average simulated vehicles over the operating days, not a sum
    assert bus["sim_vehicles"] == pytest.approx((50 * wd + 40 * hd) / (wd + hd), rel=1e-12)
    # taxis and trucks run fewer days than buses (fleet file: 350 and 300)
    wd_taxi, hd_taxi = _days(prep, "taxi")
    assert wd_taxi < wd
    taxi = _row(annual, 2024, "taxi", "petrol")
    assert taxi["vkm"] == pytest.approx(5000 * wd_taxi + 5900 * hd_taxi, rel=1e-12)
    assert taxi["requests"] == pytest.approx(600 * wd_taxi + 700 * hd_taxi, rel=1e-12)
    assert taxi["unserved"] == pytest.approx(80 * wd_taxi + 90 * hd_taxi, rel=1e-12)
    wd_truck, hd_truck = _days(prep, "truck")
    truck = _row(annual, 2024, "truck", "diesel")
    assert truck["tkm"] == pytest.approx(70_000 * wd_truck + 30_000 * hd_truck, rel=1e-12)
    for fleet, pt in (("bus", "diesel"), ("taxi", "petrol"), ("truck", "diesel")):
        for col in ("vkm", "trips", "tkm"):
            assert _row(annual, 2024, fleet, pt)[col] == pytest.approx(
                _scaled(fleet, 2024, pt, col, prep), rel=1e-12
            )


def test_carriers_and_co2_from_the_scaled_energy(annual, prep) -> None:
    eff = prep.scenario.charging.charger_efficiency
    for year in (2024, 2025):
        bev = _row(annual, year, "bus", "bev")
        battery_kwh = _scaled("bus", year, "bev", "energy_kwh", prep)
        # BEV energy is taken at the charger: battery energy / charger efficiency
        assert bev["electricity_kwh"] == pytest.approx(battery_kwh / eff, rel=1e-12)
        assert bev["energy_kwh"] == pytest.approx(battery_kwh / eff, rel=1e-12)
        assert bev["co2_ttw_t"] == 0.0
        assert bev["co2_wtw_t"] == pytest.approx(
            battery_kwh / eff * electricity_wtw_kg_per_kwh(year, prep.scenario) / 1000, rel=1e-12
        )
        assert bev["diesel_l"] == bev["petrol_l"] == 0.0
        assert bev["nox_t"] == bev["pm_t"] == 0.0
    diesel = _row(annual, 2024, "bus", "diesel")
    energy = _scaled("bus", 2024, "diesel", "energy_kwh", prep)
    litres = energy / lower_heating_value_kwh("diesel")
    assert diesel["energy_kwh"] == pytest.approx(energy, rel=1e-12)
    assert diesel["diesel_l"] == pytest.approx(litres, rel=1e-12)
    assert diesel["co2_ttw_t"] == pytest.approx(litres * co2_ttw_kg_per_unit("diesel") / 1e3)
    assert diesel["co2_wtw_t"] > diesel["co2_ttw_t"]  # upstream emissions on top
    assert diesel["nox_t"] > 0.0
    assert diesel["electricity_kwh"] == 0.0
    taxi = _row(annual, 2024, "taxi", "petrol")
    assert taxi["petrol_l"] == pytest.approx(
        _scaled("taxi", 2024, "petrol", "energy_kwh", prep) / lower_heating_value_kwh("petrol"),
        rel=1e-12,
    )


def test_every_stock_cell_has_a_row_and_rail_is_added(annual, prep) -> None:
    assert list(annual.columns) == list(ANNUAL_COLUMNS)
    stock = prep.stock.groupby(["year", "fleet", "powertrain"])["vehicles"].sum()
    road = annual[annual["fleet"] != "rail_freight"].set_index(["year", "fleet", "powertrain"])
    assert set(road.index) == set(stock[stock > 0].index)
    np.testing.assert_array_equal(road.loc[stock[stock > 0].index, "vehicles"], stock[stock > 0])
    # stock cells that were not simulated carry their vehicles and no activity
    ship = _row(annual, 2024, "ship", "diesel")
    assert ship["vehicles"] > 0
    assert ship["vkm"] == ship["energy_kwh"] == ship["co2_wtw_t"] == 0.0
    rail = annual[annual["fleet"] == "rail_freight"]
    assert sorted(rail["powertrain"].unique()) == ["diesel_rail", "electric_rail"]
    assert rail.groupby("year").size().to_dict() == {2024: 2, 2025: 2}
    assert (rail["vehicles"] == 0).all()
    assert (rail["tkm"] > 0).all()
    # the year's road vkm is exactly the hand-scaled sum
    expected = sum(
        _scaled(f, 2024, p, "vkm", prep)
        for f, p in (("bus", "bev"), ("bus", "diesel"), ("taxi", "petrol"), ("truck", "diesel"))
    )
    assert annual.loc[annual["year"] == 2024, "vkm"].sum() == pytest.approx(expected, rel=1e-12)
