"""Every scenario validation rule: one test each, plus curves and overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from transport_sim.errors import ScenarioError, TransportSimError
from transport_sim.scenario.curves import Curve
from transport_sim.scenario.settings import Scenario, load_scenario, scenario_from_dict


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "net.osm").write_text("<osm/>")
    (tmp_path / "fleet.toml").write_text("")
    return tmp_path


def write(folder: Path, body: str, name: str = "s.toml") -> Path:
    head = '[scenario]\nname = "t"\nnetwork = "net.osm"\nfleet_file = "fleet.toml"\n'
    path = folder / name
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def error_of(folder: Path, body: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(folder, body))
    message = str(info.value)
    assert "\n" not in message
    assert "s.toml" in message
    return message


def test_minimal_scenario_fills_defaults(inputs: Path) -> None:
    scen = load_scenario(write(inputs, ""))
    assert isinstance(scen, Scenario)
    assert scen.name == "t"
    assert list(scen.years) == list(range(2024, 2036))
    assert scen.network_path == (inputs / "net.osm").resolve()
    assert scen.run.day_types == ("weekday", "holiday")


def test_errors_are_value_errors() -> None:
    assert issubclass(ScenarioError, TransportSimError)
    assert issubclass(ScenarioError, ValueError)


def test_malformed_toml(inputs: Path) -> None:
    path = inputs / "bad.toml"
    path.write_text("[scenario\nname = 1")
    with pytest.raises(ScenarioError, match=r"bad\.toml: malformed TOML"):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_missing_scenario_table(inputs: Path) -> None:
    path = inputs / "x.toml"
    path.write_text("[run]\nseed = 1\n")
    with pytest.raises(ScenarioError, match=r"missing \[scenario\]"):
        load_scenario(path)


def test_unknown_top_level_key(inputs: Path) -> None:
    msg = error_of(inputs, "[runn]\nseed = 1\n")
    assert "runn" in msg
    assert "unknown key" in msg


def test_unknown_nested_key_typo(inputs: Path) -> None:
    msg = error_of(inputs, "[policy.bus]\nnev_shar_of_new = 0.5\n")
    assert "policy.bus.nev_shar_of_new" in msg
    assert "nev_share_of_new" in msg  # lists what is accepted


def test_unknown_fleet_in_policy(inputs: Path) -> None:
    msg = error_of(inputs, "[policy.plane]\nnev_share_of_new = 0.5\n")
    assert "policy.plane" in msg


def test_unknown_fleet_in_overrides(inputs: Path) -> None:
    msg = error_of(inputs, "[fleet_overrides.plane]\nstock = 3\n")
    assert "fleet_overrides.plane" in msg


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_share_outside_unit_interval(inputs: Path, value: str) -> None:
    msg = error_of(inputs, f"[policy.taxi]\nnev_share_of_new = {value}\n")
    assert "policy.taxi.nev_share_of_new" in msg
    assert value in msg


def test_share_curve_value_outside_unit_interval(inputs: Path) -> None:
    msg = error_of(inputs, "[policy.freight]\nrail_share = {2024 = 0.05, 2030 = 1.2}\n")
    assert "policy.freight.rail_share" in msg


def test_mix_not_summing_to_one(inputs: Path) -> None:
    msg = error_of(inputs, "[hydrogen]\npathway_mix = {smr = 0.5, clean = 0.4}\n")
    assert "sum to 0.9" in msg


def test_mix_sum_checked_between_breakpoints(inputs: Path) -> None:
    body = (
        "[hydrogen.pathway_mix]\nsmr = {2024 = 1.0, 2030 = 0.5}\nclean = {2024 = 0.0, 2028 = 0.5}\n"
    )
    msg = error_of(inputs, body)
    assert "2028" in msg


def test_unknown_powertrain_in_mix(inputs: Path) -> None:
    msg = error_of(inputs, "[policy.bus.conventional_mix]\nsteam = 1.0\n")
    assert "steam" in msg


def test_conventional_mix_rejects_powertrain_of_other_fleet(inputs: Path) -> None:
    msg = error_of(inputs, "[policy.bus.conventional_mix]\npetrol = 1.0\n")
    assert "not a conventional powertrain of bus" in msg


def test_years_reversed(inputs: Path) -> None:
    msg = error_of(inputs, "[run]\nstart_year = 2030\nend_year = 2025\n")
    assert "years reversed" in msg


def test_year_out_of_range(inputs: Path) -> None:
    msg = error_of(inputs, "[run]\nend_year = 2300\n")
    assert "run.end_year" in msg


def test_curve_years_out_of_order(inputs: Path) -> None:
    msg = error_of(inputs, '[grid]\nco2_kg_per_kwh = {"2030" = 0.3, "2024" = 0.4}\n')
    assert "increasing order" in msg


def test_curve_key_not_a_year(inputs: Path) -> None:
    msg = error_of(inputs, "[grid]\nco2_kg_per_kwh = {soon = 0.3}\n")
    assert "not a year" in msg


@pytest.mark.parametrize("tick", ["7", "0", "-10", "7200"])
def test_tick_must_divide_the_day(inputs: Path, tick: str) -> None:
    msg = error_of(inputs, f"[run]\ntick_s = {tick}\n")
    assert "run.tick_s" in msg


def test_report_interval_multiple_of_tick(inputs: Path) -> None:
    msg = error_of(inputs, "[run]\ntick_s = 20\nreport_interval_s = 30\n")
    assert "run.report_interval_s" in msg


def test_unknown_day_type(inputs: Path) -> None:
    msg = error_of(inputs, '[run]\nday_types = ["sunday"]\n')
    assert "sunday" in msg


def test_wrong_type(inputs: Path) -> None:
    msg = error_of(inputs, '[run]\nseed = "abc"\n')
    assert "expected an integer" in msg


def test_boolean_is_not_a_number(inputs: Path) -> None:
    msg = error_of(inputs, "[charging]\nservice_area_plugs = true\n")
    assert "charging.service_area_plugs" in msg


def test_bad_name(inputs: Path) -> None:
    path = inputs / "n.toml"
    path.write_text('[scenario]\nname = "a b/c"\nnetwork = "net.osm"\nfleet_file = "fleet.toml"\n')
    with pytest.raises(ScenarioError, match=r"scenario\.name"):
        load_scenario(path)


def test_missing_network_file(inputs: Path) -> None:
    path = inputs / "m.toml"
    path.write_text('[scenario]\nname = "m"\nnetwork = "gone.osm"\nfleet_file = "fleet.toml"\n')
    with pytest.raises(ScenarioError, match=r"scenario\.network = 'gone\.osm'.*not found"):
        load_scenario(path)


def test_phase_out_needs_both_fields(inputs: Path) -> None:
    msg = error_of(inputs, '[policy.truck]\nphase_out_standard = "china3"\n')
    assert "phase_out_year" in msg


def test_phase_out_unknown_standard(inputs: Path) -> None:
    msg = error_of(inputs, '[policy.truck]\nphase_out_standard = "euro3"\nphase_out_year = 2025\n')
    assert "china3" in msg


def test_curves_interpolate_and_are_flat_outside() -> None:
    curve = Curve((2024, 2030), (0.2, 0.8))
    assert curve.at(2020) == pytest.approx(0.2)
    assert curve.at(2024) == pytest.approx(0.2)
    assert curve.at(2027) == pytest.approx(0.5)
    assert curve.at(2030) == pytest.approx(0.8)
    assert curve.at(2040) == pytest.approx(0.8)
    assert Curve.constant(0.3).at(1999) == pytest.approx(0.3)


def test_curve_from_toml_table(inputs: Path) -> None:
    scen = load_scenario(
        write(inputs, "[policy.bus]\nnev_share_of_new = {2024 = 0.6, 2026 = 1.0}\n")
    )
    assert scen.policy.bus.nev_share_of_new.at(2025) == pytest.approx(0.8)


def test_extends_merges_and_resolves_relative_paths(inputs: Path) -> None:
    base = write(inputs, "[run]\nseed = 7\n[policy.bus]\nnev_share_of_new = 0.5\n", "base.toml")
    sub = inputs / "sub"
    sub.mkdir()
    child = sub / "child.toml"
    child.write_text(
        f'[scenario]\nname = "child"\nextends = "../{base.name}"\n'
        "[policy.bus]\nfcev_share_of_nev = 0.1\n"
    )
    scen = load_scenario(child)
    assert scen.run.seed == 7
    assert scen.policy.bus.nev_share_of_new.at(2024) == pytest.approx(0.5)
    assert scen.policy.bus.fcev_share_of_nev.at(2024) == pytest.approx(0.1)
    assert scen.network_path == (inputs / "net.osm").resolve()


def test_overrides_by_dotted_path(inputs: Path) -> None:
    scen = load_scenario(write(inputs, ""))
    new = scen.with_overrides({"policy.bus.nev_share_of_new": 0.9, "run.seed": 3})
    assert new.policy.bus.nev_share_of_new.at(2030) == pytest.approx(0.9)
    assert new.run.seed == 3
    assert scen.run.seed != 3  # original untouched


def test_override_of_unknown_path_fails(inputs: Path) -> None:
    scen = load_scenario(write(inputs, ""))
    with pytest.raises(ScenarioError, match="no such scenario field 'buss'"):
        scen.with_overrides({"policy.buss.nev_share_of_new": 0.9})


def test_override_value_is_validated(inputs: Path) -> None:
    scen = load_scenario(write(inputs, ""))
    with pytest.raises(ScenarioError, match=r"policy\.bus\.nev_share_of_new"):
        scen.with_overrides({"policy.bus.nev_share_of_new": 2.0})


def test_round_trip_through_dict(inputs: Path) -> None:
    scen = load_scenario(
        write(inputs, "[policy.freight]\nrail_share = {2024 = 0.05, 2025 = 0.09}\n")
    )
    again = scenario_from_dict(scen.to_dict(resolve_paths=False), source=scen.source)
    assert again == scen
    resolved = scenario_from_dict(scen.to_dict(), source=None)
    assert resolved.network_path == scen.network_path
    assert resolved.policy == scen.policy
