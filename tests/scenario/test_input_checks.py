"""Input checks shared by the scenario, fleet and sweep loaders (issue 13, loader items).

Each case failed before the loaders shared one schema: non-finite numbers, cross-field
rules, empty curves, byte-order marks, deep nesting, long names, huge counts, and
statistically meaningless settings that ran without a word.
"""

from __future__ import annotations

import copy
import shutil
import textwrap
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from transport_sim.cli import main
from transport_sim.errors import FleetError, ScenarioError, TransportSimWarning
from transport_sim.fleets.reader import load_fleets
from transport_sim.scenario.sanity import warn_tick, warn_vehicle_scale
from transport_sim.scenario.settings import load_scenario
from transport_sim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parents[2]
FLEET_FILE = REPO / "fleets" / "shiyan.toml"
HEAD = '[scenario]\nname = "t"\nnetwork = "net.osm"\nfleet_file = "fleet.toml"\n'


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "net.osm").write_text("<osm/>", encoding="utf-8")
    (tmp_path / "fleet.toml").write_text("", encoding="utf-8")
    return tmp_path


def scenario_error(folder: Path, body: str, name: str = "s.toml") -> str:
    path = folder / name
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path.resolve())) or message.startswith(str(path))
    return message


def fleet_variant(folder: Path, changes: dict[str, object], text: str | None = None) -> Path:
    data = tomllib.loads(FLEET_FILE.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    path = folder / "fleet.toml"
    path.write_text(text if text is not None else tomli_w.dumps(data), encoding="utf-8")
    shutil.copy(FLEET_FILE.parent / "SOURCES.md", folder / "SOURCES.md")
    return path


def fleet_error(folder: Path, changes: dict[str, object]) -> str:
    with pytest.raises(FleetError) as info:
        load_fleets(fleet_variant(folder, changes))
    message = str(info.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------- finite numbers
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("[charging]\ncar_ev_arrivals_per_h = inf\n", "charging.car_ev_arrivals_per_h"),
        ("[charging]\nholiday_car_multiplier = nan\n", "charging.holiday_car_multiplier"),
        ("[charging]\ndepot_power_kw = inf\n", "charging.depot_power_kw"),
        ("[run]\nvehicle_scale = nan\n", "run.vehicle_scale"),
        ("[run]\ntick_s = inf\n", "run.tick_s"),
        ("[grid]\nco2_kg_per_kwh = {2024 = inf}\n", "grid.co2_kg_per_kwh"),
        ("[policy.bus]\nstock_growth = nan\n", "policy.bus.stock_growth"),
        ("[policy.bus]\nnev_share_of_new = {2024 = -inf}\n", "policy.bus.nev_share_of_new"),
    ],
)
def test_scenario_numbers_are_finite(inputs: Path, body: str, field: str) -> None:
    message = scenario_error(inputs, body)
    assert f"{field} = " in message
    assert "finite" in message or "NaN" in message or "infinite" in message


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("bus.classes.standard.powertrains.diesel.l_per_100km", float("nan")),
        ("bus.classes.standard.powertrains.bev.battery_kwh", float("inf")),
        ("freight.road_tonnage_mt_per_year", float("inf")),
        ("passenger.bus_boardings_per_day", float("inf")),
        ("bus.age.lifetime_mean_years", float("nan")),
        ("bus.age.purchases_by_vintage", {"2015": float("inf"), "2020": 1.0}),
        ("taxi.operation.hourly_demand_profile", [float("inf")] + [1.0] * 23),
        ("bus.classes.standard.share", float("nan")),
    ],
)
def test_fleet_numbers_are_finite(tmp_path: Path, dotted: str, value: object) -> None:
    message = fleet_error(tmp_path, {dotted: value})
    assert dotted in message


@pytest.mark.parametrize(
    "param",
    [
        "values = [0.5, inf]",
        "values = [nan]",
        "range = [0.0, inf]",
        "values = [{2024 = 0.5, 2030 = inf}]",
    ],
)
def test_sweep_values_are_finite(inputs: Path, param: str) -> None:
    (inputs / "base.toml").write_text(HEAD, encoding="utf-8")
    design = "lhs" if param.startswith("range") else "grid"
    samples = "samples = 4\n" if design == "lhs" else ""
    path = inputs / "sw.toml"
    path.write_text(
        f"[sweep]\nname = 'x'\nbase = 'base.toml'\ndesign = '{design}'\n{samples}"
        f"[[parameter]]\npath = 'charging.car_ev_arrivals_per_h'\n{param}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"sw\.toml: parameter\[0\]\.(values|range)") as info:
        load_sweep(path)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------- cross-field rules
def test_charge_to_soc_above_charge_below_soc(inputs: Path) -> None:
    message = scenario_error(inputs, "[charging]\ncharge_below_soc = 0.5\ncharge_to_soc = 0.4\n")
    assert "charging.charge_to_soc = 0.4: must be above charging.charge_below_soc (0.5)" in message


def test_charger_efficiency_zero_is_refused(inputs: Path) -> None:
    message = scenario_error(inputs, "[charging]\ncharger_efficiency = 0\n")
    assert "charging.charger_efficiency = 0.0" in message
    assert "(0, 1]" in message


def test_long_tick_blames_the_tick_not_the_report_interval(inputs: Path) -> None:
    message = scenario_error(inputs, "[run]\ntick_s = 3600\n")
    assert "run.tick_s = 3600.0: longer than run.report_interval_s (900 s)" in message


def test_report_interval_must_divide_the_day(inputs: Path) -> None:
    message = scenario_error(inputs, "[run]\nreport_interval_s = 7000\n")
    assert "run.report_interval_s = 7000.0: must divide the day" in message


def test_huge_bus_stock_is_refused_at_once(tmp_path: Path) -> None:
    message = fleet_error(tmp_path, {"bus.stock": 100_000_000})
    assert "bus.stock = 100000000: must be <= 100000" in message


def test_huge_replications_are_refused(inputs: Path) -> None:
    (inputs / "base.toml").write_text(HEAD, encoding="utf-8")
    path = inputs / "sw.toml"
    path.write_text(
        "[sweep]\nname = 'x'\nbase = 'base.toml'\nreplications = 1000000000\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"sweep\.replications = 1000000000: must be <="):
        load_sweep(path)


# --------------------------------------------------------------------- empty curves
def test_empty_curve_is_an_error(inputs: Path) -> None:
    message = scenario_error(inputs, "[policy.bus]\nnev_share_of_new = {}\n")
    assert "policy.bus.nev_share_of_new = {}: an empty curve" in message


def test_empty_curve_in_a_child_scenario_is_an_error(inputs: Path) -> None:
    (inputs / "parent.toml").write_text(
        HEAD + "[policy.bus]\nnev_share_of_new = {2024 = 0.5, 2030 = 1.0}\n", encoding="utf-8"
    )
    child = inputs / "child.toml"
    child.write_text(
        '[scenario]\nname = "c"\nextends = "parent.toml"\n'
        "[policy.bus]\nnev_share_of_new = {}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"policy\.bus\.nev_share_of_new = \{\}: an empty"):
        load_scenario(child)


# --------------------------------------------------------------------- files
def test_byte_order_mark_is_accepted_in_every_file(inputs: Path) -> None:
    bom = "\ufeff"
    scen = inputs / "s.toml"
    scen.write_text(bom + HEAD, encoding="utf-8")
    assert load_scenario(scen).name == "t"
    fleet = fleet_variant(inputs, {})
    fleet.write_text(bom + fleet.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_fleets(fleet).fleet("bus").stock == 1200
    (inputs / "base.toml").write_text(bom + HEAD, encoding="utf-8")
    sweep = inputs / "sw.toml"
    sweep.write_text(bom + "[sweep]\nname = 'x'\nbase = 'base.toml'\n", encoding="utf-8")
    assert load_sweep(sweep).name == "x"


@pytest.mark.parametrize("depth", [40, 5000])
def test_deep_nesting_is_one_line(inputs: Path, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    scen = inputs / "s.toml"
    scen.write_text(HEAD + f"[fleet_overrides]\nbus = {deep}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="nested more than 32 levels") as info:
        load_scenario(scen)
    assert "\n" not in str(info.value)
    fleet = inputs / "fleet.toml"
    fleet.write_text(f"x = {deep}\n", encoding="utf-8")
    with pytest.raises(FleetError, match="nested more than 32 levels"):
        load_fleets(fleet)
    sweep = inputs / "sw.toml"
    sweep.write_text(f"[sweep]\nname = {deep}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="nested more than 32 levels"):
        load_sweep(sweep)


def test_long_scenario_name_is_one_line(inputs: Path) -> None:
    path = inputs / "n.toml"
    path.write_text(HEAD.replace('"t"', '"' + "a" * 300 + '"'), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"scenario\.name = .*300 characters; at most 80"):
        load_scenario(path)


@pytest.mark.parametrize("name", ["a/b", "..", "-x", "a b", "", "a\\b", "x:y"])
def test_names_that_break_folders_are_refused(inputs: Path, name: str) -> None:
    path = inputs / "n.toml"
    path.write_text(HEAD.replace('"t"', repr(name).replace("'", '"')), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"scenario\.name"):
        load_scenario(path)


def test_cli_exits_2_with_one_line(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = inputs / "s.toml"
    path.write_text(HEAD + "[charging]\ncar_ev_arrivals_per_h = inf\n", encoding="utf-8")
    assert main(["run", str(path), "--out", str(inputs / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "charging.car_ev_arrivals_per_h = inf" in err
    assert not (inputs / "out").exists()


# --------------------------------------------------------------------- warnings
def test_tiny_vehicle_scale_warns_with_the_noise(inputs: Path) -> None:
    path = inputs / "s.toml"
    path.write_text(HEAD + "[run]\nvehicle_scale = 0.0001\n", encoding="utf-8")
    scen = load_scenario(path)
    with pytest.warns(TransportSimWarning) as record:
        warn_vehicle_scale(scen, {"taxi": 4500, "truck": 50000})
    (message,) = [str(w.message) for w in record]
    assert "run.vehicle_scale = 0.0001: below 0.05" in message
    assert "taxi fleet (4,500 vehicles)" in message
    assert "+/-100 %" in message  # 0.45 taxis: one vehicle simulated
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_vehicle_scale(load_scenario(path).with_overrides({"run.vehicle_scale": 0.05}),
                           {"taxi": 4500, "truck": 50000})


def test_long_tick_warns_about_bus_km(inputs: Path) -> None:
    path = inputs / "s.toml"
    path.write_text(HEAD + "[run]\ntick_s = 300\n", encoding="utf-8")
    edges = np.array([5.0, 12.0, 19.0, 25.0, 60.0])
    with pytest.warns(TransportSimWarning, match=r"run\.tick_s = 300\.0: .*\(19 s\).*bus km"):
        warn_tick(load_scenario(path), edges)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_tick(load_scenario(path).with_overrides({"run.tick_s": 10}), edges)


def test_warnings_are_one_line_on_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from transport_sim.cli import _print_warnings_on_one_line

    saved = warnings.showwarning
    try:
        _print_warnings_on_one_line()
        warnings.showwarning(
            TransportSimWarning("s.toml: run.tick_s = 300.0: longer"), TransportSimWarning,
            "x.py", 1,
        )
    finally:
        warnings.showwarning = saved
    assert capsys.readouterr().err == "transport-sim: warning: s.toml: run.tick_s = 300.0: longer\n"



# --------------------------------------------------------------------- found by fuzzing
def test_dates_in_sweep_values_are_one_line(inputs: Path) -> None:
    (inputs / "base.toml").write_text(HEAD, encoding="utf-8")
    path = inputs / "sw.toml"
    path.write_text(
        "[sweep]\nname = 'x'\nbase = 'base.toml'\n[[parameter]]\n"
        "path = 'policy.bus.nev_share_of_new'\nvalues = [2024-01-01]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"parameter\[0\]\.values = .*no dates"):
        load_sweep(path)


@pytest.mark.parametrize(
    ("dotted", "value"),
    [("bus.age.lifetime_shape", 1e-300), ("bus.age.lifetime_mean_years", 1e-300)],
)
def test_weibull_lifetimes_that_overflow_are_refused(
    tmp_path: Path, dotted: str, value: float
) -> None:
    message = fleet_error(tmp_path, {dotted: value})
    assert f"{dotted} = 1e-300: must be >=" in message
