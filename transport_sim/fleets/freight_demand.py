"""Freight demand in the calibration file: OD weights, through traffic, rail-yard drayage.

Three sections of the calibration file (``fleets/shiyan_calibration.toml``), each number
with a source in the section's ``sources`` table:

``[freight_od]``
    Relative weights of the truck origin-destination pairs the run context builds from
    the network (:func:`transport_sim.demand.context.build_context`): long haul between a
    gateway and the plants / logistics hubs / rail yards (``gateway_hub``) or the towns
    (``gateway_town``); regional from a logistics hub to the towns and plants
    (``hub_local``) and between plants (``plant_plant``).  Each weight is spread evenly
    over the pairs of its kind.
``[through_traffic]``
    Gateway-to-gateway trucks that cross the network without loading or unloading in
    Shiyan.  They are not Shiyan's fleet: their tonnage is its own input, and their
    powertrain and emission-standard mix is China's national heavy-truck stock, a year
    curve in data (``powertrain_shares``, ``standard_shares``), so no Shiyan purchase or
    phase-out lever touches them.  They drive the specs of ``truck_class``.
``[drayage]``
    Road legs between the rail freight yards and the plants and logistics hubs where
    the tonnage rail carries is loaded or unloaded, driven by Shiyan's trucks of
    ``truck_class``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from transport_sim.errors import FleetError, describe
from transport_sim.units import T_PER_MT

if TYPE_CHECKING:
    from transport_sim.fleets.specs import FleetDefinition

#: ``[freight_od]`` weights, in the order the run context uses them.
OD_WEIGHT_KEYS: tuple[str, ...] = ("gateway_hub", "gateway_town", "hub_local", "plant_plant")
#: Shares must sum to 1 within this tolerance.
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ThroughTraffic:
    """Through traffic: its tonnage, vehicle class and national stock mix by year.

    Attributes
    ----------
    tonnage_t_per_year
        Tonnes crossing the network gateway to gateway per year, t.
    truck_class
        Truck size class whose specs (payload, energy) the through trucks use.
    round_trips_per_vehicle_day
        Crossings there and back per simulated through truck and operating day.
    empty_running_share
        Share of through legs that run empty (0 to 0.5).
    powertrain_years, powertrain_shares
        Years and ``{powertrain: share}`` of China's heavy-truck stock at those years;
        linear between them, flat outside (:meth:`powertrain_mix`).
    standard_years, standard_shares
        Years and ``{emission standard: share}`` of the same stock (:meth:`standard_mix`).
    """

    tonnage_t_per_year: float
    truck_class: str
    round_trips_per_vehicle_day: float
    empty_running_share: float
    powertrain_years: tuple[int, ...]
    powertrain_shares: tuple[Mapping[str, float], ...]
    standard_years: tuple[int, ...]
    standard_shares: tuple[Mapping[str, float], ...]

    def powertrain_mix(self, year: int) -> dict[str, float]:
        """National heavy-truck stock by powertrain in ``year`` (shares summing to 1)."""
        return _interpolate(self.powertrain_years, self.powertrain_shares, year)

    def standard_mix(self, year: int) -> dict[str, float]:
        """National heavy-truck stock by emission standard in ``year`` (sum 1)."""
        return _interpolate(self.standard_years, self.standard_shares, year)


@dataclass(frozen=True)
class Drayage:
    """Rail-yard drayage: which Shiyan truck class carries the rail tonnage to the yards.

    Attributes
    ----------
    truck_class
        Truck size class of the drayage legs.
    round_trips_per_vehicle_day
        Round trips per simulated drayage truck and operating day.
    empty_running_share
        Share of drayage legs that run empty (0 to 0.5).
    """

    truck_class: str
    round_trips_per_vehicle_day: float
    empty_running_share: float


@dataclass(frozen=True)
class FreightDemand:
    """The three freight sections of a calibration file (see the module docstring)."""

    od_weights: Mapping[str, float]
    through: ThroughTraffic
    drayage: Drayage


def _interpolate(
    years: tuple[int, ...], shares: tuple[Mapping[str, float], ...], year: int
) -> dict[str, float]:
    keys = sorted({k for s in shares for k in s})
    values = {k: float(np.interp(year, years, [s.get(k, 0.0) for s in shares])) for k in keys}
    total = sum(values.values())
    return {k: v / total for k, v in values.items() if v > 0.0}


def _fail(path: Path, key: str, value: object, problem: str) -> FleetError:
    return FleetError(describe(path, key, value, problem))


def _number(path: Path, key: str, value: object, lo: float, hi: float | None,
            *, closed: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, key, value, "expected a number")
    v = float(value)
    if not (v >= lo if closed else v > lo):
        raise _fail(path, key, value, f"must be {'>=' if closed else '>'} {lo:g}")
    if hi is not None and v > hi:
        raise _fail(path, key, value, f"must be <= {hi:g}")
    return v


def _year_shares(
    path: Path, key: str, value: object, accepted: tuple[str, ...]
) -> tuple[tuple[int, ...], tuple[Mapping[str, float], ...]]:
    if not isinstance(value, dict) or not value:
        raise _fail(path, key, value, "expected {year = {name = share, ...}, ...}")
    items = []
    for y, shares in value.items():
        if not str(y).isdigit():
            raise _fail(path, f"{key}.{y}", shares, "expected a calendar year")
        if not isinstance(shares, dict) or not shares:
            raise _fail(path, f"{key}.{y}", shares, "expected {name = share, ...}")
        row = {}
        for name, s in shares.items():
            if name not in accepted:
                raise _fail(path, f"{key}.{y}.{name}", s,
                            f"unknown; accepted: {', '.join(accepted)}")
            row[name] = _number(path, f"{key}.{y}.{name}", s, 0.0, 1.0, closed=True)
        if abs(sum(row.values()) - 1.0) > SHARE_TOLERANCE:
            raise _fail(path, f"{key}.{y}", shares, "shares must sum to 1")
        items.append((int(y), MappingProxyType(row)))
    items.sort()
    return tuple(y for y, _ in items), tuple(s for _, s in items)


def parse_freight_demand(
    data: dict[str, Any], path: Path, fleet_def: FleetDefinition,
    sources: dict[str, str], take_sources: Any, need_source: Any,
) -> FreightDemand:
    """Validate ``[freight_od]``, ``[through_traffic]`` and ``[drayage]`` of a calibration file.

    Parameters
    ----------
    data
        The whole calibration table (sections are read, not changed).
    path
        The file (for messages).
    fleet_def
        The fleet definition (truck classes and powertrains).
    sources
        Dotted field -> source text; the sections' ``sources`` tables are added.
    take_sources, need_source
        The calibration reader's helpers: pop a section's ``sources`` table, and check
        that a dotted field has a source.

    Raises
    ------
    FleetError
        One line naming the file, the field and the value.
    """
    from transport_sim.scenario.settings import EMISSION_STANDARDS

    truck = fleet_def.fleet("truck")

    def section(name: str, keys: tuple[str, ...]) -> dict[str, Any]:
        table = dict(data.get(name, {}))
        sources.update(take_sources(path, table, name))
        for key in keys:
            if key not in table:
                raise _fail(path, f"{name}.{key}", None, "missing")
            need_source(path, sources, f"{name}.{key}", table[key])
        extra = [k for k in table if k not in keys]
        if extra:
            raise _fail(path, f"{name}.{extra[0]}", table[extra[0]], "unknown key")
        return table

    def truck_class(name: str, value: object) -> str:
        if value not in truck.classes:
            raise _fail(path, name, value, f"unknown truck class; accepted: "
                        f"{', '.join(truck.classes)}")
        return str(value)

    od = section("freight_od", OD_WEIGHT_KEYS)
    weights = {k: _number(path, f"freight_od.{k}", od[k], 0.0, None, closed=True)
               for k in OD_WEIGHT_KEYS}
    th = section("through_traffic", (
        "tonnage_mt_per_year", "truck_class", "round_trips_per_vehicle_day",
        "empty_running_share", "powertrain_shares", "standard_shares"))
    tclass = truck_class("through_traffic.truck_class", th["truck_class"])
    pt_years, pt_shares = _year_shares(path, "through_traffic.powertrain_shares",
                                       th["powertrain_shares"],
                                       tuple(truck.classes[tclass].powertrains))
    st_years, st_shares = _year_shares(path, "through_traffic.standard_shares",
                                       th["standard_shares"], tuple(EMISSION_STANDARDS))
    through = ThroughTraffic(
        tonnage_t_per_year=_number(path, "through_traffic.tonnage_mt_per_year",
                                   th["tonnage_mt_per_year"], 0.0, None, closed=True) * T_PER_MT,
        truck_class=tclass,
        round_trips_per_vehicle_day=_number(
            path, "through_traffic.round_trips_per_vehicle_day",
            th["round_trips_per_vehicle_day"], 0.0, None),
        empty_running_share=_number(path, "through_traffic.empty_running_share",
                                    th["empty_running_share"], 0.0, 0.5, closed=True),
        powertrain_years=pt_years, powertrain_shares=pt_shares,
        standard_years=st_years, standard_shares=st_shares,
    )
    dr = section("drayage", ("truck_class", "round_trips_per_vehicle_day",
                             "empty_running_share"))
    drayage = Drayage(
        truck_class=truck_class("drayage.truck_class", dr["truck_class"]),
        round_trips_per_vehicle_day=_number(path, "drayage.round_trips_per_vehicle_day",
                                            dr["round_trips_per_vehicle_day"], 0.0, None),
        empty_running_share=_number(path, "drayage.empty_running_share",
                                    dr["empty_running_share"], 0.0, 0.5, closed=True),
    )
    return FreightDemand(MappingProxyType(weights), through, drayage)
