"""Charger sites of a year grow with the battery fleets (home-base ratios, curves, frozen)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import PLAN

from transport_sim.charging.year_sites import (
    bev_in_service,
    build_year_sites,
    home_base_plugs,
    sites_frame,
)
from transport_sim.scenario.settings import load_scenario
from transport_sim.sim.prepare import prepare


@pytest.fixture(scope="module")
def prep():
    return prepare(load_scenario(PLAN).with_overrides({"run.end_year": 2030}))


def _by_kind(sites):
    frame = sites.to_frame()
    return frame, frame.groupby("kind")["plugs"].sum()


def test_depot_plugs_follow_the_fleet_file_ratio_per_battery_bus(prep):
    fdef, stock = prep.fleet_def, prep.stock
    for year in (2024, 2030):
        sites = build_year_sites(prep.context, prep.scenario, fdef, stock, year)
        frame, plugs = _by_kind(sites)
        buses = bev_in_service(stock, year, "bus", prep.calibration_file().availability)
        expected = sum(fdef.home_charging[("bus", c)].plugs_per_vehicle * n
                       for c, n in buses.items())
        # ceil per terminal: at most one plug more than the ratio per terminal
        n_depots = int((frame["kind"] == "depot").sum())
        assert expected <= plugs["depot"] <= expected + n_depots
        bev = stock[(stock.year == year) & (stock.fleet == "bus") & (stock.powertrain == "bev")]
        available = prep.calibration_file().availability["bus"]
        assert sum(buses.values()) == pytest.approx(available * bev["vehicles"].sum())
        # the plug power is the plug-weighted mean of the classes' power
        _, kw = home_base_plugs(fdef, stock, year, "bus", prep.calibration_file().availability)
        assert np.allclose(frame.loc[frame["kind"] == "depot", "power_kw"], kw)


def test_ports_and_hubs_grow_with_the_battery_fleets(prep):
    fdef, stock = prep.fleet_def, prep.stock
    a = build_year_sites(prep.context, prep.scenario, fdef, stock, 2024)
    b = build_year_sites(prep.context, prep.scenario, fdef, stock, 2030)
    _, pa = _by_kind(a)
    _, pb = _by_kind(b)
    for kind in ("depot", "urban", "service_area", "port"):
        assert pb[kind] > pa[kind], kind
    ship_plugs, _ = home_base_plugs(fdef, stock, 2030, "ship", prep.calibration_file().availability)
    n_ports = int((b.to_frame()["kind"] == "port").sum())
    assert pb["port"] >= math.ceil(ship_plugs - 1e-9)
    assert pb["port"] >= n_ports * prep.scenario.charging.port_plugs


def test_explicit_public_plug_counts_replace_the_ratio(prep):
    scen = prep.scenario.with_overrides({"charging.urban_public_plugs": 5000.0})
    fdef, stock = prep.fleet_def, prep.stock
    sites = build_year_sites(prep.context, scen, fdef, stock, 2024)
    frame = sites.to_frame()
    hubs = {c.nodes[0] for c in prep.context.sites["logistics"]}
    public = frame[(frame["kind"] == "urban") & ~frame["node"].isin(hubs)]
    taxi, _ = home_base_plugs(fdef, stock, 2024, "taxi", prep.calibration_file().availability)
    assert public["plugs"].sum() == math.ceil(taxi + 5000.0 - 1e-9)


def test_frozen_growth_keeps_the_base_year_plugs(prep):
    scen = prep.scenario.with_overrides({"charging.plug_growth": "frozen"})
    base = build_year_sites(prep.context, scen, prep.fleet_def, prep.stock, 2024)
    later = build_year_sites(prep.context, scen, prep.fleet_def, prep.stock, 2030)
    assert base.site_id == later.site_id
    assert np.array_equal(base.plugs, later.plugs)


def test_sites_frame_lists_uncharged_service_areas_with_zero_plugs(prep):
    sites = build_year_sites(prep.context, prep.scenario, prep.fleet_def, prep.stock, 2024)
    frame = sites_frame(sites, 2024, prep.context.sites["service_area"])
    sa = frame[(frame["kind"] == "service_area") & ~frame["site_id"].str.endswith(":mcs")]
    assert len(sa) == len(prep.context.sites["service_area"])
    assert (sa["plugs"] == 0).sum() == len(sa) - int((sites.to_frame()["kind"] == "service_area")
                                                    .sum())
