"""Emission factors against their sources, carrier conversions, standards, pollutants, rail.

Expected numbers are typed in from the sources in fleets/SOURCES.md (entry cited at
each test) and compared to 3 significant figures.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from transport_sim.errors import FleetError
from transport_sim.fleets import factors as energy
from transport_sim.scenario.settings import EMISSION_STANDARDS, Scenario, scenario_from_dict

REPO = Path(__file__).resolve().parents[2]
FLEET_FILE = REPO / "fleets" / "shiyan.toml"


def sig3(value: float) -> float:
    """Round to 3 significant figures."""
    return float(f"{value:.3g}")


def make_scenario(tmp_path: Path, **sections: object) -> Scenario:
    network = tmp_path / "network.osm"
    network.write_text("<osm/>", encoding="utf-8")
    data = {
        "scenario": {"name": "t", "network": str(network), "fleet_file": str(FLEET_FILE)},
        **sections,
    }
    return scenario_from_dict(data)


# --- tank-to-wheel factors: SOURCES.md (fuel emission factors) --------------------------
def test_diesel_factor_matches_gbt51366() -> None:
    # SOURCES.md: 'diesel': 3.10 kg CO2/kg ~ 2.60 kg/L (0.84 kg/L)
    assert sig3(energy.co2_ttw_kg_per_unit("diesel")) == 2.60
    assert sig3(energy.co2_ttw_kg_per_unit("diesel") / 0.84) == 3.10


def test_petrol_factor_matches_gbt51366() -> None:
    # SOURCES.md: 'petrol': 2.93 kg CO2/kg ~ 2.14 kg/L
    assert sig3(energy.co2_ttw_kg_per_unit("petrol")) == 2.14
    density = energy.CONSTANTS["petrol_density_kg_per_l"].value
    assert sig3(energy.co2_ttw_kg_per_unit("petrol") / density) == 2.93


@pytest.mark.parametrize("carrier", ["cng", "lng"])
def test_natural_gas_factor_matches_gbt51366(carrier: str) -> None:
    # SOURCES.md: 'natural gas': 2.16 kg CO2/Nm3 (~2.75 kg/kg)
    assert sig3(energy.co2_ttw_kg_per_unit(carrier)) == 2.75
    density = energy.CONSTANTS["natural_gas_density_kg_per_nm3"].value
    assert sig3(energy.co2_ttw_kg_per_unit(carrier) * density) == 2.16


@pytest.mark.parametrize("carrier", ["electricity", "hydrogen"])
def test_no_tailpipe_co2_for_electricity_and_hydrogen(carrier: str) -> None:
    assert energy.co2_ttw_kg(carrier, 123.0) == 0.0


def test_ttw_scales_with_amount_and_arrays() -> None:
    amounts = np.array([0.0, 1.0, 10.0])
    out = energy.co2_ttw_kg("diesel", amounts)
    np.testing.assert_allclose(out, amounts * 3.10 * 0.84)


# --- lower heating values and conversions ---------------------------------------------
def test_lower_heating_values() -> None:
    # GB/T 2589-2020: diesel 42 652 kJ/kg x 0.84 kg/L; petrol 43 070 kJ/kg x 0.73 kg/L;
    # natural gas 38 931 kJ/Nm3 / 0.785 kg/Nm3; hydrogen 120 MJ/kg
    assert sig3(energy.lower_heating_value_kwh("diesel")) == 9.95
    assert sig3(energy.lower_heating_value_kwh("petrol")) == 8.73
    assert sig3(energy.lower_heating_value_kwh("cng")) == 13.8
    assert sig3(energy.lower_heating_value_kwh("hydrogen")) == 33.3
    assert energy.lower_heating_value_kwh("electricity") == 1.0


@pytest.mark.parametrize("carrier", ["diesel", "petrol", "cng", "lng", "electricity", "hydrogen"])
def test_carrier_conversion_round_trip(carrier: str) -> None:
    energy_kwh = np.array([0.0, 1.0, 250.0])
    amount = energy.carrier_amount_from_kwh(carrier, energy_kwh)
    np.testing.assert_allclose(energy.carrier_kwh_from_amount(carrier, amount), energy_kwh)


def test_diesel_bus_energy_converts_to_litres() -> None:
    # SOURCES.md: 'diesel bus' 35-45 L/100 km: 40 L/100 km is ~398 kWh/100 km
    litres = energy.carrier_amount_from_kwh("diesel", 398.1)
    assert litres == pytest.approx(40.0, rel=1e-3)


def test_unknown_carrier_is_a_fleet_error() -> None:
    with pytest.raises(FleetError, match="carrier = 'coal'"):
        energy.co2_ttw_kg("coal", 1.0)


# --- well-to-wheel --------------------------------------------------------------------
def test_grid_default_is_hubei_2023(tmp_path: Path) -> None:
    # SOURCES.md: 'grid, Hubei province 2023': 0.4044 kg/kWh
    scen = make_scenario(tmp_path)
    assert energy.grid_co2_kg_per_kwh(2023, scen) == pytest.approx(0.4044)
    # at the plug: plus the transmission and distribution losses (SOURCES.md S-grid-td-loss)
    assert energy.co2_wtw_kg("electricity", 1.0, 2023, scen) == pytest.approx(0.4044 / 0.95)
    assert energy.co2_ttw_kg("electricity", 1.0) == 0.0


def test_electricity_wtw_follows_the_grid_curve(tmp_path: Path) -> None:
    scen = make_scenario(tmp_path, grid={"co2_kg_per_kwh": {2024: 0.40, 2030: 0.28}})
    td = 1.0 - energy.CONSTANTS["grid_td_loss_share"].value
    assert energy.co2_wtw_kg("electricity", 100.0, 2024, scen) == pytest.approx(40.0 / td)
    assert energy.co2_wtw_kg("electricity", 100.0, 2027, scen) == pytest.approx(34.0 / td)
    assert energy.co2_wtw_kg("electricity", 100.0, 2035, scen) == pytest.approx(28.0 / td)


@pytest.mark.parametrize(
    ("carrier", "share"), [("diesel", 0.20), ("petrol", 0.20), ("cng", 0.18), ("lng", 0.25)]
)
def test_fuel_wtw_adds_upstream_share(tmp_path: Path, carrier: str, share: float) -> None:
    scen = make_scenario(tmp_path)
    ttw = energy.co2_ttw_kg(carrier, 10.0)
    assert energy.co2_wtw_kg(carrier, 10.0, 2030, scen) == pytest.approx(ttw * (1 + share))


@pytest.mark.parametrize(
    ("pathway", "expected"),
    [
        ("smr", 11.3),  # SOURCES.md: 'hydrogen': steam reforming ~11.3
        ("clean", 4.9),  # SOURCES.md: 'hydrogen': clean <= 4.9 (T/CAB 0078-2020)
        ("grid_electrolysis", 23.4),  # 55 kWh/kg x 0.4044 / (1 - 5 % T&D loss) ~ 23
    ],
)
def test_hydrogen_pathways(tmp_path: Path, pathway: str, expected: float) -> None:
    scen = make_scenario(tmp_path, hydrogen={"pathway_mix": {pathway: 1.0}})
    assert sig3(energy.hydrogen_wtw_kg_per_kg(2023, scen)) == expected


def test_coal_hydrogen_within_published_range(tmp_path: Path) -> None:
    # SOURCES.md: 'hydrogen': coal 20-29
    scen = make_scenario(tmp_path, hydrogen={"pathway_mix": {"coal": 1.0}})
    assert 20.0 <= energy.hydrogen_wtw_kg_per_kg(2030, scen) <= 29.0


def test_hydrogen_mix_is_share_weighted_and_follows_grid(tmp_path: Path) -> None:
    scen = make_scenario(
        tmp_path,
        grid={"co2_kg_per_kwh": {2024: 0.40, 2030: 0.20}},
        hydrogen={"pathway_mix": {"smr": 0.5, "grid_electrolysis": 0.5}},
    )
    td = 1.0 - energy.CONSTANTS["grid_td_loss_share"].value
    assert energy.hydrogen_wtw_kg_per_kg(2030, scen) == pytest.approx(
        0.5 * 11.3 + 0.5 * 55 * 0.20 / td)
    per_kg = energy.co2_wtw_kg("hydrogen", 2.0, 2024, scen)
    assert per_kg == pytest.approx(2.0 * (0.5 * 11.3 + 0.5 * 55 * 0.40 / td))


# --- rail -----------------------------------------------------------------------------
def test_rail_factors_match_gbt51366_at_the_basis_grid(tmp_path: Path) -> None:
    # SOURCES.md: 'freight per tonne-km': rail 0.010 (electric) / 0.011 (diesel)
    basis = energy.CONSTANTS["rail_factor_grid_basis_kg_per_kwh"].value
    scen = make_scenario(tmp_path, grid={"co2_kg_per_kwh": basis})
    electric = energy.rail_freight(1e6, 2030, scen, electric_share=1.0)
    diesel = energy.rail_freight(1e6, 2030, scen, electric_share=0.0)
    # GB/T 51366's 0.010 counts generated kWh; at the plug the T&D losses are added
    td = 1.0 - energy.CONSTANTS["grid_td_loss_share"].value
    assert electric.co2_wtw_kg / 1e6 == pytest.approx(0.0100 / td, rel=1e-3)
    assert electric.co2_ttw_kg == 0.0
    assert sig3(diesel.co2_ttw_kg / 1e6) == 0.0110
    assert diesel.co2_wtw_kg == pytest.approx(diesel.co2_ttw_kg * 1.20)


def test_rail_wtw_follows_the_grid(tmp_path: Path) -> None:
    clean = make_scenario(tmp_path, grid={"co2_kg_per_kwh": 0.1})
    dirty = make_scenario(tmp_path, grid={"co2_kg_per_kwh": 0.6})
    a = energy.rail_freight(1e6, 2030, clean, electric_share=1.0)
    b = energy.rail_freight(1e6, 2030, dirty, electric_share=1.0)
    assert a.electricity_kwh == pytest.approx(b.electricity_kwh)
    assert b.co2_wtw_kg == pytest.approx(6.0 * a.co2_wtw_kg)


def test_rail_default_electric_share_splits_tkm(tmp_path: Path) -> None:
    scen = make_scenario(tmp_path)
    out = energy.rail_freight(1000.0, 2025, scen)
    tkm_e = out.electricity_kwh / energy.rail_kwh_per_tkm()
    tkm_d = out.diesel_l / energy.rail_diesel_l_per_tkm()
    assert tkm_e + tkm_d == pytest.approx(1000.0)
    assert tkm_e == pytest.approx(950.0)


def test_rail_rejects_share_outside_unit_interval(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="electric_share"):
        energy.rail_freight(1.0, 2025, make_scenario(tmp_path), electric_share=1.5)


# --- emission standards ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("vintage", "fleet", "size_class", "expected"),
    [
        (2007, "truck", "heavy_tractor", "china2"),
        (2008, "truck", "heavy_tractor", "china3"),  # China III 2008-01
        (2012, "truck", "rigid", "china3"),
        (2013, "truck", "heavy_tractor", "china4"),  # China IV 2013-07
        (2016, "truck", "heavy_tractor", "china4"),
        (2017, "truck", "heavy_tractor", "china5"),  # China V 2017-07
        (2020, "truck", "heavy_tractor", "china5"),
        (2021, "truck", "heavy_tractor", "china6"),  # China VI-a 2021-07
        (2014, "truck", "light", "china3"),  # light diesel IV 2015-01
        (2015, "truck", "light", "china4"),
        (2018, "truck", "light", "china5"),
        (2020, "truck", "light", "china6"),
        (2020, "bus", "standard", "china6"),  # urban HDVs VI-a 2020-07
        (2016, "taxi", "cruising", "china4"),
        (2017, "taxi", "cruising", "china5"),
        (2017, "ship", "ferry", "ship_pre"),
        (2019, "ship", "ferry", "ship_stage1"),
        (2024, "ship", "ferry", "ship_stage2"),
    ],
)
def test_emission_standard_of_vintage(
    vintage: int, fleet: str, size_class: str, expected: str
) -> None:
    assert energy.emission_standard(vintage, fleet, size_class) == expected


@pytest.mark.parametrize("powertrain", ["bev", "fcev"])
def test_zero_emission_vehicles_have_no_standard(powertrain: str) -> None:
    assert energy.emission_standard(2010, "truck", "heavy_tractor", powertrain) == "zev"


def test_standard_rank_orders_road_standards_only() -> None:
    ranks = [energy.standard_rank(s) for s in EMISSION_STANDARDS]
    assert ranks == sorted(ranks)
    assert energy.standard_rank("zev") > max(ranks)
    assert energy.standard_rank("ship_pre") > max(ranks)


# --- pollutants: parameters.md 'Pollutants (heavy diesel)' ----------------------------
@pytest.mark.parametrize(
    ("standard", "nox_range", "pm"),
    [
        ("china3", (9.0, 12.0), 0.19),
        ("china4", (8.0, 11.0), 0.085),
        ("china5", (6.0, 9.0), 0.03),
        ("china6", (0.5, 2.0), 0.01),
    ],
)
def test_heavy_tractor_pollutants_match_table(
    standard: str, nox_range: tuple[float, float], pm: float
) -> None:
    nox, pm25 = energy.nox_pm_g_per_km(standard, "truck", "heavy_tractor")
    assert nox == pytest.approx(sum(nox_range) / 2)  # midpoint of the real-world range
    assert sig3(pm25) == pm


def test_pollutants_fall_with_each_standard() -> None:
    values = [energy.nox_pm_g_per_km(s, "truck", "heavy_tractor") for s in EMISSION_STANDARDS]
    assert all(a[0] >= b[0] and a[1] > b[1] for a, b in itertools.pairwise(values))


def test_light_trucks_emit_less_per_km_than_tractors() -> None:
    heavy = energy.nox_pm_g_per_km("china4", "truck", "heavy_tractor")
    light = energy.nox_pm_g_per_km("china4", "truck", "light")
    assert light[0] == pytest.approx(heavy[0] * 13.25 / 34.0, rel=0.01)


def test_pollutants_only_for_diesel_road_fleets() -> None:
    with pytest.raises(FleetError, match="fleet = 'taxi'"):
        energy.nox_pm_g_per_km("china5", "taxi", "cruising")
    with pytest.raises(FleetError, match="standard = 'euro5'"):
        energy.nox_pm_g_per_km("euro5", "truck", "light")


# --- provenance -----------------------------------------------------------------------
def test_every_constant_has_a_source() -> None:
    prefixes = ("SOURCES.md", "estimate:", "derived:", "GB/T", "standard value")
    for name, const in energy.CONSTANTS.items():
        assert const.source.startswith(prefixes), name
        assert const.unit, name
