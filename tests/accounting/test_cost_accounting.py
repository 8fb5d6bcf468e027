"""Cost accounting: time-of-use energy cost, hourly charging energy, peak load, abatement."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from transport_sim.accounting.costs import electricity_cost_cny, with_hourly_energy
from transport_sim.accounting.grid import city_peak_load, site_peak_load
from transport_sim.charging.statistics import hourly_energy_by_fleet
from transport_sim.codes import FLEETS
from transport_sim.fleets.costs import load_costs
from transport_sim.fleets.reader import load_fleets
from transport_sim.report.costs import (
    ALL_FLEETS,
    CUMULATIVE,
    abatement_table,
    mac_from_summary,
    mac_segments,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def costs():
    return load_costs(REPO / "fleets" / "costs.toml", load_fleets(REPO / "fleets" / "shiyan.toml"))


def test_time_of_use_cost_is_hourly_energy_times_tariff(costs) -> None:
    rng = np.random.default_rng(7)
    hourly = rng.uniform(0.0, 500.0, 24)
    expected = sum(hourly[h] * costs.tariff.price_cny_per_kwh[h] for h in range(24))
    # everything used was charged at the simulated chargers
    assert electricity_cost_cny(hourly, hourly.sum(), costs) == pytest.approx(expected)
    # the rest was charged off-site at the night price
    extra = 1000.0
    night = np.mean([costs.tariff.price_cny_per_kwh[h] for h in costs.tariff.off_site_hours])
    assert electricity_cost_cny(hourly, hourly.sum() + extra, costs) == pytest.approx(
        expected + extra * night)
    # 1 kWh in the sharp hour 18 costs 1.8 x flat; in the valley hour 3, 0.48 x flat
    one = np.zeros(24)
    one[18] = 1.0
    assert electricity_cost_cny(one, 1.0, costs) == pytest.approx(1.8 * 0.65)
    one = np.zeros(24)
    one[3] = 1.0
    assert electricity_cost_cny(one, 1.0, costs) == pytest.approx(0.48 * 0.65)


def _log(sessions: list[tuple[int, int, float, float, float]], n_sites: int = 2):
    """A charging state with a session log: (site, vehicle, start_s, end_s, energy_kwh)."""
    k = len(sessions)
    site, veh, start, end, energy = (np.array(c) for c in zip(*sessions, strict=True))
    cs = SimpleNamespace(
        n_sessions_logged=k, log_site=site.astype(np.int32), log_vehicle=veh.astype(np.int32),
        log_start_s=start.astype(float), log_end_s=end.astype(float),
        log_energy_kwh=energy.astype(float),
    )
    sites = SimpleNamespace(n_sites=n_sites, site_id=[f"s{i}" for i in range(n_sites)])
    return cs, sites


def test_hourly_energy_spreads_sessions_over_their_plug_time() -> None:
    fleet = np.array([FLEETS.index("bus"), FLEETS.index("taxi"), len(FLEETS)])
    cs, sites = _log([
        (0, 0, 3600.0 * 7.5, 3600.0 * 9.0, 90.0),  # 07:30-09:00: 30 kWh in 7, 60 in 8
        (1, 1, 3600.0 * 23.5, np.nan, 40.0),  # still charging at midnight: all in hour 23
        (1, 2, 3600.0 * 12.0, 3600.0 * 12.25, 20.0),  # a car, inside hour 12
    ])
    frame = hourly_energy_by_fleet(cs, sites, fleet)
    cell = frame.set_index(["site_id", "hour", "fleet"])["energy_kwh"]
    assert cell[("s0", 7, "bus")] == pytest.approx(30.0)
    assert cell[("s0", 8, "bus")] == pytest.approx(60.0)
    assert cell[("s1", 23, "taxi")] == pytest.approx(40.0)
    assert cell[("s1", 12, "car")] == pytest.approx(20.0)
    assert frame["energy_kwh"].sum() == pytest.approx(150.0)  # conserved


def test_peak_kw_is_the_profiles_maximum_and_within_installed_power() -> None:
    rng = np.random.default_rng(3)
    rows, chargers = [], []
    for year in (2024, 2025):
        for site, (plugs, kw) in {"a": (4, 120.0), "b": (10, 60.0)}.items():
            load = rng.uniform(0.0, plugs * kw, 24)
            rows += [{"year": year, "day_type": "weekday", "site_id": site, "hour": h,
                      "mean_queue": 0.0, "busy_plugs": 0.0, "energy_kwh": load[h]}
                     for h in range(24)]
            chargers.append({"year": year, "day_type": "weekday", "site_id": site,
                             "name": site, "kind": "urban", "plugs": plugs, "power_kw": kw})
    hourly, chargers = pd.DataFrame(rows), pd.DataFrame(chargers)
    sites = site_peak_load(hourly, chargers)
    for rec in sites.itertuples(index=False):
        profile = hourly[(hourly["year"] == rec.year) & (hourly["site_id"] == rec.site_id)]
        assert rec.peak_kw == profile["energy_kwh"].max()
        assert rec.peak_hour == int(profile.loc[profile["energy_kwh"].idxmax(), "hour"])
        assert rec.peak_kw <= rec.installed_kw
    city = city_peak_load(hourly, chargers)
    for rec in city.itertuples(index=False):
        total = hourly[hourly["year"] == rec.year].groupby("hour")["energy_kwh"].sum()
        assert rec.peak_kw == pytest.approx(total.max())
        assert rec.installed_kw == 4 * 120.0 + 10 * 60.0


def test_with_hourly_energy_sums_fleets_per_site_hour() -> None:
    hourly = pd.DataFrame({"site_id": ["a"] * 24, "hour": range(24), "busy_plugs": 0.0})
    energy = pd.DataFrame({"site_id": ["a", "a", "a"], "hour": [5, 5, 6],
                           "fleet": ["bus", "car", "bus"], "energy_kwh": [1.0, 2.0, 4.0]})
    out = with_hourly_energy(hourly, energy)
    assert out.loc[5, "energy_kwh"] == 3.0
    assert out.loc[6, "energy_kwh"] == 4.0
    assert out["energy_kwh"].sum() == 7.0


def _tables(cost_by_year: dict[int, float], co2_by_year: dict[int, float]):
    years = sorted(cost_by_year)
    costs = pd.DataFrame({
        "year": years, "fleet": "bus", "size_class": "standard", "powertrain": "bev",
        "item": "energy", "cash_cny": [cost_by_year[y] for y in years],
        "annualised_cny": [cost_by_year[y] for y in years],
        "discount_factor": [1.1 ** -(y - years[0]) for y in years],
    })
    annual = pd.DataFrame({"year": years, "fleet": "bus", "powertrain": "bev",
                           "co2_wtw_t": [co2_by_year[y] for y in years]})
    return {"costs": costs, "annual": annual}


def test_abatement_cost_sign_and_ordering_two_levers() -> None:
    years = (2024, 2025, 2026)
    base = _tables(dict.fromkeys(years, 1000.0), dict.fromkeys(years, 100.0))
    # lever A: +50 CNY a year, 10 t avoided a year -> 5 CNY/t
    lever_a = _tables(dict.fromkeys(years, 1050.0), dict.fromkeys(years, 90.0))
    # lever B: saves 200 CNY a year and avoids 4 t -> -50 CNY/t (cheaper than free)
    lever_b = _tables(dict.fromkeys(years, 800.0), dict.fromkeys(years, 96.0))
    table_a = abatement_table(base, lever_a, "A")
    table_b = abatement_table(base, lever_b, "B")
    for table, value in ((table_a, 5.0), (table_b, -50.0)):
        per_year = table[(table["fleet"] == "bus") & (table["year"] != CUMULATIVE)]
        assert np.allclose(per_year["cny_per_t"], value)
        cum = table[(table["fleet"] == ALL_FLEETS) & (table["year"] == CUMULATIVE)]
        assert cum["cny_per_t"].item() == pytest.approx(value)  # levelised: constant ratio
    # a lever that avoids nothing has no cost per tonne
    worse = abatement_table(base, _tables(dict.fromkeys(years, 900.0),
                                          dict.fromkeys(years, 101.0)), "C")
    assert worse["cny_per_t"].isna().all()
    # the curve puts the cheaper lever first; widths are the tonnes avoided
    segments = mac_segments(["A", "B"], [150.0, -600.0], [30.0, 12.0], [30.0, 12.0])
    assert list(segments["label"]) == ["B", "A"]
    assert list(segments["cny_per_t"]) == [-50.0, 5.0]
    assert list(segments["start_t"]) == [0.0, 12.0]


def test_levelised_cost_discounts_cost_and_tonnes() -> None:
    base = _tables({2024: 0.0, 2025: 0.0}, {2024: 10.0, 2025: 10.0})
    run = _tables({2024: 100.0, 2025: 0.0}, {2024: 10.0, 2025: 0.0})
    table = abatement_table(base, run, "x")
    cum = table[(table["fleet"] == ALL_FLEETS) & (table["year"] == CUMULATIVE)]
    # 100 CNY now against 10 t a year later, discounted at 10 %: 100 / (10 / 1.1) = 11
    assert cum["cny_per_t"].item() == pytest.approx(11.0)


def test_mac_from_one_lever_at_a_time_summary() -> None:
    summary = pd.DataFrame({
        "point": [0, 0, 1, 1, 2, 2],
        "npv_cost_cny": [1000.0, 1000.0, 1100.0, 1100.0, 900.0, 900.0],
        "discounted_co2_wtw_t": [50.0, 50.0, 40.0, 40.0, 45.0, 45.0],
        "cumulative_co2_wtw_t": [60.0, 60.0, 48.0, 48.0, 54.0, 54.0],
    })
    seg = mac_from_summary(summary, ["expensive", "saving"])
    assert list(seg["label"]) == ["saving", "expensive"]
    assert seg["cny_per_t"].tolist() == pytest.approx([-20.0, 10.0])
    assert seg["avoided_t"].tolist() == pytest.approx([6.0, 12.0])


def test_vehicle_capital_is_annualised_over_the_life_with_subsidy(costs) -> None:
    from transport_sim.accounting.costs import _vehicle_rows
    from transport_sim.fleets.costs import capital_recovery_factor
    from transport_sim.scenario.settings import load_scenario

    scen = load_scenario(REPO / "experiments" / "baseline.toml").with_overrides({
        "run.end_year": 2040, "policy.bus.nev_purchase_subsidy_share": 0.25})
    prep = SimpleNamespace(scenario=scen, fleet_def=load_fleets(REPO / "fleets" / "shiyan.toml"))
    stock = pd.DataFrame({"year": [2025], "fleet": ["bus"], "size_class": ["standard"],
                          "powertrain": ["bev"], "standard": ["nev"], "vehicles": [10],
                          "retired": [0], "phased_out": [0], "purchased": [10]})
    rows = pd.DataFrame(_vehicle_rows(stock, prep, costs, list(scen.years)),
                        columns=["year", "fleet", "size_class", "powertrain", "item", "cash_cny",
                                 "annualised_cny"])
    price = costs.vehicle_price_cny("bus", "standard", "bev", 2025, 250.0)
    life = prep.fleet_def.fleet("bus").classes["standard"].age.lifetime_mean_years
    assert life == 10.0
    capital = rows[rows["item"] == "vehicle_capital"].set_index("year")
    # paid once, then 10 x P x CRF(8 %, 10 yr) in each of the 10 years of its life
    assert capital.loc[2025, "cash_cny"] == pytest.approx(10 * price)
    assert (capital.drop(index=2025)["cash_cny"] == 0).all()
    assert list(capital.index) == list(range(2025, 2035))
    assert np.allclose(capital["annualised_cny"],
                       10 * price * capital_recovery_factor(0.08, 10.0))
    # bought at the start of 2025 and paid back at the ends of 2025..2034: the annuities,
    # discounted to the start of 2025, are worth exactly the price
    pv = sum(a / 1.08 ** (y - 2024) for y, a in capital["annualised_cny"].items())
    assert pv == pytest.approx(10 * price)
    subsidy = rows[rows["item"] == "subsidy"].set_index("year")
    assert subsidy.loc[2025, "cash_cny"] == pytest.approx(-0.25 * 10 * price)
    assert np.allclose(subsidy["annualised_cny"], -0.25 * capital["annualised_cny"])
