"""Cost data (``fleets/costs.toml``) -> :class:`CostData`: prices, tariffs, learning curves.

Everything is in CNY at base-year prices.  The file is validated once against the fleet
definition it prices (every (fleet, class, powertrain) of the fleet file needs a purchase
price and a maintenance cost, and no price may name a powertrain the fleet file lacks);
every number needs a source, as in the fleet file (``[sources]``).  Errors are one line
(:class:`~transport_sim.errors.CostDataError`): the file, the dotted field, the value and
what is accepted; the CLI exits with code 2.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from transport_sim.codes import CARRIERS
from transport_sim.errors import CostDataError, FleetError, describe
from transport_sim.fleets.specs import SOURCE_PREFIXES
from transport_sim.io import is_finite_number
from transport_sim.scenario.curves import Curve

if TYPE_CHECKING:
    from collections.abc import Mapping

    from transport_sim.fleets.specs import FleetDefinition

HOURS_PER_DAY = 24
#: Time-of-use periods a tariff may name.
TOU_PERIODS = ("sharp", "peak", "flat", "valley")
#: Fuel-price keys of ``[fuel_price]``: carrier -> key (electricity is ``[electricity]``).
FUEL_PRICE_KEYS = {
    "diesel": "diesel_cny_per_l",
    "petrol": "petrol_cny_per_l",
    "cng": "cng_cny_per_kg",
    "lng": "lng_cny_per_kg",
    "hydrogen": "hydrogen_cny_per_kg",
}
_SECTIONS = ("meta", "learning", "fuel_cell_kw", "purchase_price_cny", "maintenance_cny_per_km",
             "fuel_price", "electricity", "freight", "chargers", "sources")
_LEARNING_KEYS = (
    "battery_pack_cny_per_kwh", "battery_learning_rate", "battery_output_growth",
    "battery_floor_cny_per_kwh", "fuel_cell_cny_per_kw", "fuel_cell_learning_rate",
    "fuel_cell_output_growth", "fuel_cell_floor_cny_per_kw",
)


def capital_recovery_factor(rate: float, years: float) -> float:
    """Return the capital recovery factor ``r (1+r)^n / ((1+r)^n - 1)`` (``1/n`` at r = 0).

    An investment ``P`` repaid over ``n`` years at rate ``r`` costs ``P x CRF`` a year.
    """
    if years <= 0:
        msg = f"annuity life must be > 0 years, got {years}"
        raise ValueError(msg)
    if rate == 0.0:
        return 1.0 / years
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


def learning_price(p0: float, learning_rate: float, output_growth: float, floor: float,
                   years_after_base: float) -> float:
    """Price after ``years_after_base`` years on a one-factor learning curve.

    ``p = max(floor, p0 (Q/Q0)^log2(1 - LR))`` with cumulative output ``Q/Q0 =
    (1 + g)^t``; before the base year the price stays at ``p0``.
    """
    t = max(0.0, years_after_base)
    exponent = math.log2(1.0 - learning_rate)
    return max(floor, p0 * (1.0 + output_growth) ** (t * exponent))


@dataclass(frozen=True)
class Tariff:
    """A time-of-use electricity tariff: one price per hour of the day (CNY/kWh)."""

    price_cny_per_kwh: np.ndarray  # float64[24]
    period_of_hour: tuple[str, ...]
    off_site_hours: tuple[int, ...]

    def energy_cost_cny(self, hourly_kwh: np.ndarray) -> float:
        """Cost of ``hourly_kwh`` (float[24], kWh drawn in each hour) at this tariff."""
        return float(np.dot(np.asarray(hourly_kwh, np.float64), self.price_cny_per_kwh))

    @property
    def off_site_price_cny_per_kwh(self) -> float:
        """Mean price of the hours when vehicles charge away from simulated chargers."""
        return float(self.price_cny_per_kwh[list(self.off_site_hours)].mean())


@dataclass(frozen=True)
class ChargerCosts:
    """Charger capital by power class, grid connection, life and O&M."""

    power_class_max_kw: tuple[float, ...]
    capital_cny_per_kw: tuple[float, ...]
    grid_connection_cny_per_kw: float
    life_years: float
    om_share_of_capital: float

    def capital_cny_per_kw_of(self, power_kw: float) -> float:
        """Capital per kW (equipment + installation + grid connection) of a plug."""
        for limit, rate in zip(self.power_class_max_kw, self.capital_cny_per_kw, strict=True):
            if power_kw <= limit:
                return rate + self.grid_connection_cny_per_kw
        return self.capital_cny_per_kw[-1] + self.grid_connection_cny_per_kw


@dataclass(frozen=True)
class CostData:
    """A validated cost file.

    Attributes
    ----------
    base_year, discount_rate
        Price base year; real discount rate (annualisation and present values).
    learning
        The ``[learning]`` numbers by key.
    fuel_cell_kw
        ``{(fleet, class): kW}`` of the classes with a fuel-cell spec.
    purchase_price_cny, maintenance_cny_per_km
        ``{(fleet, class, powertrain): value}`` at base-year prices.
    fuel_price
        ``{carrier: Curve}`` in CNY per carrier unit (L or kg), electricity excluded.
    tariff, chargers
        Electricity tariff and charger costs.
    rail_cny_per_tkm
        What rail freight costs per tonne-km (the railway's full price).
    """

    path: Path
    base_year: int
    discount_rate: float
    learning: Mapping[str, float]
    fuel_cell_kw: Mapping[tuple[str, str], float]
    purchase_price_cny: Mapping[tuple[str, str, str], float]
    maintenance_cny_per_km: Mapping[tuple[str, str, str], float]
    fuel_price: Mapping[str, Curve]
    tariff: Tariff
    chargers: ChargerCosts
    sources: Mapping[str, str]
    rail_cny_per_tkm: float = 0.0

    def battery_cny_per_kwh(self, year: int) -> float:
        """Battery pack price in ``year`` (learning curve)."""
        lr = self.learning
        return learning_price(lr["battery_pack_cny_per_kwh"], lr["battery_learning_rate"],
                              lr["battery_output_growth"], lr["battery_floor_cny_per_kwh"],
                              year - self.base_year)

    def fuel_cell_cny_per_kw(self, year: int) -> float:
        """Fuel-cell system price in ``year`` (learning curve)."""
        lr = self.learning
        return learning_price(lr["fuel_cell_cny_per_kw"], lr["fuel_cell_learning_rate"],
                              lr["fuel_cell_output_growth"], lr["fuel_cell_floor_cny_per_kw"],
                              year - self.base_year)

    def vehicle_price_cny(self, fleet: str, size_class: str, powertrain: str, year: int,
                          battery_kwh: float = 0.0) -> float:
        """Purchase price of a new vehicle in ``year``: the base price less learning.

        A BEV's battery (``battery_kwh``) and an FCEV's stack get cheaper along their
        learning curves; the rest of the vehicle keeps its base-year price.
        """
        price = self.purchase_price_cny[(fleet, size_class, powertrain)]
        if powertrain == "bev" and battery_kwh > 0:
            price -= battery_kwh * (self.battery_cny_per_kwh(self.base_year)
                                    - self.battery_cny_per_kwh(year))
        if powertrain == "fcev":
            kw = self.fuel_cell_kw.get((fleet, size_class), 0.0)
            price -= kw * (self.fuel_cell_cny_per_kw(self.base_year)
                           - self.fuel_cell_cny_per_kw(year))
        return price

    def fuel_price_cny(self, carrier: str, year: int) -> float:
        """Price of one unit (L or kg) of ``carrier`` in ``year`` (not electricity)."""
        return float(self.fuel_price[carrier].at(year))

    def crf(self, years: float) -> float:
        """Capital recovery factor at the file's discount rate."""
        return capital_recovery_factor(self.discount_rate, years)


# ======================================================================================
# loading
# ======================================================================================
class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, value: object, problem: str) -> CostDataError:
        return CostDataError(describe(self.path, field, value, problem))

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, value, "missing or not a table")
        return value

    def number(self, value: object, field: str, *, lo: float = 0.0,
               hi: float = math.inf, strict: bool = False) -> float:
        if not is_finite_number(value):
            raise self.fail(field, value, "expected a finite number")
        number = float(value)  # type: ignore[arg-type]
        if number < lo or (strict and number == lo) or number > hi:
            low = f"> {lo:g}" if strict else f">= {lo:g}"
            problem = "a price cannot be negative" if number < 0 else f"expected {low}"
            if number > hi:
                problem = f"expected <= {hi:g}"
            raise self.fail(field, value, problem)
        return number

    def keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(f"{where}.{key}" if where else key, table[key],
                                f"unknown key; accepted: {', '.join(allowed)}")


def load_costs(path: str | Path, fleet_def: FleetDefinition) -> CostData:
    """Load and validate a cost file against the fleet definition it prices.

    Raises
    ------
    CostDataError
        On a missing or malformed file, an unknown key, fleet, class or powertrain, a
        missing price, a negative price, a number without a source, or a tariff whose
        periods do not cover the 24 hours of the day exactly once.
    """
    path = Path(path)
    r = _Reader(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise r.fail("costs", str(path), "cost file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise r.fail("costs", str(path), f"unreadable: {' '.join(str(exc).split())}") from None
    r.keys(data, _SECTIONS, "")
    meta = r.table(data, "meta")
    r.keys(meta, ("base_year", "discount_rate"), "meta")
    base_year = meta.get("base_year")
    if isinstance(base_year, bool) or not isinstance(base_year, int) or base_year != \
            fleet_def.base_year:
        raise r.fail("meta.base_year", base_year,
                     f"expected the fleet file's base year {fleet_def.base_year}")
    discount = r.number(meta.get("discount_rate"), "meta.discount_rate", hi=0.5)
    learning_t = r.table(data, "learning")
    r.keys(learning_t, _LEARNING_KEYS, "learning")
    learning = {}
    for key in _LEARNING_KEYS:
        hi = 0.99 if key.endswith("learning_rate") else math.inf
        learning[key] = r.number(learning_t.get(key), f"learning.{key}", hi=hi)
    specs = _fleet_specs(fleet_def)
    prices = _per_spec(r, r.table(data, "purchase_price_cny"), "purchase_price_cny", specs)
    maint = _per_spec(r, r.table(data, "maintenance_cny_per_km"), "maintenance_cny_per_km", specs)
    fc_kw = _fuel_cell_kw(r, data.get("fuel_cell_kw", {}), specs)
    fuel = _fuel_prices(r, r.table(data, "fuel_price"))
    tariff = _tariff(r, r.table(data, "electricity"))
    chargers = _chargers(r, r.table(data, "chargers"))
    freight = r.table(data, "freight")
    r.keys(freight, ("rail_cny_per_tkm",), "freight")
    rail = r.number(freight.get("rail_cny_per_tkm"), "freight.rail_cny_per_tkm")
    sources = _sources(r, data)
    return CostData(
        path=path, base_year=base_year, discount_rate=discount,
        learning=MappingProxyType(learning), fuel_cell_kw=MappingProxyType(fc_kw),
        purchase_price_cny=MappingProxyType(prices),
        maintenance_cny_per_km=MappingProxyType(maint), fuel_price=MappingProxyType(fuel),
        tariff=tariff, chargers=chargers, sources=MappingProxyType(sources),
        rail_cny_per_tkm=rail,
    )


def _fleet_specs(fleet_def: FleetDefinition) -> dict[str, dict[str, tuple[str, ...]]]:
    return {name: {cname: tuple(cls.powertrains) for cname, cls in spec.classes.items()}
            for name, spec in fleet_def.fleets.items()}


def _per_spec(r: _Reader, table: Mapping[str, Any], where: str,
              specs: Mapping[str, Mapping[str, tuple[str, ...]]]) -> dict[tuple[str, str, str],
                                                                         float]:
    out: dict[tuple[str, str, str], float] = {}
    r.keys(table, tuple(specs), where)
    for fleet, classes in specs.items():
        ftable = table.get(fleet)
        if not isinstance(ftable, dict):
            raise r.fail(f"{where}.{fleet}", ftable, "missing: give a table per size class")
        r.keys(ftable, tuple(classes), f"{where}.{fleet}")
        for cname, powertrains in classes.items():
            ctable = ftable.get(cname)
            field = f"{where}.{fleet}.{cname}"
            if not isinstance(ctable, dict):
                raise r.fail(field, ctable, "missing: give {powertrain = value}")
            for ptn in ctable:
                if ptn not in powertrains:
                    raise r.fail(f"{field}.{ptn}", ctable[ptn],
                                 "unknown powertrain for this class in the fleet file; "
                                 f"accepted: {', '.join(powertrains)}")
            for ptn in powertrains:
                if ptn not in ctable:
                    raise r.fail(f"{field}.{ptn}", None, "missing: every powertrain of the "
                                 "fleet file needs a value")
                out[(fleet, cname, ptn)] = r.number(ctable[ptn], f"{field}.{ptn}")
    return out


def _fuel_cell_kw(r: _Reader, table: Any, specs: Mapping[str, Mapping[str, tuple[str, ...]]]
                  ) -> dict[tuple[str, str], float]:
    if not isinstance(table, dict):
        raise r.fail("fuel_cell_kw", table, "expected a table {fleet = {class = kW}}")
    out: dict[tuple[str, str], float] = {}
    for fleet, classes in specs.items():
        for cname, powertrains in classes.items():
            if "fcev" not in powertrains:
                continue
            value = table.get(fleet, {}).get(cname) if isinstance(table.get(fleet), dict) \
                else None
            out[(fleet, cname)] = r.number(value, f"fuel_cell_kw.{fleet}.{cname}", strict=True)
    return out


def _fuel_prices(r: _Reader, table: Mapping[str, Any]) -> dict[str, Curve]:
    r.keys(table, tuple(FUEL_PRICE_KEYS.values()), "fuel_price")
    out: dict[str, Curve] = {}
    for carrier, key in FUEL_PRICE_KEYS.items():
        value = table.get(key)
        field = f"fuel_price.{key}"
        if isinstance(value, dict):
            if not value:
                raise r.fail(field, value, "expected a number or {year = price}")
            try:
                years = tuple(int(y) for y in value)
            except ValueError:
                raise r.fail(field, value, "curve keys must be years") from None
            if list(years) != sorted(set(years)):
                raise r.fail(field, value, "curve years must increase")
            values = tuple(r.number(v, f"{field}.{y}") for y, v in value.items())
            out[carrier] = Curve(years, values)
        else:
            out[carrier] = Curve.constant(r.number(value, field))
    assert set(out) | {"electricity"} == set(CARRIERS)
    return out


def _tariff(r: _Reader, table: Mapping[str, Any]) -> Tariff:
    r.keys(table, ("flat_cny_per_kwh", "ratio", "hours", "off_site_hours"), "electricity")
    flat = r.number(table.get("flat_cny_per_kwh"), "electricity.flat_cny_per_kwh", strict=True)
    hours, ratio = table.get("hours"), table.get("ratio")
    if not isinstance(hours, dict) or not hours:
        raise r.fail("electricity.hours", hours, "expected {period = [hours]}")
    if not isinstance(ratio, dict):
        raise r.fail("electricity.ratio", ratio, "expected {period = multiple of flat}")
    period_of: list[str | None] = [None] * HOURS_PER_DAY
    price = np.zeros(HOURS_PER_DAY)
    _check_periods(r, hours, ratio)
    for period, listed in hours.items():
        field = f"electricity.hours.{period}"
        factor = r.number(ratio[period], f"electricity.ratio.{period}")
        if not isinstance(listed, list):
            raise r.fail(field, listed, "expected a list of hours 0..23")
        for hour in listed:
            if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour < 24:
                raise r.fail(field, hour, "hours are integers 0..23 (hour h = [h:00, h+1:00))")
            if period_of[hour] is not None:
                raise r.fail(field, hour, f"hour already in period {period_of[hour]!r}: the "
                             "tariff must cover the 24 hours exactly once")
            period_of[hour] = period
            price[hour] = flat * factor
    missing = [h for h in range(HOURS_PER_DAY) if period_of[h] is None]
    if missing:
        raise r.fail("electricity.hours", missing, "hours in no period: the tariff must "
                     "cover the 24 hours of the day")
    return Tariff(price, tuple(str(p) for p in period_of), _off_site_hours(r, table))


def _check_periods(r: _Reader, hours: Mapping[str, Any], ratio: Mapping[str, Any]) -> None:
    for period, listed in hours.items():
        if period not in TOU_PERIODS:
            raise r.fail(f"electricity.hours.{period}", listed,
                         f"unknown period; accepted: {', '.join(TOU_PERIODS)}")
        if period not in ratio:
            raise r.fail(f"electricity.ratio.{period}", None, "missing: give the period's ratio")
    for period in ratio:
        if period not in hours:
            raise r.fail(f"electricity.ratio.{period}", ratio[period], "period has no hours")


def _off_site_hours(r: _Reader, table: Mapping[str, Any]) -> tuple[int, ...]:
    off = table.get("off_site_hours")
    if (not isinstance(off, list) or not off
            or not all(isinstance(h, int) and not isinstance(h, bool) and 0 <= h < 24
                       for h in off)):
        raise r.fail("electricity.off_site_hours", off, "expected a non-empty list of hours "
                     "0..23")
    return tuple(off)


def _chargers(r: _Reader, table: Mapping[str, Any]) -> ChargerCosts:
    keys = ("power_class_max_kw", "capital_cny_per_kw", "grid_connection_cny_per_kw",
            "life_years", "om_share_of_capital")
    r.keys(table, keys, "chargers")
    limits, rates = table.get("power_class_max_kw"), table.get("capital_cny_per_kw")
    if not isinstance(limits, list) or not limits:
        raise r.fail("chargers.power_class_max_kw", limits, "expected a list of kW limits")
    if not isinstance(rates, list) or len(rates) != len(limits):
        raise r.fail("chargers.capital_cny_per_kw", rates,
                     "expected one CNY/kW per power class")
    lim = tuple(r.number(v, f"chargers.power_class_max_kw[{i}]", strict=True)
                for i, v in enumerate(limits))
    if list(lim) != sorted(set(lim)):
        raise r.fail("chargers.power_class_max_kw", limits, "limits must increase")
    return ChargerCosts(
        power_class_max_kw=lim,
        capital_cny_per_kw=tuple(r.number(v, f"chargers.capital_cny_per_kw[{i}]")
                                 for i, v in enumerate(rates)),
        grid_connection_cny_per_kw=r.number(table.get("grid_connection_cny_per_kw"),
                                            "chargers.grid_connection_cny_per_kw"),
        life_years=r.number(table.get("life_years"), "chargers.life_years", strict=True),
        om_share_of_capital=r.number(table.get("om_share_of_capital"),
                                     "chargers.om_share_of_capital", hi=1.0),
    )


def _sources(r: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    """Check that every number has a source whose S-ids are SOURCES.md headings."""
    from transport_sim.fleets.reader import check_source_ids

    raw = data.get("sources", {})
    if not isinstance(raw, dict):
        raise r.fail("sources", raw, "expected a table of field = source text")
    for key, text in raw.items():
        if not isinstance(text, str) or not text.startswith(SOURCE_PREFIXES):
            raise r.fail(f"sources.{key}", text, "a source must be text starting with one "
                         "of: " + ", ".join(SOURCE_PREFIXES))
    for leaf in _numeric_leaves({k: v for k, v in data.items() if k != "sources"}):
        parts = leaf.split(".")
        if not any(".".join(parts[:n]) in raw for n in range(1, len(parts) + 1)):
            raise r.fail(leaf, None, "number without a source: add it to [sources]")
    try:
        check_source_ids(r.path, {f"costs.{k}": v for k, v in raw.items()})
    except FleetError as exc:
        raise CostDataError(str(exc)) from None
    return dict(raw)


def _numeric_leaves(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _numeric_leaves(value, dotted + ".")
        elif key != "base_year":
            out.append(dotted)
    return out
