"""End-to-end runs on the embedded network: table contract, determinism, atomic folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import small

from transport_sim.pipeline.run import run, run_tables
from transport_sim.results.folder import Results
from transport_sim.sim.prepare import day_seeds, prepare, simulate_day

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ANNUAL_REQUIRED = {
    "year": "int64",
    "fleet": "object",
    "powertrain": "object",
    "vehicles": "int64",
    "vkm": "float64",
    "tkm": "float64",
    "energy_kwh": "float64",
    "co2_ttw_t": "float64",
    "co2_wtw_t": "float64",
}


@pytest.fixture(scope="module")
def plan_results() -> Results:
    return run_tables(small(REPO / "experiments" / "shiyan_plan.toml"))


def test_annual_contract(plan_results: Results) -> None:
    annual = plan_results.annual
    for col, kind in ANNUAL_REQUIRED.items():
        assert col in annual.columns
        if kind == "object":
            assert annual[col].map(type).eq(str).all()
        else:
            assert str(annual[col].dtype) == kind, col
    assert set(annual["year"]) == {2024, 2025}
    assert set(annual["fleet"]) == {"bus", "taxi", "truck", "ship", "rail_freight", "through_truck"}
    assert not annual.duplicated(["year", "fleet", "powertrain"]).any()
    assert (annual[["vkm", "energy_kwh", "co2_wtw_t"]] >= 0).all().all()
    # every simulated fleet moved and used energy
    moving = annual[annual["fleet"] != "rail_freight"].groupby("fleet")[["vkm", "energy_kwh"]].sum()
    assert (moving > 0).all().all()
    # WTW >= TTW for every row (upstream emissions are never negative)
    assert (annual["co2_wtw_t"] + 1e-9 >= annual["co2_ttw_t"]).all()
    # rail carries tonne-km, trucks too
    assert annual.loc[annual["fleet"] == "rail_freight", "tkm"].sum() > 0
    assert annual.loc[annual["fleet"] == "truck", "tkm"].sum() > 0


def test_bev_rows_have_no_tailpipe_co2(plan_results: Results) -> None:
    annual = plan_results.annual
    bev = annual[annual["powertrain"] == "bev"]
    assert (bev["co2_ttw_t"] == 0).all()
    assert (bev.loc[bev["vkm"] > 0, "electricity_kwh"] > 0).all()


def test_meta_has_peak(plan_results: Results) -> None:
    meta = plan_results.meta
    by_year = plan_results.annual.groupby("year")["co2_wtw_t"].sum()
    assert meta["peak_year"] == int(by_year.idxmax())
    assert meta["peak_co2_wtw_t"] == pytest.approx(by_year.max())
    assert meta["network_schematic"] is True


def test_same_seed_same_tables_and_other_seed_differs(plan_results: Results) -> None:
    again = run_tables(small(REPO / "experiments" / "shiyan_plan.toml"))
    for name in ("annual", "chargers", "timeseries"):
        pd.testing.assert_frame_equal(
            plan_results.tables[name], again.tables[name], check_exact=True
        )
    other = run_tables(small(REPO / "experiments" / "shiyan_plan.toml"), seed=12345)
    taxi = lambda r: r.annual.loc[r.annual["fleet"] == "taxi", "vkm"].to_numpy()  # noqa: E731
    assert not np.array_equal(taxi(plan_results), taxi(other))


def test_run_writes_folder_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "res"
    scen = small(REPO / "experiments" / "shiyan_plan.toml", run__end_year=2024)
    res = run(scen, out=out, figures=False)
    assert res.path == out
    names = {p.name for p in out.iterdir()}
    assert {"scenario.resolved.toml", "run.json", "annual.parquet", "chargers.parquet"} <= names
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == scen.run.seed
    assert len(meta["network_sha256"]) == 64
    from transport_sim.errors import ResultsError

    with pytest.raises(ResultsError):
        run(scen, out=out, figures=False)


def test_failure_mid_run_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transport_sim.accounting import outcomes as accounting

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated crash while summarising")

    monkeypatch.setattr(accounting, "summarise", boom)
    out = tmp_path / "res"
    scen = small(REPO / "experiments" / "shiyan_plan.toml", run__end_year=2024)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(scen, out=out, figures=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_plan_is_below_baseline_in_every_year_after_2025() -> None:
    kw = {"run__end_year": 2030}
    plan = run_tables(small(REPO / "experiments" / "shiyan_plan.toml", **kw))
    base = run_tables(small(REPO / "experiments" / "baseline.toml", **kw))
    p = plan.annual.groupby("year")["co2_wtw_t"].sum()
    b = base.annual.groupby("year")["co2_wtw_t"].sum()
    later = [y for y in p.index if y > 2025]
    assert later
    assert (p[later] < b[later]).all(), (p / b).to_dict()
    # and the plan's bus fleet is electrifying: more BEV vehicle-km in 2030 than in 2024
    bev = plan.annual[(plan.annual["fleet"] == "bus") & (plan.annual["powertrain"] == "bev")]
    vkm = bev.set_index("year")["vkm"]
    assert vkm[2030] > vkm[2024]


def stranded_trucks(coverage: float) -> float:
    scen = small(
        REPO / "experiments" / "shiyan_plan.toml",
        run__end_year=2030,
        run__vehicle_scale=0.3,
        charging__service_area_coverage=coverage,
    )
    prep = prepare(scen)
    seq = day_seeds(scen.run.seed, scen.years, scen.run.day_types)[(2030, "weekday")]
    model = simulate_day(prep, 2030, "weekday", seq)
    totals = model.fleet_totals()
    model.release()
    return float(totals.loc[totals["fleet"] == "truck", "stranded"].sum())


def test_stranded_trucks_fall_as_service_area_coverage_rises() -> None:
    # common random numbers: the same trips in both runs, only the chargers differ
    assert stranded_trucks(1.0) < stranded_trucks(0.3)


def test_rail_share_moves_truck_tonne_km_by_that_fraction() -> None:
    tkm = {}
    for rail in (0.0, 0.09):
        res = run_tables(
            small(REPO / "experiments" / "shiyan_plan.toml", run__end_year=2024,
                  run__vehicle_scale=0.3, policy__freight__rail_share=rail)
        )
        trucks = res.annual.loc[res.annual["fleet"] == "truck"]
        # road freight's own t-km; the drayage legs to the rail yards grow with rail
        tkm[rail] = (trucks["tkm"] - trucks["drayage_tkm"]).sum(), trucks["drayage_tkm"].sum()
    assert tkm[0.09][0] / tkm[0.0][0] == pytest.approx(0.91, abs=0.02)
    assert tkm[0.0][1] == 0.0 < tkm[0.09][1]


# public ranges, parameters.md "Energy use and charging" (final energy; BEVs at the
# charger, so the battery figure / 0.93 charger efficiency at most; hilly Shiyan and A/C
# widen the bus range by +27 %)
ENERGY_RANGES = {
    ("bus", "bev"): (0.79, 1.75 * 1.27 / 0.93, "kWh"),
    ("bus", "diesel"): (25.0, 45.0, "L"),
    ("taxi", "bev"): (0.14, 0.17 / 0.93 * 1.1, "kWh"),
    ("taxi", "petrol"): (6.0, 9.0, "L"),
    ("truck", "diesel"): (12.0, 38.0, "L"),
}


def test_energy_per_km_inside_public_ranges(plan_results: Results) -> None:
    annual = plan_results.annual
    for (fleet, powertrain), (lo, hi, unit) in ENERGY_RANGES.items():
        row = annual[(annual["fleet"] == fleet) & (annual["powertrain"] == powertrain)]
        vkm = row["vkm"].sum()
        assert vkm > 0, (fleet, powertrain)
        if unit == "kWh":
            per_km = row["electricity_kwh"].sum() / vkm
        else:
            per_km = row["diesel_l" if powertrain == "diesel" else "petrol_l"].sum() / vkm * 100
        assert lo <= per_km <= hi, (fleet, powertrain, per_km)


def test_costs_grid_load_and_charging_energy_are_consistent(plan_results: Results) -> None:
    from transport_sim.accounting.costs import COST_COLUMNS, COST_ITEMS, TCO_COLUMNS
    from transport_sim.accounting.grid import city_peak_load, site_peak_load

    costs, tco = plan_results["costs"], plan_results["tco"]
    assert list(costs.columns) == list(COST_COLUMNS)
    assert set(costs["item"]) <= set(COST_ITEMS)
    assert {"energy", "maintenance", "vehicle_capital"} <= set(costs["item"])
    assert (costs.loc[costs["item"] != "subsidy", ["cash_cny", "annualised_cny"]] >= 0).all().all()
    assert list(tco.columns) == list(TCO_COLUMNS)
    # every kWh a charger delivered is in the hourly profile, once
    energy, chargers = plan_results["charging_energy"], plan_results["chargers"]
    hourly = plan_results["charger_hourly"]
    by_site = energy.groupby(["year", "day_type", "site_id"])["energy_kwh"].sum()
    sim = chargers.set_index(["year", "day_type", "site_id"])["energy_kwh"]
    assert np.allclose(by_site.reindex(sim.index).fillna(0.0), sim, rtol=1e-9, atol=1e-6)
    assert hourly["energy_kwh"].sum() == pytest.approx(chargers["energy_kwh"].sum())
    # peak kW is the profile's maximum and never above plugs x kW
    sites = site_peak_load(hourly, chargers)
    peak = hourly.groupby(["year", "day_type", "site_id"])["energy_kwh"].max()
    assert np.allclose(sites.set_index(["year", "day_type", "site_id"])["peak_kw"],
                       peak.reindex(sites.set_index(["year", "day_type", "site_id"]).index))
    assert (sites["peak_kw"] <= sites["installed_kw"] * (1 + 1e-9)).all()
    city = city_peak_load(hourly, chargers)
    assert (city["peak_kw"] <= city["installed_kw"]).all()
    assert plan_results.meta["charging_peak_kw"] == pytest.approx(city["peak_kw"].max())
    assert plan_results.meta["npv_cost_cny"] > 0


def test_compare_prints_cny_per_tonne_and_draws_the_curve(
    plan_results: Results, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from transport_sim.cli import main
    from transport_sim.results.folder import write_results

    base = run_tables(small(REPO / "experiments" / "baseline.toml"))
    write_results(base, tmp_path / "baseline")
    write_results(plan_results, tmp_path / "plan")
    code = main(["compare", str(tmp_path / "baseline"), str(tmp_path / "plan"),
                 "--out", str(tmp_path / "cmp")])
    out = capsys.readouterr().out
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("abatement cost, shiyan_plan:"))
    assert "CNY/t" in line
    assert (tmp_path / "cmp" / "mac_curve.png").is_file()
    table = pd.read_csv(tmp_path / "cmp" / "abatement.csv")
    total = table[(table["fleet"] == "all") & (table["year"] == -1)]
    assert total["avoided_co2_t"].item() > 0  # the plan avoids CO2 against the baseline
    assert "## Abatement cost" in (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8")
