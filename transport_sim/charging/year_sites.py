"""The charger sites of one policy year, from the run's candidates and the scenario."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.charging.sites import ChargerSites, build_sites

if TYPE_CHECKING:
    import pandas as pd

    from transport_sim.demand.context import RunContext
    from transport_sim.fleets.specs import FleetDefinition
    from transport_sim.scenario.settings import Scenario


def build_year_sites(
    context: RunContext,
    scenario: Scenario,
    fleet_def: FleetDefinition,
    stock: pd.DataFrame,
    year: int,
    plug_overrides: dict[str, int] | None = None,
) -> ChargerSites:
    """Return the charger sites of ``year`` with their targets filled in.

    Depot plugs follow the year's BEV buses, spread over the terminals by the bus-hours
    of the lines that end there; the logistics hubs and plants (delivery-truck depots)
    always get an urban-kind site on top of the ``urban_hubs`` public hubs; service areas
    get chargers by the coverage curve and order.

    Parameters
    ----------
    plug_overrides
        ``{site_id: plugs}`` replacing the computed plug counts (charger sizing).
    """
    from transport_sim.fleets.calibration import load_calibration

    availability = load_calibration(scenario, fleet_def).availability
    bev = stock[
        (stock["year"] == year) & (stock["fleet"] == "bus") & (stock["powertrain"] == "bev")
    ]
    bev_buses = float(bev["vehicles"].sum()) * availability["bus"]
    lines = (
        context.depot_lines
        if context.depot_lines is not None
        else np.ones(len(context.sites["depot"]))
    )
    share = lines / lines.sum() if lines.sum() > 0 else np.zeros_like(lines)
    # every terminal a BEV bus lays over at gets at least one plug
    per_depot = np.ceil(bev_buses * share - 1e-9).astype(np.int64)
    hubs = list(context.sites["logistics"])
    hub_nodes = {c.nodes[0] for c in hubs}
    urban = hubs + [c for c in context.sites["urban"] if c.nodes[0] not in hub_nodes]
    settings = dataclasses.replace(
        scenario.charging, urban_hubs=scenario.charging.urban_hubs + len(hubs)
    )
    sites = build_sites(
        context.sites["depot"],
        urban,
        context.sites["service_area"],
        context.sites["port"],
        settings,
        year,
        per_depot,
        service_area_distances_km=context.service_area_distances_km,
    )
    if plug_overrides:
        plugs = sites.plugs.copy()
        for i, sid in enumerate(sites.site_id):
            if sid in plug_overrides:
                plugs[i] = int(plug_overrides[sid])
        sites = sites.with_plugs(plugs)
    return sites.with_targets(context.targets.node)
