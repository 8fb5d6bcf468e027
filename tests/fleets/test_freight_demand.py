"""Freight demand in the calibration file: OD weights, through traffic, drayage."""

from __future__ import annotations

import copy

import pytest
from support import shipped_calibration

from transport_sim.errors import FleetError
from transport_sim.fleets.calibration import (
    load_calibration,
    parse_calibration,
)


@pytest.fixture(scope="module")
def shipped():
    return shipped_calibration()


def test_national_mix_is_data_and_interpolates_linearly(shipped) -> None:
    scen, fdef, _ = shipped
    through = load_calibration(scen, fdef).freight.through
    assert through.truck_class == "heavy_tractor"
    assert through.tonnage_t_per_year == pytest.approx(7.5e6)
    for year in (2020, 2024, 2027, 2030, 2033, 2035, 2040):
        for mix in (through.powertrain_mix(year), through.standard_mix(year)):
            assert sum(mix.values()) == pytest.approx(1.0, abs=1e-12)
    # halfway between 2024 and 2030: the mean of the two given mixes
    mid = through.powertrain_mix(2027)
    assert mid["bev"] == pytest.approx((0.018 + 0.17) / 2)
    assert through.powertrain_mix(2020) == through.powertrain_mix(2024)  # flat outside
    # China III leaves the national stock by retirement, on its own curve
    assert through.standard_mix(2024)["china3"] == pytest.approx(0.051)
    assert "china3" not in through.standard_mix(2035)


def test_overrides_reach_the_national_mix(shipped) -> None:
    scen, fdef, _ = shipped
    over = scen.with_overrides({"calibration_overrides": {"through_traffic": {
        "powertrain_shares": {"2024": {"diesel": 0.5, "bev": 0.5}}}}})
    mix = load_calibration(over, fdef).freight.through.powertrain_mix(2024)
    assert mix["bev"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("through_traffic.tonnage_mt_per_year", -1.0, "must be >= 0"),
        ("through_traffic.truck_class", "van", "unknown truck class"),
        ("through_traffic.empty_running_share", 0.7, "must be <= 0.5"),
        ("through_traffic.powertrain_shares", {"2024": {"diesel": 0.5, "bev": 0.4}},
         "must sum to 1"),
        ("through_traffic.powertrain_shares", {"2024": {"petrol": 1.0}}, "unknown"),
        ("through_traffic.standard_shares", {"x": {"china6": 1.0}}, "calendar year"),
        ("drayage.truck_class", "tanker", "unknown truck class"),
        ("freight_od.gateway_hub", -3.0, "must be >= 0"),
        ("freight_od.gateway_ship", 1.0, "unknown key"),
    ],
)
def test_bad_freight_values_are_one_line_errors(shipped, dotted, value, expected) -> None:
    scen, fdef, data = shipped
    data = copy.deepcopy(data)
    node = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    if parts[-1] not in node.get("sources", {}) and parts[0] == "freight_od":
        node.setdefault("sources", {})[parts[-1]] = "estimate: test"
    with pytest.raises(FleetError) as err:
        parse_calibration(data, scen.calibration_path, fdef)
    msg = str(err.value)
    assert "\n" not in msg
    assert expected in msg
    assert str(scen.calibration_path) in msg


def test_a_freight_number_without_source_is_refused(shipped) -> None:
    scen, fdef, data = shipped
    data = copy.deepcopy(data)
    del data["through_traffic"]["sources"]["tonnage_mt_per_year"]
    with pytest.raises(FleetError, match=r"tonnage_mt_per_year.*no source"):
        parse_calibration(data, scen.calibration_path, fdef)
