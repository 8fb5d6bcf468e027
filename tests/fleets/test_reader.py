"""Fleet file loading, validation errors, overrides, specs and the base-year stock."""

from __future__ import annotations

import copy
import math
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from transport_sim.codes import FLEETS, ROAD_CLASSES
from transport_sim.errors import FleetError
from transport_sim.fleets.factors import lower_heating_value_kwh
from transport_sim.fleets.reader import load_fleets
from transport_sim.fleets.specs import FleetDefinition, ship_kwh_per_km
from transport_sim.fleets.stock import initial_stock
from transport_sim.io import largest_remainder

REPO = Path(__file__).resolve().parents[2]
FLEET_FILE = REPO / "fleets" / "shiyan.toml"
SOURCES_FILE = REPO / "fleets" / "SOURCES.md"
BASE = 2024


@pytest.fixture(scope="module")
def fleet_def() -> FleetDefinition:
    return load_fleets(FLEET_FILE)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return tomllib.loads(FLEET_FILE.read_text(encoding="utf-8"))


def set_path(data: dict[str, Any], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


DELETE = object()


def write_variant(tmp_path: Path, raw: dict[str, Any], changes: dict[str, object]) -> Path:
    data = copy.deepcopy(raw)
    for dotted, value in changes.items():
        set_path(data, dotted, value)
    path = tmp_path / "fleet.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    shutil.copy(SOURCES_FILE, tmp_path / "SOURCES.md")
    return path


# --- the shipped file -----------------------------------------------------------------
def test_shipped_file_loads_with_expected_stock(fleet_def: FleetDefinition) -> None:
    assert fleet_def.base_year == BASE
    stocks = {f: fleet_def.fleet(f).stock for f in FLEETS}
    assert stocks == {"bus": 1200, "taxi": 4500, "truck": 50000, "ship": 300}
    assert fleet_def.fleet("ship").class_stock() == {
        "ferry": 135, "tourist": 75, "cargo": 60, "official": 30,
    }


def test_base_mix_is_consistent_with_parameters(fleet_def: FleetDefinition) -> None:
    # SOURCES.md S-bus-stock: >= 95 % NEV or clean fuel -> diesel <= 5 %
    bus = fleet_def.fleet("bus").powertrain_shares
    assert bus["diesel"] <= 0.05
    assert bus["bev"] == pytest.approx(0.751, abs=1e-3)
    for fleet in FLEETS:
        assert sum(fleet_def.fleet(fleet).powertrain_shares.values()) == pytest.approx(1.0)


def test_road_energy_table_maps_groups_to_classes(fleet_def: FleetDefinition) -> None:
    spec = fleet_def.spec("bus", "standard", "diesel")  # 38 urban / 30 highway L/100 km
    lhv = lower_heating_value_kwh("diesel")
    assert spec.carrier == "diesel"
    assert spec.kwh_per_km("local") == pytest.approx(0.38 * lhv)
    assert spec.kwh_per_km("arterial") == pytest.approx(0.38 * lhv)
    assert spec.kwh_per_km("expressway") == pytest.approx(0.30 * lhv)
    assert spec.kwh_per_km("provincial") == pytest.approx(0.34 * lhv)  # mean of the two
    assert spec.kwh_per_km("water") == 0.0
    assert len(spec.kwh_per_km_by_class) == len(ROAD_CLASSES)
    assert spec.carrier_per_km_by_class()[ROAD_CLASSES.index("local")] == pytest.approx(0.38)


def test_hybrid_carrier_depends_on_fleet(fleet_def: FleetDefinition) -> None:
    assert fleet_def.spec("bus", "standard", "hybrid").carrier == "diesel"
    assert fleet_def.spec("taxi", "cruising", "hybrid").carrier == "petrol"
    assert fleet_def.spec("truck", "heavy_tractor", "fcev").carrier == "hydrogen"


def test_bev_specs_from_parameters(fleet_def: FleetDefinition) -> None:
    tractor = fleet_def.spec("truck", "heavy_tractor", "bev")
    assert tractor.battery_kwh == 282.0  # SOURCES.md S-tractor-bev
    assert 1.3 <= tractor.kwh_per_km("expressway") <= 1.8
    assert tractor.is_bev
    assert tractor.is_nev
    assert tractor.payload_t == 30.0
    taxi = fleet_def.spec("taxi", "cruising", "bev")
    assert 0.14 <= taxi.kwh_per_km("local") <= 0.17  # SOURCES.md S-taxi-energy


def test_ship_energy_follows_the_propeller_law(fleet_def: FleetDefinition) -> None:
    boat = fleet_def.spec("ship", "tourist", "bev")
    assert boat.battery_kwh == 293.9
    assert boat.kwh_per_km_at_reference == pytest.approx(7.5)
    service = fleet_def.fleet("ship").classes["tourist"].service_speed_kph
    assert boat.kwh_per_km("water") == pytest.approx(7.5 * (service / 15.0) ** 2)
    assert ship_kwh_per_km(boat, 30.0) == pytest.approx(4 * ship_kwh_per_km(boat, 15.0))
    assert all(boat.kwh_per_km(c) == 0.0 for c in ROAD_CLASSES if c != "water")
    # SOURCES.md S-e-boat-small: >= 33 km range at >= 15 km/h on 293.9 kWh
    assert 293.9 / ship_kwh_per_km(boat, 15.0) >= 33.0
    assert boat.max_speed_kph == service


def test_diesel_cargo_boat_from_tonne_km_factor(fleet_def: FleetDefinition) -> None:
    # SOURCES.md S-freight-tkm-co2: cargo ships 0.012-0.019 kg CO2/tkm
    boat = fleet_def.spec("ship", "cargo", "diesel")
    litres_per_km = boat.kwh_per_km_at_reference / lower_heating_value_kwh("diesel")
    kg_per_tkm = litres_per_km * 2.604 / (boat.payload_t * boat.load_factor)
    assert 0.012 <= kg_per_tkm <= 0.019


def test_operation_tables(fleet_def: FleetDefinition) -> None:
    bus = fleet_def.fleet("bus").operation
    assert bus.service_start_h < bus.service_end_h
    assert bus.daily_km == 180.0  # SOURCES.md S-bus-daily-km
    taxi = fleet_def.fleet("taxi").operation
    assert taxi.trips_per_taxi_per_day == 24.0
    assert sum(taxi.hourly_demand_profile) == pytest.approx(1.0)
    assert len(taxi.hourly_demand_profile) == 24
    truck = fleet_def.fleet("truck").operation
    assert sum(truck.hourly_departure_profile) == pytest.approx(1.0)
    holiday = {f: fleet_def.fleet(f).holiday_activity_factor for f in FLEETS}
    assert holiday == {"bus": 1.1, "taxi": 1.3, "truck": 0.6, "ship": 2.5}


def test_freight_section(fleet_def: FleetDefinition) -> None:
    fr = fleet_def.freight
    assert 60e6 <= fr.road_tonnage_t_per_year <= 90e6  # SOURCES.md S-shiyan-freight
    assert 0.03 <= fr.base_rail_share <= 0.06
    assert fr.total_tonnage_t_per_year == pytest.approx(75e6 / 0.95)
    assert not hasattr(fr, "od_shares")  # one home: the calibration file's [freight_od]
    assert set(fr.class_tonnage_shares) == set(fleet_def.fleet("truck").classes)


def test_every_number_reports_a_source(fleet_def: FleetDefinition, raw: dict[str, Any]) -> None:
    def leaves(table: dict[str, Any], prefix: str) -> list[str]:
        out = []
        for key, value in table.items():
            dotted = f"{prefix}.{key}"
            if key == "sources":
                continue
            if isinstance(value, dict) and not all(str(k).isdigit() for k in value):
                out += leaves(value, dotted)
            elif isinstance(value, (int, float, list, dict)) and not isinstance(value, bool):
                out.append(dotted)
        return out

    for section in (*FLEETS, "freight", "passenger"):
        for dotted in leaves(raw[section], section):
            assert fleet_def.source_of(dotted), dotted
    assert fleet_def.source_of("truck.classes.heavy_tractor.powertrains.bev.battery_kwh") == (
        "SOURCES.md S-tractor-bev: packs 141 or 282 kWh"
    )


# --- base-year stock ------------------------------------------------------------------
def test_initial_stock_adds_up_exactly(fleet_def: FleetDefinition) -> None:
    stock = initial_stock(fleet_def)
    assert stock.year == BASE
    for fleet in FLEETS:
        spec = fleet_def.fleet(fleet)
        assert stock.total(fleet) == spec.stock
        for cname, n in spec.class_stock().items():
            assert stock.total(fleet, cname) == n


def test_initial_stock_ages_respect_lifetimes(fleet_def: FleetDefinition) -> None:
    stock = initial_stock(fleet_def)
    for key, n in stock.counts.items():
        assert n > 0
        age = fleet_def.spec(key.fleet, key.size_class, key.powertrain).age
        assert 0 <= BASE - key.vintage < age.max_age_years, key


def test_initial_stock_is_deterministic(fleet_def: FleetDefinition) -> None:
    import numpy as np

    a = initial_stock(fleet_def)
    b = initial_stock(fleet_def, np.random.default_rng(1))
    assert a == b


def test_initial_stock_frame_has_old_diesel_trucks(fleet_def: FleetDefinition) -> None:
    frame = initial_stock(fleet_def).to_frame()
    old = frame[(frame.fleet == "truck") & (frame.powertrain == "diesel")
                & frame.standard.isin(["china2", "china3"])]
    share = old.vehicles.sum() / frame[frame.fleet == "truck"].vehicles.sum()
    assert 0.02 < share < 0.25
    assert (frame[frame.powertrain == "bev"].standard == "zev").all()


def test_purchase_history_shapes_age(fleet_def: FleetDefinition) -> None:
    frame = initial_stock(fleet_def).to_frame()
    bus = frame[frame.fleet == "bus"]
    mean_age = bus.groupby("powertrain").apply(
        lambda d: (d.age_years * d.vehicles).sum() / d.vehicles.sum(), include_groups=False
    )
    assert mean_age["bev"] < mean_age["hybrid"] < mean_age["diesel"]
    assert bus[bus.powertrain == "diesel"].vintage.max() <= 2015


@given(
    st.lists(st.floats(min_value=0.0, max_value=1e4, allow_nan=False), min_size=1, max_size=30)
)
def test_largest_remainder_conserves_the_total(values: list[float]) -> None:
    total = math.floor(sum(values) + 0.5)
    counts = largest_remainder(values, total)
    assert sum(counts) == total
    for v, c in zip(values, counts, strict=True):
        assert math.floor(v) <= c <= math.floor(v) + 1


# --- overrides ------------------------------------------------------------------------
def test_overrides_are_deep_merged(fleet_def: FleetDefinition) -> None:
    over = {
        "bus": {
            "stock": 1500,
            "classes": {"midi": {"powertrains": {"bev": {"battery_kwh": 150.0}}}},
        },
        "truck": {"classes": {"light": {"nev_share_of_new": {"2024": 0.1, "2026": 0.8}}}},
    }
    merged = load_fleets(FLEET_FILE, over)
    assert merged.fleet("bus").stock == 1500
    assert merged.spec("bus", "midi", "bev").battery_kwh == 150.0
    original = fleet_def.spec("bus", "midi", "bev")
    assert merged.spec("bus", "midi", "bev").max_charge_kw == original.max_charge_kw
    curve = merged.fleet("truck").classes["light"].nev_share_of_new
    assert curve is not None
    assert curve.at(2025) == pytest.approx(0.45)
    assert merged.source_of("bus.stock") == "fleet_overrides"
    assert fleet_def.fleet("truck").classes["light"].nev_share_of_new is None


def test_override_error_names_the_override() -> None:
    with pytest.raises(FleetError, match=r"with fleet_overrides.*bus\.stock = -3"):
        load_fleets(FLEET_FILE, {"bus": {"stock": -3}})


# --- validation errors ----------------------------------------------------------------
ERROR_CASES = [
    ({"bus.stock": 0}, "bus.stock = 0", "zero vehicles"),
    ({"bus.stok": 5}, "bus.stok = 5", "unknown key"),
    ({"plane": {"stock": 3}}, "plane = ", "unknown section or fleet"),
    (
        {"bus.classes.standard.powertrain_shares": {"bev": 0.5, "steam": 0.5}},
        "bus.classes.standard.powertrain_shares.steam", "accepted: diesel, cng, lng, hybrid",
    ),
    (
        {"truck.classes.light.powertrain_shares": {"diesel": 0.5, "hybrid": 0.5}},
        "truck.classes.light.powertrain_shares.hybrid", "unknown name",
    ),
    (
        {"bus.classes.standard.powertrain_shares": {"bev": 0.5, "diesel": 0.4}},
        "bus.classes.standard.powertrain_shares", "must sum to 1",
    ),
    (
        {"bus.classes.standard.powertrain_shares": {"bev": 1.5, "diesel": -0.5}},
        "bus.classes.standard.powertrain_shares.bev", "[0, 1]",
    ),
    ({"bus.classes.midi.share": 0.2}, "bus.classes", "must sum to 1"),
    ({"bus.classes.midi.share": 1.2}, "bus.classes.midi.share", "[0, 1]"),
    (
        {"bus.classes.standard.powertrains.diesel.tank_l": -10.0},
        "bus.classes.standard.powertrains.diesel.tank_l = -10.0", "must not be negative",
    ),
    (
        {"bus.classes.standard.powertrains.bev.battery_kwh": 0.0},
        "bus.classes.standard.powertrains.bev.battery_kwh", "must be > 0",
    ),
    (
        {"bus.classes.standard.powertrains.bev.l_per_100km": 30.0},
        "bus.classes.standard.powertrains.bev", "give exactly one energy figure",
    ),
    (
        {"bus.classes.standard.powertrains.cng": DELETE},
        "bus.classes.standard.powertrains.cng", "needs a spec table",
    ),
    (
        {"bus.classes.standard.powertrains.bev.kwh_per_km": {"urban": 1.2, "motorway": 1.0}},
        "bus.classes.standard.powertrains.bev.kwh_per_km.motorway", "unknown road class",
    ),
    (
        {"taxi.operation.hourly_demand_profile": [1.0] * 23},
        "taxi.operation.hourly_demand_profile", "24 non-negative numbers",
    ),
    (
        {"bus.age.purchases_by_vintage": {"1990": 1.0, "2000": 1.0}},
        "bus.age.purchases_by_vintage", "no purchases in the vintages still in service",
    ),
    ({"bus.sources.stock": DELETE}, "bus.stock = 1200", "number without a source"),
    ({"bus.sources.stock": "somebody said so"}, "bus.sources.stock", "must be text starting"),
    ({"bus.sources.stockk": "estimate: x"}, "bus.sources.stockk", "names no field"),
    (
        {"bus.sources.stock": "SOURCES.md S-no-such-entry: 1,200"},
        "bus.sources.stock = 'S-no-such-entry'", "has no heading of that name",
    ),
    (
        {"bus.sources.max_speed_kph": "estimate: governed (SOURCES.md S-bus-estimatess)"},
        "bus.sources.max_speed_kph = 'S-bus-estimatess'", "has no heading of that name",
    ),
    ({"ship": DELETE}, "ship = None", "missing [ship] section"),
]


@pytest.mark.parametrize(("changes", "field", "problem"), ERROR_CASES)
def test_invalid_fleet_files_fail_on_one_line(
    tmp_path: Path, raw: dict[str, Any], changes: dict[str, object], field: str, problem: str
) -> None:
    path = write_variant(tmp_path, raw, changes)
    with pytest.raises(FleetError) as info:
        load_fleets(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert field in message
    assert problem in message


SOURCE_ID = re.compile(r"(?<![\w-])S-[a-z0-9]+(?:-[a-z0-9]+)*")
#: Files that cite SOURCES.md entries (fleet file, scenarios, code and network notes).
CITING_FILES = (
    *sorted((REPO / "fleets").glob("*.toml")),
    *sorted((REPO / "experiments").glob("*.toml")),
    REPO / "fleets" / "README.md",
    REPO / "transport_sim" / "fleets" / "factors.py",
    REPO / "networks" / "PROVENANCE.md",
    REPO / "transport_sim" / "scenario" / "settings.py",
)


def source_headings() -> list[str]:
    lines = SOURCES_FILE.read_text(encoding="utf-8").splitlines()
    return [
        line[4:].strip() for line in lines
        if line.startswith("### ") and SOURCE_ID.fullmatch(line[4:].strip())
    ]


def test_sources_file_ids_are_cited_and_exist() -> None:
    headings = source_headings()
    assert len(headings) == len(set(headings)), "duplicate SOURCES.md heading"
    cited: dict[str, set[str]] = {}
    for path in CITING_FILES:
        for sid in SOURCE_ID.findall(path.read_text(encoding="utf-8")):
            cited.setdefault(sid, set()).add(path.name)
    in_scenarios = {
        sid for sid, files in cited.items()
        if files & {FLEET_FILE.name, *(p.name for p in (REPO / "experiments").glob("*.toml"))}
    }
    assert in_scenarios, "no SOURCES.md id cited in the fleet and scenario files"
    unknown = sorted(set(cited) - set(headings))
    assert not unknown, f"cited but not in SOURCES.md: {unknown}"
    uncited = sorted(set(headings) - set(cited))
    assert not uncited, f"SOURCES.md entries cited nowhere: {uncited}"


def test_every_source_text_of_the_shipped_file_cites_an_entry(raw: dict[str, Any]) -> None:
    headings = set(source_headings())
    for section in (*FLEETS, "freight", "passenger"):
        for key, text in raw[section]["sources"].items():
            ids = SOURCE_ID.findall(text)
            assert ids, f"{section}.sources.{key} cites no SOURCES.md entry"
            assert set(ids) <= headings, (section, key, ids)
    for path in (REPO / "experiments").glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        assert "parameters.md" not in text, path.name
        assert "/work/" not in text, path.name


def test_cited_id_needs_the_sources_file(tmp_path: Path, raw: dict[str, Any]) -> None:
    path = write_variant(tmp_path, raw, {})
    load_fleets(path)
    (tmp_path / "SOURCES.md").unlink()
    with pytest.raises(FleetError, match=r"SOURCES\.md cannot be read") as info:
        load_fleets(path)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(str(path))


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="file not found"):
        load_fleets(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[bus\nstock = 3", encoding="utf-8")
    with pytest.raises(FleetError, match="malformed TOML"):
        load_fleets(bad)
