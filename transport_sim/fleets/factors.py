"""Energy carriers, CO2 emission factors, emission standards and pollutants.

Pure functions over the constant tables at the top of this module.  Every constant
carries its source: an entry of ``fleets/SOURCES.md`` (quoted as "SOURCES.md S-<id>"),
a named standard, or ``estimate:`` with the reasoning.

Conventions
-----------
* Carrier amounts are in the unit of :data:`transport_sim.codes.CARRIER_UNITS`:
  diesel and petrol in litres, CNG, LNG and hydrogen in kg, electricity in kWh.
* Energy is *final* energy: the lower heating value of the fuel burnt, or the kWh
  drawn from the grid (at the plug, charger losses included).
* Tank-to-wheel (TTW) CO2 is what leaves the exhaust; well-to-wheel (WTW) adds the
  upstream (well-to-tank) part: for fuels ``TTW * (1 + upstream share)``, for
  electricity the grid factor of the year divided by ``1 - T&D loss`` (the grid factor
  is per kWh generated), for hydrogen the production pathway mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.codes import CARRIER_UNITS, FLEETS
from transport_sim.errors import FleetError, describe
from transport_sim.scenario.settings import EMISSION_STANDARDS, HYDROGEN_PATHWAYS
from transport_sim.units import MJ_PER_KWH

if TYPE_CHECKING:
    from collections.abc import Mapping

    from transport_sim.scenario.settings import Scenario


@dataclass(frozen=True)
class Constant:
    """One sourced constant: value, unit and where it comes from."""

    value: float
    unit: str
    source: str


# ======================================================================================
# THE constants table.  Change numbers here only; everything below derives from it.
# ======================================================================================
CONSTANTS: Mapping[str, Constant] = MappingProxyType(
    {
        # --- fuel properties -------------------------------------------------------------
        "diesel_density_kg_per_l": Constant(
            0.84, "kg/L", "SOURCES.md S-fuel-co2: 3.10 kg CO2/kg ~ 2.60 kg/L (0.84 kg/L)"
        ),
        "diesel_lhv_mj_per_kg": Constant(
            42.652, "MJ/kg",
            "GB/T 2589-2020 (综合能耗计算通则) App. A: diesel 42 652 kJ/kg (SOURCES.md S-fuel-lhv)",
        ),
        "petrol_density_kg_per_l": Constant(
            0.73, "kg/L",
            "derived: SOURCES.md S-fuel-co2 2.14 kg/L / 2.93 kg/kg = 0.730 kg/L",
        ),
        "petrol_lhv_mj_per_kg": Constant(
            43.070, "MJ/kg", "GB/T 2589-2020 App. A: petrol 43 070 kJ/kg (SOURCES.md S-fuel-lhv)"
        ),
        "natural_gas_density_kg_per_nm3": Constant(
            2.16 / 2.75, "kg/Nm3",
            "derived: SOURCES.md S-fuel-co2 2.16 kg CO2/Nm3 / 2.75 kg CO2/kg",
        ),
        "natural_gas_lhv_mj_per_nm3": Constant(
            38.931, "MJ/Nm3",
            "GB/T 2589-2020 App. A: natural gas 38 931 kJ/m3 (SOURCES.md S-fuel-lhv)",
        ),
        "hydrogen_lhv_mj_per_kg": Constant(
            120.0, "MJ/kg",
            "standard value (lower heating value of H2, 119.96 MJ/kg) (SOURCES.md S-fuel-lhv)",
        ),
        # --- tank-to-wheel CO2 -----------------------------------------------------------
        "diesel_co2_kg_per_kg": Constant(3.10, "kg CO2/kg", "SOURCES.md S-fuel-co2"),
        "petrol_co2_kg_per_kg": Constant(2.93, "kg CO2/kg", "SOURCES.md S-fuel-co2"),
        "natural_gas_co2_kg_per_nm3": Constant(
            2.16, "kg CO2/Nm3", "SOURCES.md S-fuel-co2 (~2.75 kg/kg)"
        ),
        # --- upstream (well-to-tank) as a share of tank-to-wheel CO2 ---------------------
        "diesel_upstream_share": Constant(
            0.20, "1",
            "estimate: WTT ~15-24 % of TTW for oil products (FuelsEurope WTW 15/85; "
            "DEFRA 2025 diesel WTT 0.61 of ~2.6 kg/L); upper side for coal-heavy Chinese "
            "refinery power",
        ),
        "petrol_upstream_share": Constant(
            0.20, "1", "estimate: as diesel (same refinery chain)"
        ),
        "cng_upstream_share": Constant(
            0.18, "1",
            "estimate: DEFRA 2025 natural gas WTT/TTW = 0.337/2.067 = 0.163, plus "
            "compression to 20 MPa with grid power",
        ),
        "lng_upstream_share": Constant(
            0.25, "1",
            "estimate: pipeline-gas upstream 0.16 plus liquefaction (~8-10 % of the energy)",
        ),
        # --- electricity: transmission and distribution losses ---------------------------
        "grid_td_loss_share": Constant(
            0.05, "1",
            "SOURCES.md S-grid-td-loss: China line-loss rate ~4.5-5.5 % in recent years "
            "(6.6 % in 2008); the grid factor counts CO2 per kWh generated, a kWh drawn at "
            "a charger needs 1/(1 - loss) kWh generated",
        ),
        # --- hydrogen production pathways (WTW kg CO2 per kg H2) -------------------------
        "hydrogen_smr_co2_kg_per_kg": Constant(
            11.3, "kg CO2/kg H2", "SOURCES.md S-hydrogen-co2: steam reforming ~11.3"
        ),
        "hydrogen_coal_co2_kg_per_kg": Constant(
            24.5, "kg CO2/kg H2",
            "SOURCES.md S-hydrogen-co2: coal 20-29 -> midpoint 24.5 (no CCS)",
        ),
        "hydrogen_electrolysis_kwh_per_kg": Constant(
            55.0, "kWh/kg H2",
            "SOURCES.md S-hydrogen-co2: grid electrolysis 55 kWh/kg x the year's grid factor",
        ),
        "hydrogen_clean_co2_kg_per_kg": Constant(
            4.9, "kg CO2/kg H2",
            "SOURCES.md S-hydrogen-co2: 'clean' <= 4.9 (T/CAB 0078-2020 threshold; the "
            "threshold itself is used, a conservative upper bound)",
        ),
        # --- rail freight (GB/T 51366-2019 App. E) ---------------------------------------
        "rail_electric_co2_kg_per_tkm": Constant(
            0.010, "kg CO2/tkm", "SOURCES.md S-freight-tkm-co2: rail 0.010 (electric)"
        ),
        "rail_diesel_co2_kg_per_tkm": Constant(
            0.011, "kg CO2/tkm", "SOURCES.md S-freight-tkm-co2: rail 0.011 (diesel)"
        ),
        "rail_factor_grid_basis_kg_per_kwh": Constant(
            0.5568, "kg CO2/kWh",
            "estimate: the grid factor behind the GB/T 51366-2019 electric-rail value is "
            "taken as the national average 2021 (SOURCES.md S-grid-co2), "
            "giving 0.010/0.5568 = 0.0180 kWh/tkm (China electric freight traction is "
            "~0.015-0.02 kWh per net tkm)",
        ),
        "rail_electric_share": Constant(
            0.95, "1",
            "estimate: Xiangyu railway is electrified (SOURCES.md S-rail-lines); 5 % "
            "diesel for shunting and industrial sidings (Dongfeng, logistics hub)",
        ),
        # --- pollutant scaling -----------------------------------------------------------
        "reference_tractor_diesel_l_per_100km": Constant(
            34.0, "L/100 km",
            "SOURCES.md S-tractor-diesel 30-38 L/100 km -> midpoint; the "
            "real-world NOx/PM rows refer to this heavy diesel class",
        ),
        # --- emission standards older than China III -------------------------------------
        "china2_nox_g_per_km": Constant(
            12.0, "g/km",
            "estimate: top of the China III range (9-12); pre-III engines had lower "
            "injection pressure, so NOx stays near III while PM rises",
        ),
        "china2_pm25_g_per_km": Constant(
            0.285, "g/km",
            "estimate: China III 0.19 g/km x PM limit ratio II/III (0.15/0.10 g/kWh)",
        ),
    }
)

#: Heavy-duty diesel real-world NOx and PM2.5, g/km, by standard.  NOx: midpoint of the
#: SOURCES.md S-heavy-diesel-pollutants range; PM2.5: the value given there.
HEAVY_DIESEL_G_PER_KM: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "china2": (CONSTANTS["china2_nox_g_per_km"].value, CONSTANTS["china2_pm25_g_per_km"].value),
        "china3": (10.5, 0.19),  # NOx 9-12, PM2.5 0.19
        "china4": (9.5, 0.085),  # NOx 8-11, PM2.5 0.085
        "china5": (7.5, 0.03),  # NOx 6-9, PM2.5 ~0.03 (estimate)
        "china6": (1.25, 0.01),  # NOx 0.5-2, PM2.5 <= 0.01 (estimate)
    }
)

#: Pollutant scale per (fleet, size class) relative to a heavy diesel tractor: at equal
#: brake-specific emissions (g/kWh, what the standards regulate) g/km scales with the
#: engine work per km, i.e. with diesel use per km.  Values = diesel L/100 km of the class
#: (fleets/shiyan.toml, urban/highway mean) / 34 L/100 km.  estimate.
POLLUTANT_SCALE: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("truck", "heavy_tractor"): 1.0,  # 30-38 L/100 km (the reference class)
        ("truck", "rigid"): 0.87,  # 27-32 L/100 km
        ("truck", "light"): 0.39,  # 12.5-14 L/100 km
        ("bus", "standard"): 1.0,  # 30-38 L/100 km (10.5 m, hilly)
        ("bus", "midi"): 0.63,  # 19-24 L/100 km (8 m)
    }
)
#: Fallback scale when a size class is not in :data:`POLLUTANT_SCALE` (estimate: the
#: fleet's typical class).
POLLUTANT_SCALE_DEFAULT: Mapping[str, float] = MappingProxyType({"truck": 1.0, "bus": 1.0})

#: First vintage year of each standard; a vintage year gets the standard in force on
#: 1 July of that year.  Heavy-duty (GB 17691; trucks > 3.5 t, buses): China III
#: 2008-01, IV 2013-07, V 2017-07 (public fleets 2017-01), VI-a 2021-07, urban buses
#: 2020-07 (transportpolicy.net 'China heavy-duty emissions'; ICCT/IEA for China VI).
HEAVY_DUTY_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("china3", 2008),
    ("china4", 2013),
    ("china5", 2017),
    ("china6", 2021),
)
URBAN_BUS_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("china3", 2008),
    ("china4", 2013),
    ("china5", 2017),
    ("china6", 2020),
)
#: Light-duty diesel (GB 18352; light trucks <= 3.5 t): III 2009-07, IV 2015-01,
#: V 2018-01, VI-a 2020-07 (national dates; estimate where press reports disagree).
LIGHT_DIESEL_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("china3", 2009),
    ("china4", 2015),
    ("china5", 2018),
    ("china6", 2020),
)
#: Light-duty petrol/gas (taxis): III 2007-07, IV 2011-07, V 2017-01, VI-a 2020-07.
LIGHT_PETROL_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("china3", 2007),
    ("china4", 2011),
    ("china5", 2017),
    ("china6", 2020),
)
#: Inland ship engines (GB 15097-2016): stage 1 2018-07, stage 2 2021-07.  Ships are not
#: covered by the road standards, so they get their own labels.
SHIP_SCHEDULE: tuple[tuple[str, int], ...] = (("ship_stage1", 2018), ("ship_stage2", 2021))
SHIP_STANDARDS: tuple[str, ...] = ("ship_pre", "ship_stage1", "ship_stage2")
#: Label of zero-emission powertrains (bev, fcev): no exhaust standard.
ZERO_EMISSION_STANDARD = "zev"
#: Light-truck size class name (light-duty standards apply).
LIGHT_TRUCK_CLASS = "light"



# ======================================================================================
# carriers
# ======================================================================================
def _c(name: str) -> float:
    return CONSTANTS[name].value


def _check_carrier(carrier: str) -> None:
    if carrier not in CARRIER_UNITS:
        raise FleetError(
            describe(
                None, "carrier", carrier, f"unknown carrier; accepted: {', '.join(CARRIER_UNITS)}"
            )
        )


def lower_heating_value_kwh(carrier: str) -> float:
    """Return the energy content of one unit of ``carrier`` in kWh.

    Parameters
    ----------
    carrier
        One of :data:`transport_sim.codes.CARRIERS`.

    Returns
    -------
    float
        kWh per litre (diesel, petrol), per kg (cng, lng, hydrogen) or 1.0 (electricity).
    """
    _check_carrier(carrier)
    if carrier == "diesel":
        return _c("diesel_lhv_mj_per_kg") * _c("diesel_density_kg_per_l") / MJ_PER_KWH
    if carrier == "petrol":
        return _c("petrol_lhv_mj_per_kg") * _c("petrol_density_kg_per_l") / MJ_PER_KWH
    if carrier in ("cng", "lng"):
        mj_per_kg = _c("natural_gas_lhv_mj_per_nm3") / _c("natural_gas_density_kg_per_nm3")
        return mj_per_kg / MJ_PER_KWH
    if carrier == "hydrogen":
        return _c("hydrogen_lhv_mj_per_kg") / MJ_PER_KWH
    return 1.0  # electricity


def carrier_amount_from_kwh(carrier: str, energy_kwh: float | np.ndarray) -> float | np.ndarray:
    """Convert final energy (kWh) into the carrier's own unit (L, kg or kWh).

    Parameters
    ----------
    carrier
        Energy carrier.
    energy_kwh
        Final energy, kWh (scalar or array).

    Returns
    -------
    float or numpy.ndarray
        Litres (diesel, petrol), kg (cng, lng, hydrogen) or kWh (electricity).
    """
    return energy_kwh / lower_heating_value_kwh(carrier)


def carrier_kwh_from_amount(carrier: str, amount: float | np.ndarray) -> float | np.ndarray:
    """Convert an amount in the carrier's unit into final energy, kWh (inverse of above)."""
    return amount * lower_heating_value_kwh(carrier)


def co2_ttw_kg_per_unit(carrier: str) -> float:
    """Return tank-to-wheel CO2 per unit of ``carrier`` (kg per L, kg or kWh).

    Electricity and hydrogen emit nothing at the vehicle (0.0).
    """
    _check_carrier(carrier)
    if carrier == "diesel":
        return _c("diesel_co2_kg_per_kg") * _c("diesel_density_kg_per_l")
    if carrier == "petrol":
        return _c("petrol_co2_kg_per_kg") * _c("petrol_density_kg_per_l")
    if carrier in ("cng", "lng"):
        return _c("natural_gas_co2_kg_per_nm3") / _c("natural_gas_density_kg_per_nm3")
    return 0.0


def co2_ttw_kg(carrier: str, amount: float | np.ndarray) -> float | np.ndarray:
    """Return tank-to-wheel CO2, kg, of ``amount`` units of ``carrier``.

    Parameters
    ----------
    carrier
        Energy carrier.
    amount
        Litres, kg or kWh as :data:`transport_sim.codes.CARRIER_UNITS` says.
    """
    return amount * co2_ttw_kg_per_unit(carrier)


def grid_co2_kg_per_kwh(year: float, scenario: Scenario) -> float:
    """Return the scenario's grid CO2 factor in ``year``, kg CO2 per kWh at the plug."""
    return scenario.grid.co2_kg_per_kwh.at(year)


def electricity_wtw_kg_per_kwh(year: float, scenario: Scenario) -> float:
    """Return WTW CO2 per kWh drawn from the distribution grid in ``year``.

    The grid factor (kg CO2 per kWh generated) divided by ``1 - grid_td_loss_share``:
    transmission and distribution losses are generated too, just as the upstream share of
    a fuel is burnt before the fuel reaches the tank.
    """
    return grid_co2_kg_per_kwh(year, scenario) / (1.0 - _c("grid_td_loss_share"))


def hydrogen_pathway_co2_kg_per_kg(pathway: str, year: float, scenario: Scenario) -> float:
    """Return the WTW CO2 of one kg of hydrogen made by ``pathway`` in ``year``.

    Parameters
    ----------
    pathway
        One of :data:`transport_sim.scenario.settings.HYDROGEN_PATHWAYS`.
    year
        Calendar year (grid electrolysis follows the year's grid factor).
    scenario
        Supplies the grid curve.
    """
    if pathway == "smr":
        return _c("hydrogen_smr_co2_kg_per_kg")
    if pathway == "coal":
        return _c("hydrogen_coal_co2_kg_per_kg")
    if pathway == "grid_electrolysis":
        return _c("hydrogen_electrolysis_kwh_per_kg") * electricity_wtw_kg_per_kwh(year, scenario)
    if pathway == "clean":
        return _c("hydrogen_clean_co2_kg_per_kg")
    raise FleetError(
        describe(None, "hydrogen.pathway", pathway, f"accepted: {', '.join(HYDROGEN_PATHWAYS)}")
    )


def hydrogen_wtw_kg_per_kg(year: float, scenario: Scenario) -> float:
    """Return the WTW CO2 of one kg of hydrogen in ``year``: the pathway mix average.

    ``sum_p share_p(year) * factor_p(year)``; the shares are the scenario's
    ``hydrogen.pathway_mix`` curves (validated to sum to 1).
    """
    return sum(
        curve.at(year) * hydrogen_pathway_co2_kg_per_kg(pathway, year, scenario)
        for pathway, curve in scenario.hydrogen.pathway_mix.items()
    )


def co2_wtw_kg_per_unit(carrier: str, year: float, scenario: Scenario) -> float:
    """Return well-to-wheel CO2 per unit of ``carrier`` in ``year`` (kg per L, kg or kWh)."""
    _check_carrier(carrier)
    if carrier == "electricity":
        return electricity_wtw_kg_per_kwh(year, scenario)
    if carrier == "hydrogen":
        return hydrogen_wtw_kg_per_kg(year, scenario)
    return co2_ttw_kg_per_unit(carrier) * (1.0 + _c(f"{carrier}_upstream_share"))


def co2_wtw_kg(
    carrier: str, amount: float | np.ndarray, year: float, scenario: Scenario
) -> float | np.ndarray:
    """Return well-to-wheel CO2, kg, of ``amount`` units of ``carrier`` used in ``year``.

    Parameters
    ----------
    carrier
        Energy carrier.
    amount
        Litres, kg or kWh (electricity: drawn from the grid, charger losses included).
    year
        Calendar year (selects the grid factor and the hydrogen pathway mix).
    scenario
        Supplies ``grid.co2_kg_per_kwh`` and ``hydrogen.pathway_mix``.
    """
    return amount * co2_wtw_kg_per_unit(carrier, year, scenario)


# ======================================================================================
# rail freight
# ======================================================================================
@dataclass(frozen=True)
class RailFreight:
    """Energy and CO2 of rail freight (accounted, not simulated).

    Attributes
    ----------
    tkm
        Tonne-km carried.
    electricity_kwh, diesel_l
        Traction energy by carrier.
    co2_ttw_kg, co2_wtw_kg
        Tank-to-wheel and well-to-wheel CO2.
    """

    tkm: float
    electricity_kwh: float
    diesel_l: float
    co2_ttw_kg: float
    co2_wtw_kg: float


def rail_kwh_per_tkm() -> float:
    """Return electric-rail traction energy per tonne-km, kWh (grid side).

    Derived from the GB/T 51366-2019 factor 0.010 kg CO2/tkm divided by the grid factor
    it is taken to embody, so that rail WTW CO2 follows the scenario's grid curve.
    """
    return _c("rail_electric_co2_kg_per_tkm") / _c("rail_factor_grid_basis_kg_per_kwh")


def rail_diesel_l_per_tkm() -> float:
    """Return diesel-rail fuel per tonne-km, litres (0.011 kg CO2/tkm / 2.604 kg CO2/L)."""
    return _c("rail_diesel_co2_kg_per_tkm") / co2_ttw_kg_per_unit("diesel")


def rail_freight(
    tkm: float,
    year: float,
    scenario: Scenario,
    *,
    electric_share: float | None = None,
) -> RailFreight:
    """Return energy and CO2 of ``tkm`` tonne-km of rail freight in ``year``.

    Parameters
    ----------
    tkm
        Tonne-km carried by rail.
    year
        Calendar year (grid factor).
    scenario
        Supplies the grid curve.
    electric_share
        Share of rail tkm hauled electrically; default ``CONSTANTS["rail_electric_share"]``.

    Returns
    -------
    RailFreight
    """
    share = _c("rail_electric_share") if electric_share is None else float(electric_share)
    if not 0.0 <= share <= 1.0:
        raise FleetError(describe(None, "rail electric_share", share, "must be in [0, 1]"))
    electricity_kwh = tkm * share * rail_kwh_per_tkm()
    diesel_l = tkm * (1.0 - share) * rail_diesel_l_per_tkm()
    ttw = float(co2_ttw_kg("diesel", diesel_l))
    wtw = float(
        co2_wtw_kg("diesel", diesel_l, year, scenario)
        + co2_wtw_kg("electricity", electricity_kwh, year, scenario)
    )
    return RailFreight(float(tkm), float(electricity_kwh), float(diesel_l), ttw, wtw)


# ======================================================================================
# emission standards and pollutants
# ======================================================================================
def _schedule_standard(vintage_year: int, schedule: tuple[tuple[str, int], ...], first: str) -> str:
    standard = first
    for name, start_year in schedule:
        if vintage_year >= start_year:
            standard = name
    return standard


def emission_standard(
    vintage_year: int,
    fleet: str,
    size_class: str | None = None,
    powertrain: str = "diesel",
) -> str:
    """Return the exhaust standard of a vehicle bought in ``vintage_year``.

    Parameters
    ----------
    vintage_year
        Year of first registration; it gets the standard in force on 1 July.
    fleet
        One of :data:`transport_sim.codes.FLEETS`.
    size_class
        Truck size class: ``"light"`` follows the light-duty diesel schedule, any other
        truck class the heavy-duty one.
    powertrain
        ``bev`` and ``fcev`` return ``"zev"``.

    Returns
    -------
    str
        One of :data:`transport_sim.scenario.settings.EMISSION_STANDARDS` for road vehicles,
        :data:`SHIP_STANDARDS` for ships, or ``"zev"``.

    Notes
    -----
    Gas (CNG/LNG) heavy vehicles are given the diesel dates (China VI-a came two years
    earlier for gas engines, 2019-07); taxis of every fuel follow the light petrol dates.
    """
    if fleet not in FLEETS:
        raise FleetError(describe(None, "fleet", fleet, f"accepted: {', '.join(FLEETS)}"))
    if powertrain in ("bev", "fcev"):
        return ZERO_EMISSION_STANDARD
    year = int(vintage_year)
    if fleet == "ship":
        return _schedule_standard(year, SHIP_SCHEDULE, SHIP_STANDARDS[0])
    if fleet == "taxi":
        schedule = LIGHT_PETROL_SCHEDULE
    elif fleet == "bus":
        schedule = URBAN_BUS_SCHEDULE
    elif size_class == LIGHT_TRUCK_CLASS:
        schedule = LIGHT_DIESEL_SCHEDULE
    else:
        schedule = HEAVY_DUTY_SCHEDULE
    return _schedule_standard(year, schedule, EMISSION_STANDARDS[0])


def standard_rank(standard: str) -> int:
    """Return the position of a road standard in :data:`EMISSION_STANDARDS` (older = lower).

    Ship stages and ``"zev"`` return a rank above every road standard, so no road
    phase-out ever selects them.
    """
    if standard in EMISSION_STANDARDS:
        return EMISSION_STANDARDS.index(standard)
    return len(EMISSION_STANDARDS) + 1


def nox_pm_g_per_km(standard: str, fleet: str, size_class: str) -> tuple[float, float]:
    """Return real-world NOx and PM2.5 of a diesel road vehicle, g/km.

    Parameters
    ----------
    standard
        One of :data:`transport_sim.scenario.settings.EMISSION_STANDARDS`.
    fleet
        ``"truck"`` or ``"bus"`` (diesel road fleets).
    size_class
        Size class; scales the heavy-tractor values by relative diesel use per km
        (:data:`POLLUTANT_SCALE`).

    Returns
    -------
    tuple of float
        ``(nox_g_per_km, pm25_g_per_km)``.

    Raises
    ------
    FleetError
        For an unknown standard or a fleet without diesel pollutant factors (taxis burn
        petrol or gas; ships are not covered by the heavy-diesel table).
    """
    if standard not in HEAVY_DIESEL_G_PER_KM:
        raise FleetError(
            describe(None, "standard", standard, f"accepted: {', '.join(HEAVY_DIESEL_G_PER_KM)}")
        )
    if fleet not in POLLUTANT_SCALE_DEFAULT:
        raise FleetError(
            describe(
                None, "fleet", fleet,
                "diesel pollutant factors exist for: " + ", ".join(POLLUTANT_SCALE_DEFAULT),
            )
        )
    scale = POLLUTANT_SCALE.get((fleet, size_class), POLLUTANT_SCALE_DEFAULT[fleet])
    nox, pm = HEAVY_DIESEL_G_PER_KM[standard]
    return nox * scale, pm * scale

