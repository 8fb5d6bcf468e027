"""Fleet files (``fleets/*.toml``) -> :class:`~transport_sim.fleets.specs.FleetDefinition`.

See ``fleets/README.md`` for the layout.  Every number carries a source in the section's
``sources`` table; the loader refuses a number without one.  Scenarios override any
number through ``fleet_overrides`` (same structure), deep-merged onto the file before
validation: :func:`load_fleets` takes the merged dict.  Errors are one line
(:class:`~transport_sim.errors.FleetError`): the file, the dotted field, the value and
what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from transport_sim.codes import CARRIER_UNITS, FLEETS, ROAD_CLASSES
from transport_sim.errors import FleetError, describe
from transport_sim.fleets.factors import lower_heating_value_kwh
from transport_sim.fleets.home_charging import parse_home_charging
from transport_sim.fleets.specs import (
    MAX_VINTAGE_YEAR,
    MIN_VINTAGE_YEAR,
    ROAD_CLASS_GROUPS,
    SECTIONS,
    SHARE_SUM_TOLERANCE,
    SOURCE_ID,
    SOURCE_PREFIXES,
    SOURCES_FILE,
    AgeSpec,
    BusOperation,
    FleetDefinition,
    FleetSpec,
    FreightSpec,
    Operation,
    PassengerSpec,
    PowertrainSpec,
    ShipOperation,
    SizeClassSpec,
    TaxiOperation,
    TruckOperation,
    allowed_powertrains,
    carrier_of,
)
from transport_sim.scenario import schema
from transport_sim.scenario.curves import Curve
from transport_sim.scenario.settings import deep_merge
from transport_sim.units import HOURS_PER_DAY, T_PER_MT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path

    from transport_sim.scenario.settings import Scenario


# ======================================================================================
# loading
# ======================================================================================
def load_fleets(path: Path, overrides: Mapping[str, Any] | None = None) -> FleetDefinition:
    """Load and validate a fleet file, with ``overrides`` deep-merged onto it first.

    Parameters
    ----------
    path
        The fleet TOML file.
    overrides
        A nested table of the file's structure (a scenario's ``fleet_overrides``).

    Returns
    -------
    FleetDefinition

    Raises
    ------
    FleetError
        On a missing or malformed file, an unknown key, fleet or powertrain, a share
        outside [0, 1] or shares not summing to 1, a negative number, a fleet of zero
        vehicles, or a number without a source.
    """
    data = schema.read_toml(path, "fleet_file", FleetError)
    overridden: frozenset[str] = frozenset()
    if overrides:
        if not isinstance(overrides, dict):
            raise FleetError(describe(path, "fleet_overrides", overrides, "expected a table"))
        overridden = frozenset(_leaf_paths(overrides))
        data = deep_merge(data, dict(overrides))
    ctx = _Context(path, overridden)
    return _parse_definition(data, ctx)


def load_fleets_for(scenario: Scenario) -> FleetDefinition:
    """Load the scenario's fleet file with its ``fleet_overrides`` applied."""
    return load_fleets(scenario.fleet_path, scenario.fleet_overrides)


@dataclass(frozen=True)
class _Context:
    path: Path
    overridden: frozenset[str]

    def label(self, dotted: str) -> str:
        """Return the file label of ``dotted``: notes when a scenario overrode it."""
        touched = any(
            o == dotted or o.startswith(dotted + ".") or dotted.startswith(o + ".")
            for o in self.overridden
        )
        return f"{self.path} (with fleet_overrides)" if touched else str(self.path)

    def where(self, dotted: str) -> schema.Where:
        """Return the schema location of ``dotted`` (errors are :class:`FleetError`)."""
        return schema.Where(self.path, dotted, FleetError, self.label)

    def fail(self, dotted: str, value: object, problem: str) -> FleetError:
        return self.where(dotted).fail(value, problem)  # type: ignore[return-value]


_REQUIRED = object()

#: Accepted Weibull lifetime parameters (mean in years, shape).  Vehicle survival curves
#: have shapes of about 2-6 and mean lives of 5-40 years; these wider bounds accept any
#: plausible fleet while keeping Gamma(1 + 1/shape) and (age / scale) ** shape finite.
LIFETIME_MEAN_YEARS: tuple[float, float] = (1.0, 100.0)
LIFETIME_SHAPE: tuple[float, float] = (0.5, 20.0)

#: Largest base-year stock accepted per fleet.  Estimate: the largest city bus fleets in
#: China are of order 10^4 vehicles and buses are simulated one for one (no
#: ``vehicle_scale``), so 100,000 buses bounds any real city while refusing typos such as
#: 1e8 that would exhaust memory; taxis and trucks (scaled by ``run.vehicle_scale``) of a
#: prefecture-level city are of order 10^4-10^5, bounded at 1,000,000; reservoir ships at
#: 100,000.
MAX_STOCK: Mapping[str, int] = MappingProxyType(
    {"bus": 100_000, "taxi": 1_000_000, "truck": 1_000_000, "ship": 100_000}
)


class _Reader:
    """Read one TOML table, remembering which keys were asked for (unknown keys fail)."""

    def __init__(self, data: object, dotted: str, ctx: _Context) -> None:
        if not isinstance(data, dict):
            raise ctx.fail(dotted, data, "expected a table")
        self.data: dict[str, Any] = data
        self.dotted = dotted
        self.ctx = ctx
        self.accepted: list[str] = []

    def path(self, key: str) -> str:
        return f"{self.dotted}.{key}" if self.dotted else key

    def fail(self, key: str, value: object, problem: str) -> FleetError:
        return self.ctx.fail(self.path(key), value, problem)

    def _get(self, key: str, default: object) -> object:
        self.accepted.append(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise self.fail(key, None, "missing; this field is required")
            return default
        return self.data[key]

    def has(self, key: str) -> bool:
        return key in self.data

    def where(self, key: str) -> schema.Where:
        """Return the schema location of ``key`` in this table."""
        return self.ctx.where(self.path(key))

    def _check(self, key: str, kind: schema.Kind, default: object) -> Any:
        value = self._get(key, default)
        if value is default and default is not _REQUIRED:
            return value
        return kind.convert(value, self.where(key))

    def number(
        self, key: str, *, lo: float = 0.0, hi: float | None = None, default: object = _REQUIRED,
        positive: bool = False,
    ) -> float:
        kind = schema.Number(lo=lo, hi=hi, lo_open=positive and lo <= 0)
        return float(self._check(key, kind, default))

    def integer(
        self, key: str, *, lo: int = 0, hi: int | None = None, default: object = _REQUIRED
    ) -> int:
        return int(self._check(key, schema.Integer(lo, hi), default))

    def share(self, key: str, default: object = _REQUIRED) -> float:
        return float(self._check(key, schema.Share(), default))

    def string(self, key: str, default: object = _REQUIRED) -> str:
        return self._check(key, schema.String(), default)

    def sub(self, key: str, default: object = _REQUIRED) -> _Reader | None:
        value = self._get(key, default)
        if value is None:
            return None
        return _Reader(value, self.path(key), self.ctx)

    def raw(self, key: str, default: object = _REQUIRED) -> object:
        return self._get(key, default)

    def shares(self, key: str, allowed: Sequence[str]) -> dict[str, float]:
        return self._check(key, schema.ShareMix(tuple(allowed), curves=False), _REQUIRED)

    def profile(self, key: str, length: int = HOURS_PER_DAY) -> tuple[float, ...]:
        what = f"{length} non-negative numbers (relative weights), not all 0"
        kind = schema.ListOf(schema.Number(lo=0.0), length=length, what=what)
        values = self.raw(key)
        try:
            weights = kind.convert(values, self.where(key))
        except FleetError:
            raise self.fail(key, values, f"expected {what}") from None
        total = float(sum(weights))
        if total <= 0:
            raise self.fail(key, values, f"expected {what}")
        return tuple(w / total for w in weights)

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.accepted]
        if unknown:
            raise self.fail(
                unknown[0], self.data[unknown[0]],
                f"unknown key; accepted: {', '.join(self.accepted)}",
            )


def _leaf_paths(table: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and not all(str(k).isdigit() for k in value):
            yield from _leaf_paths(value, dotted)
        else:
            yield dotted


def _numeric_leaves(table: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    """Yield dotted paths of numbers (lists and year tables count as one leaf)."""
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if key == "sources":
            continue
        if isinstance(value, dict):
            if value and all(str(k).isdigit() for k in value):
                yield dotted
            else:
                yield from _numeric_leaves(value, dotted)
        elif isinstance(value, list) or (
            isinstance(value, (int, float)) and not isinstance(value, bool)
        ):
            yield dotted


def _has_path(table: Mapping[str, Any], dotted: str) -> bool:
    node: Any = table
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _parse_sources(section: str, table: dict[str, Any], ctx: _Context) -> dict[str, str]:
    raw = table.get("sources")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ctx.fail(f"{section}.sources", raw, "expected a table of field = source text")
    out: dict[str, str] = {}
    for key, text in raw.items():
        where = f"{section}.sources.{key}"
        if not isinstance(text, str) or not text.startswith(SOURCE_PREFIXES):
            raise ctx.fail(
                where, text,
                "a source must be text starting with one of: " + ", ".join(SOURCE_PREFIXES),
            )
        if not _has_path(table, key):
            raise ctx.fail(where, text, f"names no field of [{section}]")
        out[f"{section}.{key}"] = text
    for leaf in _numeric_leaves(table):
        dotted = f"{section}.{leaf}"
        if any(o == dotted or dotted.startswith(o + ".") for o in ctx.overridden):
            out[dotted] = "fleet_overrides"
            continue
        parts = dotted.split(".")
        if not any(".".join(parts[:n]) in out for n in range(2, len(parts) + 1)):
            raise ctx.fail(
                dotted, _get_path(table, leaf),
                f"number without a source: add it to [{section}.sources] "
                "('SOURCES.md S-<id>: …', 'estimate: <reasoning>', 'derived: …' or "
                "'regulation: …')",
            )
    return out


def check_source_ids(fleet_path: Path, sources: Mapping[str, str]) -> None:
    """Check that every ``S-<id>`` cited in ``sources`` is a heading of ``SOURCES.md``.

    ``sources`` maps ``<section>.<field>`` to its source text (``FleetDefinition.sources``).
    The headings are read from ``SOURCES.md`` in the fleet file's folder (only when an id
    is cited).  Raises :class:`FleetError` naming the file, the ``<section>.sources.<field>``
    entry and the unknown id.
    """
    sources_path = fleet_path.parent / SOURCES_FILE
    known: set[str] | None = None
    missing = "has no heading of that name"
    for dotted, text in sources.items():
        for sid in SOURCE_ID.findall(text):
            if known is None:
                try:
                    lines = sources_path.read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError) as exc:
                    lines, missing = [], f"cannot be read ({exc.__class__.__name__})"
                headings = (line.lstrip("#").strip() for line in lines if line.startswith("#"))
                known = {h for h in headings if SOURCE_ID.fullmatch(h)}
            if sid not in known:
                section, _, key = dotted.partition(".")
                raise FleetError(describe(
                    fleet_path, f"{section}.sources.{key}", sid,
                    f"cites a source id that {sources_path} {missing}",
                ))


def _get_path(table: Mapping[str, Any], dotted: str) -> object:
    node: Any = table
    for part in dotted.split("."):
        node = node[part]
    return node


def _parse_definition(data: dict[str, Any], ctx: _Context) -> FleetDefinition:
    for key, value in data.items():
        if key not in SECTIONS:
            raise ctx.fail(
                key, value, f"unknown section or fleet; accepted: {', '.join(SECTIONS)}"
            )
    for fleet in FLEETS:
        if fleet not in data:
            raise ctx.fail(
                fleet, None, f"missing [{fleet}] section; every fleet of {FLEETS} is needed"
            )
    meta = _Reader(data.get("meta"), "meta", ctx)
    name = meta.string("name")
    base_year = meta.integer("base_year", lo=2000, hi=2100)
    meta.string("description", default="")
    meta.finish()

    sources: dict[str, str] = {}
    fleets: dict[str, FleetSpec] = {}
    for fleet in FLEETS:
        fleets[fleet] = _parse_fleet(fleet, _Reader(data[fleet], fleet, ctx), base_year)
    for section in ("freight", "passenger"):
        if section not in data:
            raise ctx.fail(section, None, f"missing [{section}] section")
    freight = _parse_freight(_Reader(data["freight"], "freight", ctx), fleets["truck"])
    pas = _Reader(data["passenger"], "passenger", ctx)
    passenger = PassengerSpec(
        bus_boardings_per_day=pas.number("bus_boardings_per_day", positive=True)
    )
    pas.raw("sources", default=None)
    pas.finish()
    home_charging = parse_home_charging(data.get("charging"), fleets, ctx.fail)
    # provenance last: structural errors (typos, bad values) are reported first
    for section in (*FLEETS, "freight", "passenger", *(["charging"] if "charging" in data else [])):
        sources.update(_parse_sources(section, data[section], ctx))
    check_source_ids(ctx.path, sources)
    return FleetDefinition(
        path=ctx.path,
        name=name,
        base_year=base_year,
        fleets=MappingProxyType(fleets),
        freight=freight,
        passenger=passenger,
        sources=MappingProxyType(sources),
        home_charging=MappingProxyType(home_charging),
    )


def _parse_age(
    r: _Reader, base_year: int, parent: AgeSpec | None
) -> AgeSpec:
    def pick(key: str, reader: Callable[..., Any], **kw: Any) -> Any:
        default = _REQUIRED if parent is None else getattr(parent, key)
        return reader(key, default=default, **kw)

    (mean_lo, mean_hi), (shape_lo, shape_hi) = LIFETIME_MEAN_YEARS, LIFETIME_SHAPE
    mean = pick("lifetime_mean_years", r.number, lo=mean_lo, hi=mean_hi)
    shape = pick("lifetime_shape", r.number, lo=shape_lo, hi=shape_hi)
    max_age = pick("max_age_years", r.integer, lo=1, hi=100)
    pv = _parse_vintages(r, "purchases_by_vintage", parent.purchases_by_vintage if parent else None)
    r.finish()
    age = AgeSpec(mean, shape, max_age, pv)
    _check_vintage_window(age, base_year, r, "purchases_by_vintage")
    return age


def _parse_vintages(
    r: _Reader, key: str, default: Mapping[int, float] | None
) -> Mapping[int, float]:
    raw = r.raw(key, default=_REQUIRED if default is None else None)
    if raw is None:
        return default  # type: ignore[return-value]
    kind = schema.YearCurve(
        lo=0.0, first_year=MIN_VINTAGE_YEAR, last_year=MAX_VINTAGE_YEAR,
        constant=False, ordered=False,
    )
    curve = kind.convert(raw, r.where(key))
    return MappingProxyType(dict(zip(curve.years, curve.values, strict=True)))


def _check_vintage_window(age: AgeSpec, base_year: int, r: _Reader, key: str) -> None:
    window = range(base_year - age.max_age_years + 1, base_year + 1)
    if sum(age.vintage_weight(v) * age.survival(base_year - v) for v in window) <= 0:
        raise r.fail(
            key, dict(age.purchases_by_vintage),
            f"no purchases in the vintages still in service ({window.start}..{base_year})",
        )


def _parse_operation(fleet: str, r: _Reader) -> Operation:
    if fleet == "bus":
        op: Operation = BusOperation(
            service_start_h=r.number("service_start_h", hi=24),
            service_end_h=r.number("service_end_h", hi=24),
            headway_peak_min=r.number("headway_peak_min", positive=True),
            headway_offpeak_min=r.number("headway_offpeak_min", positive=True),
            peak_hours=_hours(r, "peak_hours"),
            layover_min=r.number("layover_min"),
            dwell_s_per_stop=r.number("dwell_s_per_stop"),
            daily_km=r.number("daily_km", positive=True),
        )
        if op.service_end_h <= op.service_start_h:
            raise r.fail("service_end_h", op.service_end_h, "must be after service_start_h")
    elif fleet == "taxi":
        op = TaxiOperation(
            trips_per_taxi_per_day=r.number("trips_per_taxi_per_day", positive=True),
            hourly_demand_profile=r.profile("hourly_demand_profile"),
            max_wait_min=r.number("max_wait_min", positive=True),
            max_pickup_min=r.number("max_pickup_min", positive=True),
            pickup_dwell_s=r.number("pickup_dwell_s"),
            dropoff_dwell_s=r.number("dropoff_dwell_s"),
            shift_start_h=r.number("shift_start_h", hi=24),
            shift_end_h=r.number("shift_end_h", hi=24),
            daily_km=r.number("daily_km", positive=True),
        )
        if op.shift_end_h <= op.shift_start_h:
            raise r.fail("shift_end_h", op.shift_end_h, "must be after shift_start_h")
    elif fleet == "truck":
        op = TruckOperation(hourly_departure_profile=r.profile("hourly_departure_profile"))
    else:
        op = ShipOperation(
            service_start_h=r.number("service_start_h", hi=24),
            service_end_h=r.number("service_end_h", hi=24),
            turnaround_min=r.number("turnaround_min"),
        )
        if op.service_end_h <= op.service_start_h:
            raise r.fail("service_end_h", op.service_end_h, "must be after service_start_h")
    r.finish()
    return op


def _hours(r: _Reader, key: str) -> tuple[int, ...]:
    values = r.raw(key)
    what = "a list of distinct hours 0..23"
    kind = schema.ListOf(schema.Integer(0, HOURS_PER_DAY - 1), distinct=True, what=what)
    try:
        hours = kind.convert(values, r.where(key))
    except FleetError:
        raise r.fail(key, values, f"expected {what}") from None
    return tuple(sorted(hours))


#: Class-level keys accepted per fleet (besides the common ones).
_CLASS_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "bus": ("passenger_capacity",),
        "taxi": ("passenger_capacity",),
        "truck": ("payload_t", "load_factor", "daily_km", "stop_dwell_min"),
        "ship": (
            "service_speed_kph", "passenger_capacity", "payload_t", "load_factor",
            "sailings_per_day", "sailing_km",
        ),
    }
)
_CLASS_REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "bus": ("passenger_capacity",),
        "taxi": ("passenger_capacity",),
        "truck": ("payload_t", "load_factor", "daily_km"),
        "ship": ("service_speed_kph", "sailings_per_day", "sailing_km"),
    }
)


def _parse_fleet(name: str, r: _Reader, base_year: int) -> FleetSpec:
    stock_value = r.raw("stock")
    if isinstance(stock_value, int) and not isinstance(stock_value, bool) and stock_value == 0:
        raise r.fail("stock", 0, "a fleet of zero vehicles; expected an integer >= 1")
    stock = r.integer("stock", lo=1, hi=MAX_STOCK[name])
    operating_days = r.number("operating_days_per_year", positive=True, hi=366)
    holiday = r.number("holiday_activity_factor")
    max_speed = r.number("max_speed_kph", positive=True)
    age = _parse_age(r.sub("age"), base_year, None)  # type: ignore[arg-type]
    operation = _parse_operation(name, r.sub("operation"))  # type: ignore[arg-type]
    classes_r = r.sub("classes")
    assert classes_r is not None
    if not classes_r.data:
        raise r.fail("classes", {}, "at least one size class is needed")
    classes: dict[str, SizeClassSpec] = {}
    for cname in list(classes_r.data):
        sub = classes_r.sub(cname)
        assert sub is not None
        classes[cname] = _parse_class(
            name, cname, sub, base_year,
            fleet_age=age, fleet_max_speed=max_speed, fleet_holiday=holiday,
            fleet_days=operating_days,
        )
    classes_r.finish()
    total = sum(c.share for c in classes.values())
    if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
        raise r.fail(
            "classes", {c: cl.share for c, cl in classes.items()},
            f"class shares sum to {total:.6g}, must sum to 1",
        )
    r.raw("sources", default=None)
    r.finish()
    return FleetSpec(
        name=name,
        stock=stock,
        operating_days_per_year=operating_days,
        holiday_activity_factor=holiday,
        max_speed_kph=max_speed,
        age=age,
        operation=operation,
        classes=MappingProxyType(classes),
    )


def _parse_class(
    fleet: str,
    cname: str,
    r: _Reader,
    base_year: int,
    *,
    fleet_age: AgeSpec,
    fleet_max_speed: float,
    fleet_holiday: float,
    fleet_days: float,
) -> SizeClassSpec:
    share = r.share("share")
    description = r.string("description", default="")
    allowed = allowed_powertrains(fleet)
    pt_shares = r.shares("powertrain_shares", allowed)
    age_r = r.sub("age", default=None)
    age = _parse_age(age_r, base_year, fleet_age) if age_r is not None else fleet_age
    extra: dict[str, Any] = {}
    required = _CLASS_REQUIRED[fleet]
    for key in _CLASS_KEYS[fleet]:
        default = _REQUIRED if key in required else None
        if key == "passenger_capacity":
            value = r.integer(key, default=default if default is _REQUIRED else 0)
        elif key == "load_factor":
            value = r.share(key, default=default if default is _REQUIRED else 0.0)
        else:
            value = r.number(
                key, default=default if default is _REQUIRED else 0.0,
                positive=key in required,
            )
        extra[key] = value
    if fleet == "ship":
        extra["holiday_activity_factor"] = r.number(
            "holiday_activity_factor", default=fleet_holiday
        )
    else:
        extra["holiday_activity_factor"] = fleet_holiday
    extra["operating_days_per_year"] = r.number(
        "operating_days_per_year", default=fleet_days, positive=True, hi=366
    )
    class_speed = fleet_max_speed
    if fleet == "ship":
        class_speed = extra["service_speed_kph"]
    class_speed = r.number("max_speed_kph", default=class_speed, positive=True)
    nev_curve = _optional_curve(r, "nev_share_of_new")
    fcev_curve = _optional_curve(r, "fcev_share_of_nev")
    pts_r = r.sub("powertrains")
    assert pts_r is not None
    specs: dict[str, PowertrainSpec] = {}
    for pt in list(pts_r.data):
        if pt not in allowed:
            raise pts_r.fail(
                pt, None, f"unknown powertrain for {fleet}; accepted: {', '.join(allowed)}"
            )
        sub = pts_r.sub(pt)
        assert sub is not None
        specs[pt] = _parse_powertrain(
            fleet, cname, pt, sub,
            base_year=base_year, class_age=age, class_speed=class_speed, extra=extra,
        )
    pts_r.finish()
    for pt, s in pt_shares.items():
        if s > 0 and pt not in specs:
            raise r.fail(
                f"powertrains.{pt}", None,
                f"base-year share {s:g} needs a spec table [{r.path('powertrains')}.{pt}]",
            )
    r.finish()
    return SizeClassSpec(
        name=cname,
        share=share,
        description=description,
        powertrain_shares=MappingProxyType(pt_shares),
        powertrains=MappingProxyType(specs),
        age=age,
        payload_t=float(extra.get("payload_t", 0.0)),
        passenger_capacity=int(extra.get("passenger_capacity", 0)),
        load_factor=float(extra.get("load_factor", 0.0)),
        daily_km=float(extra.get("daily_km", 0.0)),
        stop_dwell_min=float(extra.get("stop_dwell_min", 0.0)),
        service_speed_kph=float(extra.get("service_speed_kph", 0.0)),
        sailings_per_day=float(extra.get("sailings_per_day", 0.0)),
        sailing_km=float(extra.get("sailing_km", 0.0)),
        holiday_activity_factor=float(extra["holiday_activity_factor"]),
        operating_days_per_year=float(extra["operating_days_per_year"]),
        nev_share_of_new=nev_curve,
        fcev_share_of_nev=fcev_curve,
    )


def _optional_curve(r: _Reader, key: str) -> Curve | None:
    value = r.raw(key, default=None)
    if value is None:
        return None
    return schema.YearCurve(0.0, 1.0).convert(value, r.where(key))


#: Energy keys per carrier unit: per-km tables for road vehicles.
_ROAD_ENERGY_KEYS: Mapping[str, str] = MappingProxyType(
    {"kwh_per_km": "kwh", "l_per_100km": "l", "kg_per_100km": "kg"}
)
_SHIP_ENERGY_KEYS: Mapping[str, str] = MappingProxyType(
    {"kwh_per_km_at_reference": "kwh", "l_per_km_at_reference": "l", "kg_per_km_at_reference": "kg"}
)


def _parse_powertrain(
    fleet: str,
    cname: str,
    pt: str,
    r: _Reader,
    *,
    base_year: int,
    class_age: AgeSpec,
    class_speed: float,
    extra: Mapping[str, Any],
) -> PowertrainSpec:
    carrier = carrier_of(fleet, pt)
    unit = CARRIER_UNITS[carrier]
    lhv = lower_heating_value_kwh(carrier)
    is_ship = fleet == "ship"
    keys = _SHIP_ENERGY_KEYS if is_ship else _ROAD_ENERGY_KEYS
    given = [k for k in keys if r.has(k)]
    accepted = [k for k, u in keys.items() if u in ("kwh", unit)]
    if len(given) != 1 or given[0] not in accepted:
        raise r.fail(
            given[0] if given else next(iter(keys)), [r.data.get(k) for k in given] or None,
            f"give exactly one energy figure for {carrier}: {' or '.join(accepted)}",
        )
    key = given[0]
    per_unit_kwh = 1.0 if keys[key] == "kwh" else lhv
    if is_ship:
        ref_speed = r.number("reference_speed_kph", positive=True)
        e_ref = r.number(key, positive=True) * per_unit_kwh
        service = float(extra["service_speed_kph"])
        e_water = e_ref * (service / ref_speed) ** 2
        by_class = tuple(e_water if c == "water" else 0.0 for c in ROAD_CLASSES)
    else:
        ref_speed, e_ref = 0.0, 0.0
        divisor = 1.0 if key == "kwh_per_km" else 100.0
        by_class = _road_energy(r, key, per_unit_kwh / divisor)
    if pt == "bev":
        battery = r.number("battery_kwh", positive=True)
        charge = r.number("max_charge_kw", positive=True)
    else:
        battery = r.number("battery_kwh", default=0.0)
        charge = r.number("max_charge_kw", default=0.0)
    tank_key = "tank_l" if unit == "l" else "tank_kg"
    tank = 0.0
    if carrier != "electricity":
        tank = r.number(tank_key, default=0.0)
    max_speed = r.number("max_speed_kph", default=class_speed, positive=True)
    pv = _parse_vintages(r, "purchases_by_vintage", class_age.purchases_by_vintage)
    age = AgeSpec(
        class_age.lifetime_mean_years, class_age.lifetime_shape, class_age.max_age_years, pv
    )
    if pv is not class_age.purchases_by_vintage:
        _check_vintage_window(age, base_year, r, "purchases_by_vintage")
    r.finish()
    return PowertrainSpec(
        fleet=fleet,
        size_class=cname,
        powertrain=pt,
        carrier=carrier,
        kwh_per_km_by_class=by_class,
        battery_kwh=battery,
        max_charge_kw=charge,
        tank_capacity=tank,
        payload_t=float(extra.get("payload_t", 0.0)),
        passenger_capacity=int(extra.get("passenger_capacity", 0)),
        load_factor=float(extra.get("load_factor", 0.0)),
        max_speed_kph=max_speed,
        reference_speed_kph=ref_speed,
        kwh_per_km_at_reference=e_ref,
        age=age,
    )


def _road_energy(r: _Reader, key: str, to_kwh_per_km: float) -> tuple[float, ...]:
    value = r.raw(key)
    where = r.path(key)
    positive = schema.Number(lo=0.0, lo_open=True)
    if schema.is_number(value):
        per_class = {c: positive.convert(value, r.where(key)) for c in ROAD_CLASSES if c != "water"}
    elif isinstance(value, dict):
        accepted = (*ROAD_CLASS_GROUPS, *(c for c in ROAD_CLASSES if c != "water"))
        schema.check_keys(value, accepted, r.where(key), "unknown road class or group")
        value = {k: positive.convert(v, r.where(key).at(k)) for k, v in value.items()}
        for group in ("urban", "highway"):
            if group not in value:
                raise r.ctx.fail(
                    f"{where}.{group}", None, "missing; give at least urban and highway"
                )
        per_class = {}
        for group, members in ROAD_CLASS_GROUPS.items():
            group_value = value.get(group)
            if group_value is None:  # rural: mean of urban and highway
                group_value = 0.5 * (value["urban"] + value["highway"])
            for c in members:
                per_class[c] = float(value.get(c, group_value))
    else:
        raise r.fail(key, value, "expected a number or a table {urban = …, highway = …}")
    return tuple(per_class.get(c, 0.0) * to_kwh_per_km for c in ROAD_CLASSES)


def _parse_freight(r: _Reader, truck: FleetSpec) -> FreightSpec:
    road_mt = r.number("road_tonnage_mt_per_year", positive=True)
    rail = r.share("base_rail_share")
    if rail >= 1.0:
        raise r.fail("base_rail_share", rail, "must be < 1 (road carries the rest)")
    spec = FreightSpec(
        road_tonnage_t_per_year=road_mt * T_PER_MT,
        base_rail_share=rail,
        average_haul_km=r.number("average_haul_km", positive=True),
        class_tonnage_shares=MappingProxyType(
            r.shares("class_tonnage_shares", tuple(truck.classes))
        ),
    )
    r.raw("sources", default=None)
    r.finish()
    return spec
