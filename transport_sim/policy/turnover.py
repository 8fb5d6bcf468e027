"""Stock turnover each policy year: retirements, phase-outs, purchases, activity.

One call of :func:`turn_over` moves the stock from the end of year ``y - 1`` to the end
of year ``y``, per fleet and size class, in this order:

1. **Natural retirements.**  A cell of ``n`` vehicles aged ``a = y - vintage`` retires
   ``n * (1 - S(a) / S(a - 1))`` in expectation, ``S`` the fleet's (or class's) Weibull
   survival with mean lifetime ``lifetime_mean_years * policy.<fleet>.lifetime_scale``;
   at the legal ``max_age_years`` (not scaled) every vehicle retires.  The class total
   is rounded half-up and spread over the cells by largest remainder (ties: oldest
   vintage first), so integers are conserved exactly.
2. **Forced phase-out** (``policy.<fleet>.phase_out_standard`` / ``phase_out_year``):
   diesel-burning vehicles (``diesel``, and ``hybrid`` buses) whose vintage standard is
   that standard or older are retired, oldest first, spread evenly over the years left:
   in year ``y <= Y`` ``ceil(remaining / (Y - y + 1))`` go, so none are left at the end
   of ``Y``; after ``Y`` any remaining one goes at once.  The spreading starts in the
   first turnover year (base year + 1).  Ships carry GB 15097 ship stages, not road
   standards, and are never selected.
3. **Purchases** = target - survivors (never negative: a shrinking fleet only loses
   vehicles by retirement).  The target of a class is ``round(base_count x F(y))``, ``F``
   the cumulative growth factor of the fleet (:func:`stock_factor`).
4. **Purchase mix**: ``nev = nev_share_of_new(y)``, split ``fcev = nev x
   fcev_share_of_nev(y)`` and ``bev = nev - fcev``; the rest ``1 - nev`` by
   ``conventional_mix(y)`` or, when the scenario gives none, the class's base-year
   conventional mix.  Class-level curves in the fleet file (set via ``fleet_overrides``)
   replace the fleet-level ``policy.<fleet>`` curves for that class.  Counts are
   largest-remainder rounded; new vehicles get the standard in force in ``y``.

Growth factors (cumulative from the fleet file's base year ``b``; ``g`` =
``policy.<fleet>.stock_growth``, ``G`` = ``policy.freight.road_tonnage_growth``, ``pt`` =
``policy.passenger.public_transport_share``, ``r`` = ``policy.freight.rail_share``)::

    bus    F = prod(1 + g_bus)   * pt(y) / pt(b)              bus service ~ PT share
    taxi   F = prod(1 + g_taxi)  * (1 - pt(y)) / (1 - pt(b))  taxi trips ~ non-PT share
    truck  F = prod(1 + g_truck) * prod(1 + G) * (1 - r(y)) / (1 - r(b))
    ship   F = prod(1 + g_ship)

The activity index of the representative day (:func:`activity_index`) is the same
factor, except that trucks follow road tonnage only (without ``g_truck``, which
expresses stock change per tonne, e.g. productivity).

Everything is deterministic: no random numbers are drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd

from transport_sim.codes import FLEETS, POWERTRAINS
from transport_sim.errors import FleetError, ScenarioError, describe
from transport_sim.fleets.factors import emission_standard, standard_rank
from transport_sim.fleets.specs import PRIMARY_CONVENTIONAL, carrier_of
from transport_sim.fleets.stock import StockKey, StockTable, initial_stock
from transport_sim.io import largest_remainder, round_half_up

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import numpy as np

    from transport_sim.fleets.specs import FleetDefinition, FleetSpec, SizeClassSpec
    from transport_sim.scenario.curves import Curve
    from transport_sim.scenario.settings import Scenario

RECORD_KINDS = ("retired", "phased_out", "purchased")


@dataclass(frozen=True)
class TurnoverRecord:
    """What happened to the stock in one year.

    Attributes
    ----------
    year
        The policy year.
    retired
        Vehicles leaving the stock per cell, forced phase-outs included.
    phased_out
        Of which retired by the forced phase-out.
    purchased
        New vehicles per cell (vintage = ``year``).
    """

    year: int
    retired: Mapping[StockKey, int]
    phased_out: Mapping[StockKey, int]
    purchased: Mapping[StockKey, int]

    def total(self, kind: str, fleet: str | None = None, powertrain: str | None = None) -> int:
        """Return the count of ``kind`` (retired, phased_out, purchased) matching the filters."""
        table: Mapping[StockKey, int] = getattr(self, kind)
        return sum(
            n
            for k, n in table.items()
            if (fleet is None or k.fleet == fleet)
            and (powertrain is None or k.powertrain == powertrain)
        )

    def by_fleet_powertrain(self, kind: str) -> dict[tuple[str, str], int]:
        """Return counts of ``kind`` per (fleet, powertrain)."""
        out: dict[tuple[str, str], int] = {}
        for k, n in getattr(self, kind).items():
            out[(k.fleet, k.powertrain)] = out.get((k.fleet, k.powertrain), 0) + n
        return out


# ======================================================================================
# growth and activity
# ======================================================================================
def _check_year(year: int, fleet_def: FleetDefinition, scenario: Scenario) -> None:
    if year < fleet_def.base_year:
        raise ScenarioError(
            describe(
                scenario.source, "run.start_year", year,
                f"before the fleet file's base year {fleet_def.base_year}",
            )
        )


def _cumulative(curve: Curve, base_year: int, year: int) -> float:
    """Return ``prod_{t = base+1 .. year} (1 + curve(t))`` (1.0 when ``year <= base``)."""
    factor = 1.0
    for t in range(base_year + 1, year + 1):
        factor *= 1.0 + curve.at(t)
    return factor


def _ratio(
    numerator: float, denominator: float, field: str, *, scenario: Scenario, year: int
) -> float:
    if denominator <= 0:
        raise ScenarioError(
            describe(
                scenario.source, field, round(numerator, 6),
                f"the base-year value makes the {year} activity ratio undefined (division by 0)",
            )
        )
    return numerator / denominator


def road_tonnage_index(year: int, scenario: Scenario, fleet_def: FleetDefinition) -> float:
    """Return road tonnage in ``year`` relative to the base year.

    ``prod(1 + road_tonnage_growth) * (1 - rail_share(year)) / (1 - rail_share(base))``.
    """
    _check_year(year, fleet_def, scenario)
    base = fleet_def.base_year
    fr = scenario.policy.freight
    total = _cumulative(fr.road_tonnage_growth, base, year)
    return total * _ratio(
        1.0 - fr.rail_share.at(year), 1.0 - fr.rail_share.at(base),
        "policy.freight.rail_share", scenario=scenario, year=year,
    )


def activity_index(year: int, scenario: Scenario, fleet_def: FleetDefinition) -> dict[str, float]:
    """Return each fleet's daily activity in ``year`` relative to the base year.

    Parameters
    ----------
    year
        Policy year (>= the fleet file's base year).
    scenario
        Supplies the growth, public-transport and freight curves.
    fleet_def
        Supplies the base year.

    Returns
    -------
    dict
        ``{fleet: index}``: bus service from the PT share and bus growth, taxi trips from
        the non-PT share and taxi growth, truck road tonnage from tonnage growth and the
        rail share, ships from their stock growth (formulas in the module docstring).
    """
    _check_year(year, fleet_def, scenario)
    base = fleet_def.base_year
    pol = scenario.policy
    pt = pol.passenger.public_transport_share
    field = "policy.passenger.public_transport_share"
    return {
        "bus": _cumulative(pol.bus.stock_growth, base, year)
        * _ratio(pt.at(year), pt.at(base), field, scenario=scenario, year=year),
        "taxi": _cumulative(pol.taxi.stock_growth, base, year)
        * _ratio(1.0 - pt.at(year), 1.0 - pt.at(base), field, scenario=scenario, year=year),
        "truck": road_tonnage_index(year, scenario, fleet_def),
        "ship": _cumulative(pol.ship.stock_growth, base, year),
    }


def stock_factor(year: int, scenario: Scenario, fleet_def: FleetDefinition) -> dict[str, float]:
    """Return each fleet's target stock in ``year`` relative to the base-year stock.

    Equal to :func:`activity_index` except for trucks, which also grow with
    ``policy.truck.stock_growth``.
    """
    factors = activity_index(year, scenario, fleet_def)
    factors["truck"] *= _cumulative(scenario.policy.truck.stock_growth, fleet_def.base_year, year)
    return factors


def freight_tonnage_t_per_year(
    year: int, scenario: Scenario, fleet_def: FleetDefinition
) -> tuple[float, float]:
    """Return (road_t_per_year, rail_t_per_year) in ``year``.

    Total tonnage = the file's base road tonnage / (1 - its base rail share), grown by
    ``policy.freight.road_tonnage_growth``; rail carries ``rail_share(year)`` of it and
    road the rest.  (If the scenario's base-year rail share differs from the file's, the
    base-year road tonnage differs from the file's accordingly.)
    """
    _check_year(year, fleet_def, scenario)
    fr = scenario.policy.freight
    total_t = fleet_def.freight.total_tonnage_t_per_year * _cumulative(
        fr.road_tonnage_growth, fleet_def.base_year, year
    )
    rail = fr.rail_share.at(year)
    return total_t * (1.0 - rail), total_t * rail


def freight_tonnage(
    year: int, scenario: Scenario, fleet_def: FleetDefinition
) -> tuple[float, float]:
    """Return (road_t_per_day, rail_t_per_day) on an operating day of ``year``.

    :func:`freight_tonnage_t_per_year` divided by the truck fleet's
    ``operating_days_per_year``, so that a simulated truck day scaled by those days
    gives the annual tonnage back.  To annualise, multiply by the same days (not 365).
    """
    road_t, rail_t = freight_tonnage_t_per_year(year, scenario, fleet_def)
    days = fleet_def.fleet("truck").operating_days_per_year
    return road_t / days, rail_t / days


def road_day_weights(scenario: Scenario, fleet_def: FleetDefinition) -> dict[str, float]:
    """Truck operating days per year each simulated day type stands for.

    With weekday and holiday both simulated: ``operating_days - holidays`` and
    ``holidays`` (``run.holiday_days_per_year``, capped at the operating days); with one
    day type it stands for all ``operating_days_per_year`` (weekends are not simulated
    separately: the truck fleet's 300 operating days already leave out rest days).
    Matches :func:`transport_sim.accounting.annual.day_weights`.
    """
    days = float(fleet_def.fleet("truck").operating_days_per_year)
    types = scenario.run.day_types
    holidays = min(float(scenario.run.holiday_days_per_year), days)
    if "holiday" in types and "weekday" in types:
        return {"weekday": days - holidays, "holiday": holidays}
    return {types[0]: days}


def road_tonnes_per_operating_day(
    year: int, scenario: Scenario, fleet_def: FleetDefinition
) -> float:
    """Road tonnes of a plain (weekday) operating day such that the year is conserved.

    ``T`` solves ``sum_d days_d x activity_d x T = road_t_per_year`` over the simulated
    day types (:func:`road_day_weights`; activity 1 on weekdays, the truck fleet's
    ``holiday_activity_factor`` on holidays), so the simulated days, weighted as the
    annual accounting weights them, carry exactly the year's road tonnage.
    """
    road_t, _ = freight_tonnage_t_per_year(year, scenario, fleet_def)
    truck = fleet_def.fleet("truck")
    weights = road_day_weights(scenario, fleet_def)
    activity = {"weekday": 1.0, "holiday": truck.holiday_activity_factor}
    denom = sum(days * activity[d] for d, days in weights.items())
    return road_t / denom if denom > 0 else 0.0


def tonnes_per_operating_day(
    t_per_year: float, scenario: Scenario, fleet_def: FleetDefinition
) -> float:
    """Tonnes of a plain (weekday) operating day that give ``t_per_year`` back.

    The same conservation as :func:`road_tonnes_per_operating_day`, for any tonnage
    trucks carry on the simulated days (through traffic, rail-yard drayage):
    ``sum_d days_d x activity_d x T = t_per_year`` over :func:`road_day_weights`.
    """
    truck = fleet_def.fleet("truck")
    weights = road_day_weights(scenario, fleet_def)
    activity = {"weekday": 1.0, "holiday": truck.holiday_activity_factor}
    denom = sum(days * activity[d] for d, days in weights.items())
    return t_per_year / denom if denom > 0 else 0.0


def road_class_tonnes_per_operating_day(
    year: int, scenario: Scenario, fleet_def: FleetDefinition, long_haul: set[str]
) -> dict[str, float]:
    """Road tonnes of a plain operating day by truck class; rail takes long haul only.

    The classes that are not long haul keep their ``class_tonnage_shares`` of the road
    tonnage the year would have at the base-year rail share (urban delivery and regional
    freight do not move to rail); the long-haul classes carry the rest, so a rail shift
    beyond the base year comes out of long-haul road freight only.  The classes sum to
    :func:`road_tonnes_per_operating_day` exactly.  If the rail share is so high that
    long haul would go negative, long haul carries nothing and the other classes are
    scaled down to the road total.
    """
    t_day = road_tonnes_per_operating_day(year, scenario, fleet_def)
    road_t, rail_t = freight_tonnage_t_per_year(year, scenario, fleet_def)
    base_share = scenario.policy.freight.rail_share.at(fleet_def.base_year)
    per_day = t_day / road_t if road_t > 0 else 0.0
    road_at_base_share_day = (road_t + rail_t) * (1.0 - base_share) * per_day
    shares = dict(fleet_def.freight.class_tonnage_shares)
    out = {c: shares.get(c, 0.0) * road_at_base_share_day for c in shares if c not in long_haul}
    rest = t_day - sum(out.values())
    if rest < 0.0:
        scale = t_day / sum(out.values())
        out = {c: t * scale for c, t in out.items()}
        rest = 0.0
    lh = {c: shares.get(c, 0.0) for c in shares if c in long_haul}
    total_lh = sum(lh.values())
    for c, s in lh.items():
        out[c] = rest * (s / total_lh if total_lh > 0 else 1.0 / len(lh))
    return out


# ======================================================================================
# purchases
# ======================================================================================
def purchase_mix(
    fleet: str, size_class: str, year: int, scenario: Scenario, fleet_def: FleetDefinition
) -> dict[str, float]:
    """Return the powertrain shares of vehicles bought in ``year`` (sum 1).

    Parameters
    ----------
    fleet, size_class
        The class buying.
    year
        Purchase year.
    scenario
        Supplies ``policy.<fleet>`` curves.
    fleet_def
        Supplies class-level curve overrides and the base-year conventional mix.
    """
    spec = fleet_def.fleet(fleet)
    cls = spec.classes[size_class]
    pol = scenario.policy.fleet(fleet)
    nev = (cls.nev_share_of_new or pol.nev_share_of_new).at(year)
    fcev = nev * (cls.fcev_share_of_nev or pol.fcev_share_of_nev).at(year)
    if pol.conventional_mix is not None:
        conv = {p: c.at(year) for p, c in pol.conventional_mix.items()}
    else:
        conv = cls.conventional_mix() or _fleet_conventional_mix(spec)
    shares = {"bev": nev - fcev, "fcev": fcev}
    for pt, s in conv.items():
        shares[pt] = shares.get(pt, 0.0) + (1.0 - nev) * s
    return {p: shares[p] for p in POWERTRAINS if shares.get(p, 0.0) > 0.0}


def _fleet_conventional_mix(spec: FleetSpec) -> dict[str, float]:
    conv = {p: s for p, s in spec.powertrain_shares.items() if p not in ("bev", "fcev") and s > 0}
    total = sum(conv.values())
    if total <= 0:
        return {PRIMARY_CONVENTIONAL[spec.name]: 1.0}
    return {p: s / total for p, s in conv.items()}


# ======================================================================================
# turnover
# ======================================================================================
def _retire_natural(
    cells: list[tuple[StockKey, int]], cls: SizeClassSpec, year: int, lifetime_scale: float
) -> dict[StockKey, int]:
    retired: dict[StockKey, int] = {}
    expected: list[float] = []
    keys: list[StockKey] = []
    for key, n in cells:
        age = cls.powertrains[key.powertrain].age
        a = year - key.vintage
        if a >= age.max_age_years:
            retired[key] = n
            continue
        prev = age.survival(a - 1, lifetime_scale)
        p = 1.0 if prev <= 0 else 1.0 - age.survival(a, lifetime_scale) / prev
        keys.append(key)
        expected.append(n * p)
    if keys:
        counts = largest_remainder(expected, round_half_up(sum(expected)))
        for key, k in zip(keys, counts, strict=True):
            if k:
                retired[key] = k
    return retired


def _phase_out(
    survivors: dict[StockKey, int], fleet: str, year: int, scenario: Scenario
) -> dict[StockKey, int]:
    pol = scenario.policy.fleet(fleet)
    if pol.phase_out_standard is None or pol.phase_out_year is None:
        return {}
    limit = standard_rank(pol.phase_out_standard)
    targeted = sorted(
        (
            key for key, n in survivors.items()
            if n > 0
            and carrier_of(fleet, key.powertrain) == "diesel"
            and standard_rank(emission_standard(key.vintage, fleet, key.size_class, key.powertrain))
            <= limit
        ),
        key=lambda k: (k.vintage, k.powertrain),
    )
    remaining = sum(survivors[k] for k in targeted)
    if remaining == 0:
        return {}
    years_left = max(1, pol.phase_out_year - year + 1)
    quota = math.ceil(remaining / years_left)
    out: dict[StockKey, int] = {}
    for key in targeted:
        if quota == 0:
            break
        k = min(quota, survivors[key])
        out[key] = k
        quota -= k
    return out


def turn_over(
    stock: StockTable,
    year: int,
    scenario: Scenario,
    fleet_def: FleetDefinition,
    rng: np.random.Generator | None = None,
) -> tuple[StockTable, TurnoverRecord]:
    """Turn the stock over from the end of ``year - 1`` to the end of ``year``.

    Parameters
    ----------
    stock
        The stock of ``year - 1`` (``stock.year == year - 1``).
    year
        The policy year being simulated.
    scenario
        Policy levers (``policy.<fleet>``, ``policy.freight``, ``policy.passenger``).
    fleet_def
        Lifetimes, base-year class counts, specs of the powertrains that may be bought.
    rng
        Not used: turnover is deterministic (expected values, largest-remainder
        rounding).  Accepted so the model can pass its generator uniformly.

    Returns
    -------
    tuple
        The stock of ``year`` and the :class:`TurnoverRecord` of ``year``.

    Raises
    ------
    FleetError
        If the purchase mix buys a powertrain that a size class has no spec for.
    """
    del rng
    if stock.year != year - 1:
        msg = f"turn_over({year}) needs the stock of {year - 1}, got {stock.year}"
        raise ValueError(msg)
    factors = stock_factor(year, scenario, fleet_def)
    new_counts: dict[StockKey, int] = {}
    retired: dict[StockKey, int] = {}
    phased: dict[StockKey, int] = {}
    purchased: dict[StockKey, int] = {}
    by_class: dict[tuple[str, str], list[tuple[StockKey, int]]] = {}
    for key, n in stock.counts.items():
        by_class.setdefault((key.fleet, key.size_class), []).append((key, n))
    for fleet in FLEETS:
        spec = fleet_def.fleet(fleet)
        scale = scenario.policy.fleet(fleet).lifetime_scale
        for cname, base_count in spec.class_stock().items():
            cls = spec.classes[cname]
            cells = sorted(
                by_class.get((fleet, cname), []), key=lambda kv: (kv[0].vintage, kv[0].powertrain)
            )
            gone = _retire_natural(cells, cls, year, scale)
            survivors = {k: n - gone.get(k, 0) for k, n in cells}
            forced = _phase_out(survivors, fleet, year, scenario)
            for k, m in forced.items():
                survivors[k] -= m
                gone[k] = gone.get(k, 0) + m
            target = round_half_up(base_count * factors[fleet])
            n_new = max(0, target - sum(survivors.values()))
            bought = _buy(fleet, cname, year, n_new, scenario=scenario, fleet_def=fleet_def)
            for k, m in survivors.items():
                if m:
                    new_counts[k] = m
            for k, m in bought.items():
                new_counts[k] = new_counts.get(k, 0) + m
            retired.update({k: m for k, m in gone.items() if m})
            phased.update(forced)
            purchased.update(bought)
    unknown = {k for k in by_class if k[1] not in fleet_def.fleet(k[0]).classes}
    if unknown:
        fleet, cname = sorted(unknown)[0]
        raise FleetError(
            describe(
                fleet_def.path, f"{fleet}.classes.{cname}", None,
                "stock holds an unknown size class",
            )
        )
    record = TurnoverRecord(
        year=year,
        retired=MappingProxyType(retired),
        phased_out=MappingProxyType(phased),
        purchased=MappingProxyType(purchased),
    )
    return StockTable.from_counts(year, new_counts), record


def _buy(
    fleet: str, cname: str, year: int, n_new: int, *, scenario: Scenario,
    fleet_def: FleetDefinition,
) -> dict[StockKey, int]:
    if n_new == 0:
        return {}
    mix = purchase_mix(fleet, cname, year, scenario, fleet_def)
    cls = fleet_def.fleet(fleet).classes[cname]
    for pt in mix:
        if pt not in cls.powertrains:
            raise FleetError(
                describe(
                    fleet_def.path, f"{fleet}.classes.{cname}.powertrains.{pt}", None,
                    f"the {year} purchase mix buys {pt} ({mix[pt]:.3g}) but the class has no "
                    f"spec for it; add one via fleet_overrides or set policy.{fleet} so it "
                    "is not bought",
                )
            )
    pts = list(mix)
    counts = largest_remainder([n_new * mix[p] for p in pts], n_new)
    return {StockKey(fleet, cname, p, year): c for p, c in zip(pts, counts, strict=True) if c}


# ======================================================================================
# whole horizon
# ======================================================================================
def iter_stock(
    scenario: Scenario, fleet_def: FleetDefinition
) -> Iterator[tuple[StockTable, TurnoverRecord | None]]:
    """Yield ``(stock, record)`` from the fleet file's base year to ``run.end_year``.

    The base year comes first with ``record = None``.
    """
    _check_year(scenario.run.start_year, fleet_def, scenario)
    stock = initial_stock(fleet_def)
    yield stock, None
    for year in range(fleet_def.base_year + 1, scenario.run.end_year + 1):
        stock, record = turn_over(stock, year, scenario, fleet_def)
        yield stock, record


def simulate_stock(scenario: Scenario, fleet_def: FleetDefinition) -> pd.DataFrame:
    """Return the stock path as a table for ``run.start_year .. run.end_year``.

    Returns
    -------
    pandas.DataFrame
        One row per (year, fleet, size_class, powertrain, standard) with integer
        columns ``vehicles`` (end of year), ``retired`` (incl. phase-out),
        ``phased_out`` and ``purchased``.  For each group
        ``vehicles[y] = vehicles[y-1] - retired[y] + purchased[y]``; the first year's
        flows are those of its own turnover (0 in the base year).
    """
    keys = ["year", "fleet", "size_class", "powertrain", "standard"]
    rows: dict[tuple[int, str, str, str, str], list[int]] = {}

    def add(year: int, key: StockKey, column: int, n: int) -> None:
        std = emission_standard(key.vintage, key.fleet, key.size_class, key.powertrain)
        row = rows.setdefault((year, key.fleet, key.size_class, key.powertrain, std), [0, 0, 0, 0])
        row[column] += n

    for stock, record in iter_stock(scenario, fleet_def):
        if stock.year < scenario.run.start_year:
            continue
        for key, n in stock.counts.items():
            add(stock.year, key, 0, n)
        if record is not None:
            for column, kind in enumerate(RECORD_KINDS, start=1):
                for key, n in getattr(record, kind).items():
                    add(stock.year, key, column, n)
    frame = pd.DataFrame(
        [(*k, *v) for k, v in sorted(rows.items())],
        columns=[*keys, "vehicles", *RECORD_KINDS],
    )
    return frame.astype({c: "int64" for c in ("year", "vehicles", *RECORD_KINDS)})
