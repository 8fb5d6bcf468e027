"""The charger sites of one policy year, grown with the battery fleets.

Plugs per site follow the battery vehicles in service in the year (``charging.plug_growth
= "fleet"``) or stay at the base year's counts (``"frozen"``: no investment):

* **depots** (bus terminals): ``sum over bus classes of plugs_per_vehicle x battery buses in
  service`` (fleet file ``[charging.bus.<class>]``), spread over the terminals by the
  bus-hours of the lines that end there (at least one plug at every terminal a battery
  bus lays over at); power = plug-weighted mean of the classes' ``power_kw``;
* **logistics hubs and plants** (urban-kind sites where the delivery trucks are based):
  the trucks' home-base plugs (``[charging.truck.<class>]``), spread evenly, at least
  ``urban_hub_plugs`` each;
* **public urban hubs** (the ``urban_hubs`` busiest taxi zones): the taxis' home-base plugs
  plus ``urban_public_plugs_per_100_bev`` per 100 battery taxis in service, or the explicit
  ``urban_public_plugs`` when it is > 0, spread by taxi demand (at least one plug each);
* **service areas** (chosen by the coverage curve): ``service_area_plugs_per_100_bev_trucks``
  per 100 battery trucks of the classes that use the expressways (payload >=
  the calibration file's ``demand.urban_payload_t``), spread by passing traffic, at least
  ``service_area_plugs`` each;
* **ports**: the boats' home-base plugs (``[charging.ship.<class>]``), spread evenly, at
  least ``port_plugs`` each.

``in service`` = stock x the calibration file's ``[availability]`` of the fleet.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.charging.sites import ChargerSites, build_sites
from transport_sim.errors import FleetError, describe
from transport_sim.io import largest_remainder
from transport_sim.kernels.charging import KIND_DEPOT, KIND_PORT, KIND_SERVICE_AREA, KIND_URBAN

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from transport_sim.charging.sites import CandidateLike
    from transport_sim.demand.context import RunContext
    from transport_sim.fleets.specs import FleetDefinition
    from transport_sim.scenario.settings import Scenario



def bev_in_service(
    stock: pd.DataFrame, year: int, fleet: str, availability: Mapping[str, float]
) -> dict[str, float]:
    """Battery vehicles of ``fleet`` in service in ``year`` by size class (stock x availability)."""
    rows = stock[
        (stock["year"] == year) & (stock["fleet"] == fleet) & (stock["powertrain"] == "bev")
    ]
    by_class = rows.groupby("size_class")["vehicles"].sum()
    return {str(c): float(n) * availability[fleet] for c, n in by_class.items()}


def home_base_plugs(
    fleet_def: FleetDefinition,
    stock: pd.DataFrame,
    year: int,
    fleet: str,
    availability: Mapping[str, float],
) -> tuple[float, float]:
    """Return (plugs, plug-weighted power kW) of ``fleet``'s home bases in ``year``.

    Raises
    ------
    FleetError
        When a class with battery vehicles has no ``[charging.<fleet>.<class>]`` entry.
    """
    plugs = weighted_kw = 0.0
    power = 0.0
    for cname, n in sorted(bev_in_service(stock, year, fleet, availability).items()):
        spec = fleet_def.home_charging.get((fleet, cname))
        if spec is None:
            if n <= 0:
                continue
            raise FleetError(describe(
                fleet_def.path, f"charging.{fleet}.{cname}", None,
                "missing: battery vehicles of this class need home-base plugs_per_vehicle "
                "and power_kw",
            ))
        k = spec.plugs_per_vehicle * n
        plugs += k
        weighted_kw += k * spec.power_kw
        power = max(power, spec.power_kw)
    return plugs, (weighted_kw / plugs if plugs > 0 else power)


def _spread(total: float, weights: np.ndarray, floor: int) -> np.ndarray:
    """Split ``ceil(total)`` plugs over sites in proportion to ``weights``, each >= ``floor``."""
    n = len(weights)
    if n == 0:
        return np.zeros(0, np.int64)
    w = np.asarray(weights, np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n)
    k = max(math.ceil(total - 1e-9), 0)
    counts = np.asarray(largest_remainder(list(k * w), k), np.int64) if k else np.zeros(n, np.int64)
    return np.maximum(counts, floor)


def build_year_sites(
    context: RunContext,
    scenario: Scenario,
    fleet_def: FleetDefinition,
    stock: pd.DataFrame,
    year: int,
    plug_overrides: dict[str, int] | None = None,
) -> ChargerSites:
    """Return the charger sites of ``year`` with their targets filled in.

    Parameters
    ----------
    plug_overrides
        ``{site_id: plugs}`` replacing the computed plug counts (charger sizing).
    """
    from transport_sim.fleets.calibration import load_calibration

    # trucks of at least demand.urban_payload_t haul between towns and through the
    # gateways and so stop at service areas; lighter ones run urban delivery tours
    calibration = load_calibration(scenario, fleet_def)
    availability = calibration.availability
    settings = scenario.charging
    plug_year = scenario.run.start_year if settings.plug_growth == "frozen" else year
    bus_plugs, bus_kw = home_base_plugs(fleet_def, stock, plug_year, "bus", availability)
    lines = (
        context.depot_lines
        if context.depot_lines is not None
        else np.ones(len(context.sites["depot"]))
    )
    share = lines / lines.sum() if lines.sum() > 0 else np.zeros_like(lines)
    # every terminal a battery bus lays over at gets at least one plug
    per_depot = np.ceil(bus_plugs * share - 1e-9).astype(np.int64)
    hubs = list(context.sites["logistics"])
    hub_nodes = {c.nodes[0] for c in hubs}
    urban = hubs + [c for c in context.sites["urban"] if c.nodes[0] not in hub_nodes]
    base = dataclasses.replace(
        settings,
        urban_hubs=settings.urban_hubs + len(hubs),
        depot_plugs_per_bus=1.0,  # per_depot already holds plugs
        depot_power_kw=bus_kw if bus_plugs > 0 else settings.depot_power_kw,
    )
    sites = build_sites(
        context.sites["depot"],
        urban,
        context.sites["service_area"],
        context.sites["port"],
        base,
        plug_year,
        per_depot,
        service_area_distances_km=context.service_area_distances_km,
    )
    plugs = sites.plugs.astype(np.int64).copy()
    power = sites.power_kw.copy()
    weight = {c.nodes[0]: float(c.weight) for c in (*urban, *context.sites["service_area"])}
    kind = sites.kind
    is_hub = np.array([int(u) in hub_nodes for u in sites.node]) & (kind == KIND_URBAN)
    public = (kind == KIND_URBAN) & ~is_hub
    # logistics hubs: the trucks' home bases
    truck_plugs, truck_kw = home_base_plugs(fleet_def, stock, plug_year, "truck", availability)
    idx = np.flatnonzero(is_hub)
    plugs[idx] = _spread(truck_plugs, np.ones(len(idx)), settings.urban_hub_plugs)
    if truck_plugs > 0:
        power[idx] = truck_kw
    # public urban hubs: taxi home bases + public plugs
    taxi_plugs, _ = home_base_plugs(fleet_def, stock, plug_year, "taxi", availability)
    explicit = settings.urban_public_plugs.at(plug_year)
    bev_taxis = sum(bev_in_service(stock, plug_year, "taxi", availability).values())
    public_plugs = (
        explicit if explicit > 0
        else settings.urban_public_plugs_per_100_bev.at(plug_year) * bev_taxis / 100.0
    )
    idx = np.flatnonzero(public)
    w = np.array([weight.get(int(u), 0.0) for u in sites.node[idx]])
    plugs[idx] = _spread(taxi_plugs + public_plugs, w, 1)
    # service areas (not their MCS companions): grow with the battery trucks passing
    bev_trucks = sum(
        n for c, n in bev_in_service(stock, plug_year, "truck", availability).items()
        if fleet_def.fleet("truck").classes[c].powertrains["bev"].payload_t
        >= calibration.demand["urban_payload_t"]
    )
    companions = set(sites.mcs_site[sites.mcs_site >= 0].tolist())
    idx = np.array(
        [s for s in np.flatnonzero(kind == KIND_SERVICE_AREA) if s not in companions], np.int64
    )
    w = np.array([weight.get(int(u), 0.0) for u in sites.node[idx]])
    sa_total = settings.service_area_plugs_per_100_bev_trucks.at(plug_year) * bev_trucks / 100.0
    plugs[idx] = _spread(sa_total, w, settings.service_area_plugs)
    # ports: the boats' home bases
    ship_plugs, ship_kw = home_base_plugs(fleet_def, stock, plug_year, "ship", availability)
    idx = np.flatnonzero(kind == KIND_PORT)
    plugs[idx] = _spread(ship_plugs, np.ones(len(idx)), settings.port_plugs)
    if ship_plugs > 0:
        power[idx] = ship_kw
    depots = kind == KIND_DEPOT
    if depots.any() and bus_plugs <= 0:
        power[depots] = settings.depot_power_kw
    if plug_overrides:
        for i, sid in enumerate(sites.site_id):
            if sid in plug_overrides:
                plugs[i] = int(plug_overrides[sid])
    sites = dataclasses.replace(sites.with_plugs(plugs), power_kw=power)
    return sites.with_targets(context.targets.node)


def sites_frame(
    sites: ChargerSites, year: int, service_areas: Sequence[CandidateLike] = ()
) -> pd.DataFrame:
    """Return the resolved sites of ``year`` (``sites.parquet``): one row per site.

    Columns: year, site_id, name, kind, fleets, node, lon, lat, plugs, power_kw.  The
    service-area candidates that got no chargers are listed too, with 0 plugs, so that
    coverage can be counted from the results (built and served areas / all areas).
    """
    import pandas as pd

    frame = sites.to_frame()
    built = set(sites.site_id)
    extra = [
        {"site_id": c.site_id, "name": c.name, "kind": "service_area", "fleets": "",
         "node": int(c.nodes[0]), "lon": c.lon, "lat": c.lat, "plugs": 0, "power_kw": 0.0}
        for c in service_areas if getattr(c, "site_id", "") not in built
    ]
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)],
                          ignore_index=True)
    frame.insert(0, "year", int(year))
    return frame
