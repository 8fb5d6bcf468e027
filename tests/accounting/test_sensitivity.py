"""Sensitivity without re-simulating: the central setting reproduces the run's WTW CO2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from transport_sim.accounting import sensitivity as sens
from transport_sim.fleets import factors
from transport_sim.scenario.settings import scenario_from_dict

REPO = Path(__file__).resolve().parents[2]
COLS = ("diesel_l", "petrol_l", "cng_kg", "lng_kg", "electricity_kwh", "hydrogen_kg")


def _scenario(tmp_path: Path):
    network = tmp_path / "network.osm"
    network.write_text("<osm/>", encoding="utf-8")
    return scenario_from_dict({
        "scenario": {"name": "t", "network": str(network),
                     "fleet_file": str(REPO / "fleets" / "shiyan.toml")},
        "grid": {"co2_kg_per_kwh": {2024: 0.40, 2030: 0.28}},
        "hydrogen": {"pathway_mix": {"coal": {2024: 0.45, 2030: 0.25}, "smr": 0.35,
                                     "clean": {2024: 0.15, 2030: 0.35},
                                     "grid_electrolysis": 0.05}},
    })


def _annual(scen) -> pd.DataFrame:
    rows = []
    for year in (2024, 2030, 2035):
        for fleet, pt, carrier, amount, act in (
            ("truck", "diesel", "diesel", 1000.0, 5000.0),
            ("truck", "fcev", "hydrogen", 15.0, 300.0),
            ("truck", "bev", "electricity", 900.0, 400.0), ("taxi", "petrol", "petrol", 200.0, 0.0),
            ("ship", "diesel", "lng", 50.0, 0.0), ("bus", "cng", "cng", 70.0, 0.0),
            ("rail_freight", "electric_rail", "electricity", 30.0, 800.0),
        ):
            row = dict.fromkeys(COLS, 0.0)
            key = {"diesel": "diesel_l", "petrol": "petrol_l", "cng": "cng_kg", "lng": "lng_kg",
                   "electricity": "electricity_kwh", "hydrogen": "hydrogen_kg"}[carrier]
            row[key] = amount
            row.update(year=year, fleet=fleet, powertrain=pt, tkm=act, vkm=act or 10.0,
                       co2_wtw_t=float(factors.co2_wtw_kg(carrier, amount, year, scen)) / 1e3)
            rows.append(row)
    return pd.DataFrame(rows)


def test_central_setting_reproduces_the_accounting(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    annual = _annual(scen)
    got = sens.wtw_t(annual, scen.to_dict(), sens.Setting())
    np.testing.assert_allclose(got, annual["co2_wtw_t"], rtol=1e-12)


def test_ranges_file_is_complete_and_brackets_the_central_values() -> None:
    ranges = sens.load_ranges()
    assert set(ranges) == set(sens.FACTORS)
    assert ranges["grid"].low < 1.0 < ranges["grid"].high
    td = factors.CONSTANTS["grid_td_loss_share"].value
    assert ranges["td_loss"].low <= td <= ranges["td_loss"].high
    for carrier, low in ranges["upstream"].low.items():
        central = factors.CONSTANTS[f"{carrier}_upstream_share"].value
        assert low <= central <= ranges["upstream"].high[carrier], carrier
    sources = (REPO / "fleets" / "SOURCES.md").read_text(encoding="utf-8")
    for r in ranges.values():
        for sid in r.source.split(", "):
            assert f"### {sid}\n" in sources, sid


def test_each_factor_moves_only_what_it_should(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    annual = _annual(scen)
    ranges = sens.load_ranges()
    central = sens.wtw_t(annual, scen.to_dict(), sens.Setting())
    high_grid = sens.wtw_t(annual, scen.to_dict(), sens.setting_for("grid", "high", ranges))
    elec = annual["electricity_kwh"] > 0
    np.testing.assert_allclose(high_grid[elec], central[elec] * ranges["grid"].high)
    fossil = annual[["diesel_l", "petrol_l", "cng_kg", "lng_kg"]].sum(axis=1) > 0
    np.testing.assert_allclose(high_grid[fossil], central[fossil])
    bev = sens.wtw_t(annual, scen.to_dict(), sens.setting_for("bev_energy", "high", ranges))
    is_bev = (annual["powertrain"] == "bev").to_numpy()
    np.testing.assert_allclose(bev[is_bev], central[is_bev] * ranges["bev_energy"].high)
    np.testing.assert_allclose(bev[~is_bev], central[~is_bev])  # rail electricity unchanged


def test_hydrogen_lever_sign_flip_is_flagged(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    annual = _annual(scen)
    # a fuel-cell truck at 15 kg H2 per 300 t-km against diesel at 1000 L per 5000 t-km
    # (0.625 kg CO2/t-km): national-mix hydrogen (~17 kg CO2/kg) emits more per t-km,
    # clean-heavy hydrogen (~9 kg CO2/kg) less
    levers = sens.lever_table(annual, scen.to_dict())
    fcev = levers[(levers["powertrain"] == "fcev") & (levers["year"] == 2030)].iloc[0]
    assert fcev["min_saving_t"] < 0 < fcev["max_saving_t"]
    assert fcev["sign_flips"]
    assert fcev["worst_factor"] == "hydrogen_mix:high"
    assert fcev["best_factor"] == "hydrogen_mix:low"


def test_saving_table_is_reference_minus_other(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    annual = _annual(scen)
    other = annual.copy()
    other["diesel_l"] *= 0.5
    table = sens.saving_table(annual, scen.to_dict(), other, scen.to_dict())
    diesel_wtw = factors.co2_wtw_kg_per_unit("diesel", 2030, scen) * 500.0 / 1e3
    row = table[(table["factor"] == "grid") & (table["setting"] == "central")
                & (table["year"] == 2030)].iloc[0]
    assert row["saving_t"] == pytest.approx(diesel_wtw)
    up = table[(table["factor"] == "upstream") & (table["setting"] == "high")
               & (table["year"] == 2030)].iloc[0]
    assert up["saving_t"] > row["saving_t"]
