"""Stock turnover: accounting, curves, NEV uptake, phase-out, growth, rail shift."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from transport_sim.codes import FLEETS
from transport_sim.errors import FleetError, ScenarioError
from transport_sim.fleets.reader import load_fleets, load_fleets_for
from transport_sim.fleets.specs import FleetDefinition
from transport_sim.fleets.stock import initial_stock
from transport_sim.policy.turnover import (
    activity_index,
    freight_tonnage,
    freight_tonnage_t_per_year,
    iter_stock,
    purchase_mix,
    simulate_stock,
    stock_factor,
    turn_over,
)
from transport_sim.scenario.settings import Scenario, load_scenario, scenario_from_dict

REPO = Path(__file__).resolve().parents[2]
FLEET_FILE = REPO / "fleets" / "shiyan.toml"
BASE = 2024
OLD_STANDARDS = ("china2", "china3")


@pytest.fixture(scope="module")
def fleet_def() -> FleetDefinition:
    return load_fleets(FLEET_FILE)


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """experiments/ and fleets/ copied next to a stand-in network file."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "experiments", root / "experiments")
    shutil.copytree(REPO / "fleets", root / "fleets")
    (root / "networks").mkdir()
    (root / "networks" / "shiyan_schematic.osm").write_text("<osm/>", encoding="utf-8")
    return root


def experiment(repo_copy: Path, name: str, **overrides: object) -> Scenario:
    scen = load_scenario(repo_copy / "experiments" / f"{name}.toml")
    return scen.with_overrides(overrides) if overrides else scen


def make_scenario(tmp_path: Path, **sections: Any) -> Scenario:
    network = tmp_path / "network.osm"
    network.write_text("<osm/>", encoding="utf-8")
    data = {
        "scenario": {"name": "t", "network": str(network), "fleet_file": str(FLEET_FILE)},
        **sections,
    }
    return scenario_from_dict(data)


def nev_share(frame: pd.DataFrame, year: int, fleet: str) -> float:
    rows = frame[(frame.year == year) & (frame.fleet == fleet)]
    return rows[rows.powertrain.isin(["bev", "fcev"])].vehicles.sum() / rows.vehicles.sum()


# --- accounting -----------------------------------------------------------------------
def test_stock_accounting_is_exact_per_cell_and_powertrain(repo_copy: Path) -> None:
    scen = experiment(repo_copy, "shiyan_plan")
    frame = simulate_stock(scen, load_fleets_for(scen))
    assert list(frame.year.unique()) == list(range(2024, 2036))
    for col in ("vehicles", "retired", "phased_out", "purchased"):
        assert frame[col].dtype == np.int64
        assert (frame[col] >= 0).all()
    assert (frame.phased_out <= frame.retired).all()
    for keys in (["fleet", "size_class", "powertrain", "standard"], ["fleet", "powertrain"]):
        table = frame.groupby(["year", *keys])[["vehicles", "retired", "purchased"]].sum()
        wide = table.unstack("year", fill_value=0)
        for year in range(2025, 2036):
            expected = (
                wide["vehicles"][year - 1] - wide["retired"][year] + wide["purchased"][year]
            )
            assert (wide["vehicles"][year] == expected).all(), (keys, year)
    assert frame[frame.year == BASE][["retired", "purchased"]].to_numpy().sum() == 0


def test_turn_over_conserves_vehicles(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(tmp_path, policy={"truck": {"lifetime_scale": 0.5}})
    stock = initial_stock(fleet_def)
    new, record = turn_over(stock, BASE + 1, scen, fleet_def, np.random.default_rng(0))
    assert new.year == BASE + 1
    for fleet in FLEETS:
        assert new.total(fleet) == (
            stock.total(fleet) - record.total("retired", fleet) + record.total("purchased", fleet)
        )
    assert all(k.vintage == BASE + 1 for k in record.purchased)
    assert record.total("retired", "truck") > 0
    assert sum(record.by_fleet_powertrain("purchased").values()) == record.total("purchased")


def test_turn_over_needs_the_previous_year(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    with pytest.raises(ValueError, match="needs the stock of 2026"):
        turn_over(initial_stock(fleet_def), 2027, make_scenario(tmp_path), fleet_def)


def test_simulation_is_deterministic(repo_copy: Path) -> None:
    scen = experiment(repo_copy, "plan_plus")
    fdef = load_fleets_for(scen)
    pd.testing.assert_frame_equal(simulate_stock(scen, fdef), simulate_stock(scen, fdef))


# --- retirements ----------------------------------------------------------------------
def test_shorter_lifetimes_retire_more(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    stock = initial_stock(fleet_def)
    short = make_scenario(tmp_path, policy={"bus": {"lifetime_scale": 0.6}})
    long = make_scenario(tmp_path, policy={"bus": {"lifetime_scale": 1.5}})
    _, rec_short = turn_over(stock, BASE + 1, short, fleet_def)
    _, rec_long = turn_over(stock, BASE + 1, long, fleet_def)
    assert rec_short.total("retired", "bus") > rec_long.total("retired", "bus") > 0


def test_legal_age_cap_retires_everyone(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    # lifetimes 5x longer: only the legal 8-year cap retires taxis
    scen = make_scenario(tmp_path, policy={"taxi": {"lifetime_scale": 5.0}})
    max_age = fleet_def.fleet("taxi").age.max_age_years
    previous = None
    for stock, record in iter_stock(scen.with_overrides({"run.end_year": 2034}), fleet_def):
        taxis = [k for k in stock.counts if k.fleet == "taxi"]
        assert all(stock.year - k.vintage < max_age for k in taxis)
        assert stock.total("taxi") == 4500  # flat demand: every retirement replaced
        if record is not None:
            capped = stock.year - max_age
            reaching = sum(
                n for k, n in previous.counts.items() if k[0] == "taxi" and k[3] == capped
            )
            at_cap = sum(n for k, n in record.retired.items() if k[0] == "taxi" and k[3] == capped)
            assert at_cap == reaching
            assert at_cap > 0.5 * record.total("retired", "taxi")  # the cap dominates
        previous = stock


# --- curves ---------------------------------------------------------------------------
def test_purchase_shares_interpolate_linearly(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path,
        policy={"bus": {"nev_share_of_new": {2024: 0.5, 2026: 1.0}, "fcev_share_of_nev": 0.2}},
    )
    mix = purchase_mix("bus", "standard", 2025, scen, fleet_def)
    assert mix["bev"] + mix.get("fcev", 0.0) == pytest.approx(0.75)
    assert mix["fcev"] == pytest.approx(0.75 * 0.2)
    conventional = {p: s for p, s in mix.items() if p not in ("bev", "fcev")}
    base_conv = fleet_def.fleet("bus").classes["standard"].conventional_mix()
    for pt, share in base_conv.items():
        assert conventional[pt] == pytest.approx(0.25 * share)
    assert sum(mix.values()) == pytest.approx(1.0)
    after = purchase_mix("bus", "standard", 2030, scen, fleet_def)  # flat after the last year
    assert after["bev"] + after["fcev"] == pytest.approx(1.0)


def test_purchases_follow_the_interpolated_share(
    tmp_path: Path, fleet_def: FleetDefinition
) -> None:
    scen = make_scenario(tmp_path, policy={"taxi": {"nev_share_of_new": {2024: 0.2, 2026: 0.6}}})
    frame = simulate_stock(scen.with_overrides({"run.end_year": 2026}), fleet_def)
    bought = frame[(frame.year == 2025) & (frame.fleet == "taxi")]
    total = bought.purchased.sum()
    nev = bought[bought.powertrain == "bev"].purchased.sum()
    assert total > 100
    assert abs(nev - 0.4 * total) <= 2  # one unit of rounding per size class


def test_conventional_mix_override(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path, policy={"truck": {"nev_share_of_new": 0.0, "conventional_mix": {"lng": 1.0}}}
    )
    mix = purchase_mix("truck", "heavy_tractor", 2030, scen, fleet_def)
    assert mix == {"lng": 1.0}
    with pytest.raises(FleetError, match=r"truck\.classes\.light\.powertrains\.lng"):
        simulate_stock(scen.with_overrides({"run.end_year": 2026}), fleet_def)


def test_buying_a_powertrain_without_spec_fails(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path, policy={"taxi": {"nev_share_of_new": 1.0, "fcev_share_of_nev": 0.5}}
    )
    with pytest.raises(FleetError, match=r"taxi\.classes\.\w+\.powertrains\.fcev"):
        turn_over(initial_stock(fleet_def), BASE + 1, scen, fleet_def)


def test_class_level_curve_overrides_fleet_curve(repo_copy: Path) -> None:
    scen = experiment(repo_copy, "shiyan_plan")
    fdef = load_fleets_for(scen)
    light = purchase_mix("truck", "light", 2026, scen, fdef)
    tractor = purchase_mix("truck", "heavy_tractor", 2026, scen, fdef)
    assert light["bev"] + light["fcev"] == pytest.approx(0.80)  # pilot target 2026
    assert tractor["bev"] + tractor["fcev"] == pytest.approx(0.10 + 0.15 * 2 / 6)


def test_class_level_fcev_curve_overrides_fleet_curve(tmp_path: Path) -> None:
    scen = make_scenario(
        tmp_path,
        policy={"truck": {"nev_share_of_new": 0.5, "fcev_share_of_nev": 0.4}},
        fleet_overrides={"truck": {"classes": {"light": {"fcev_share_of_nev": 0.0}}}},
    )
    fdef = load_fleets_for(scen)
    assert "fcev" not in purchase_mix("truck", "light", 2030, scen, fdef)
    assert purchase_mix("truck", "rigid", 2030, scen, fdef)["fcev"] == pytest.approx(0.2)


# --- the plan: NEV uptake and phase-out -----------------------------------------------
@pytest.mark.parametrize("fleet", ["bus", "taxi"])
def test_plan_reaches_95_percent_nev_within_a_lifetime(
    repo_copy: Path, fleet_def: FleetDefinition, fleet: str
) -> None:
    horizon = BASE + fleet_def.fleet(fleet).age.max_age_years
    plan = experiment(repo_copy, "shiyan_plan", **{"run.end_year": horizon})
    baseline = experiment(repo_copy, "baseline", **{"run.end_year": horizon})
    plan_frame = simulate_stock(plan, load_fleets_for(plan))
    base_frame = simulate_stock(baseline, load_fleets_for(baseline))
    assert nev_share(plan_frame, BASE, fleet) < 0.95
    assert nev_share(plan_frame, horizon, fleet) >= 0.95
    assert nev_share(base_frame, horizon, fleet) < 0.95  # the policy makes the difference
    shares = [nev_share(plan_frame, y, fleet) for y in range(BASE, horizon + 1)]
    assert shares == sorted(shares)  # 100 % NEV purchases: the share never falls


def test_phase_out_removes_china3_diesel_trucks(repo_copy: Path) -> None:
    plan = experiment(repo_copy, "shiyan_plan")
    baseline = experiment(repo_copy, "baseline")
    year = plan.policy.truck.phase_out_year
    assert plan.policy.truck.phase_out_standard == "china3"
    frames = {
        name: simulate_stock(s, load_fleets_for(s))
        for name, s in (("plan", plan), ("base", baseline))
    }

    def old(frame: pd.DataFrame, y: int) -> int:
        rows = frame[(frame.year == y) & (frame.fleet == "truck") & (frame.powertrain == "diesel")]
        return int(rows[rows.standard.isin(OLD_STANDARDS)].vehicles.sum())

    assert old(frames["plan"], BASE) > 1000
    assert old(frames["plan"], year - 1) > 0  # spread over the years, not all at once
    for y in range(year, 2036):
        assert old(frames["plan"], y) == 0
    assert old(frames["base"], year) > 0
    plan = frames["plan"]
    assert plan[(plan.year <= year)].phased_out.sum() > 0
    assert plan[(plan.year > year)].phased_out.sum() == 0
    assert (plan[plan.phased_out > 0].standard.isin(OLD_STANDARDS)).all()


def test_phase_out_in_the_past_happens_at_once(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path, policy={"truck": {"phase_out_standard": "china4", "phase_out_year": 2020}}
    )
    stock, record = turn_over(initial_stock(fleet_def), BASE + 1, scen, fleet_def)
    frame = stock.to_frame()
    diesel = frame[(frame.fleet == "truck") & (frame.powertrain == "diesel")]
    assert diesel[diesel.standard.isin(["china2", "china3", "china4"])].vehicles.sum() == 0
    assert record.total("phased_out", "truck") > 5000
    assert record.total("phased_out", "truck") <= record.total("retired", "truck")
    assert record.total("phased_out", "truck", "lng") == 0  # diesel only


def test_plan_with_baseline_levers_reproduces_the_baseline(repo_copy: Path) -> None:
    baseline = experiment(repo_copy, "baseline")
    plan = experiment(repo_copy, "shiyan_plan")
    data = plan.to_dict()
    base_data = baseline.to_dict()
    data["policy"] = base_data["policy"]
    data["fleet_overrides"] = base_data["fleet_overrides"]
    neutral = scenario_from_dict(data, source=plan.source)
    assert neutral.grid != baseline.grid  # the plan's grid and charging stay: no effect on stock
    expected = simulate_stock(baseline, load_fleets_for(baseline))
    pd.testing.assert_frame_equal(simulate_stock(neutral, load_fleets_for(neutral)), expected)
    assert not simulate_stock(plan, load_fleets_for(plan)).equals(expected)


# --- growth, activity and freight -----------------------------------------------------
def test_rail_share_scales_road_tonnage_exactly(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    no_rail = make_scenario(tmp_path, policy={"freight": {"rail_share": 0.0}})
    rail = make_scenario(tmp_path, policy={"freight": {"rail_share": 0.09}})
    for year in (2024, 2025, 2030):
        road_0, rail_0 = freight_tonnage(year, no_rail, fleet_def)
        road_9, rail_9 = freight_tonnage(year, rail, fleet_def)
        assert rail_0 == 0.0
        assert road_9 == pytest.approx(road_0 * (1 - 0.09), rel=1e-12)
        assert road_9 + rail_9 == pytest.approx(road_0, rel=1e-12)


def test_freight_tonnage_base_year_and_growth(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path, policy={"freight": {"rail_share": 0.05, "road_tonnage_growth": 0.03}}
    )
    road_t, rail_t = freight_tonnage_t_per_year(BASE, scen, fleet_def)
    assert road_t == pytest.approx(75e6)  # the file's base road tonnage
    assert rail_t == pytest.approx(75e6 / 0.95 * 0.05)
    road_2030, _ = freight_tonnage_t_per_year(2030, scen, fleet_def)
    assert road_2030 == pytest.approx(75e6 * 1.03**6)
    per_day, _ = freight_tonnage(2030, scen, fleet_def)
    assert per_day * fleet_def.fleet("truck").operating_days_per_year == pytest.approx(road_2030)


def test_activity_index_formulas(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path,
        policy={
            "passenger": {"public_transport_share": {2024: 0.36, 2026: 0.44}},
            "taxi": {"stock_growth": 0.02},
            "truck": {"stock_growth": 0.01},
            "ship": {"stock_growth": 0.05},
            "freight": {"rail_share": {2024: 0.05, 2025: 0.09}, "road_tonnage_growth": 0.03},
        },
    )
    idx = activity_index(2025, scen, fleet_def)
    assert idx["bus"] == pytest.approx(0.40 / 0.36)
    assert idx["taxi"] == pytest.approx(1.02 * 0.60 / 0.64)
    assert idx["truck"] == pytest.approx(1.03 * 0.91 / 0.95)
    assert idx["ship"] == pytest.approx(1.05)
    assert activity_index(BASE, scen, fleet_def) == dict.fromkeys(FLEETS, 1.0)
    factor = stock_factor(2025, scen, fleet_def)
    assert factor["truck"] == pytest.approx(idx["truck"] * 1.01)
    assert factor["bus"] == idx["bus"]


def test_stock_follows_its_growth_target(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(
        tmp_path,
        policy={"bus": {"stock_growth": 0.02}, "freight": {"road_tonnage_growth": 0.03}},
    )
    frame = simulate_stock(scen.with_overrides({"run.end_year": 2030}), fleet_def)
    totals = frame.groupby(["year", "fleet", "size_class"]).vehicles.sum()
    for cname, base_n in fleet_def.fleet("bus").class_stock().items():
        assert totals[(2030, "bus", cname)] == round(base_n * 1.02**6)
    for cname, base_n in fleet_def.fleet("truck").class_stock().items():
        assert totals[(2030, "truck", cname)] == round(base_n * 1.03**6)
    assert frame[frame.fleet == "ship"].groupby("year").vehicles.sum().nunique() == 1


def test_shrinking_demand_never_buys_negative(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(tmp_path, policy={"ship": {"stock_growth": -0.3}})
    frame = simulate_stock(scen.with_overrides({"run.end_year": 2027}), fleet_def)
    ship = frame[frame.fleet == "ship"]
    assert (ship.purchased >= 0).all()
    assert ship.groupby("year").vehicles.sum().is_monotonic_decreasing


def test_start_before_the_base_year_is_refused(tmp_path: Path, fleet_def: FleetDefinition) -> None:
    scen = make_scenario(tmp_path, run={"start_year": 2020})
    with pytest.raises(ScenarioError, match="before the fleet file's base year 2024"):
        simulate_stock(scen, fleet_def)


@pytest.mark.parametrize(
    ("day_types", "holidays"),
    [(["weekday"], 20), (["weekday", "holiday"], 20), (["weekday", "holiday"], 120),
     (["holiday"], 20), (["holiday", "weekday"], 7)],
)
def test_annual_road_tonnage_is_conserved_across_day_types(day_types, holidays) -> None:
    """Simulated day types x their annual weights x activity carry the year's tonnes."""
    from types import SimpleNamespace

    from support import PLAN, small

    from transport_sim.accounting.annual import day_weights
    from transport_sim.fleets.reader import load_fleets_for
    from transport_sim.policy.turnover import (
        freight_tonnage_t_per_year,
        road_day_weights,
        road_tonnes_per_operating_day,
    )

    scen = small(PLAN, run__day_types=day_types, run__holiday_days_per_year=holidays,
                 run__end_year=2030)
    fdef = load_fleets_for(scen)
    truck = fdef.fleet("truck")
    weights = road_day_weights(scen, fdef)
    # the annual accounting weights the days the same way
    prep = SimpleNamespace(scenario=scen, fleet_def=fdef)
    assert weights == day_weights(prep, "truck", scen.run.day_types)
    for year in (2024, 2030):
        t_day = road_tonnes_per_operating_day(year, scen, fdef)
        activity = {"weekday": 1.0, "holiday": truck.holiday_activity_factor}
        carried = sum(days * activity[d] * t_day for d, days in weights.items())
        road_t, _ = freight_tonnage_t_per_year(year, scen, fdef)
        assert carried == pytest.approx(road_t, rel=1e-12)


def test_rail_takes_long_haul_tonnage_only() -> None:
    from support import PLAN, small

    from transport_sim.policy.turnover import (
        road_class_tonnes_per_operating_day,
        road_tonnes_per_operating_day,
    )

    low = small(PLAN, run__end_year=2030, policy__freight__rail_share=0.05)
    high = small(PLAN, run__end_year=2030,
                 policy__freight__rail_share={"2024": 0.05, "2030": 0.25})
    fdef = load_fleets_for(low)
    lh = {"heavy_tractor"}
    a = road_class_tonnes_per_operating_day(2030, low, fdef, lh)
    b = road_class_tonnes_per_operating_day(2030, high, fdef, lh)
    for cls in ("rigid", "light"):  # urban and regional freight stay on the road
        assert b[cls] == pytest.approx(a[cls], rel=1e-12)
    assert sum(b.values()) == pytest.approx(road_tonnes_per_operating_day(2030, high, fdef))
    moved = sum(a.values()) - sum(b.values())
    assert a["heavy_tractor"] - b["heavy_tractor"] == pytest.approx(moved, rel=1e-9)
    assert moved > 0
