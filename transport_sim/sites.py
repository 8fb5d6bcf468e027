"""The charger sites of one policy year, from the run's candidates and the scenario."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.charging import ChargerSites, build_sites
from transport_sim.dayplan import AVAILABILITY

if TYPE_CHECKING:
    import pandas as pd

    from transport_sim.context import RunContext
    from transport_sim.fleets import FleetDefinition
    from transport_sim.scenario import Scenario


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
    del fleet_def  # the fleet file does not change site sizes; kept for a uniform signature
    bev = stock[
        (stock["year"] == year) & (stock["fleet"] == "bus") & (stock["powertrain"] == "bev")
    ]
    bev_buses = float(bev["vehicles"].sum()) * AVAILABILITY["bus"]
    lines = (
        context.depot_lines
        if context.depot_lines is not None
        else np.ones(len(context.sites["depot"]))
    )
    share = lines / lines.sum() if lines.sum() > 0 else np.zeros_like(lines)
    per_depot = np.round(bev_buses * share).astype(np.int64)
    sites = build_sites(
        context.sites["depot"],
        context.sites["urban"],
        context.sites["service_area"],
        context.sites["port"],
        scenario.charging,
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
