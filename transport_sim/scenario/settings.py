"""Typed, validated scenarios loaded from TOML.

A scenario is a tree of frozen dataclasses.  Loading checks every key and value once;
the rest of the package trusts a :class:`Scenario`.  Every error names the file, the
dotted field, the value and what is accepted, on one line (:class:`ScenarioError`).

Layout of a scenario file (every section optional except ``[scenario]``; omitted
fields take the defaults documented on each dataclass field)::

    [scenario]   name, description, network, fleet_file, extends
    [run]        seed, start_year, end_year, tick_s, day_types, holiday_days_per_year, ...
    [grid]       co2_kg_per_kwh (curve)
    [hydrogen]   pathway_mix (share mix of curves)
    [policy.bus] / [policy.taxi] / [policy.truck] / [policy.ship]   fleet levers
    [policy.freight]     rail_share, road_tonnage_growth
    [policy.passenger]   public_transport_share
    [charging]   coverage, plugs, power, charging thresholds
    [costs]      carbon_price_cny_per_t (curve); prices live in scenario.cost_file
    [fleet_overrides]    deep-merged onto the fleet file (same structure)

Curves are ``{year = value}`` tables (see :mod:`transport_sim.scenario.curves`).
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transport_sim.codes import DAY_TYPES, FLEETS, MOVEMENT_ENGINES, NEV_POWERTRAINS
from transport_sim.errors import ScenarioError, describe
from transport_sim.scenario import schema
from transport_sim.scenario.curves import Curve
from transport_sim.units import SECONDS_PER_DAY

#: Conventional (non-NEV) powertrains each fleet may buy.
CONVENTIONAL_POWERTRAINS: dict[str, tuple[str, ...]] = {
    "bus": ("diesel", "cng", "lng", "hybrid"),
    "taxi": ("petrol", "cng", "hybrid"),
    "truck": ("diesel", "lng", "cng"),
    "ship": ("diesel",),
}
#: Hydrogen production pathways known to :mod:`transport_sim.fleets.factors`.
HYDROGEN_PATHWAYS = ("smr", "coal", "grid_electrolysis", "clean")
#: Diesel emission standards in vintage order.
EMISSION_STANDARDS = ("china2", "china3", "china4", "china5", "china6")
COVERAGE_ORDERS = ("traffic", "gap")
PLUG_GROWTH = ("fleet", "frozen")


# --------------------------------------------------------------------------------------
# field kinds (metadata["kind"]) understood by the generic loader
# --------------------------------------------------------------------------------------
def _f(default: Any, kind: str, doc: str, **extra: Any) -> Any:
    meta = {"kind": kind, "doc": doc, **extra}
    if isinstance(default, (dict, list, Curve)) or callable(default):
        factory = default if callable(default) else (lambda d=default: copy.deepcopy(d))
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _const(value: float) -> typing.Callable[[], Curve]:
    return lambda: Curve.constant(value)


def _curve(points: dict[int, float]) -> typing.Callable[[], Curve]:
    return lambda: Curve(tuple(points), tuple(float(v) for v in points.values()))


@dataclass(frozen=True)
class ScenarioMeta:
    """``[scenario]``: identity and input files (paths relative to the scenario file)."""

    name: str = _f("unnamed", "name", "scenario name: letters, digits, '-', '_'")
    description: str = _f("", "str", "free text")
    network: str = _f("../networks/shiyan_schematic.osm", "path", "OSM file of roads and water")
    fleet_file: str = _f("../fleets/shiyan.toml", "path", "fleet definition TOML")
    calibration_file: str = _f(
        "",
        "str",
        "base-year activity targets, demand parameters and fitted values (transport-sim "
        "calibrate); default: <fleet file stem>_calibration.toml beside the fleet file",
    )
    cost_file: str = _f(
        "", "str", "cost data TOML (prices, tariffs); empty: costs.toml beside the fleet file"
    )


@dataclass(frozen=True)
class RunSettings:
    """``[run]``: time axis, tick, seed and simulation scale."""

    seed: int = _f(20240601, "int", "seed of the run's one numpy Generator", lo=0)
    start_year: int = _f(2024, "year", "first policy year (the fleet file's base year)")
    end_year: int = _f(2035, "year", "last policy year, inclusive")
    tick_s: float = _f(10.0, "tick", "simulation tick in seconds; must divide 86400")
    day_types: tuple[str, ...] = _f(
        ("weekday", "holiday"), "choices", "representative days", choices=DAY_TYPES
    )
    holiday_days_per_year: int = _f(
        20, "int", "holiday-peak days per year (Spring Festival, Golden Weeks)", lo=0, hi=120
    )
    report_interval_s: float = _f(900.0, "float", "DataCollector interval, seconds", lo=1.0)
    vehicle_scale: float = _f(
        1.0, "float", "fraction of each fleet simulated on the representative day", lo=1e-4, hi=1.0
    )
    drop_fleets: tuple[str, ...] = _f(
        (),
        "choices",
        "fleets left out because the network cannot carry them (no bus lines, water, ...); "
        "they get no rows in the tables and the report says so",
        choices=FLEETS,
        allow_empty=True,
    )
    movement: str = _f(
        "event",
        "choice",
        "movement engine of the day loop: event (a vehicle is touched only when something "
        "happens to it, about 2x faster on the 2024 weekday) or tick (every vehicle every "
        "tick, the reference); the days are bit-identical",
        choices=MOVEMENT_ENGINES,
    )


@dataclass(frozen=True)
class GridSettings:
    """``[grid]``: electricity emission factor by year (consumption side, incl. losses)."""

    co2_kg_per_kwh: Curve = _f(
        _curve({2023: 0.4044}), "curve", "grid CO2 factor, kg CO2 per kWh", lo=0.0, hi=2.0
    )


@dataclass(frozen=True)
class HydrogenSettings:
    """``[hydrogen]``: the mix of hydrogen production pathways by year."""

    pathway_mix: dict[str, Curve] = _f(
        lambda: {"smr": Curve.constant(1.0)},
        "mix",
        "shares of hydrogen production pathways",
        choices=HYDROGEN_PATHWAYS,
    )


@dataclass(frozen=True)
class FleetPolicy:
    """``[policy.<fleet>]``: purchases, growth and retirements of one fleet."""

    nev_share_of_new: Curve = _f(
        _const(0.0), "share_curve", "share of new and replaced vehicles that are NEV (bev+fcev)"
    )
    fcev_share_of_nev: Curve = _f(
        _const(0.0), "share_curve", "share of NEV purchases that are fuel-cell (fcev)"
    )
    conventional_mix: dict[str, Curve] | None = _f(
        None, "mix_or_none", "mix of non-NEV purchases (default: the fleet file's stock mix)"
    )
    stock_growth: Curve = _f(
        _const(0.0), "curve", "annual growth rate of the stock (0.02 = +2 %/yr)", lo=-0.5, hi=0.5
    )
    lifetime_scale: float = _f(
        1.0,
        "float",
        "multiplies the fleet file's mean lifetime (early scrappage < 1)",
        lo=0.1,
        hi=5.0,
    )
    phase_out_standard: str | None = _f(
        None,
        "choice_or_none",
        "retire every diesel vehicle of this standard and older",
        choices=EMISSION_STANDARDS,
    )
    phase_out_year: int | None = _f(None, "year_or_none", "year by which the phase-out is done")
    nev_purchase_subsidy_share: Curve = _f(
        _const(0.0), "share_curve", "share of an NEV's purchase price paid by a subsidy"
    )


@dataclass(frozen=True)
class FreightPolicy:
    """``[policy.freight]``: tonnage and the rail shift."""

    rail_share: Curve = _f(_const(0.05), "share_curve", "share of freight tonnage carried by rail")
    road_tonnage_growth: Curve = _f(
        _const(0.03), "curve", "annual growth of total freight tonnage", lo=-0.5, hi=0.5
    )


@dataclass(frozen=True)
class PassengerPolicy:
    """``[policy.passenger]``: mode shift between buses and taxis."""

    public_transport_share: Curve = _f(
        _const(0.36), "share_curve", "public transport share of motorised trips"
    )


def _fleet_policies() -> dict[str, FleetPolicy]:
    return {name: FleetPolicy() for name in FLEETS}


@dataclass(frozen=True)
class PolicySettings:
    """``[policy]``: one :class:`FleetPolicy` per fleet plus freight and passenger levers."""

    bus: FleetPolicy = _f(FleetPolicy, "section", "bus fleet levers")
    taxi: FleetPolicy = _f(FleetPolicy, "section", "taxi fleet levers")
    truck: FleetPolicy = _f(FleetPolicy, "section", "truck fleet levers")
    ship: FleetPolicy = _f(FleetPolicy, "section", "reservoir ship levers")
    freight: FreightPolicy = _f(FreightPolicy, "section", "freight levers")
    passenger: PassengerPolicy = _f(PassengerPolicy, "section", "passenger mode-shift levers")

    def fleet(self, name: str) -> FleetPolicy:
        """Return the policy of fleet ``name`` (one of :data:`~transport_sim.codes.FLEETS`)."""
        return getattr(self, name)


@dataclass(frozen=True)
class ChargingSettings:
    """``[charging]``: charger coverage, plugs, power and when vehicles charge."""

    service_area_coverage: Curve = _f(
        _const(0.75), "share_curve", "share of expressway service areas with chargers"
    )
    coverage_order: str = _f(
        "traffic", "choice", "which service areas get chargers first", choices=COVERAGE_ORDERS
    )
    service_area_plugs: int = _f(6, "int", "fast plugs per charged service area", lo=1, hi=500)
    service_area_power_kw: float = _f(180.0, "float", "power per service-area plug, kW", lo=1.0)
    service_area_mcs_plugs: Curve = _f(
        _const(0.0), "curve", "megawatt truck plugs per charged service area", lo=0.0, hi=50.0
    )
    mcs_power_kw: float = _f(1200.0, "float", "megawatt-class plug power, kW", lo=1.0)
    depot_plugs_per_bus: float = _f(0.5, "float", "depot plugs per BEV bus", lo=0.0, hi=2.0)
    depot_power_kw: float = _f(150.0, "float", "bus depot / terminal plug power, kW", lo=1.0)
    urban_hubs: int = _f(
        60, "int", "urban public charging hubs (taxis, delivery trucks); pilot: 300 by 2028; "
        "more hubs than the network's candidate locations share them, busiest first", lo=0
    )
    urban_hub_plugs: int = _f(8, "int", "plugs per urban hub", lo=1, hi=500)
    urban_power_kw: float = _f(120.0, "float", "urban hub plug power, kW", lo=1.0)
    port_plugs: int = _f(2, "int", "shore-power plugs per port", lo=1, hi=100)
    port_power_kw: float = _f(250.0, "float", "shore-power plug power, kW", lo=1.0)
    charger_efficiency: float = _f(0.93, "share", "battery energy gained per kWh from the grid")
    taper_start_soc: float = _f(0.8, "share", "state of charge above which power tapers")
    charge_below_soc: float = _f(0.25, "share", "vehicles seek a charger below this SOC")
    charge_to_soc: float = _f(0.9, "share", "vehicles leave the plug at this SOC")
    car_ev_arrivals_per_h: float = _f(
        1.5,
        "float",
        "private EV cars arriving to charge per service area per hour (weekday)",
        lo=0.0,
    )
    holiday_car_multiplier: float = _f(
        2.5, "float", "holiday-peak multiplier of service-area car charging demand", lo=0.0
    )
    truck_reserve_soc: float = _f(
        0.10,
        "share",
        "battery share a BEV truck, bus or ship keeps in reserve when judging whether it "
        "reaches its next stop without charging (estimate, fleets/SOURCES.md S-charging-behaviour)",
    )
    truck_min_gain_soc: float = _f(
        0.05,
        "share",
        "a plan-aware stop is made only when the SOC is at least this far below "
        "charge_to_soc (no tiny top-ups; estimate, fleets/SOURCES.md S-charging-behaviour)",
    )
    route_energy_margin: float = _f(
        1.15,
        "float",
        "safety factor on the shortest-path energy to the next stop or charger when a "
        "battery vehicle judges its reach (routes are longer than shortest paths, speeds and "
        "loads vary; estimate, fleets/SOURCES.md S-charging-behaviour)",
        lo=1.0,
    )
    plug_growth: str = _f(
        "fleet", "choice",
        "'fleet': plugs follow the battery fleets each year; 'frozen': the base year's plugs",
        choices=PLUG_GROWTH,
    )
    urban_public_plugs_per_100_bev: Curve = _f(
        _const(10.0), "curve",
        "public plugs at the urban hubs per 100 battery taxis in service (on top of the "
        "fleet file's home-base plugs)", lo=0.0, hi=1000.0,
    )
    urban_public_plugs: Curve = _f(
        _const(0.0), "curve",
        "explicit public plugs at the urban hubs by year (0: use the per-100 curve)",
        lo=0.0, hi=1e6,
    )
    service_area_plugs_per_100_bev_trucks: Curve = _f(
        _const(10.0), "curve",
        "service-area plugs per 100 battery trucks that use the expressways, spread over "
        "the charged areas by passing traffic (at least service_area_plugs each)",
        lo=0.0, hi=1000.0,
    )
    size_for_p95_wait_min: float = _f(
        0.0, "float",
        "size every site each year after the base year for this P95 wait, minutes "
        "(0: no sizing)", lo=0.0, hi=1440.0,
    )
    base_year_p95_wait_min: float = _f(
        0.0, "float",
        "the base year's plugs are sized for this P95 wait, minutes: today's "
        "infrastructure estimated so that today's fleets are served, the same in every "
        "scenario sharing the base year (0: the grown plug counts as they are)",
        lo=0.0, hi=1440.0,
    )
    size_day_types: tuple[str, ...] = _f(
        ("holiday", "weekday"), "choices",
        "representative days the sites are sized on, in order (plugs only grow)",
        choices=DAY_TYPES,
    )
    report_max_wait_p95_min: float = _f(
        30.0, "float",
        "P95 wait (min) above which the report flags a year when the run sizes nothing",
        lo=0.0, hi=1440.0,
    )
    size_max_rounds: int = _f(
        6, "int", "verification re-runs per year when sizing", lo=1, hi=20
    )



@dataclass(frozen=True)
class CostSettings:
    """``[costs]``: price levers of a scenario (the prices themselves are in the cost file)."""

    carbon_price_cny_per_t: Curve = _f(
        _const(0.0), "curve", "carbon price on tank-to-wheel CO2, CNY per t", lo=0.0, hi=1e5
    )


@dataclass(frozen=True)
class Scenario:
    """A fully validated scenario.

    Attributes
    ----------
    source
        The TOML file it was loaded from (``None`` when built in Python).
    fleet_overrides
        A nested table deep-merged onto the fleet file before the fleet is validated.
    """

    scenario: ScenarioMeta = _f(ScenarioMeta, "section", "identity and input files")
    run: RunSettings = _f(RunSettings, "section", "time axis and seed")
    grid: GridSettings = _f(GridSettings, "section", "grid emission factor")
    hydrogen: HydrogenSettings = _f(HydrogenSettings, "section", "hydrogen pathways")
    policy: PolicySettings = _f(PolicySettings, "section", "policy levers")
    charging: ChargingSettings = _f(ChargingSettings, "section", "charging infrastructure")
    costs: CostSettings = _f(CostSettings, "section", "cost levers (carbon price)")
    fleet_overrides: dict[str, Any] = _f(dict, "table", "deep-merged onto the fleet file")
    calibration_overrides: dict[str, Any] = _f(
        dict, "table", "deep-merged onto the calibration file (sweeps vary demand parameters)"
    )
    source: Path | None = field(default=None, compare=False, metadata={"kind": "internal"})

    # ---------------------------------------------------------------- convenience
    @property
    def name(self) -> str:
        """Scenario name."""
        return self.scenario.name

    @property
    def years(self) -> range:
        """Policy years, inclusive of ``end_year``."""
        return range(self.run.start_year, self.run.end_year + 1)

    @property
    def base_dir(self) -> Path:
        """Folder against which relative paths are resolved."""
        return self.source.parent if self.source is not None else Path.cwd()

    @property
    def network_path(self) -> Path:
        """Absolute path of the network file."""
        return (self.base_dir / self.scenario.network).resolve()

    @property
    def fleet_path(self) -> Path:
        """Absolute path of the fleet file."""
        return (self.base_dir / self.scenario.fleet_file).resolve()

    @property
    def calibration_path(self) -> Path:
        """Absolute path of the calibration file (default: beside the fleet file)."""
        if not self.scenario.calibration_file:
            fleet = self.fleet_path
            return fleet.with_name(f"{fleet.stem}_calibration.toml")
        return (self.base_dir / self.scenario.calibration_file).resolve()

    @property
    def cost_path(self) -> Path:
        """Absolute path of the cost data file (default: ``costs.toml`` beside the fleet file)."""
        if not self.scenario.cost_file:
            return self.fleet_path.parent / "costs.toml"
        return (self.base_dir / self.scenario.cost_file).resolve()

    # ---------------------------------------------------------------- conversions
    def to_dict(self, *, resolve_paths: bool = True) -> dict[str, Any]:
        """Return the scenario as a plain TOML-ready dict (every default filled in)."""
        out = _to_plain(self)
        if resolve_paths:
            out["scenario"]["network"] = str(self.network_path)
            out["scenario"]["fleet_file"] = str(self.fleet_path)
            if self.scenario.calibration_file:  # the default stays "beside the fleet file"
                out["scenario"]["calibration_file"] = str(self.calibration_path)
            out["scenario"]["cost_file"] = str(self.cost_path)
        return out

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """Return a new scenario with dotted-path fields replaced and re-validated.

        Parameters
        ----------
        overrides
            ``{"policy.bus.nev_share_of_new": 0.9, "run.seed": 3, ...}``; values in
            TOML form (a number for a constant curve, a ``{year: value}`` dict, ...).

        Raises
        ------
        ScenarioError
            If a path does not exist or a value is invalid.
        """
        data = self.to_dict(resolve_paths=True)
        for dotted, value in overrides.items():
            _set_dotted(data, dotted, value, self.source)
        return scenario_from_dict(data, source=self.source)


# --------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------
def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file.

    Parameters
    ----------
    path
        The scenario file.  ``[scenario] extends = "other.toml"`` loads that file first
        and deep-merges this one onto it.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        On a missing or malformed file, an unknown key, or an invalid value.
    """
    path = Path(path)
    data = _read_toml_with_extends(path, seen=())
    return scenario_from_dict(data, source=path.resolve())


def read_toml(path: Path, what: str = "scenario") -> dict[str, Any]:
    """Read a TOML file, turning I/O and syntax errors into one-line :class:`ScenarioError`."""
    return schema.read_toml(path, what, ScenarioError)


def _read_toml_with_extends(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    data = read_toml(path)
    meta = data.get("scenario", {})
    parent = meta.pop("extends", None) if isinstance(meta, dict) else None
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(describe(path, "scenario.extends", parent, "expected a file path"))
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        raise ScenarioError(describe(path, "scenario.extends", parent, "circular extends"))
    base = _read_toml_with_extends(parent_path, (*seen, path.resolve()))
    # relative paths in the parent are relative to the parent's folder
    base_meta = base.setdefault("scenario", {})
    for key in ("network", "fleet_file", "calibration_file", "cost_file"):
        if base_meta.get(key) and key not in meta:
            base_meta[key] = str((parent_path.parent / base_meta[key]).resolve())
    base_meta.pop("name", None)
    return deep_merge(base, data)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``over`` merged in recursively (``over`` wins; tables merge)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if (
            isinstance(value, dict)
            and isinstance(out.get(key), dict)
            and not _is_curve_table(value)
            and not (not value and _is_curve_table(out[key]))  # {} over a curve: an error
        ):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_curve_table(value: dict[str, Any]) -> bool:
    return bool(value) and all(str(k).lstrip("-").isdigit() for k in value)


def scenario_from_dict(data: dict[str, Any], source: Path | None = None) -> Scenario:
    """Validate a plain dict (as read from TOML) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise ScenarioError(describe(source, "<root>", data, "expected a TOML table"))
    if "scenario" not in data:
        raise ScenarioError(
            describe(source, "scenario", None, "missing [scenario] table (needs at least name)")
        )
    scen = schema.build_dataclass(Scenario, data, schema.Where(source))
    scen = dataclasses.replace(scen, source=source)
    _check_cross_fields(scen)
    return scen


def check_mix_sums(mix: dict[str, Curve], path: str, source: Path | None) -> None:
    """Raise :class:`ScenarioError` unless the shares sum to 1 in every year."""
    schema.check_mix_sums(mix, schema.Where(source, path))


def _check_cross_fields(scen: Scenario) -> None:
    src = scen.source
    run = scen.run
    if run.end_year < run.start_year:
        raise ScenarioError(
            describe(
                src,
                "run.end_year",
                run.end_year,
                f"years reversed: end_year must be >= start_year ({run.start_year})",
            )
        )
    schema.check_rules(scen, SCENARIO_RULES, schema.Where(src))
    for fleet in FLEETS:
        pol = scen.policy.fleet(fleet)
        mix = pol.conventional_mix
        if mix is not None:
            allowed = CONVENTIONAL_POWERTRAINS[fleet]
            for key in mix:
                if key not in allowed:
                    raise ScenarioError(
                        describe(
                            src,
                            f"policy.{fleet}.conventional_mix.{key}",
                            key,
                            f"not a conventional powertrain of {fleet}; accepted: "
                            f"{', '.join(allowed)}",
                        )
                    )
        if pol.phase_out_standard is not None and fleet not in ("bus", "truck"):
            raise ScenarioError(
                describe(
                    src,
                    f"policy.{fleet}.phase_out_standard",
                    pol.phase_out_standard,
                    "China I-VI phase-outs apply to diesel fleets only (bus, truck)",
                )
            )
        if (pol.phase_out_standard is None) != (pol.phase_out_year is None):
            raise ScenarioError(
                describe(
                    src,
                    f"policy.{fleet}.phase_out_year",
                    pol.phase_out_year,
                    "phase_out_standard and phase_out_year go together",
                )
            )
    for key in scen.fleet_overrides:
        if key not in (*FLEETS, "meta", "freight", "passenger"):
            raise ScenarioError(
                describe(
                    src,
                    f"fleet_overrides.{key}",
                    scen.fleet_overrides[key],
                    f"unknown fleet; accepted: {', '.join(FLEETS)}",
                )
            )
    if not scen.network_path.exists():
        raise ScenarioError(
            describe(src, "scenario.network", scen.scenario.network, "network file not found")
        )
    if not scen.fleet_path.exists():
        raise ScenarioError(
            describe(src, "scenario.fleet_file", scen.scenario.fleet_file, "fleet file not found")
        )
    _check_calibration_file(scen)


def _check_calibration_file(scen: Scenario) -> None:
    # an explicit calibration file must exist; the default one beside the fleet file is
    # checked when a run loads it (FleetError, one line)
    if scen.scenario.calibration_file and not scen.calibration_path.exists():
        raise ScenarioError(
            describe(
                scen.source, "scenario.calibration_file", scen.scenario.calibration_file,
                "calibration file not found",
            )
        )


def _report_interval_problem(scen: Scenario) -> str | None:
    run = scen.run
    if SECONDS_PER_DAY % run.report_interval_s != 0:
        return "must divide the day (86400 s)"
    if run.report_interval_s % run.tick_s != 0 and run.tick_s < run.report_interval_s:
        return f"must be a multiple of run.tick_s ({run.tick_s:g} s)"
    return None


def _tick_problem(scen: Scenario) -> str | None:
    run = scen.run
    if SECONDS_PER_DAY % run.report_interval_s == 0 and run.tick_s > run.report_interval_s:
        return (
            f"longer than run.report_interval_s ({run.report_interval_s:g} s); set "
            "report_interval_s to a multiple of the tick"
        )
    return None


#: Rules across fields, checked once every field is valid (first broken rule reported).
SCENARIO_RULES: tuple[schema.Rule, ...] = (
    schema.Rule("run.report_interval_s", _report_interval_problem),
    schema.Rule("run.tick_s", _tick_problem),
    schema.Rule(
        "charging.charger_efficiency",
        lambda s: None if s.charging.charger_efficiency > 0 else
        "expected an efficiency in (0, 1]: at 0 no energy reaches the battery",
    ),
    schema.Rule(
        "charging.charge_to_soc",
        lambda s: None if s.charging.charge_to_soc > s.charging.charge_below_soc else
        f"must be above charging.charge_below_soc ({s.charging.charge_below_soc:g}): "
        "vehicles would leave the plug before reaching the level that sends them to charge",
    ),
)


def _internal(fld: dataclasses.Field) -> bool:
    return fld.metadata.get("kind") == "internal"


def _set_dotted(data: dict[str, Any], dotted: str, value: Any, source: Path | None) -> None:
    parts = dotted.split(".")
    node: Any = Scenario
    target = data
    for i, part in enumerate(parts):
        is_last = i == len(parts) - 1
        if dataclasses.is_dataclass(node):
            names = {f.name: f for f in dataclasses.fields(node)}
            if part not in names or names[part].metadata.get("kind") == "internal":
                raise ScenarioError(
                    describe(
                        source,
                        dotted,
                        value,
                        f"no such scenario field {part!r}; accepted: "
                        f"{', '.join(n for n, f in names.items() if not _internal(f))}",
                    )
                )
            fld = names[part]
            if is_last:
                target[part] = value
                return
            if fld.metadata["kind"] == "section":
                node = schema.section_type(typing.get_type_hints(node)[part])
                target = target.setdefault(part, {})
                continue
            if fld.metadata["kind"] in ("table", "mix", "mix_or_none"):
                node = None
                target = (
                    target.setdefault(part, {})
                    if target.get(part) is not None
                    else (target.__setitem__(part, {}) or target[part])
                )
                continue
            raise ScenarioError(
                describe(source, dotted, value, f"{part!r} is a value, not a table")
            )
        # free-form table (fleet_overrides, mixes): create as needed
        if is_last:
            target[part] = value
            return
        target = target.setdefault(part, {})


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, Curve):
        return obj.to_toml()
    if dataclasses.is_dataclass(obj):
        out = {}
        for fld in dataclasses.fields(obj):
            if fld.metadata.get("kind") == "internal":
                continue
            val = getattr(obj, fld.name)
            if val is None:
                continue
            out[fld.name] = _to_plain(val)
        return out
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [_to_plain(v) for v in obj]
    return obj


def is_nev(powertrain: str) -> bool:
    """Return True for new-energy powertrains (bev, fcev)."""
    return powertrain in NEV_POWERTRAINS
