"""The cost file: loading, validation (one-line errors, exit code 2), annuities, learning."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from transport_sim.errors import CostDataError
from transport_sim.fleets.costs import (
    HOURS_PER_DAY,
    capital_recovery_factor,
    learning_price,
    load_costs,
)
from transport_sim.fleets.reader import load_fleets

REPO = Path(__file__).resolve().parents[2]
COSTS = REPO / "fleets" / "costs.toml"


@pytest.fixture(scope="module")
def fleet_def():
    return load_fleets(REPO / "fleets" / "shiyan.toml")


def test_capital_recovery_factor_analytic() -> None:
    # 1,000,000 CNY over 10 years at 8 %: the textbook annuity 149,029.49 CNY a year
    assert 1e6 * capital_recovery_factor(0.08, 10) == pytest.approx(149_029.49, abs=0.01)
    # the annuity repays the loan: its present value equals the principal
    crf = capital_recovery_factor(0.05, 7)
    assert sum(crf / 1.05 ** t for t in range(1, 8)) == pytest.approx(1.0, rel=1e-12)
    assert capital_recovery_factor(0.0, 4) == 0.25


def test_learning_curve_halves_cost_share_per_doubling() -> None:
    # with output doubling every year, a 20 % learning rate takes 20 % off each year
    assert learning_price(100.0, 0.2, 1.0, 0.0, 1) == pytest.approx(80.0)
    assert learning_price(100.0, 0.2, 1.0, 0.0, 3) == pytest.approx(51.2)
    assert learning_price(100.0, 0.2, 1.0, 60.0, 3) == 60.0  # floor
    assert learning_price(100.0, 0.2, 1.0, 0.0, -2) == 100.0  # before the base year


def test_shipped_file_prices_every_spec(fleet_def) -> None:
    costs = load_costs(COSTS, fleet_def)
    for name, fleet in fleet_def.fleets.items():
        for cname, cls in fleet.classes.items():
            for ptn in cls.powertrains:
                assert costs.purchase_price_cny[(name, cname, ptn)] > 0
                assert (name, cname, ptn) in costs.maintenance_cny_per_km
    assert costs.tariff.price_cny_per_kwh.shape == (HOURS_PER_DAY,)
    # Hubei ratios: valley 0.48 of flat, sharp 1.8 (SOURCES.md S-hubei-tou)
    assert costs.tariff.price_cny_per_kwh[3] == pytest.approx(0.48 * 0.65)
    assert costs.tariff.price_cny_per_kwh[19] == pytest.approx(1.8 * 0.65)
    # BEVs get cheaper with their battery; diesel prices stay
    bev_2024 = costs.vehicle_price_cny("bus", "standard", "bev", 2024, 250.0)
    bev_2030 = costs.vehicle_price_cny("bus", "standard", "bev", 2030, 250.0)
    assert bev_2030 == pytest.approx(
        bev_2024 - 250.0 * (costs.battery_cny_per_kwh(2024) - costs.battery_cny_per_kwh(2030)))
    assert bev_2030 < bev_2024
    assert costs.vehicle_price_cny("bus", "standard", "diesel", 2030) == 500_000.0


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = COSTS.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "costs.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    shutil.copy(REPO / "fleets" / "SOURCES.md", tmp_path / "SOURCES.md")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ("diesel_cny_per_l = 7.30", "diesel_cny_per_l = -7.30", "fuel_price.diesel_cny_per_l",
         "negative"),
        ("bus.midi = {diesel = 300000.0,", "bus.midi = {trolley = 1.0, diesel = 300000.0,",
         "purchase_price_cny.bus.midi.trolley", "unknown powertrain"),
        ("valley = [1, 2, 3, 4, 5, 6, 12, 13]", "valley = [1, 2, 3, 4, 5, 6, 12]",
         "electricity.hours", "24 hours"),
        ("valley = [1, 2, 3, 4, 5, 6, 12, 13]", "valley = [1, 2, 3, 4, 5, 6, 12, 13, 14]",
         "electricity.hours.valley", "exactly once"),
        ("discount_rate = 0.08 ", "discount_rate = 0.08\nextra = 1 ", "meta.extra",
         "unknown key"),
        ("hydrogen_cny_per_kg = {2024 = 60.0, 2030 = 35.0}", "hydrogen_cny_per_kg = {2030 = 35.0,"
         " 2024 = 60.0}", "fuel_price.hydrogen_cny_per_kg", "increase"),
    ],
)
def test_bad_cost_data_is_one_line(tmp_path: Path, fleet_def, old: str, new: str, field: str,
                                   problem: str) -> None:
    path = _edited(tmp_path, old, new)
    with pytest.raises(CostDataError) as info:
        load_costs(path, fleet_def)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert field in message
    assert problem in message


def test_number_without_source_is_refused(tmp_path: Path, fleet_def) -> None:
    path = _edited(tmp_path, '"chargers.life_years" = ', '"chargers.lifeyears" = ')
    with pytest.raises(CostDataError, match=re.escape("chargers.life_years")):
        load_costs(path, fleet_def)


def test_missing_price_is_refused(tmp_path: Path, fleet_def) -> None:
    path = _edited(tmp_path, "ship.official = {diesel = 600000.0, bev = 1000000.0}",
                   "ship.official = {diesel = 600000.0}")
    with pytest.raises(CostDataError, match=re.escape("purchase_price_cny.ship.official.bev")):
        load_costs(path, fleet_def)


def test_bad_cost_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from transport_sim.cli import main

    costs = _edited(tmp_path, "diesel_cny_per_l = 7.30", "diesel_cny_per_l = -1.0")
    scen = tmp_path / "s.toml"
    scen.write_text(
        f'[scenario]\nname = "s"\nnetwork = "{REPO}/networks/shiyan_schematic.osm"\n'
        f'fleet_file = "{REPO}/fleets/shiyan.toml"\ncost_file = "{costs}"\n'
        '[run]\nend_year = 2024\nday_types = ["weekday"]\nvehicle_scale = 0.02\n'
    )
    code = main(["run", str(scen), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "fuel_price.diesel_cny_per_l" in err
    assert not (tmp_path / "out").exists()
