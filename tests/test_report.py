"""report.md, plot_folder and compare: the numbers the report prints equal the tables.

The results used here are synthetic but follow the results-folder contract exactly
(``annual``, ``stock``, ``chargers``, ``charger_hourly``, ``timeseries``, ``run.json``,
``scenario.resolved.toml``) with a small, realistic 2024-2035 trajectory, so that these
tests do not depend on the simulator and run in seconds.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from transport_sim.errors import ResultsError, TransportSimError
from transport_sim.results import Results, read_results, write_results

# ======================================================================================
# synthetic results (shared with tests/test_plots.py)
# ======================================================================================
LHV_KWH = {"diesel": 9.9, "petrol": 8.9, "cng": 13.1, "lng": 13.5, "electricity": 1.0,
           "hydrogen": 33.3}
CO2_TTW_KG = {"diesel": 2.68, "petrol": 2.31, "cng": 2.75, "lng": 2.75, "electricity": 0.0,
              "hydrogen": 0.0}
CARRIER_COL = {"diesel": "diesel_l", "petrol": "petrol_l", "cng": "cng_kg", "lng": "lng_kg",
               "electricity": "electricity_kwh", "hydrogen": "hydrogen_kg"}
# fleet -> size_class -> (lifetime_yr, growth/yr, {(powertrain, standard): vehicles})
INITIAL = {
    "bus": {"12m": (8, 0.0, {("diesel", "china4"): 120, ("diesel", "china5"): 60,
                             ("cng", "china5"): 300, ("hybrid", "china5"): 100,
                             ("bev", "zev"): 620, ("fcev", "zev"): 10})},
    "taxi": {"car": (6, 0.01, {("petrol", "china5"): 700, ("petrol", "china6"): 300,
                               ("cng", "china5"): 700, ("hybrid", "china6"): 100,
                               ("bev", "zev"): 600})},
    "truck": {
        "heavy": (12, 0.025, {("diesel", "china2"): 400, ("diesel", "china3"): 2100,
                             ("diesel", "china4"): 4000, ("diesel", "china5"): 5200,
                             ("diesel", "china6"): 5300, ("lng", "china6"): 800,
                             ("bev", "zev"): 150}),
        "light": (10, 0.02, {("diesel", "china3"): 900, ("diesel", "china4"): 2000,
                             ("diesel", "china5"): 2300, ("diesel", "china6"): 2400,
                             ("bev", "zev"): 400}),
    },
    "ship": {"ferry": (20, 0.0, {("diesel", "ship_pre"): 150, ("diesel", "ship_stage1"): 80,
                                 ("diesel", "ship_stage2"): 40, ("bev", "zev"): 30})},
}
CONVENTIONAL_NEW = {"bus": ("cng", "china6"), "taxi": ("petrol", "china6"),
                    "truck": ("diesel", "china6"), "ship": ("diesel", "ship_stage2")}
KM_PER_YEAR = {"bus": 60_000, "taxi": 110_000, "truck": 70_000, "ship": 15_000}
KWH_PER_KM = {"diesel": 3.6, "petrol": 0.75, "cng": 3.9, "lng": 4.2, "hybrid": 2.9,
              "bev": 1.25, "fcev": 2.2}
FLEET_KWH_SCALE = {"bus": 1.0, "taxi": 1.0, "truck": 1.0, "ship": 8.0}
NOX_G_PER_KM = {"china2": 11.0, "china3": 8.0, "china4": 6.0, "china5": 4.0, "china6": 0.6}
PM_G_PER_KM = {"china2": 0.4, "china3": 0.25, "china4": 0.08, "china5": 0.05, "china6": 0.01}
SITE_NAMES = {"service_area": ["Shiyan East SA", "武当山服务区", "Danjiangkou SA", "Fangxian SA",
                               "Zhushan SA", "Yunxi SA", "Zhangwan SA", "Hanjiang SA",
                               "Baihe SA", "Huanglong SA"],
              "depot": ["Beijing Rd depot", "Sanyan depot", "Bailang depot"],
              "urban": [f"Urban hub {i}" for i in range(1, 9)],
              "port": ["Danjiangkou port", "Yunxian port"]}


def _carrier(fleet: str, powertrain: str) -> str:
    if powertrain == "hybrid":
        return "petrol" if fleet == "taxi" else "diesel"
    if powertrain == "bev":
        return "electricity"
    if powertrain == "fcev":
        return "hydrogen"
    return powertrain


def _curve(points: dict[int, float], year: int) -> float:
    keys = sorted(points)
    return float(np.interp(year, keys, [points[k] for k in keys]))


def _stock(years: list[int], nev_new: dict[str, dict[int, float]]) -> pd.DataFrame:
    """Cohort-free turnover: retire 1/lifetime, phase out China III diesel trucks by 2026."""
    rows = []
    for fleet, classes in INITIAL.items():
        for size_class, (life, growth, cells) in classes.items():
            cells = {k: float(v) for k, v in cells.items()}
            for year in years:
                flows: dict[tuple[str, str], list[int]] = {k: [0, 0, 0] for k in cells}
                if year != years[0]:
                    total_before = sum(cells.values())
                    for key in list(cells):
                        n = cells[key]
                        phase = 0.0
                        if fleet == "truck" and key[0] == "diesel" and key[1] in ("china2",
                                                                                  "china3"):
                            phase = n if year >= 2026 else round(n / (2026 - year + 1))
                        retire = min(n - phase, round(n / life))
                        cells[key] = n - phase - retire
                        flows[key][0] += int(retire + phase)
                        flows[key][1] += int(phase)
                    need = round(total_before * (1 + growth) - sum(cells.values()))
                    share = _curve(nev_new[fleet], year)
                    if fleet == "truck" and size_class == "light":
                        share = _curve({2024: 0.1, 2026: 0.8}, year)
                    n_nev = round(need * share)
                    for key, n in ((CONVENTIONAL_NEW[fleet], need - n_nev), (("bev", "zev"), n_nev)):
                        cells[key] = cells.get(key, 0.0) + n
                        flows.setdefault(key, [0, 0, 0])[2] += int(n)
                for key, n in cells.items():
                    retired, phased, purchased = flows.get(key, [0, 0, 0])
                    rows.append((year, fleet, size_class, key[0], key[1], int(n), retired, phased,
                                 purchased))
    frame = pd.DataFrame(rows, columns=["year", "fleet", "size_class", "powertrain", "standard",
                                        "vehicles", "retired", "phased_out", "purchased"])
    return frame.astype({c: "int64" for c in ("year", "vehicles", "retired", "phased_out",
                                               "purchased")})


def _annual(stock: pd.DataFrame, rail_share: dict[int, float], grid: dict[int, float],
            rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for (year, fleet, powertrain), cell in stock.groupby(["year", "fleet", "powertrain"]):
        vehicles = int(cell["vehicles"].sum())
        trend = 0.012 if fleet == "truck" else -0.004
        vkm = vehicles * KM_PER_YEAR[fleet] * (1 + trend * (year - 2024))
        carrier = _carrier(fleet, powertrain)
        energy = vkm * KWH_PER_KM[powertrain] * FLEET_KWH_SCALE[fleet]
        if fleet == "taxi" and powertrain == "bev":
            energy = vkm * 0.18
        amount = energy / LHV_KWH[carrier]
        ttw = amount * CO2_TTW_KG[carrier] / 1e3
        wtw = ttw * 1.2 + (amount * _curve(grid, year) / 1e3 if carrier == "electricity" else 0)
        wtw += amount * 0.011 if carrier == "hydrogen" else 0
        row = dict.fromkeys(CARRIER_COL.values(), 0.0)
        row[CARRIER_COL[carrier]] = amount
        weights = cell.groupby("standard")["vehicles"].sum()
        nox = pm = 0.0
        if powertrain in ("diesel", "hybrid") and fleet in ("bus", "truck") and vehicles:
            nox = sum(NOX_G_PER_KM.get(s, 0) * n for s, n in weights.items()) / vehicles
            pm = sum(PM_G_PER_KM.get(s, 0) * n for s, n in weights.items()) / vehicles
        bev = powertrain == "bev"
        requests = vehicles * 25 * 365.0 if fleet == "taxi" else 0.0
        row.update(year=int(year), fleet=fleet, powertrain=powertrain, vehicles=vehicles,
                   sim_vehicles=vehicles * 0.2, trips=vkm / 12.0,
                   vkm=vkm, tkm=vkm * (12.0 if fleet == "truck" else 0.0), energy_kwh=energy,
                   co2_ttw_t=ttw, co2_wtw_t=wtw, nox_t=vkm * nox / 1e6, pm_t=vkm * pm / 1e6,
                   stranded=float(rng.integers(0, 4)) if bev else 0.0,
                   charge_wait_h=vehicles * 30.0 if bev else 0.0, requests=requests,
                   unserved=requests * float(rng.uniform(0.01, 0.04)))
        rows.append(row)
    annual = pd.DataFrame(rows)
    truck_tkm = annual[annual["fleet"] == "truck"].groupby("year")["tkm"].sum()
    rail = []
    for year, tkm in truck_tkm.items():
        share = _curve(rail_share, int(year))
        rail_tkm = tkm * share / (1 - share) * 1.3
        for pt, part, carrier, per_tkm in (("electric_rail", 0.8, "electricity", 0.012),
                                           ("diesel_rail", 0.2, "diesel", 0.0025)):
            amount = rail_tkm * part * per_tkm
            row = dict.fromkeys(CARRIER_COL.values(), 0.0)
            row[CARRIER_COL[carrier]] = amount
            ttw = amount * CO2_TTW_KG[carrier] / 1e3
            wtw = ttw * 1.2 + (amount * _curve(grid, int(year)) / 1e3 if carrier == "electricity"
                               else 0.0)
            row.update(year=int(year), fleet="rail_freight", powertrain=pt, vehicles=0,
                       sim_vehicles=0.0, trips=0.0, vkm=0.0, tkm=rail_tkm * part,
                       energy_kwh=amount * LHV_KWH[carrier], co2_ttw_t=ttw, co2_wtw_t=wtw,
                       nox_t=0.0, pm_t=0.0, stranded=0.0, charge_wait_h=0.0, requests=0.0,
                       unserved=0.0)
            rail.append(row)
    annual = pd.concat([annual, pd.DataFrame(rail)], ignore_index=True)
    cols = ["year", "fleet", "powertrain", "vehicles", "sim_vehicles", "trips", "vkm", "tkm",
            "energy_kwh", *CARRIER_COL.values(), "co2_ttw_t", "co2_wtw_t", "nox_t", "pm_t",
            "stranded", "charge_wait_h", "requests", "unserved"]
    annual = annual[cols].sort_values(["year", "fleet", "powertrain"]).reset_index(drop=True)
    return annual.astype({"year": "int64", "vehicles": "int64"})


def _sites(coverage: dict[int, float], year: int) -> list[tuple[str, str, str, int, float]]:
    sites = [(f"depot-{i}", n, "depot", 20 + 4 * (year - 2024), 150.0)
             for i, n in enumerate(SITE_NAMES["depot"])]
    sites += [(f"urban-{i}", n, "urban", 8, 120.0) for i, n in enumerate(SITE_NAMES["urban"])]
    n_sa = round(_curve(coverage, year) * len(SITE_NAMES["service_area"]))
    sa = [(f"sa-{i}", n, "service_area", 6, 180.0)
          for i, n in enumerate(SITE_NAMES["service_area"][:n_sa])]
    sites += sa
    if year >= 2030:
        sites += [(f"{s[0]}:mcs", f"{s[1]} (MCS)", "service_area", 1, 1200.0) for s in sa]
    sites += [(f"port-{i}", n, "port", 2, 250.0) for i, n in enumerate(SITE_NAMES["port"])]
    return sites


HOUR_PROFILE = np.array([0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.2, 1.1, 1.2, 1.4, 1.3,
                         1.2, 1.2, 1.3, 1.5, 1.6, 1.4, 1.1, 0.9, 0.6, 0.4])


def _chargers(years: list[int], coverage: dict[int, float], rng: np.random.Generator,
              lonlat: dict[str, tuple[float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, hourly = [], []
    profile = HOUR_PROFILE / HOUR_PROFILE.mean()
    for year in years:
        for day_type in ("weekday", "holiday"):
            for site_id, name, kind, plugs, power in _sites(coverage, year):
                base = {"depot": 0.35, "urban": 0.3, "service_area": 0.25, "port": 0.15}[kind]
                if day_type == "holiday" and kind == "service_area":
                    base *= 2.2
                util = float(np.clip(base * rng.uniform(0.6, 1.4) * (1 + 0.04 * (year - 2024)),
                                     0.02, 0.97))
                wait_mean = float(60 * max(util - 0.45, 0) ** 2 + rng.uniform(0, 2))
                lon, lat = lonlat.setdefault(
                    site_id.removesuffix(":mcs"),
                    (110.2 + rng.uniform(-0.9, 1.0), 32.6 + rng.uniform(-0.5, 0.4)))
                rows.append({
                    "year": year, "day_type": day_type, "site_id": site_id, "name": name,
                    "kind": kind, "lon": lon, "lat": lat, "plugs": plugs, "power_kw": power,
                    "sessions": int(util * plugs * 24 / 0.8), "energy_kwh": util * plugs * 24
                    * power * 0.8, "utilisation": util, "wait_mean_min": wait_mean,
                    "wait_p95_min": wait_mean * rng.uniform(2.5, 4.0),
                    "max_queue": int(rng.integers(0, 3) + 12 * max(util - 0.5, 0)),
                })
                busy = np.minimum(util * plugs * profile, plugs)
                queue = np.maximum(util * profile - 0.8, 0) * plugs
                hourly.append(pd.DataFrame({
                    "year": year, "day_type": day_type, "site_id": site_id,
                    "hour": np.arange(24), "mean_queue": queue, "busy_plugs": busy,
                }))
    return pd.DataFrame(rows), pd.concat(hourly, ignore_index=True)


def _timeseries(years: list[int]) -> pd.DataFrame:
    frames = []
    t = np.arange(0, 24.01, 0.25)
    day = np.interp(t, np.arange(24) + 0.5, HOUR_PROFILE)
    for year in years:
        for day_type in ("weekday", "holiday"):
            n = 3000 + 50 * (year - 2024)
            frames.append(pd.DataFrame({
                "year": year, "day_type": day_type, "time_h": t,
                "moving": np.round(n * 0.4 * day).astype(int),
                "queued": np.round(5 * day ** 3).astype(int),
                "charging": np.round(60 * (1.7 - day)).astype(int),
                "stranded": np.round(t / 12).astype(int),
                "energy_kwh": np.cumsum(day) * 900.0, "vkm": np.cumsum(day) * 4000.0,
                "requests_assigned": np.cumsum(day * 300).astype(int),
                "requests_unserved": np.cumsum(day * 6).astype(int),
            }))
    return pd.concat(frames, ignore_index=True)


PLAN_NEV = {"bus": {2024: 0.9, 2025: 1.0}, "taxi": {2024: 0.6, 2025: 1.0},
            "truck": {2024: 0.1, 2030: 0.45}, "ship": {2024: 0.1, 2025: 1.0}}
BASELINE_NEV = {"bus": {2024: 0.85}, "taxi": {2024: 0.5, 2030: 0.7},
                "truck": {2024: 0.05, 2030: 0.12}, "ship": {2024: 0.05}}


def make_results(name: str = "shiyan_plan", *, plan: bool = True, first: int = 2024,
                 last: int = 2035, seed: int = 7, schematic: bool = True) -> Results:
    """Synthetic results of a ``plan`` (targets met) or baseline-like run."""
    rng = np.random.default_rng(seed)
    years = list(range(first, last + 1))
    nev = PLAN_NEV if plan else BASELINE_NEV
    rail_share = {2024: 0.05, 2025: 0.09} if plan else {2024: 0.05, 2030: 0.06}
    coverage = {2024: 0.6, 2030: 0.7} if plan else {2024: 0.4, 2030: 0.6}
    grid = {2023: 0.4044, 2024: 0.3809, 2025: 0.3575, 2030: 0.2637}
    stock = _stock(years, nev)
    if not plan:  # the baseline never phases China III trucks out completely
        old = (stock["standard"] == "china3") & (stock["year"] >= 2026)
        stock.loc[old & (stock["fleet"] == "truck"), "vehicles"] += 40
    annual = _annual(stock, rail_share, grid, rng)
    chargers, hourly = _chargers(years, coverage, rng, {})
    by_year = annual.groupby("year")[["co2_wtw_t", "co2_ttw_t"]].sum()
    peak_year = int(by_year["co2_wtw_t"].idxmax())
    worst = chargers.sort_values("wait_p95_min", ascending=False).iloc[0]
    meta = {
        "package": "transport_sim", "version": "0.1.0", "scenario": name, "seed": seed,
        "network_file": "/nonexistent/networks/shiyan_schematic.osm",
        "network_sha256": "0" * 64, "network_schematic": schematic,
        "fleet_file": "/nonexistent/fleets/shiyan.toml", "years": [first, last],
        "day_types": ["weekday", "holiday"], "tick_s": 10.0,
        "timings_s": {"simulation_s": 42.0, "total_s": 50.0},
        "peak_year": peak_year, "peak_co2_wtw_t": float(by_year.loc[peak_year, "co2_wtw_t"]),
        "co2_wtw_t_by_year": {int(y): float(v) for y, v in by_year["co2_wtw_t"].items()},
        "co2_ttw_t_by_year": {int(y): float(v) for y, v in by_year["co2_ttw_t"].items()},
        "stranded_vehicle_days": float(annual["stranded"].sum()),
        "unserved_taxi_requests": float(annual["unserved"].sum()),
        "worst_charger_wait_p95_min": float(worst["wait_p95_min"]),
        "worst_charger_site": str(worst["name"]),
    }

    def curve(points: dict[int, float]) -> dict[str, float]:
        return {str(k): float(v) for k, v in points.items()}

    scenario = {
        "scenario": {"name": name, "description": "synthetic", "network": meta["network_file"],
                     "fleet_file": meta["fleet_file"]},
        "run": {"seed": seed, "start_year": first, "end_year": last, "tick_s": 10.0,
                "day_types": ["weekday", "holiday"], "vehicle_scale": 0.2},
        "grid": {"co2_kg_per_kwh": curve(grid)},
        "policy": {
            **{f: {"nev_share_of_new": curve(nev[f])} for f in nev},
            "freight": {"rail_share": curve(rail_share), "road_tonnage_growth": 0.03},
        },
        "charging": {"service_area_coverage": curve(coverage), "service_area_plugs": 6},
    }
    scenario["policy"]["truck"].update(phase_out_standard="china3", phase_out_year=2026)
    tables = {"annual": annual, "chargers": chargers, "charger_hourly": hourly,
              "timeseries": _timeseries(years), "stock": stock}
    return Results(tables=tables, meta=meta, scenario_toml=scenario)
