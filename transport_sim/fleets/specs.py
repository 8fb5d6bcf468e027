"""Typed fleet specs: size classes, powertrains, ages and daily operation of each fleet.

A fleet file (``fleets/*.toml``, read by :mod:`transport_sim.fleets.reader`) describes the
base-year stock of every fleet (bus, taxi, truck, ship): how many vehicles, their size
classes and powertrains, their ages, their daily operation and per-powertrain specs
(energy per km by road class, battery, charging power, tank, payload).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.codes import FLEETS, NEV_POWERTRAINS, ROAD_CLASSES
from transport_sim.errors import FleetError, describe
from transport_sim.fleets.factors import lower_heating_value_kwh
from transport_sim.io import largest_remainder
from transport_sim.scenario.curves import Curve
from transport_sim.scenario.settings import CONVENTIONAL_POWERTRAINS
from transport_sim.units import HOURS_PER_DAY  # noqa: F401 - still importable from specs

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path



SHARE_SUM_TOLERANCE = 1e-6
MIN_VINTAGE_YEAR = 1950
MAX_VINTAGE_YEAR = 2100

#: Carrier burnt by each powertrain; ``hybrid`` burns the fleet's conventional fuel.
POWERTRAIN_CARRIER: Mapping[str, str] = MappingProxyType(
    {
        "diesel": "diesel",
        "petrol": "petrol",
        "cng": "cng",
        "lng": "lng",
        "bev": "electricity",
        "fcev": "hydrogen",
    }
)
#: Fuel of hybrid (non-plug-in) vehicles by fleet.
HYBRID_CARRIER: Mapping[str, str] = MappingProxyType({"bus": "diesel", "taxi": "petrol"})
#: The conventional powertrain bought when nothing else is known (empty base mix).
PRIMARY_CONVENTIONAL: Mapping[str, str] = MappingProxyType(
    {"bus": "diesel", "taxi": "petrol", "truck": "diesel", "ship": "diesel"}
)
#: Road-class groups accepted in energy tables, and the classes each one sets.
ROAD_CLASS_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "highway": ("expressway", "national"),
        "rural": ("provincial",),
        "urban": ("arterial", "collector", "local"),
    }
)
#: Accepted prefixes of a ``sources`` entry.
SOURCE_PREFIXES: tuple[str, ...] = ("SOURCES.md", "estimate:", "derived:", "regulation:")
#: The file, next to the fleet file, whose ``### S-<id>`` headings source texts cite.
SOURCES_FILE = "SOURCES.md"
#: A cited source id such as ``S-bus-stock`` (lower-case words joined by hyphens).
SOURCE_ID = re.compile(r"(?<![\w-])S-[a-z0-9]+(?:-[a-z0-9]+)*")
#: Top-level sections of a fleet file.
SECTIONS: tuple[str, ...] = ("meta", "freight", "passenger", *FLEETS, "charging")


def allowed_powertrains(fleet: str) -> tuple[str, ...]:
    """Return the powertrains fleet ``fleet`` may hold: its conventional ones, bev, fcev."""
    return (*CONVENTIONAL_POWERTRAINS[fleet], *NEV_POWERTRAINS)


def carrier_of(fleet: str, powertrain: str) -> str:
    """Return the energy carrier burnt by ``powertrain`` in ``fleet``."""
    if powertrain == "hybrid":
        return HYBRID_CARRIER[fleet]
    return POWERTRAIN_CARRIER[powertrain]


# ======================================================================================
# typed definition
# ======================================================================================
@dataclass(frozen=True)
class AgeSpec:
    """Lifetime and purchase history of a fleet or size class.

    Attributes
    ----------
    lifetime_mean_years, lifetime_shape
        Weibull lifetime: survival ``S(a) = exp(-(a / scale) ** shape)`` with
        ``scale = mean / Gamma(1 + 1/shape)``.
    max_age_years
        Legal (or assumed) scrappage age: every vehicle of this age is retired.
    purchases_by_vintage
        Relative purchases by vintage year, interpolated linearly between the given
        years and zero outside them.
    """

    lifetime_mean_years: float
    lifetime_shape: float
    max_age_years: int
    purchases_by_vintage: Mapping[int, float]

    def survival(self, age_years: float, lifetime_scale: float = 1.0) -> float:
        """Return the probability that a vehicle survives to ``age_years``.

        Parameters
        ----------
        age_years
            Age in years (0 = bought this year).
        lifetime_scale
            Multiplies the mean lifetime (``policy.<fleet>.lifetime_scale``); the
            legal ``max_age_years`` is not scaled.
        """
        if age_years >= self.max_age_years:
            return 0.0
        if age_years <= 0:
            return 1.0
        mean_years = self.lifetime_mean_years * lifetime_scale
        scale = mean_years / math.gamma(1.0 + 1.0 / self.lifetime_shape)
        return math.exp(-((age_years / scale) ** self.lifetime_shape))

    def vintage_weight(self, vintage_year: int) -> float:
        """Return the relative purchases of ``vintage_year`` (0 outside the given years)."""
        years = sorted(self.purchases_by_vintage)
        if vintage_year < years[0] or vintage_year > years[-1]:
            return 0.0
        values = [self.purchases_by_vintage[y] for y in years]
        return float(np.interp(vintage_year, years, values))


@dataclass(frozen=True)
class PowertrainSpec:
    """One (fleet, size class, powertrain): what the kernels and the accounting need.

    Attributes
    ----------
    carrier
        Energy carrier burnt (:data:`transport_sim.codes.CARRIERS`).
    kwh_per_km_by_class
        Final energy per km on each road class, aligned to
        :data:`transport_sim.codes.ROAD_CLASSES` (battery kWh for BEVs, fuel lower
        heating value for combustion and fuel-cell vehicles).  Road vehicles have 0 on
        ``water``; ships have 0 on every road class.
    battery_kwh, max_charge_kw
        Traction battery and the highest charging power it accepts (BEVs; 0 otherwise).
    tank_capacity
        Tank size in the carrier's unit (L or kg); 0 when not given.
    payload_t, passenger_capacity, load_factor
        Carrying capacity and the loaded share of it on loaded trips.
    max_speed_kph
        Speed cap (ships: the service speed).
    reference_speed_kph, kwh_per_km_at_reference
        Ships only: the propeller-law anchor (energy per km scales with speed squared).
    age
        Lifetime and purchase history of this cell.
    """

    fleet: str
    size_class: str
    powertrain: str
    carrier: str
    kwh_per_km_by_class: tuple[float, ...]
    battery_kwh: float
    max_charge_kw: float
    tank_capacity: float
    payload_t: float
    passenger_capacity: int
    load_factor: float
    max_speed_kph: float
    reference_speed_kph: float
    kwh_per_km_at_reference: float
    age: AgeSpec

    @property
    def is_bev(self) -> bool:
        """True when the vehicle draws from a traction battery (SOC-limited)."""
        return self.powertrain == "bev"

    @property
    def is_nev(self) -> bool:
        """True for new-energy vehicles (bev, fcev)."""
        return self.powertrain in NEV_POWERTRAINS

    def kwh_per_km(self, road_class: str) -> float:
        """Return final energy per km on ``road_class``, kWh/km."""
        return self.kwh_per_km_by_class[ROAD_CLASSES.index(road_class)]

    def carrier_per_km_by_class(self) -> tuple[float, ...]:
        """Return carrier use per km by road class, in the carrier's unit (L, kg, kWh)."""
        lhv = lower_heating_value_kwh(self.carrier)
        return tuple(v / lhv for v in self.kwh_per_km_by_class)

    def range_km(self, road_class: str, usable_share: float = 1.0) -> float:
        """Return the range on a full battery (BEV) or tank, km (inf when unknown)."""
        per_km = self.kwh_per_km(road_class)
        if self.is_bev:
            energy_kwh = self.battery_kwh * usable_share
        elif self.tank_capacity > 0:
            energy_kwh = self.tank_capacity * lower_heating_value_kwh(self.carrier) * usable_share
        else:
            return math.inf
        return energy_kwh / per_km if per_km > 0 else math.inf


def ship_kwh_per_km(spec: PowertrainSpec, speed_kph: float) -> float:
    """Return a ship's final energy per km at ``speed_kph`` by the propeller law.

    Propulsion power grows with the cube of speed, so energy per km grows with its
    square: ``E(v) = E_ref * (v / v_ref) ** 2``.
    """
    if spec.reference_speed_kph <= 0:
        msg = f"{spec.fleet}.{spec.size_class}.{spec.powertrain} has no reference speed"
        raise ValueError(msg)
    return spec.kwh_per_km_at_reference * (speed_kph / spec.reference_speed_kph) ** 2


@dataclass(frozen=True)
class SizeClassSpec:
    """A size class of a fleet (e.g. heavy tractor, 8 m midibus, ferry).

    Attributes
    ----------
    share
        Share of the fleet's base-year stock.
    powertrain_shares
        Base-year stock mix of this class (sums to 1).
    powertrains
        Spec of every powertrain the class holds or may buy.
    nev_share_of_new, fcev_share_of_nev
        Optional class-level purchase curves that replace the scenario's fleet-level
        ``policy.<fleet>`` curves for this class (set through ``fleet_overrides``).
    """

    name: str
    share: float
    description: str
    powertrain_shares: Mapping[str, float]
    powertrains: Mapping[str, PowertrainSpec]
    age: AgeSpec
    payload_t: float = 0.0
    passenger_capacity: int = 0
    load_factor: float = 0.0
    daily_km: float = 0.0
    stop_dwell_min: float = 0.0
    service_speed_kph: float = 0.0
    sailings_per_day: float = 0.0
    sailing_km: float = 0.0
    holiday_activity_factor: float = 1.0
    operating_days_per_year: float = 365.0
    nev_share_of_new: Curve | None = None
    fcev_share_of_nev: Curve | None = None

    def conventional_mix(self) -> dict[str, float]:
        """Return the base-year mix of conventional (non-NEV) powertrains, renormalised.

        Empty when the class holds no conventional vehicle.
        """
        conv = {p: s for p, s in self.powertrain_shares.items() if p not in NEV_POWERTRAINS}
        total = sum(conv.values())
        return {p: s / total for p, s in conv.items() if s > 0} if total > 0 else {}


@dataclass(frozen=True)
class BusOperation:
    """``[bus.operation]``: timetable parameters read by the demand module."""

    service_start_h: float
    service_end_h: float
    headway_peak_min: float
    headway_offpeak_min: float
    peak_hours: tuple[int, ...]
    layover_min: float
    dwell_s_per_stop: float
    daily_km: float


@dataclass(frozen=True)
class TaxiOperation:
    """``[taxi.operation]``: request generation and dispatch parameters."""

    trips_per_taxi_per_day: float
    hourly_demand_profile: tuple[float, ...]
    max_wait_min: float
    max_pickup_min: float
    pickup_dwell_s: float
    dropoff_dwell_s: float
    shift_start_h: float
    shift_end_h: float
    daily_km: float


@dataclass(frozen=True)
class TruckOperation:
    """``[truck.operation]``: when trucks depart (24 hourly shares, sum 1)."""

    hourly_departure_profile: tuple[float, ...]


@dataclass(frozen=True)
class ShipOperation:
    """``[ship.operation]``: sailing day and port turnaround."""

    service_start_h: float
    service_end_h: float
    turnaround_min: float


Operation = BusOperation | TaxiOperation | TruckOperation | ShipOperation


@dataclass(frozen=True)
class FleetSpec:
    """One fleet: base-year stock, lifetime, operation and size classes."""

    name: str
    stock: int
    operating_days_per_year: float
    holiday_activity_factor: float
    max_speed_kph: float
    age: AgeSpec
    operation: Operation
    classes: Mapping[str, SizeClassSpec]

    def class_stock(self) -> dict[str, int]:
        """Return base-year vehicles per size class (largest-remainder rounded, sums to stock)."""
        names = list(self.classes)
        counts = largest_remainder([self.stock * self.classes[c].share for c in names], self.stock)
        return dict(zip(names, counts, strict=True))

    @property
    def powertrain_shares(self) -> dict[str, float]:
        """Return the fleet's base-year stock mix (class mixes weighted by class share)."""
        out: dict[str, float] = {}
        for cls in self.classes.values():
            for pt, share in cls.powertrain_shares.items():
                out[pt] = out.get(pt, 0.0) + cls.share * share
        return out

    def spec(self, size_class: str, powertrain: str) -> PowertrainSpec:
        """Return the spec of (``size_class``, ``powertrain``); FleetError if absent."""
        cls = self.classes.get(size_class)
        if cls is None or powertrain not in cls.powertrains:
            raise FleetError(
                describe(
                    None, f"{self.name}.classes.{size_class}.powertrains.{powertrain}", None,
                    "no such spec in the fleet file; add it (fleet_overrides) or stop buying it",
                )
            )
        return cls.powertrains[powertrain]


@dataclass(frozen=True)
class FreightSpec:
    """``[freight]``: base-year tonnage, rail share, haul and the tonnage split by class.

    The OD weights, empty running, through traffic and drayage live in the calibration
    file (:mod:`transport_sim.fleets.freight_demand`, calibration targets).
    """

    road_tonnage_t_per_year: float
    base_rail_share: float
    average_haul_km: float
    class_tonnage_shares: Mapping[str, float]

    @property
    def total_tonnage_t_per_year(self) -> float:
        """Return base-year road + rail tonnage, t/yr."""
        return self.road_tonnage_t_per_year / (1.0 - self.base_rail_share)


@dataclass(frozen=True)
class PassengerSpec:
    """``[passenger]``: base-year passenger figures."""

    bus_boardings_per_day: float


@dataclass(frozen=True)
class HomeChargingSpec:
    """``[charging.<fleet>.<class>]``: home-base plugs an operator builds per battery vehicle.

    Attributes
    ----------
    plugs_per_vehicle
        Plugs per battery vehicle of the class in service.
    power_kw
        Power per plug, kW.
    """

    plugs_per_vehicle: float
    power_kw: float


@dataclass(frozen=True)
class FleetDefinition:
    """Everything a fleet file defines, validated.

    Attributes
    ----------
    path
        The fleet file.
    sources
        Dotted field path -> source text (``SOURCES.md S-<id>: …``, ``estimate: …``, …);
        numbers changed by ``fleet_overrides`` have the source ``"fleet_overrides"``.
    """

    path: Path
    name: str
    base_year: int
    fleets: Mapping[str, FleetSpec]
    freight: FreightSpec
    passenger: PassengerSpec
    sources: Mapping[str, str] = field(repr=False)
    #: ``(fleet, size class) -> HomeChargingSpec`` from the optional ``[charging]`` section.
    home_charging: Mapping[tuple[str, str], HomeChargingSpec] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )

    def fleet(self, name: str) -> FleetSpec:
        """Return fleet ``name``."""
        return self.fleets[name]

    def spec(self, fleet: str, size_class: str, powertrain: str) -> PowertrainSpec:
        """Return the spec of one (fleet, size class, powertrain)."""
        return self.fleets[fleet].spec(size_class, powertrain)

    def source_of(self, dotted: str) -> str:
        """Return the source of field ``dotted`` (its own entry or its nearest parent's)."""
        parts = dotted.split(".")
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if key in self.sources:
                return self.sources[key]
        return ""

    def iter_specs(self) -> Iterable[PowertrainSpec]:
        """Yield every powertrain spec in fleet, class, powertrain order."""
        for fleet in self.fleets.values():
            for cls in fleet.classes.values():
                yield from cls.powertrains.values()
