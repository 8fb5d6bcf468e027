"""What a run costs: vehicles, energy, maintenance, chargers; TCO; the charging energy table.

Costs are in CNY at the cost file's base-year prices (real terms).  ``costs.parquet`` has
one row per (year, fleet, size_class, powertrain, item):

* ``vehicle_capital``: purchases of the year x the year's price (``cash_cny``); every
  vehicle bought during the run, annualised over its mean life with the capital recovery
  factor while it is within that life (``annualised_cny``).  The base-year stock is sunk
  and shared by every scenario, so it is not costed.
* ``subsidy``: the scenario's NEV purchase subsidy (negative: paid to the operator).
* ``energy``: carrier amounts x prices; electricity at the Hubei time-of-use tariff for the
  hourly energy the fleet drew from the simulated chargers, and at the off-site (night)
  price for the electricity it used but no simulated charger delivered.
* ``maintenance``: vehicle-km x CNY/km.
* ``rail_freight``: tonne-km moved by rail x the railway's price per tonne-km (fleet
  ``rail_freight``; the price covers the railway's energy, capital and crews).
* ``carbon``: the scenario's carbon price x tank-to-wheel CO2.
* ``charger_capital``, ``charger_om``: plugs added during the run (capital per kW by power
  class plus grid connection), annualised over the charger life; upkeep of every installed
  plug.  Shared sites are allocated to fleets by the energy each fleet drew there (private
  cars at service areas appear as fleet ``car``); ``size_class`` is ``all``.

``subsidy`` and ``carbon`` are transfers: they move money between the city and the
operators but use no resources, so the *resource cost* (:data:`RESOURCE_ITEMS`) that
abatement costs are computed from leaves them out.  ``discount_factor`` is
``(1 + r)^-(year - first year)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from transport_sim.accounting.annual import day_weights
from transport_sim.codes import BACKGROUND_FLEET, SITE_KINDS
from transport_sim.fleets.factors import carrier_amount_from_kwh, co2_ttw_kg
from transport_sim.kernels.charging import HOURS_PER_DAY

if TYPE_CHECKING:
    from transport_sim.fleets.costs import CostData
    from transport_sim.sim.model import TransportModel
    from transport_sim.sim.prepare import Prepared

COST_ITEMS = ("vehicle_capital", "subsidy", "energy", "maintenance", "carbon",
              "charger_capital", "charger_om", "rail_freight")
#: Items that use resources (transfers -- subsidy, carbon -- left out).
RESOURCE_ITEMS = ("vehicle_capital", "energy", "maintenance", "charger_capital", "charger_om",
                  "rail_freight")
COST_COLUMNS = ("year", "fleet", "size_class", "powertrain", "item", "cash_cny",
                "annualised_cny", "discount_factor")
TCO_COLUMNS = ("year", "fleet", "size_class", "powertrain", "price_cny", "life_years",
               "km_per_year", "capital_cny_per_year", "energy_cny_per_year",
               "maintenance_cny_per_year", "charger_cny_per_year", "tco_cny_per_year",
               "tco_cny_per_km", "operator_tco_cny_per_year")
CHARGING_ENERGY_COLUMNS = ("year", "day_type", "site_id", "kind", "hour", "fleet",
                           "energy_kwh", "scale")
#: Fleet that pays for a kind of site when nobody charged there.
SITE_OWNER = {"depot": "bus", "urban": "taxi", "service_area": "truck", "port": "ship"}
ALL_CLASSES = "all"


# ======================================================================================
# tables built while simulating
# ======================================================================================
def charging_energy(model: TransportModel, year: int, day_type: str) -> pd.DataFrame:
    """Return the day's grid energy per (site, hour, fleet), with each fleet's vehicle scale.

    ``energy_kwh`` is as simulated; ``scale`` turns it into the real fleet's energy (the
    inverse of ``run.vehicle_scale`` for the fleet, 1 for background cars).
    """
    from transport_sim.charging.statistics import hourly_energy_by_fleet

    frame = hourly_energy_by_fleet(model.site_arrays, model.sites, model.state.fleet)
    kinds = dict(zip(model.sites.site_id, model.sites.kind_names(), strict=True))
    frame.insert(0, "day_type", day_type)
    frame.insert(0, "year", int(year))
    frame.insert(3, "kind", [kinds[s] for s in frame["site_id"]])
    scale = model.plan.vehicle_scale
    frame["scale"] = [float(scale.get(f, 1.0)) for f in frame["fleet"]]
    return frame[list(CHARGING_ENERGY_COLUMNS)].reset_index(drop=True)


def with_hourly_energy(hourly: pd.DataFrame, energy: pd.DataFrame) -> pd.DataFrame:
    """Add ``energy_kwh`` (grid energy of all users in the hour, as simulated) to ``hourly``."""
    per_hour = energy.groupby(["site_id", "hour"])["energy_kwh"].sum()
    out = hourly.copy()
    keys = pd.MultiIndex.from_arrays([out["site_id"], out["hour"]])
    out["energy_kwh"] = per_hour.reindex(keys).fillna(0.0).to_numpy()
    return out


# ======================================================================================
# costs
# ======================================================================================
def class_activity(days: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """Annual vkm, carrier amounts and TTW CO2 per (year, fleet, size_class, powertrain).

    The same scaling as :func:`transport_sim.accounting.annual.annual_table`, kept at the
    size-class level (summed over classes it reproduces ``annual.parquet``).
    """
    scen, fdef = prep.scenario, prep.fleet_def
    frame = days.copy()
    frame["days"] = [
        day_weights(prep, f, scen.run.day_types).get(d, 0.0)
        for f, d in zip(frame["fleet"], frame["day_type"], strict=True)
    ]
    for col in ("vkm", "energy_kwh"):
        frame[col] = frame[col].astype(float) * frame["days"]
    cells = (frame.groupby(["year", "fleet", "size_class", "powertrain"], sort=True)
             [["vkm", "energy_kwh"]].sum().reset_index())
    carriers, amounts = [], []
    for rec in cells.itertuples(index=False):
        spec = fdef.spec(rec.fleet, rec.size_class, rec.powertrain)
        carriers.append(spec.carrier)
        amounts.append(rec.energy_kwh / scen.charging.charger_efficiency if spec.is_bev
                       else float(carrier_amount_from_kwh(spec.carrier, rec.energy_kwh)))
    cells["carrier"] = carriers
    cells["amount"] = amounts
    cells["co2_ttw_t"] = [float(co2_ttw_kg(c, a)) / 1e3
                          for c, a in zip(carriers, amounts, strict=True)]
    return cells


def _life_years(prep: Prepared, fleet: str, size_class: str) -> float:
    cls = prep.fleet_def.fleet(fleet).classes[size_class]
    return cls.age.lifetime_mean_years * prep.scenario.policy.fleet(fleet).lifetime_scale


def _price(costs: CostData, prep: Prepared, fleet: str, size_class: str, powertrain: str,
           year: int) -> float:
    spec = prep.fleet_def.spec(fleet, size_class, powertrain)
    return costs.vehicle_price_cny(fleet, size_class, powertrain, year, spec.battery_kwh)


def _site_energy_annual(energy: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """Annual, real-fleet grid energy per (year, fleet, kind, hour) from the day tables."""
    if energy.empty:
        return pd.DataFrame(columns=["year", "fleet", "kind", "hour", "energy_kwh"])
    weights = {f: day_weights(prep, f if f != BACKGROUND_FLEET else "bus",
                              prep.scenario.run.day_types)
               for f in energy["fleet"].unique()}
    frame = energy.copy()
    frame["energy_kwh"] = (frame["energy_kwh"] * frame["scale"]
                           * [weights[f].get(d, 0.0)
                              for f, d in zip(frame["fleet"], frame["day_type"], strict=True)])
    return frame.groupby(["year", "fleet", "kind", "hour"])["energy_kwh"].sum().reset_index()


def electricity_cost_cny(site_hourly_kwh: np.ndarray, used_kwh: float, costs: CostData) -> float:
    """Cost of a fleet's electricity in one year.

    Parameters
    ----------
    site_hourly_kwh
        float[24]: grid energy the fleet drew from simulated chargers in each hour.
    used_kwh
        The fleet's electricity use at the charger over the year.

    The charged energy is priced hour by hour at the tariff; what the fleet used beyond
    it was charged off-site at night.  When the chargers delivered more than was used
    (batteries ended fuller than they started), ``used_kwh`` is priced at the mean tariff
    of the simulated charging.
    """
    hourly = np.asarray(site_hourly_kwh, np.float64)
    charged = float(hourly.sum())
    at_sites = costs.tariff.energy_cost_cny(hourly)
    if charged <= used_kwh:
        return at_sites + (used_kwh - charged) * costs.tariff.off_site_price_cny_per_kwh
    return used_kwh * at_sites / charged


def cost_tables(days: pd.DataFrame, prep: Prepared, annual: pd.DataFrame,
                chargers: pd.DataFrame, energy: pd.DataFrame, costs: CostData
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``costs.parquet`` and ``tco.parquet`` of a run.

    Parameters
    ----------
    days
        Day totals per (year, day_type, fleet, size_class, powertrain), scaled to real
        vehicles (the input of :func:`~transport_sim.accounting.annual.annual_table`).
    prep
        The run's inputs (scenario, fleet definition, stock).
    annual
        ``annual.parquet`` (its rail-freight rows are costed per tonne-km).
    chargers, energy
        ``chargers.parquet`` and the charging-energy table (:func:`charging_energy`).
    costs
        The validated cost file.
    """
    scen, stock = prep.scenario, prep.stock
    years = list(scen.years)
    first = years[0]
    activity = class_activity(days, prep)
    site_energy = _site_energy_annual(energy, prep)
    rows: list[tuple] = []

    def add(year: int, fleet: str, cls: str, ptn: str, item: str, cash: float,
            annualised: float) -> None:
        rows.append((year, fleet, cls, ptn, item, float(cash), float(annualised)))

    rows += _vehicle_rows(stock, prep, costs, years)
    # energy, maintenance, carbon
    for year_key, grp in activity.groupby("year"):
        year = int(year_key)
        carbon_price = scen.costs.carbon_price_cny_per_t.at(year)
        elec = grp[grp["carrier"] == "electricity"]
        for fleet, fgrp in elec.groupby("fleet"):
            used = float(fgrp["amount"].sum())
            drawn = site_energy[(site_energy["year"] == year) & (site_energy["fleet"] == fleet)]
            hourly = drawn.groupby("hour")["energy_kwh"].sum().reindex(
                range(HOURS_PER_DAY), fill_value=0.0).to_numpy()
            total = electricity_cost_cny(hourly, used, costs)
            for rec in fgrp.itertuples(index=False):
                share = rec.amount / used if used > 0 else 0.0
                add(year, fleet, rec.size_class, rec.powertrain, "energy", total * share,
                    total * share)
        for rec in grp.itertuples(index=False):
            if rec.carrier != "electricity":
                cny = rec.amount * costs.fuel_price_cny(rec.carrier, year)
                add(year, rec.fleet, rec.size_class, rec.powertrain, "energy", cny, cny)
            maint = rec.vkm * costs.maintenance_cny_per_km[(rec.fleet, rec.size_class,
                                                             rec.powertrain)]
            add(year, rec.fleet, rec.size_class, rec.powertrain, "maintenance", maint, maint)
            if carbon_price > 0 and rec.co2_ttw_t > 0:
                cny = carbon_price * rec.co2_ttw_t
                add(year, rec.fleet, rec.size_class, rec.powertrain, "carbon", cny, cny)

    rail = annual[annual["fleet"] == "rail_freight"]
    for rec in rail.itertuples(index=False):
        cny = rec.tkm * costs.rail_cny_per_tkm
        if cny:
            add(int(rec.year), "rail_freight", ALL_CLASSES, rec.powertrain, "rail_freight", cny,
                cny)
    rows += _charger_rows(chargers, site_energy, costs, years)
    table = pd.DataFrame(rows, columns=list(COST_COLUMNS[:-1]))
    table = (table.groupby(list(COST_COLUMNS[:5]), sort=True)[["cash_cny", "annualised_cny"]]
             .sum().reset_index())
    table["discount_factor"] = (1.0 + costs.discount_rate) ** -(table["year"] - first)
    table["year"] = table["year"].astype(np.int64)
    return table[list(COST_COLUMNS)], tco_table(table, activity, stock, prep, costs)


def _vehicle_rows(stock: pd.DataFrame, prep: Prepared, costs: CostData,
                  years: list[int]) -> list[tuple]:
    """Vehicles bought during the run: cash in the year, annualised while within their life."""
    rows: list[tuple] = []
    bought = stock.groupby(["year", "fleet", "size_class", "powertrain"])["purchased"].sum()
    bought = bought[bought > 0]
    for (fleet, cls, ptn), grp in bought.groupby(level=[1, 2, 3]):
        life = _life_years(prep, fleet, cls)
        crf = costs.crf(life)
        buys = {int(k[0]): int(n) for k, n in grp.items()}
        subsidy = prep.scenario.policy.fleet(fleet).nev_purchase_subsidy_share
        for year in years:
            cap_cash = sub_cash = cap_ann = sub_ann = 0.0
            for v, n in buys.items():
                if v > year or year - v >= life:
                    continue
                price = n * _price(costs, prep, fleet, cls, ptn, v)
                share = subsidy.at(v) if ptn in ("bev", "fcev") else 0.0
                cap_ann += price * crf
                sub_ann -= share * price * crf
                if v == year:
                    cap_cash, sub_cash = price, -share * price
            if cap_ann or cap_cash:
                rows.append((year, fleet, cls, ptn, "vehicle_capital", cap_cash, cap_ann))
            if sub_ann or sub_cash:
                rows.append((year, fleet, cls, ptn, "subsidy", sub_cash, sub_ann))
    return rows


def _charger_rows(chargers: pd.DataFrame, site_energy: pd.DataFrame, costs: CostData,
                  years: list[int]) -> list[tuple]:
    """Charger capital (added plugs, annualised) and upkeep, allocated to fleets by energy."""
    if chargers.empty:
        return []
    cc = costs.chargers
    sites = chargers.groupby(["year", "site_id", "kind"])[["plugs", "power_kw"]].max()
    sites = sites.reset_index()
    sites["capital_cny"] = [p * kw * cc.capital_cny_per_kw_of(kw)
                            for p, kw in zip(sites["plugs"], sites["power_kw"], strict=True)]
    cap = sites.pivot_table(index="site_id", columns="year", values="capital_cny",
                            aggfunc="sum").reindex(columns=years).fillna(0.0)
    kind_of = sites.groupby("site_id")["kind"].first()
    # capital of plugs added since the year before (the first year's plugs exist already)
    previous = cap.shift(1, axis=1)
    previous[years[0]] = cap[years[0]]
    added = (cap - previous).clip(lower=0.0)
    crf = costs.crf(cc.life_years)
    by_kind_added = added.groupby(kind_of).sum()
    by_kind_installed = cap.groupby(kind_of).sum()
    rows: list[tuple] = []
    for kind in by_kind_added.index:
        for year in years:
            cash = float(by_kind_added.loc[kind, year])
            annualised = sum(float(by_kind_added.loc[kind, v]) * crf
                             for v in years if v <= year and year - v < cc.life_years)
            om = float(by_kind_installed.loc[kind, year]) * cc.om_share_of_capital
            shares = _fleet_shares(site_energy, year, kind)
            for fleet, share in shares.items():
                if cash or annualised:
                    rows.append((year, fleet, ALL_CLASSES, "bev", "charger_capital",
                                 cash * share, annualised * share))
                if om:
                    rows.append((year, fleet, ALL_CLASSES, "bev", "charger_om", om * share,
                                 om * share))
    return rows


def _fleet_shares(site_energy: pd.DataFrame, year: int, kind: str) -> dict[str, float]:
    sel = site_energy[(site_energy["year"] == year) & (site_energy["kind"] == kind)]
    by_fleet = sel.groupby("fleet")["energy_kwh"].sum()
    total = float(by_fleet.sum())
    if total <= 0:
        return {SITE_OWNER.get(kind, SITE_OWNER[SITE_KINDS[0]]): 1.0}
    return {str(f): float(e) / total for f, e in by_fleet.items() if e > 0}


def tco_table(costs_table: pd.DataFrame, activity: pd.DataFrame, stock: pd.DataFrame,
              prep: Prepared, costs: CostData) -> pd.DataFrame:
    """Total cost of ownership of a vehicle bought in each year, per class and powertrain.

    A new vehicle runs the class's mean km per vehicle of that year (every powertrain of
    a class does the same duty); its energy and maintenance per km are those simulated for
    its powertrain (cells without simulated km are left out).  ``capital`` is the price x
    CRF over the mean life; ``charger`` is the fleet's charger cost per BEV-km.
    ``tco_cny_per_year`` is the resource cost; ``operator_tco_cny_per_year`` adds the
    carbon charge and takes the subsidy off.
    """
    scen = prep.scenario
    vehicles = stock.groupby(["year", "fleet", "size_class", "powertrain"])["vehicles"].sum()
    items = costs_table.pivot_table(index=["year", "fleet", "size_class", "powertrain"],
                                    columns="item", values="annualised_cny", aggfunc="sum",
                                    fill_value=0.0)
    charger = costs_table[costs_table["item"].isin(["charger_capital", "charger_om"])]
    charger = charger.groupby(["year", "fleet"])["annualised_cny"].sum()
    rows = []
    act = activity.set_index(["year", "fleet", "size_class", "powertrain"])
    for (year, fleet, cls), grp in activity.groupby(["year", "fleet", "size_class"]):
        n = float(sum(vehicles.get((year, fleet, cls, p), 0) for p in grp["powertrain"]))
        if n <= 0:
            continue
        km = float(grp["vkm"].sum()) / n
        bev_vkm = float(activity[(activity["year"] == year) & (activity["fleet"] == fleet)
                                 & (activity["carrier"] == "electricity")]["vkm"].sum())
        life = _life_years(prep, fleet, cls)
        for ptn in grp["powertrain"]:
            key = (year, fleet, cls, ptn)
            vkm = float(act.loc[key, "vkm"])
            if vkm <= 0:
                continue
            per_km = items.loc[key] / vkm if key in items.index else None
            energy = float(per_km.get("energy", 0.0)) * km if per_km is not None else 0.0
            maint = float(per_km.get("maintenance", 0.0)) * km if per_km is not None else 0.0
            carbon = float(per_km.get("carbon", 0.0)) * km if per_km is not None else 0.0
            price = _price(costs, prep, fleet, cls, ptn, int(year))
            capital = price * costs.crf(life)
            chg = 0.0
            if ptn == "bev" and bev_vkm > 0:
                chg = float(charger.get((year, fleet), 0.0)) / bev_vkm * km
            subsidy = (scen.policy.fleet(fleet).nev_purchase_subsidy_share.at(int(year))
                       if ptn in ("bev", "fcev") else 0.0)
            tco = capital + energy + maint + chg
            rows.append((int(year), fleet, cls, ptn, price, life, km, capital, energy, maint,
                         chg, tco, tco / km, tco + carbon - subsidy * capital))
    return pd.DataFrame(rows, columns=list(TCO_COLUMNS))
