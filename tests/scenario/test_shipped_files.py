"""The shipped scenarios load, carry the plan's targets, and run through the stock model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transport_sim.fleets.reader import load_fleets_for
from transport_sim.policy.turnover import simulate_stock
from transport_sim.scenario.settings import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[2]
NAMES = ("baseline", "shiyan_plan", "plan_plus")
PLAN_SECTIONS = ("三(七)1", "三(七)2", "三(七)3", "三(一)1", "三(一)2")


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    """Load the three files; use a stand-in network file while the real one is missing."""
    root = REPO
    if not (REPO / "networks" / "shiyan_schematic.osm").exists():
        root = tmp_path_factory.mktemp("repo")
        shutil.copytree(REPO / "experiments", root / "experiments")
        shutil.copytree(REPO / "fleets", root / "fleets")
        (root / "networks").mkdir()
        (root / "networks" / "shiyan_schematic.osm").write_text("<osm/>", encoding="utf-8")
    return {name: load_scenario(root / "experiments" / f"{name}.toml") for name in NAMES}


def test_files_resolve_to_the_shipped_fleet_file(scenarios: dict[str, Scenario]) -> None:
    for name, scen in scenarios.items():
        assert scen.name == name
        assert scen.fleet_path.name == "shiyan.toml"
        assert scen.network_path.name == "shiyan_schematic.osm"
        assert (scen.run.start_year, scen.run.end_year) == (2024, 2035)


def test_plan_targets(scenarios: dict[str, Scenario]) -> None:
    plan = scenarios["shiyan_plan"]
    pol = plan.policy
    assert pol.bus.nev_share_of_new.at(2025) == 1.0  # 三(七)1
    assert pol.taxi.nev_share_of_new.at(2025) == 1.0  # 三(七)1
    assert pol.bus.nev_share_of_new.at(2026) >= 0.8  # pilot 2024-2028
    assert pol.freight.rail_share.at(2025) >= 0.09  # 三(七)2
    assert pol.passenger.public_transport_share.at(2025) >= 0.40  # 三(七)2
    assert plan.charging.service_area_coverage.at(2030) >= 0.7  # 三(七)3
    assert pol.truck.phase_out_standard == "china3"  # 三(七)1
    assert pol.ship.nev_share_of_new.at(2025) == 1.0  # 三(七)1: no new non-NEV ships
    assert 0 < pol.truck.fcev_share_of_nev.at(2026) < 0.2  # 三(一)1 demonstration
    assert 0 < pol.bus.fcev_share_of_nev.at(2026) < 0.2
    light = plan.fleet_overrides["truck"]["classes"]["light"]["nev_share_of_new"]
    assert light["2026"] >= 0.8  # pilot: urban logistics
    # 三(一)2: greener grid derived from the non-fossil targets, starting at Hubei 2023
    grid = plan.grid.co2_kg_per_kwh
    assert grid.at(2023) == pytest.approx(0.4044)
    assert grid.at(2030) == pytest.approx(0.85 * (1 - (1 - 0.4044 / 0.85) * 0.25 / 0.19), abs=1e-4)


def test_plan_file_cites_every_section() -> None:
    text = (REPO / "experiments" / "shiyan_plan.toml").read_text(encoding="utf-8")
    for section in PLAN_SECTIONS:
        assert section in text, section


def test_baseline_has_no_new_policy(scenarios: dict[str, Scenario]) -> None:
    base = scenarios["baseline"]
    pol = base.policy
    assert pol.truck.phase_out_standard is None
    assert pol.freight.rail_share.at(2024) == pol.freight.rail_share.at(2035) == 0.05
    assert pol.bus.nev_share_of_new.at(2024) == pol.bus.nev_share_of_new.at(2035)
    assert pol.ship.nev_share_of_new.at(2035) < 0.5
    coverage = base.charging.service_area_coverage
    assert coverage.at(2024) == coverage.at(2035)
    assert base.fleet_overrides == {}
    plan = scenarios["shiyan_plan"]
    assert base.grid.co2_kg_per_kwh.at(2030) > plan.grid.co2_kg_per_kwh.at(2030)


def test_plan_plus_goes_further(scenarios: dict[str, Scenario]) -> None:
    plus, plan = scenarios["plan_plus"], scenarios["shiyan_plan"]
    assert plus.charging.service_area_coverage.at(2030) == 1.0
    for year in (2027, 2030, 2035):
        plus_nev = plus.policy.truck.nev_share_of_new.at(year)
        assert plus_nev > plan.policy.truck.nev_share_of_new.at(year)
        assert plus.grid.co2_kg_per_kwh.at(year) < plan.grid.co2_kg_per_kwh.at(year)
    clean_plus = plus.hydrogen.pathway_mix["clean"].at(2030)
    assert clean_plus > plan.hydrogen.pathway_mix["clean"].at(2030)
    # inherited from the plan
    assert plus.policy.bus.nev_share_of_new.at(2025) == 1.0
    assert plus.policy.freight.rail_share.at(2025) >= 0.09


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_runs_the_stock_model(scenarios: dict[str, Scenario], name: str) -> None:
    scen = scenarios[name]
    fleet_def = load_fleets_for(scen)
    frame = simulate_stock(scen, fleet_def)
    assert set(frame.year) == set(scen.years)
    assert frame[frame.year == 2024].vehicles.sum() == 1200 + 4500 + 50000 + 300
