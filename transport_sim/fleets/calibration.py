"""Base-year activity targets, demand parameters and fitted values (the calibration file).

The calibration file sits beside the fleet file (``fleets/shiyan_calibration.toml``) and
is named by the scenario (``scenario.calibration_file``); ``calibration_overrides`` in a
scenario deep-merge onto it, so sweeps can vary every number in it.  It has these parts:

``[targets.<fleet>.<class>]``
    What the base-year day must reproduce, per fleet and size class:
    ``km_per_vehicle_day`` (km per vehicle in service on an operating day),
    ``trips_per_vehicle_day`` (taxis: revenue trips), ``empty_running_share`` (trucks:
    empty km / all km).  Each with a source in ``[targets.sources]``.
``[availability]``
    Share of each fleet's stock in service on an operating day.
``[demand]``
    Demand-shaping numbers that used to be Python literals (truck class thresholds,
    delivery-tour sizes, taxi area, trip-length decay, peak speed factors, ...).
``[payload_energy.<truck class>]``
    Extra final energy per km and tonne on board, per powertrain, kWh/(km t): a truck's
    energy per km is the empty value + tonnes on board x this slope (the fleet file's
    kWh/km is the value at the class's average load on board).
``[freight_od]``, ``[through_traffic]``, ``[drayage]``
    Freight OD weights, through traffic with China's national truck mix, and rail-yard
    drayage (:mod:`transport_sim.fleets.freight_demand`).
``[fitted]``
    The free parameters ``transport-sim calibrate`` fits so that the simulated base-year
    day reproduces the targets (bus block km factor, taxi request factor, truck round
    trips per vehicle-day, delivery tours per light truck).

Every number cites ``SOURCES.md S-<id>`` or says ``estimate:`` / ``derived:`` /
``fitted:`` in the section's ``sources`` table; the loader checks that every number has
one.  A bad value (negative, zero where a positive is needed, an unknown fleet or class)
is a one-line :class:`~transport_sim.errors.FleetError`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from transport_sim.codes import FLEETS
from transport_sim.errors import FleetError, describe
from transport_sim.scenario.settings import deep_merge

if TYPE_CHECKING:
    from transport_sim.fleets.freight_demand import FreightDemand
    from transport_sim.fleets.specs import FleetDefinition
    from transport_sim.scenario.settings import Scenario

#: Metrics a target may set, with the fleets they apply to.
METRICS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "km_per_vehicle_day": FLEETS,
        "trips_per_vehicle_day": ("taxi",),
        "empty_running_share": ("truck",),
    }
)
#: ``[demand]`` keys: (kind, lower bound, upper bound or None).
DEMAND_KEYS: Mapping[str, tuple[str, float, float | None]] = MappingProxyType(
    {
        "urban_payload_t": ("float", 0.0, None),
        "long_haul_payload_t": ("float", 0.0, None),
        "stops_per_tour_min": ("int", 0.0, None),
        "stops_per_tour_max": ("int", 0.0, None),
        "taxi_area_radius_m": ("float", 0.0, None),
        "taxi_trip_decay_s": ("float", 0.0, None),
        "taxi_zone_weight": ("float", 0.0, None),
        "peak_speed_factors": ("hours", 0.0, 1.0),
    }
)
#: ``[fitted]`` keys (per truck class for ``round_trips_per_vehicle_day``).
FITTED_KEYS: tuple[str, ...] = (
    "bus_block_km_factor",
    "taxi_request_factor",
    "tours_per_light_truck",
    "round_trips_per_vehicle_day",
    "ship_sailings_factor",
)
SOURCE_PREFIXES: tuple[str, ...] = ("SOURCES.md", "estimate:", "derived:", "fitted:")


@dataclass(frozen=True)
class Calibration:
    """A validated calibration file (see the module docstring).

    Attributes
    ----------
    targets
        ``{(fleet, size class): {metric: value}}``.
    availability
        ``{fleet: share of stock in service on an operating day}``.
    demand
        ``{key: value}`` of ``[demand]`` (``peak_speed_factors`` is a 24-tuple).
    fitted
        ``{key: value}``; ``round_trips_per_vehicle_day`` is ``{truck class: value}``.
    sources
        Dotted field path -> source text.
    """

    path: Path
    targets: Mapping[tuple[str, str], Mapping[str, float]]
    availability: Mapping[str, float]
    demand: Mapping[str, Any]
    fitted: Mapping[str, Any]
    sources: Mapping[str, str] = field(repr=False)
    payload_energy: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    freight: FreightDemand | None = None

    def payload_slope_kwh_per_km_t(self, truck_class: str, powertrain: str) -> float:
        """Extra kWh per km and tonne on board of a truck spec (0 when not given)."""
        return float(self.payload_energy.get(truck_class, {}).get(powertrain, 0.0))

    def target(self, fleet: str, size_class: str, metric: str) -> float | None:
        """Return one target, or ``None`` when the file sets none."""
        return self.targets.get((fleet, size_class), {}).get(metric)

    def round_trips(self, truck_class: str) -> float:
        """Fitted round trips per vehicle-day of a regional / long-haul truck class."""
        return float(self.fitted["round_trips_per_vehicle_day"][truck_class])


def _fail(path: Path, key: str, value: object, problem: str) -> FleetError:
    return FleetError(describe(path, key, value, problem))


def _number(path: Path, key: str, value: object, lo: float, hi: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, key, value, "expected a number")
    v = float(value)
    if not v > lo:
        raise _fail(path, key, value, f"must be > {lo:g}")
    if hi is not None and v > hi:
        raise _fail(path, key, value, f"must be <= {hi:g}")
    return v


def _sources(path: Path, table: dict[str, Any], section: str) -> dict[str, str]:
    raw = table.pop("sources", {})
    if not isinstance(raw, dict):
        raise _fail(path, f"{section}.sources", raw, "expected a table of field = source text")
    out = {}
    for key, text in raw.items():
        if not isinstance(text, str) or not text.startswith(SOURCE_PREFIXES):
            raise _fail(
                path, f"{section}.sources.{key}", text,
                f"a source starts with one of {', '.join(SOURCE_PREFIXES)}",
            )
        out[f"{section}.{key}"] = text
    return out


def _need_source(path: Path, sources: dict[str, str], dotted: str, value: object) -> None:
    parts = dotted.split(".")
    if not any(".".join(parts[:i]) in sources for i in range(len(parts), 1, -1)):
        raise _fail(path, dotted, value, "no source: add it to the section's sources table")


def parse_calibration(
    data: dict[str, Any], path: Path, fleet_def: FleetDefinition
) -> Calibration:
    """Validate a calibration table read from ``path`` against ``fleet_def``."""
    data = dict(data)
    from transport_sim.fleets.freight_demand import parse_freight_demand

    sections = ("meta", "targets", "availability", "demand", "payload_energy", "fitted",
                "freight_od", "through_traffic", "drayage")
    unknown = [k for k in data if k not in sections]
    if unknown:
        raise _fail(path, unknown[0], data[unknown[0]],
                    f"unknown section; accepted: {', '.join(sections)}")
    sources: dict[str, str] = {}
    targets = _parse_targets(data, path, fleet_def, sources)
    availability = _parse_availability(data, path, sources)
    demand = _parse_demand(data, path, sources)
    fitted = _parse_fitted(data, path, fleet_def, sources)
    payload_energy = _parse_payload_energy(data, path, fleet_def, sources)
    freight = parse_freight_demand(data, path, fleet_def, sources, _sources, _need_source)
    for cname, cls in fleet_def.fleet("truck").classes.items():
        regional = cls.payload_t >= demand["urban_payload_t"]
        if regional and cname not in fitted["round_trips_per_vehicle_day"]:
            raise _fail(path, f"fitted.round_trips_per_vehicle_day.{cname}", None,
                        "missing for a regional / long-haul truck class")
    return Calibration(
        path=path,
        targets=MappingProxyType(targets),
        availability=MappingProxyType(availability),
        demand=MappingProxyType(demand),
        fitted=MappingProxyType(fitted),
        sources=MappingProxyType(sources),
        payload_energy=MappingProxyType(payload_energy),
        freight=freight,
    )


def _parse_payload_energy(
    data: dict[str, Any], path: Path, fleet_def: FleetDefinition, sources: dict[str, str]
) -> dict[str, Mapping[str, float]]:
    pe = dict(data.get("payload_energy", {}))
    sources.update(_sources(path, pe, "payload_energy"))
    truck = fleet_def.fleet("truck")
    out: dict[str, Mapping[str, float]] = {}
    for cname, per in pe.items():
        if cname not in truck.classes or not isinstance(per, dict):
            raise _fail(path, f"payload_energy.{cname}", per, "unknown truck class")
        row = {}
        for pt, value in per.items():
            key = f"payload_energy.{cname}.{pt}"
            if pt not in truck.classes[cname].powertrains:
                raise _fail(path, key, value, "unknown powertrain of this class")
            row[pt] = _number(path, key, value, 0.0, None)
            _need_source(path, sources, key, value)
        out[cname] = MappingProxyType(row)
    return out


def _parse_targets(
    data: dict[str, Any], path: Path, fleet_def: FleetDefinition, sources: dict[str, str]
) -> dict[tuple[str, str], Mapping[str, float]]:
    tt = dict(data.get("targets", {}))
    sources.update(_sources(path, tt, "targets"))
    targets: dict[tuple[str, str], dict[str, float]] = {}
    for fleet, classes in tt.items():
        if fleet not in fleet_def.fleets:
            raise _fail(path, f"targets.{fleet}", classes, f"unknown fleet; accepted: "
                        f"{', '.join(fleet_def.fleets)}")
        for cname, metrics in dict(classes).items():
            if cname not in fleet_def.fleet(fleet).classes:
                raise _fail(path, f"targets.{fleet}.{cname}", metrics, "unknown size class; "
                            f"accepted: {', '.join(fleet_def.fleet(fleet).classes)}")
            row: dict[str, float] = {}
            for metric, value in dict(metrics).items():
                key = f"targets.{fleet}.{cname}.{metric}"
                if metric not in METRICS or fleet not in METRICS[metric]:
                    raise _fail(path, key, value, "unknown metric for this fleet")
                hi = 1.0 if metric.endswith("share") else None
                row[metric] = _number(path, key, value, 0.0, hi)
                _need_source(path, sources, key, value)
            targets[(fleet, cname)] = MappingProxyType(row)
    return targets


def _parse_availability(
    data: dict[str, Any], path: Path, sources: dict[str, str]
) -> dict[str, float]:
    av = dict(data.get("availability", {}))
    sources.update(_sources(path, av, "availability"))
    availability = {}
    for fleet in FLEETS:
        if fleet not in av:
            raise _fail(path, f"availability.{fleet}", None, "missing")
        availability[fleet] = _number(path, f"availability.{fleet}", av.pop(fleet), 0.0, 1.0)
        _need_source(path, sources, f"availability.{fleet}", availability[fleet])
    if av:
        key = next(iter(av))
        raise _fail(path, f"availability.{key}", av[key], "unknown fleet")
    return availability


def _parse_demand(data: dict[str, Any], path: Path, sources: dict[str, str]) -> dict[str, Any]:
    dm = dict(data.get("demand", {}))
    sources.update(_sources(path, dm, "demand"))
    demand: dict[str, Any] = {}
    for key, (kind, lo, hi) in DEMAND_KEYS.items():
        dotted = f"demand.{key}"
        if key not in dm:
            raise _fail(path, dotted, None, "missing")
        value = dm.pop(key)
        if kind == "hours":
            if not isinstance(value, list) or len(value) != 24:
                raise _fail(path, dotted, value, "expected 24 numbers (one per hour)")
            demand[key] = tuple(_number(path, dotted, v, lo, hi) for v in value)
        else:
            v = _number(path, dotted, value, lo, hi)
            if kind == "int" and v != int(v):
                raise _fail(path, dotted, value, "expected a whole number")
            demand[key] = int(v) if kind == "int" else v
        _need_source(path, sources, dotted, value)
    if dm:
        key = next(iter(dm))
        raise _fail(path, f"demand.{key}", dm[key], "unknown key")
    if demand["stops_per_tour_max"] < demand["stops_per_tour_min"]:
        raise _fail(path, "demand.stops_per_tour_max", demand["stops_per_tour_max"],
                    "must be >= stops_per_tour_min")
    if demand["long_haul_payload_t"] <= demand["urban_payload_t"]:
        raise _fail(path, "demand.long_haul_payload_t", demand["long_haul_payload_t"],
                    "must be > urban_payload_t")
    return demand


def _parse_fitted(
    data: dict[str, Any], path: Path, fleet_def: FleetDefinition, sources: dict[str, str]
) -> dict[str, Any]:
    ft = dict(data.get("fitted", {}))
    sources.update(_sources(path, ft, "fitted"))
    fitted: dict[str, Any] = {}
    for key in FITTED_KEYS:
        if key not in ft:
            raise _fail(path, f"fitted.{key}", None, "missing")
        value = ft.pop(key)
        if key in ("round_trips_per_vehicle_day", "ship_sailings_factor"):
            fleet = "truck" if key.startswith("round") else "ship"
            if not isinstance(value, dict):
                raise _fail(path, f"fitted.{key}", value, f"expected {{{fleet} class = number}}")
            per = {}
            for cname, v in value.items():
                if cname not in fleet_def.fleet(fleet).classes:
                    raise _fail(path, f"fitted.{key}.{cname}", v, f"unknown {fleet} class")
                per[cname] = _number(path, f"fitted.{key}.{cname}", v, 0.0, None)
            fitted[key] = MappingProxyType(per)
        else:
            hi = None
            fitted[key] = _number(path, f"fitted.{key}", value, 0.0, hi)
        _need_source(path, sources, f"fitted.{key}", value)
    if ft:
        key = next(iter(ft))
        raise _fail(path, f"fitted.{key}", ft[key], "unknown key")
    return fitted


def read_calibration_toml(path: Path) -> dict[str, Any]:
    """Read the calibration TOML at ``path`` (one-line error when missing or malformed)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise _fail(path, "calibration_file", str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, "calibration_file", str(path), f"malformed TOML: {exc}") from None


def load_calibration(scenario: Scenario, fleet_def: FleetDefinition) -> Calibration:
    """Load the scenario's calibration file with its ``calibration_overrides`` merged in."""
    path = scenario.calibration_path
    data = read_calibration_toml(path)
    if scenario.calibration_overrides:
        data = deep_merge(data, dict(scenario.calibration_overrides))
        for dotted in _leaves(dict(scenario.calibration_overrides)):
            section = dotted.split(".")[0]
            table = data.setdefault(section, {})
            table.setdefault("sources", {})[dotted.split(".", 1)[1]] = (
                "estimate: set by the scenario's calibration_overrides"
            )
    return parse_calibration(data, path, fleet_def)


def _leaves(table: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in (
            "fitted.round_trips_per_vehicle_day", "fitted.ship_sailings_factor"
        ):
            out.extend(_leaves(value, dotted + "."))
        else:
            out.append(dotted)
    return out
