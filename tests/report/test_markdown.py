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
from transport_sim.report import targets as rt
from transport_sim.results.folder import Results, read_results, write_results

# ======================================================================================
# synthetic results (shared with tests/report/test_figures.py)
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
        for size_class, (life, growth, initial) in classes.items():
            cells = {k: float(v) for k, v in initial.items()}
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
                    n_nev = math.ceil(need * share - 1e-9)
                    bought = ((CONVENTIONAL_NEW[fleet], need - n_nev), (("bev", "zev"), n_nev))
                    for key, n in bought:
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
    # tonnes carried: t-km over a common haul (the outcome the rail-share check reads)
    annual["tonnes_delivered"] = annual["tkm"] / HAUL_KM
    annual["tkm_delivered"] = annual["tkm"]
    return annual.astype({"year": "int64", "vehicles": "int64"})


HAUL_KM = 133.0


def _site_table(years: list[int], coverage: dict[int, float]) -> pd.DataFrame:
    """``sites.parquet``: built sites, plus the service areas without chargers (0 plugs)."""
    rows = []
    for year in years:
        built = _sites(coverage, year)
        ids = {s[0] for s in built}
        rows += [{"year": year, "site_id": sid, "name": n, "kind": k, "plugs": p,
                  "power_kw": kw} for sid, n, k, p, kw in built]
        rows += [{"year": year, "site_id": f"sa-{i}", "name": n, "kind": "service_area",
                  "plugs": 0, "power_kw": 0.0}
                 for i, n in enumerate(SITE_NAMES["service_area"]) if f"sa-{i}" not in ids]
    return pd.DataFrame(rows)


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
        "worst_p95_wait_min": float(worst["wait_p95_min"]),
        "worst_p95_wait_site": str(worst["name"]),
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
              "timeseries": _timeseries(years), "stock": stock,
              "sites": _site_table(years, coverage)}
    return Results(tables=tables, meta=meta, scenario_toml=scenario)


# ======================================================================================
# helpers: read report.md back
# ======================================================================================
def md_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Markdown tables by the heading above them: {heading: [{column: cell}, ...]}."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| ") and i + 1 < len(lines) \
                and lines[i + 1].startswith(("| :--", "| --")):
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("| "):
                rows.append(dict(zip(header, _cells(lines[i]), strict=True)))
                i += 1
            tables.setdefault(heading, rows)
            continue
        i += 1
    return tables


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def num(cell: str) -> float:
    """The number in a report cell ('1,234 t', '+1.2 %', '**MET**' -> nan, '-' -> nan)."""
    match = re.search(r"[-+]?[\d,]*\.?\d+", cell.replace("**", ""))
    if match is None or cell.strip() in ("-", "base"):
        return math.nan
    return float(match.group().replace(",", ""))


def table(text: str, prefix: str) -> list[dict[str, str]]:
    found = [rows for heading, rows in md_tables(text).items() if heading.startswith(prefix)]
    assert found, f"no table under a heading starting with {prefix!r}"
    return found[0]


def close(printed: float, exact: float, decimals: int) -> bool:
    return abs(printed - exact) <= 0.5 * 10 ** -decimals + 1e-9 * abs(exact)


# ======================================================================================
# fixtures
# ======================================================================================
@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A plan run (targets met), a baseline run (targets missed), a short 2024-2026 run."""
    root = tmp_path_factory.mktemp("report")
    runs = {"plan": make_results("shiyan_plan"),
            "baseline": make_results("baseline", plan=False, seed=3),
            "short": make_results("shiyan_plan", last=2026, seed=5)}
    return {name: write_results(r, root / name) for name, r in runs.items()}


def report_of(folder: Path) -> str:
    from transport_sim.report.markdown import load_results, report_markdown

    results = load_results(folder)
    return report_markdown(results.tables, results.meta, results.scenario_toml)


@pytest.fixture(scope="module")
def plan_report(folders: dict[str, Path]) -> str:
    return report_of(folders["plan"])


@pytest.fixture(scope="module")
def baseline_report(folders: dict[str, Path]) -> str:
    return report_of(folders["baseline"])


def parquet(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


# ======================================================================================
# the numbers the report prints equal the Parquet tables they come from
# ======================================================================================
@pytest.mark.parametrize("run", ["plan", "baseline", "short"])
def test_co2_headline_equals_annual_parquet(folders: dict[str, Path], run: str) -> None:
    folder = folders[run]
    text = report_of(folder)
    annual = parquet(folder, "annual")
    totals = annual.groupby("year")[["co2_ttw_t", "co2_wtw_t"]].sum()
    meta = json.loads((folder / "run.json").read_text())
    match = re.search(r"WTW CO2 peak: (\d{4}), ([\d,]+) t", text)
    assert match is not None
    assert int(match.group(1)) == int(totals["co2_wtw_t"].idxmax()) == meta["peak_year"]
    assert close(num(match.group(2)), totals["co2_wtw_t"].max(), 0)
    assert close(num(match.group(2)), meta["peak_co2_wtw_t"], 0)
    rows = table(text, "CO2 by year")
    years = [int(r["year"]) for r in rows]
    assert years == sorted({2024, 2025, 2030, 2035, int(annual["year"].max())})
    base = totals.loc[2024]
    for row in rows:
        year = int(row["year"])
        if year not in totals.index:
            assert row["TTW CO2 (t)"] == row["WTW CO2 (t)"] == "not simulated"
            continue
        for kind in ("TTW", "WTW"):
            col = f"co2_{kind.lower()}_t"
            assert close(num(row[f"{kind} CO2 (t)"]), totals.loc[year, col], 0)
            change = row[f"{kind} vs 2024"]
            if year == 2024:
                assert change == "base"
            else:
                expected = 100 * (totals.loc[year, col] - base[col]) / base[col]
                assert close(num(change), expected, 1)


def test_co2_by_fleet_and_energy_equal_annual_parquet(folders: dict[str, Path],
                                                      plan_report: str) -> None:
    annual = parquet(folders["plan"], "annual")
    by_fleet = annual.groupby(["fleet", "year"])["co2_wtw_t"].sum()
    rows = table(plan_report, "WTW CO2 by fleet")
    assert {r["fleet"] for r in rows} == set(annual["fleet"])
    for row in rows:
        for year in (2024, 2025, 2030, 2035):
            assert close(num(row[str(year)]), by_fleet.loc[(row["fleet"], year)], 0)
    units = {"diesel (million L)": ("diesel_l", 1e-6), "petrol (million L)": ("petrol_l", 1e-6),
             "CNG (kt)": ("cng_kg", 1e-6), "LNG (kt)": ("lng_kg", 1e-6),
             "electricity (GWh)": ("electricity_kwh", 1e-6), "hydrogen (t)": ("hydrogen_kg", 1e-3)}
    energy = annual.groupby("year")[[c for c, _ in units.values()]].sum()
    rows = table(plan_report, "Energy by carrier")
    assert [r["carrier"] for r in rows] == list(units)
    for row in rows:
        column, factor = units[row["carrier"]]
        for year in (2024, 2030, 2035):
            assert close(num(row[str(year)]), energy.loc[year, column] * factor, 2)


def _nev_new_share(stock: pd.DataFrame, fleet: str, size_class: str | None = None) -> pd.Series:
    sel = stock[stock["fleet"] == fleet]
    if size_class:
        sel = sel[sel["size_class"] == size_class]
    nev = sel[sel["powertrain"].isin(["bev", "fcev"])].groupby("year")["purchased"].sum()
    allp = sel.groupby("year")["purchased"].sum()
    return (nev.reindex(allp.index, fill_value=0) / allp.where(allp > 0)).dropna()


def _targets(text: str) -> dict[str, dict[str, str]]:
    rows = table(text, "Plan targets")
    return {r["target"].split(":")[0]: r for r in rows}


@pytest.mark.parametrize("run", ["plan", "baseline"])
def test_plan_targets_equal_tables_and_scenario(folders: dict[str, Path], run: str) -> None:
    folder = folders[run]
    text = report_of(folder)
    stock, annual = parquet(folder, "stock"), parquet(folder, "annual")
    rows = _targets(text)
    expected: dict[str, tuple[float, str, float]] = {}  # target -> (value, unit, threshold)
    for fleet, label in (("bus", "Buses"), ("taxi", "Taxis and ride-hailing")):
        share = _nev_new_share(stock, fleet)
        expected[label] = (share[share.index >= 2025].min(), "share", 1.0)
    light = _nev_new_share(stock, "truck", "light")
    expected["Urban logistics (light trucks)"] = (light.loc[2026], "share", 0.8)
    # rail share and coverage come from the result tables, never from the scenario inputs
    tonnes = annual.pivot_table(index="year", columns="fleet", values="tonnes_delivered",
                                aggfunc="sum")
    rail = tonnes["rail_freight"] / (tonnes["rail_freight"] + tonnes["truck"])
    expected["Rail share of freight tonnage (三(七)2)"] = (
        float(rail[rail.index >= 2025].min()), "share", 0.09)
    sites, chargers = parquet(folder, "sites"), parquet(folder, "chargers")
    sa = sites[(sites["kind"] == "service_area") & ~sites["site_id"].str.endswith(":mcs")]
    served = chargers[(chargers["kind"] == "service_area") & (chargers["sessions"] > 0)
                      & ~chargers["site_id"].str.endswith(":mcs")]
    cov = (served.groupby("year")["site_id"].nunique()
           / sa.groupby("year")["site_id"].nunique()).fillna(0.0)
    expected["Expressway service areas with charging/swapping (三(七)3)"] = (
        float(cov[cov.index >= 2030].min()) if (cov.index >= 2030).any() else math.nan,
        "share", 0.70)
    last = int(annual["year"].max())
    old = stock[(stock["year"] == last) & (stock["fleet"] == "truck")
                & (stock["powertrain"] == "diesel") & stock["standard"].isin(["china2", "china3"])]
    expected["China III-and-older operating diesel trucks phased out (三(七)1)"] = (
        float(old["vehicles"].sum()), "count", 0.0)
    ships = stock[(stock["fleet"] == "ship") & (stock["year"] >= 2025)
                  & ~stock["powertrain"].isin(["bev", "fcev"])]
    expected["No new non-electric reservoir ships (三(七)1)"] = (
        float(ships["purchased"].sum()), "count", 0.0)
    assert set(rows) == set(expected)
    statuses = []
    for target, (value, unit, threshold) in expected.items():
        row = rows[target]
        if value != value:  # noqa: PLR0124 (NaN: no year of the target's range in the run)
            assert row["status"] == "**NOT ASSESSED**", target
            continue
        printed = num(row["simulated"])
        if unit == "share":
            assert close(printed, 100 * value, 1), target
            met = value >= threshold - 1e-9
            assert close(num(row["margin"]), 100 * (value - threshold), 1), target
        else:
            assert printed == value, target
            met = value <= threshold
            assert num(row["margin"]) == threshold - value, target
        assert row["status"] == ("**MET**" if met else "**MISSED**"), target
        statuses.append(met)
    if run != "plan":
        assert not rows["Buses"]["status"].endswith("MET**")
    n_met = re.search(r"(\d+) of (\d+) assessed targets met", text)
    assert n_met is not None
    assert (int(n_met.group(1)), int(n_met.group(2))) == (sum(statuses), len(statuses))


def test_nev_shares_by_year_equal_stock_parquet(folders: dict[str, Path],
                                                plan_report: str) -> None:
    stock = parquet(folders["plan"], "stock")
    rows = table(plan_report, "NEV share of buses and taxis")
    assert len(rows) == stock["year"].nunique()
    for row in rows:
        year = int(row["year"])
        for fleet, plural in (("bus", "buses"), ("taxi", "taxis")):
            sel = stock[(stock["year"] == year) & (stock["fleet"] == fleet)]
            nev = sel["powertrain"].isin(["bev", "fcev"])
            assert close(num(row[f"{fleet} NEV of stock"]),
                         100 * sel.loc[nev, "vehicles"].sum() / sel["vehicles"].sum(), 1)
            bought = sel["purchased"].sum()
            assert num(row[f"{plural} purchased"]) == bought
            if bought:
                assert close(num(row[f"{fleet} NEV of new"]),
                             100 * sel.loc[nev, "purchased"].sum() / bought, 1)
            else:
                assert row[f"{fleet} NEV of new"] == "-"


def test_rail_service_areas_and_old_trucks_equal_tables(folders: dict[str, Path],
                                                        plan_report: str) -> None:
    folder = folders["plan"]
    annual, stock, chargers = (parquet(folder, n) for n in ("annual", "stock", "chargers"))
    tkm = annual.pivot_table(index="year", columns="fleet", values="tkm", aggfunc="sum")
    for row in table(plan_report, "Rail share of freight"):
        year = int(row["year"])
        rail, truck = tkm.loc[year, "rail_freight"], tkm.loc[year, "truck"]
        assert close(num(row["rail (million tkm)"]), rail / 1e6, 1)
        assert close(num(row["truck (million tkm)"]), truck / 1e6, 1)
        assert close(num(row["rail share of tkm (simulated)"]), 100 * rail / (rail + truck), 1)
    sa = chargers[(chargers["kind"] == "service_area") & ~chargers["site_id"].str.endswith(":mcs")]
    for row in table(plan_report, "Service-area charging"):
        year = int(row["year"])
        sites = sa[sa["year"] == year].drop_duplicates("site_id")
        assert num(row["charged service areas"]) == len(sites)
        assert num(row["service-area plugs"]) == sites["plugs"].sum()
        old = stock[(stock["year"] == year) & (stock["fleet"] == "truck")
                    & (stock["powertrain"] == "diesel")
                    & stock["standard"].isin(["china2", "china3"])]["vehicles"].sum()
        assert num(row["China III-and-older diesel trucks"]) == old
        ships = stock[(stock["year"] == year) & (stock["fleet"] == "ship")
                      & ~stock["powertrain"].isin(["bev", "fcev"])]["purchased"].sum()
        assert num(row["non-NEV ships purchased"]) == ships


def test_stranded_and_unserved_equal_annual_parquet(folders: dict[str, Path],
                                                    plan_report: str) -> None:
    annual = parquet(folders["plan"], "annual")
    by_year = annual.groupby("year")[["stranded", "requests", "unserved"]].sum()
    by_fleet = annual.groupby(["year", "fleet"])["stranded"].sum()
    rows = table(plan_report, "Stranded vehicles")
    assert len(rows) == len(by_year)
    for row in rows:
        year = int(row["year"])
        # vehicle-days per year (the label says so; it used to say "per operating day")
        assert close(num(row["stranded veh-days/yr, all fleets"]),
                     by_year.loc[year, "stranded"], 1)
        for fleet in ("bus", "taxi", "truck", "ship"):
            assert close(num(row[f"stranded {fleet} (veh-days/yr)"]),
                         by_fleet.loc[(year, fleet)], 1)
        assert close(num(row["taxi requests"]), by_year.loc[year, "requests"], 0)
        assert close(num(row["unserved"]), by_year.loc[year, "unserved"], 0)
        share = 100 * by_year.loc[year, "unserved"] / by_year.loc[year, "requests"]
        assert close(num(row["unserved share"]), share, 1)


def test_worst_chargers_equal_chargers_parquet(folders: dict[str, Path],
                                               plan_report: str) -> None:
    chargers = parquet(folders["plan"], "chargers")
    worst = (chargers.sort_values("wait_p95_min", ascending=False)
             .drop_duplicates("site_id").head(5))
    rows = table(plan_report, "Worst charger queues")
    assert [r["site id"] for r in rows] == list(worst["site_id"])
    for row, (_, site) in zip(rows, worst.iterrows(), strict=True):
        assert row["site"] == site["name"]
        assert row["kind"] == site["kind"]
        assert int(row["year"]) == site["year"]
        assert row["day type"] == site["day_type"]
        assert close(num(row["P95 wait (min)"]), site["wait_p95_min"], 1)
        assert close(num(row["mean wait (min)"]), site["wait_mean_min"], 1)
        assert num(row["max queue"]) == site["max_queue"]
        assert close(num(row["utilisation"]), 100 * site["utilisation"], 1)


def test_report_flags_schematic_network_and_short_runs(folders: dict[str, Path]) -> None:
    text = report_of(folders["short"])
    assert "Schematic network" in text
    assert "not simulated" in text
    assert "the run ends 2026" in text  # the 2030 coverage target comes from the curve
    plain = make_results("real_osm", schematic=False, last=2026)
    from transport_sim.report.markdown import report_markdown

    assert "Schematic" not in report_markdown(plain.tables, plain.meta, plain.scenario_toml)


# ======================================================================================
# compare
# ======================================================================================
def test_compare_writes_the_table_of_differences(folders: dict[str, Path],
                                                  tmp_path: Path) -> None:
    from transport_sim.report.compare import compare_results

    out = compare_results([folders["plan"], folders["baseline"]], tmp_path / "cmp")
    assert out == tmp_path / "cmp"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial folder
    names = {p.name for p in out.iterdir()}
    assert {"compare.csv", "compare.md", "compare_co2.png", "compare_co2_by_fleet.png",
            "compare_nev_share.png", "compare_energy_by_carrier.png",
            "compare_nox_pm.png"} <= names
    cmp = pd.read_csv(out / "compare.csv")
    assert list(cmp["scenario"]) == ["shiyan_plan", "baseline"]
    totals = {k: parquet(folders[k], "annual").groupby("year")[["co2_wtw_t", "co2_ttw_t"]].sum()
              for k in ("plan", "baseline")}
    for i, key in enumerate(("plan", "baseline")):
        wtw = totals[key]["co2_wtw_t"]
        assert cmp.loc[i, "peak_year"] == wtw.idxmax()
        assert cmp.loc[i, "peak_co2_wtw_t"] == pytest.approx(wtw.max())
        for year in (2025, 2030, 2035):
            for col in ("co2_wtw_t", "co2_ttw_t"):
                value = totals[key].loc[year, col]
                ref = totals["plan"].loc[year, col]
                assert cmp.loc[i, f"{col}_{year}"] == pytest.approx(value)
                assert cmp.loc[i, f"delta_{col}_{year}"] == pytest.approx(value - ref)
                assert cmp.loc[i, f"delta_{col}_{year}_pct"] == pytest.approx(
                    100 * (value - ref) / ref)
    assert cmp.loc[1, "delta_peak_co2_wtw_t"] == pytest.approx(
        totals["baseline"]["co2_wtw_t"].max() - totals["plan"]["co2_wtw_t"].max())
    md = (out / "compare.md").read_text()
    rows = table(md, "Well-to-wheel CO2")
    assert [r["scenario"] for r in rows] == ["shiyan_plan", "baseline"]
    assert rows[0]["2030 vs reference"] == "reference"
    delta = cmp.loc[1, "delta_co2_wtw_t_2030"]
    assert close(num(rows[1]["2030 vs reference"]), delta, 0)
    assert close(num(rows[1]["2030 (t)"]), totals["baseline"].loc[2030, "co2_wtw_t"], 0)
    targets = table(md, "Plan targets")
    assert all(r["shiyan_plan"].startswith("MET") for r in targets)
    assert any(r["baseline"].startswith("MISSED") for r in targets)


def test_compare_refuses_missing_or_invalid_folders(folders: dict[str, Path],
                                                    tmp_path: Path) -> None:
    from transport_sim.report.compare import compare_results

    missing = tmp_path / "nope"
    with pytest.raises(ResultsError, match=r"nope.*folder not found"):
        compare_results([folders["plan"], missing], tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ResultsError, match=r"empty.*not a results folder") as info:
        compare_results([empty], tmp_path / "out")
    assert "\n" not in str(info.value)
    no_stock = tmp_path / "no_stock"
    partial = make_results(last=2025)
    del partial.tables["stock"]
    write_results(partial, no_stock)
    with pytest.raises(ResultsError, match=r"no_stock.*no stock\.parquet"):
        compare_results([no_stock], tmp_path / "out")
    with pytest.raises(ResultsError, match="at least one"):
        compare_results([], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("x")
    with pytest.raises(ResultsError, match="exists"):
        compare_results([folders["short"]], tmp_path / "taken")


# ======================================================================================
# plot_folder: errors and sweep folders (rendering is tested in tests/report/test_figures.py)
# ======================================================================================
def test_plot_folder_errors(tmp_path: Path) -> None:
    from transport_sim.report.markdown import plot_folder

    with pytest.raises(ResultsError, match="folder not found"):
        plot_folder(tmp_path / "missing")
    with pytest.raises(ResultsError, match="not a results folder"):
        plot_folder(tmp_path)


def test_plot_command_hands_sweep_folders_to_the_sweep_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from transport_sim import cli
    from transport_sim.report.markdown import plot_folder
    from transport_sim.sweep import figures

    calls: list[Path] = []

    def plot_sweep(folder: Path) -> list[Path]:
        calls.append(folder)
        return [folder / "surface.png"]

    monkeypatch.setattr(figures, "plot_sweep", plot_sweep)
    for marker in ("summary.parquet", "sweep.json"):
        sweep = tmp_path / marker.replace(".", "_")
        sweep.mkdir()
        (sweep / marker).write_text("{}")
        assert cli.main(["plot", str(sweep)]) == 0
        with pytest.raises(ResultsError, match="is a sweep folder"):
            plot_folder(sweep)
    assert len(calls) == 2
    assert "1 figures written" in capsys.readouterr().out


def test_unknown_language_is_a_user_error(folders: dict[str, Path]) -> None:
    from transport_sim.report.style import check_lang

    with pytest.raises(TransportSimError, match="lang = 'fr'"):
        check_lang("fr")
    assert check_lang("en+zh") == "en+zh"


def test_read_back_results_keep_the_resolved_scenario(folders: dict[str, Path]) -> None:
    from transport_sim.report.markdown import load_results

    results = load_results(folders["plan"])
    assert results.scenario_toml["policy"]["freight"]["rail_share"] == {"2024": 0.05,
                                                                        "2025": 0.09}
    assert read_results(folders["plan"]).meta["scenario"] == "shiyan_plan"


# ======================================================================================
# targets are assessed on outcomes, never on the scenario's own inputs
# ======================================================================================
def test_coverage_curve_of_70_percent_with_areas_that_serve_nobody_is_missed() -> None:
    res = make_results("shiyan_plan")
    assert res.scenario_toml["charging"]["service_area_coverage"]["2030"] == 0.7
    chargers = res.tables["chargers"].copy()
    sa = chargers["kind"] == "service_area"
    checks = {c.key: c for c in rt.plan_targets(res.tables["annual"], res.tables["stock"],
                                                chargers, res.scenario_toml,
                                                res.tables["sites"])}
    assert checks["service_area_coverage"].status == rt.MET  # the areas served sessions
    chargers.loc[sa, "sessions"] = 0
    checks = {c.key: c for c in rt.plan_targets(res.tables["annual"], res.tables["stock"],
                                                chargers, res.scenario_toml,
                                                res.tables["sites"])}
    assert checks["service_area_coverage"].status == rt.MISSED
    assert checks["service_area_coverage"].value == 0.0
    # without sites.parquet (an older results folder) coverage is not assessed at all
    checks = {c.key: c for c in rt.plan_targets(res.tables["annual"], res.tables["stock"],
                                                res.tables["chargers"], res.scenario_toml)}
    assert checks["service_area_coverage"].status == rt.NOT_ASSESSED


def test_rail_share_is_read_from_delivered_tonnes_not_the_scenario() -> None:
    res = make_results("shiyan_plan")
    annual = res.tables["annual"].copy()
    annual.loc[annual["fleet"] == "rail_freight", "tonnes_delivered"] = 0.0
    checks = {c.key: c for c in rt.plan_targets(annual, res.tables["stock"],
                                                res.tables["chargers"], res.scenario_toml,
                                                res.tables["sites"])}
    assert checks["rail_share"].status == rt.MISSED  # the scenario still says 9 %
    assert checks["rail_share"].value == 0.0
