"""A cheap analytic stand-in for the model, for tests and benchmarks of sweeps.

It lives with the tests (not in the package): it answers like a run (``annual`` and
``chargers`` tables with the real model's columns) without a network or a simulation.
The sweep tests' base scenario (:func:`base_scenario`, :func:`write_base`) lives here too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from transport_sim.accounting.annual import ANNUAL_COLUMNS
from transport_sim.results.folder import Results
from transport_sim.scenario.settings import Scenario

#: Synthetic fleets: (fleet, ICE powertrain, vehicles, t CO2 TTW per ICE vehicle and year,
#: kWh per BEV and year, mean lifetime in years).
_SYNTHETIC_FLEETS: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("bus", "diesel", 1_800.0, 60.0, 90_000.0, 8.0),
    ("taxi", "petrol", 4_500.0, 22.0, 25_000.0, 6.0),
    ("truck", "diesel", 30_000.0, 35.0, 55_000.0, 10.0),
    ("ship", "diesel", 400.0, 80.0, 120_000.0, 20.0),
)


def synthetic_run(scenario: Scenario, seed: int | None = None, *, busy_s: float = 0.0) -> Results:
    """Run a cheap analytic stand-in for the model (tests and benchmarks of sweeps).

    Stock turnover towards each fleet's ``nev_share_of_new``, freight shifted to rail
    by ``policy.freight.rail_share``, the grid factor, and charger waits that fall with
    ``charging.service_area_coverage``; multiplicative noise (3 %) from ``seed``.  It
    returns ``annual`` and ``chargers`` tables with the real model's columns and needs
    no network.

    Parameters
    ----------
    scenario
        Any validated scenario.
    seed
        Overrides ``run.seed``.
    busy_s
        Spin the CPU this long (seconds) to emulate a costly run in benchmarks.
    """

    if busy_s > 0:
        end = time.perf_counter() + busy_s
        while time.perf_counter() < end:
            pass
    seed = scenario.run.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    years = list(scenario.years)
    rows: list[dict[str, Any]] = []
    for fleet, ice, n0, co2_ice_t, bev_kwh, life_yr in _SYNTHETIC_FLEETS:
        policy = scenario.policy.fleet(fleet)
        share = 0.1
        for year in years:
            share += (policy.nev_share_of_new.at(year) - share) / life_yr
            activity = 1.0
            if fleet == "truck":
                rail = scenario.policy.freight.rail_share
                activity = (1.0 - rail.at(year)) / (1.0 - rail.at(years[0]))
            grid = scenario.grid.co2_kg_per_kwh.at(year)
            for powertrain, frac in ((ice, 1.0 - share), ("bev", share)):
                noise = float(rng.lognormal(0.0, 0.03))
                vehicles = n0 * frac
                kwh = vehicles * bev_kwh * activity * noise if powertrain == "bev" else 0.0
                ttw = 0.0 if powertrain == "bev" else vehicles * co2_ice_t * activity * noise
                row = dict.fromkeys(ANNUAL_COLUMNS, 0.0)
                row.update(
                    year=year, fleet=fleet, powertrain=powertrain, vehicles=vehicles,
                    sim_vehicles=vehicles, electricity_kwh=kwh, energy_kwh=kwh,
                    co2_ttw_t=ttw, co2_wtw_t=ttw * 1.2 + kwh * grid / 1000.0,
                )
                rows.append(row)
    annual = pd.DataFrame(rows, columns=list(ANNUAL_COLUMNS))
    annual["year"] = annual["year"].astype("int64")
    cover = scenario.charging.service_area_coverage
    crows = [
        {
            "year": year, "day_type": day, "site_id": site, "name": f"SA{site}",
            "kind": "service_area", "lon": 110.8, "lat": 32.6, "plugs": 6,
            "power_kw": 180.0, "sessions": 50.0, "energy_kwh": 2_000.0, "utilisation": 0.3,
            "wait_mean_min": 2.0 / max(cover.at(year), 0.05),
            "wait_p95_min": 8.0 / max(cover.at(year), 0.05) * float(rng.lognormal(0.0, 0.05)),
            "max_queue": 3,
        }
        for year in years for day in scenario.run.day_types for site in range(3)
    ]
    annual["stranded"] = np.where(
        annual["powertrain"] == "bev",
        annual["vehicles"] * 0.001 * (1.0 - np.array([cover.at(y) for y in annual["year"]])),
        0.0,
    )
    meta = {"scenario": scenario.name, "seed": seed, "synthetic": True}
    return Results(tables={"annual": annual, "chargers": pd.DataFrame(crows)}, meta=meta,
                   scenario_toml=scenario.to_dict())




def base_scenario(end_year: int, more: str = "") -> str:
    """Return the sweep tests' base scenario TOML (placeholder network and fleet file).

    Parameters
    ----------
    end_year
        ``run.end_year`` (runs start in 2024 and simulate weekdays).
    more
        TOML appended as is (e.g. ``[policy.*]`` tables).
    """
    return f"""\
[scenario]
name = "base"
network = "net.osm"
fleet_file = "fleet.toml"

[run]
start_year = 2024
end_year = {end_year}
day_types = ["weekday"]
""" + more


def write_base(folder: Path, text: str) -> Path:
    """Write ``text`` as ``folder/base.toml`` beside a placeholder network and fleet file.

    The stand-in model (:func:`synthetic_run`) reads neither file; they only have to
    exist for the scenario to validate.  Returns ``folder``.
    """
    (folder / "net.osm").write_text("<osm/>", encoding="utf-8")
    (folder / "fleet.toml").write_text("", encoding="utf-8")
    (folder / "base.toml").write_text(text, encoding="utf-8")
    return folder
