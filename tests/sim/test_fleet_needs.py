"""A network that lacks what a fleet needs is refused, or the fleet is dropped on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from transport_sim.cli import main
from transport_sim.errors import NetworkDataError, ScenarioError
from transport_sim.scenario.settings import load_scenario
from transport_sim.sim.fleet_needs import check_network_serves, missing_features

REPO = Path(__file__).resolve().parents[2]


def fake_network(**overrides: object) -> SimpleNamespace:
    route = SimpleNamespace(stops=(1, 2, 3))
    full = {
        "source": Path("net.osm"), "bus_routes": [route], "water": SimpleNamespace(n_edges=10),
        "ports": [1, 2], "gateways": [1], "service_areas": [1],
    }
    return SimpleNamespace(**{**full, **overrides})


def test_a_complete_network_carries_every_fleet() -> None:
    scen = load_scenario(REPO / "experiments" / "shiyan_plan.toml")
    check_network_serves(scen, fake_network())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "fleet", "feature"),
    [
        ({"bus_routes": []}, "bus", "bus route relations"),
        ({"bus_routes": [SimpleNamespace(stops=(4, 4))]}, "bus", "bus route relations"),
        ({"water": None}, "ship", "navigable water"),
        ({"ports": [1]}, "ship", "ports"),
        ({"gateways": []}, "truck", "gateways"),
        ({"service_areas": []}, "truck", "service areas"),
    ],
)
def test_a_missing_feature_names_the_fleet_and_the_feature(
    overrides: dict, fleet: str, feature: str
) -> None:
    scen = load_scenario(REPO / "experiments" / "shiyan_plan.toml")
    net = fake_network(**overrides)
    assert missing_features(net, fleet)  # type: ignore[arg-type]
    with pytest.raises(NetworkDataError) as info:
        check_network_serves(scen, net)  # type: ignore[arg-type]
    text = str(info.value)
    assert "\n" not in text
    assert f"fleet {fleet!r}" in text
    assert feature in text
    assert f'drop_fleets = ["{fleet}"]' in text
    dropped = scen.with_overrides({"run.drop_fleets": [fleet]})
    check_network_serves(dropped, net)  # type: ignore[arg-type]


def test_drop_fleets_accepts_only_fleets() -> None:
    scen = load_scenario(REPO / "experiments" / "shiyan_plan.toml")
    assert scen.run.drop_fleets == ()
    with pytest.raises(ScenarioError, match=r"run\.drop_fleets"):
        scen.with_overrides({"run.drop_fleets": ["plane"]})


@pytest.mark.slow
def test_pyrosm_test_extract_is_refused_then_runs_with_dropped_fleets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyrosm = pytest.importorskip("pyrosm")
    pbf = pyrosm.get_data("test_pbf")
    head = (f'[scenario]\nname = "pbf"\nnetwork = "{pbf}"\n'
            f'fleet_file = "{REPO}/fleets/shiyan.toml"\n'
            '[run]\nend_year = 2024\nday_types = ["weekday"]\nvehicle_scale = 0.01\n')
    refused = tmp_path / "refused.toml"
    refused.write_text(head, encoding="utf-8")
    assert main(["run", str(refused), "--out", str(tmp_path / "a"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "fleet 'bus'" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a").exists()

    kept = tmp_path / "dropped.toml"
    kept.write_text(head + 'drop_fleets = ["bus", "ship", "truck"]\n', encoding="utf-8")
    assert main(["run", str(kept), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    annual = pd.read_parquet(tmp_path / "b" / "annual.parquet")
    assert set(annual["fleet"]).isdisjoint({"bus", "ship", "truck"})
    assert annual.loc[annual["fleet"] == "taxi", "co2_wtw_t"].sum() > 0
    meta = json.loads((tmp_path / "b" / "run.json").read_text(encoding="utf-8"))
    assert meta["dropped_fleets"] == ["bus", "ship", "truck"]
    assert "Fleets dropped: bus, ship, truck" in (tmp_path / "b" / "report.md").read_text(
        encoding="utf-8")
