"""The calibration file: targets and demand parameters are data, validated, and used."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from support import PLAN, shipped_calibration, small

from transport_sim.errors import FleetError
from transport_sim.fleets.calibration import (
    load_calibration,
    parse_calibration,
)


@pytest.fixture(scope="module")
def shipped():
    return shipped_calibration()


def test_shipped_file_loads_with_a_source_for_every_number(shipped) -> None:
    scen, fdef, _ = shipped
    cal = load_calibration(scen, fdef)
    assert cal.target("truck", "heavy_tractor", "km_per_vehicle_day") == pytest.approx(292.0)
    # 87,600 km/yr over 300 operating days, not the calendar-day 240 km
    assert cal.target("truck", "rigid", "km_per_vehicle_day") == pytest.approx(159.0)
    for (fleet, cname), metrics in cal.targets.items():
        for metric, value in metrics.items():
            assert value > 0
            key = f"targets.{fleet}.{cname}.{metric}"
            parts = key.split(".")
            assert any(".".join(parts[:i]) in cal.sources for i in range(len(parts), 1, -1))


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("targets.bus.standard.km_per_vehicle_day", -5.0, "must be > 0"),
        ("targets.bus.standard.km_per_vehicle_day", 0.0, "must be > 0"),
        ("targets.truck.rigid.empty_running_share", 1.5, "must be <= 1"),
        ("targets.bus.articulated", {"km_per_vehicle_day": 100.0}, "unknown size class"),
        ("targets.bus.standard.tonnes_per_day", 3.0, "unknown metric"),
        ("availability.taxi", 0.0, "must be > 0"),
        ("demand.stops_per_tour_max", 2, "must be >= stops_per_tour_min"),
        ("fitted.taxi_request_factor", -1.0, "must be > 0"),
    ],
)
def test_bad_values_are_one_line_errors(shipped, dotted, value, expected) -> None:
    scen, fdef, data = shipped
    data = copy.deepcopy(data)
    node = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    with pytest.raises(FleetError) as err:
        parse_calibration(data, scen.calibration_path, fdef)
    msg = str(err.value)
    assert "\n" not in msg
    assert expected in msg
    assert str(scen.calibration_path) in msg


def test_a_number_without_source_is_refused(shipped) -> None:
    scen, fdef, data = shipped
    data = copy.deepcopy(data)
    del data["demand"]["sources"]["taxi_trip_decay_s"]
    with pytest.raises(FleetError, match=r"taxi_trip_decay_s.*no source"):
        parse_calibration(data, scen.calibration_path, fdef)


def test_cli_bad_target_exits_2(tmp_path: Path, capsys) -> None:
    from transport_sim.cli import main

    scen = tmp_path / "bad.toml"
    scen.write_text(
        f'[scenario]\nname = "bad"\nextends = "{PLAN}"\n'
        "[calibration_overrides.targets.taxi.cruising]\ntrips_per_vehicle_day = -24.0\n",
        encoding="utf-8",
    )
    out = tmp_path / "cal.toml"
    assert main(["calibrate", str(scen), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "targets.taxi.cruising.trips_per_vehicle_day = -24.0" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_moved_literals_are_gone_from_the_code() -> None:
    from transport_sim.demand import context, dayplan
    from transport_sim.fleets import specs
    from transport_sim.kernels import day
    from transport_sim.sim import model

    for module, name in [
        (specs, "AVAILABILITY"),
        (context, "TAXI_AREA_RADIUS_M"),
        (model, "URBAN_PEAK"),
        (dayplan, "TOURS_PER_LIGHT_TRUCK"),
        (dayplan, "STOPS_PER_TOUR"),
        (dayplan, "URBAN_PAYLOAD_T"),
        (dayplan, "LONG_HAUL_PAYLOAD_T"),
        (day, "TRUCK_RESERVE_SOC"),
    ]:
        assert not hasattr(module, name), f"{module.__name__}.{name} is still a literal"


def test_moved_literals_are_read_from_data() -> None:
    """Each moved number, changed in the calibration file, changes the day it shapes."""
    from transport_sim.charging.year_sites import build_year_sites
    from transport_sim.demand.dayplan import build_day_plan
    from transport_sim.policy.turnover import freight_tonnage
    from transport_sim.sim.prepare import prepare

    base = prepare(small(PLAN))
    scen, fdef = base.scenario, base.fleet_def
    road_t, _ = freight_tonnage(2024, scen, fdef)
    sites = build_year_sites(base.context, scen, fdef, base.stock, 2024)

    def plan(**over):
        cal = load_calibration(scen.with_overrides({"calibration_overrides": over}), fdef)
        p = build_day_plan(base.context, scen, fdef, base.stock, road_t, 2024, "weekday",
                           np.random.default_rng(1), None, sites, calibration=cal)
        fleets = p.state.fleet[: p.n_vehicles]
        return p, {f: int((fleets == i).sum()) for i, f in enumerate(("bus", "taxi", "truck"))}

    ref, n_ref = plan()
    _, n = plan(availability={"taxi": 0.45})
    assert n["taxi"] < 0.6 * n_ref["taxi"]
    _, n = plan(availability={"bus": 0.45})
    assert n["bus"] < n_ref["bus"]
    _, n = plan(fitted={"tours_per_light_truck": 4.0})
    assert n["truck"] < n_ref["truck"]
    _, n = plan(fitted={"round_trips_per_vehicle_day": {"heavy_tractor": 3.0, "rigid": 3.0}})
    assert n["truck"] < n_ref["truck"]
    p, _ = plan(fitted={"taxi_request_factor": 2.0})
    assert p.requests.n_requests > 1.6 * ref.requests.n_requests
    p, _ = plan(demand={"stops_per_tour_min": 1, "stops_per_tour_max": 1})
    assert p.state.leg_target.size < ref.state.leg_target.size
    # peak speed factors and the taxi area are read by prepare()
    slow = prepare(small(PLAN, calibration_overrides={
        "demand": {"peak_speed_factors": [0.5] * 24, "taxi_area_radius_m": 2000.0}}))
    assert slow.calibration_file().demand["peak_speed_factors"] == (0.5,) * 24
    assert len(slow.context.taxi_nodes) < len(base.context.taxi_nodes)


def test_every_cited_source_is_a_sources_md_entry(shipped) -> None:
    import re

    scen, _, _ = shipped
    text = scen.calibration_path.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (S-[a-z0-9-]+)", (scen.fleet_path.parent / "SOURCES.md")
                              .read_text(encoding="utf-8"), re.M))
    cited = set(re.findall(r"(?<![\w-])S-[a-z0-9]+(?:-[a-z0-9]+)*", text))
    assert cited
    assert cited <= headings, sorted(cited - headings)
