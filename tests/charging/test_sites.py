"""Charger sites, coverage policy, background cars, statistics and sizing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_sim.charging.coverage import (
    coverage_ranking,
    longest_gap_km,
    select_covered_service_areas,
)
from transport_sim.charging.private_cars import (
    CAR_HOURLY_PROFILE,
    draw_background_cars,
    fill_background_rows,
)
from transport_sim.charging.queueing import plot_sizing, replay_queue, size_sites
from transport_sim.charging.sites import SiteCandidate, build_sites
from transport_sim.charging.statistics import (
    SITE_STAT_COLUMNS,
    hourly_profile,
    session_log_frame,
    site_statistics,
)
from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    SITE_KINDS,
    STATUS_DONE,
)
from transport_sim.errors import ScenarioError
from transport_sim.kernels.charging import KIND_SERVICE_AREA, charging_tick
from transport_sim.kernels.state import FleetState
from transport_sim.scenario.curves import Curve
from transport_sim.scenario.settings import ChargingSettings


def _cand(name, nodes, weight=0.0, lon=110.8, lat=32.6):
    return SiteCandidate(name=name, nodes=tuple(nodes), lon=lon, lat=lat, weight=weight)


def _line_distances(positions_km, gateways_km):
    pts = np.array(list(positions_km) + list(gateways_km), float)
    return np.abs(pts[:, None] - pts[None, :])


# ------------------------------------------------------------------ sites
def _sites(settings_=None, year=2030):
    settings_ = settings_ or ChargingSettings(
        urban_hubs=2, service_area_mcs_plugs=Curve((2024, 2030), (0.0, 2.0)),
    )
    depots = [_cand("west depot", [1]), _cand("east depot", [2]), _cand("north terminal", [3])]
    urban = [_cand(f"hub {i}", [10 + i], weight=w) for i, w in enumerate([5, 50, 20, 50, 1])]
    sas = [_cand(f"sa {i}", [20 + 2 * i, 21 + 2 * i], weight=100 - i) for i in range(8)]
    ports = [_cand("danjiangkou", [40]), _cand("yunxian", [41])]
    return build_sites(depots, urban, sas, ports, settings_, year, [0, 3, 10])


def test_build_sites_counts_plugs_and_companions():
    sites = _sites()
    kinds = sites.kind_names()
    assert kinds.count("depot") == 2  # the depot without BEV buses gets no chargers
    assert sites.plugs[:2].tolist() == [2, 5]  # ceil(0.5 x 3), ceil(0.5 x 10)
    assert [sites.name[i] for i in np.flatnonzero(sites.kind == 1)] == ["hub 1", "hub 3"]
    sa = np.flatnonzero(sites.kind == KIND_SERVICE_AREA)
    main = [s for s in sa if sites.mcs_site[s] >= 0]
    companions = [s for s in sa if sites.site_id[s].endswith(":mcs")]
    assert len(main) == 6  # 75 % of 8 areas
    assert len(companions) == 6
    for s in main:
        c = sites.mcs_site[s]
        assert sites.site_id[c] == sites.site_id[s] + ":mcs"
        assert sites.plugs[c] == 2
        assert sites.power_kw[c] == 1200.0
        assert sites.plugs[s] == 6
    assert kinds.count("port") == 2
    assert set(sites.fleet_names()) == {"bus", "taxi+truck", "truck+car", "truck", "ship"}
    frame = sites.to_frame()
    assert len(frame) == sites.n_sites
    assert frame["site_id"].is_unique
    # no MCS plugs in 2024 (curve at 0)
    early = _sites(year=2024)
    assert (early.mcs_site < 0).all()
    assert not any(i.endswith(":mcs") for i in early.site_id)


def test_tables_map_both_carriageways_to_one_site():
    sites = _sites()
    target_node = np.arange(50, dtype=np.int32)[::-1].copy()  # target k sits at node 49 - k
    tables = sites.tables(50, target_node)
    sa = next(s for s in range(sites.n_sites) if sites.mcs_site[s] >= 0)
    n1, n2 = 20, 21  # the first service area (highest traffic) has both carriageways
    assert tables.site_at_node[KIND_SERVICE_AREA, n1] == sa
    assert tables.site_at_node[KIND_SERVICE_AREA, n2] == sa
    assert tables.target_at_node[n1] == 49 - n1
    assert tables.site_target[sa] == 49 - n1
    companion = sites.mcs_site[sa]
    assert companion not in tables.site_at_node
    with pytest.raises(ValueError, match="targets"):
        sites.tables(50)
    with pytest.raises(ValueError, match="not targets"):
        sites.with_targets(np.arange(5))


def test_tables_refuse_shared_access_node():
    settings_ = ChargingSettings()
    sites = build_sites([_cand("a", [1]), _cand("b", [1])], [], [], [], settings_, 2030, [4, 4])
    with pytest.raises(ValueError, match="share access node"):
        sites.tables(5, np.arange(5))


def test_site_ids_are_unique_and_stable():
    settings_ = ChargingSettings()
    sites = build_sites([_cand("t", [1]), _cand("t", [2])], [], [], [], settings_, 2030, [4, 4])
    assert sites.site_id == ("depot:t", "depot:t#2")


# ------------------------------------------------------------------ coverage
@given(
    weights=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=12),
    shares=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    positions=st.lists(st.floats(0.0, 500.0), min_size=12, max_size=12),
    order=st.sampled_from(["traffic", "gap"]),
)
@settings(max_examples=80, deadline=None)
def test_coverage_is_monotone_in_share(weights, shares, positions, order):
    n = len(weights)
    cands = [_cand(f"sa{i}", [i], weight=w) for i, w in enumerate(weights)]
    dist = _line_distances(positions[:n], [0.0, 600.0])
    lo, hi = sorted(shares)
    a = select_covered_service_areas(cands, lo, order, distances_km=dist)
    b = select_covered_service_areas(cands, hi, order, distances_km=dist)
    assert set(a) <= set(b)
    assert len(b) == int(np.floor(hi * n + 0.5 + 1e-12))
    assert len(set(b)) == len(b)


def test_gap_order_reduces_the_longest_gap():
    # 10 areas every 10 km on a 110 km corridor; traffic concentrated near one end
    pos = [10.0 * (i + 1) for i in range(10)]
    traffic = [100, 90, 80, 70, 60, 5, 4, 3, 2, 1]
    cands = [_cand(f"sa{i}", [i], weight=w) for i, w in enumerate(traffic)]
    dist = _line_distances(pos, [0.0, 110.0])
    assert longest_gap_km([], dist, 10) == 110.0
    assert longest_gap_km([2, 5], dist, 10) == pytest.approx(50.0)
    previous = np.inf
    for share in (0.1, 0.2, 0.3, 0.5, 0.7, 1.0):
        gap = longest_gap_km(select_covered_service_areas(cands, share, "gap", distances_km=dist),
                             dist, 10)
        by_traffic = longest_gap_km(select_covered_service_areas(cands, share, "traffic"),
                                    dist, 10)
        assert gap <= by_traffic + 1e-9
        assert gap <= previous + 1e-9
        previous = gap
    three = select_covered_service_areas(cands, 0.3, "gap", distances_km=dist)
    assert longest_gap_km(three, dist, 10) == pytest.approx(30.0)
    assert longest_gap_km(select_covered_service_areas(cands, 0.3, "traffic"), dist, 10) == 80.0


def test_coverage_errors():
    cands = [_cand("a", [0]), _cand("b", [1])]
    with pytest.raises(ScenarioError, match="coverage"):
        select_covered_service_areas(cands, 1.5, "traffic")
    with pytest.raises(ScenarioError, match="coverage_order"):
        coverage_ranking("random", np.ones(2))
    with pytest.raises(ValueError, match="distance"):
        select_covered_service_areas(cands, 0.5, "gap")


# ------------------------------------------------------------------ background cars
def test_background_cars_are_reproducible_and_scale_on_holidays():
    sites = _sites()
    settings_ = ChargingSettings(car_ev_arrivals_per_h=20.0, holiday_car_multiplier=2.5)
    a = draw_background_cars(np.random.default_rng(1), sites, settings_, "weekday")
    b = draw_background_cars(np.random.default_rng(1), sites, settings_, "weekday")
    h = draw_background_cars(np.random.default_rng(2), sites, settings_, "holiday")
    assert np.array_equal(a.arrive_s, b.arrive_s)
    car_sites = [s for s, f in enumerate(sites.fleet_names()) if "car" in f]
    assert set(np.unique(a.site)) <= set(car_sites)
    expected = 20.0 * 24 * len(car_sites)
    assert a.n_cars == pytest.approx(expected, rel=0.05)
    assert h.n_cars == pytest.approx(2.5 * expected, rel=0.05)
    assert np.all(np.diff(a.arrive_s) >= 0)
    assert a.arrive_s.min() >= 0.0
    assert a.arrive_s.max() < 86_400.0
    assert a.need_kwh.min() >= 20.0
    assert a.need_kwh.max() <= 45.0
    # arrivals follow the daily profile: the busiest hour of the profile beats the night
    hours = np.bincount((a.arrive_s // 3600).astype(int), minlength=24)
    assert hours[int(np.argmax(CAR_HOURLY_PROFILE))] > 4 * hours[3]
    with pytest.raises(ScenarioError, match="day_types"):
        draw_background_cars(np.random.default_rng(1), sites, settings_, "sunday")


def _day_with_cars(settings_, seed=3, plugs=None):
    sites = _sites()
    if plugs is not None:
        sites = sites.with_plugs(plugs)
    cars = draw_background_cars(np.random.default_rng(seed), sites, settings_, "holiday")
    state = FleetState.allocate(cars.n_cars + 2, 0)
    fill_background_rows(state, 2, cars, sites, settings_.charge_to_soc)
    cs = sites.charging_state(state.n_vehicles, log_capacity=16)
    arrived = np.zeros(state.n_vehicles, np.int8)
    dt = 60.0
    for k in range(int(86_400 / dt)):
        charging_tick(state, arrived, cs, k * dt, dt, charge_to_soc=settings_.charge_to_soc,
                      taper_start_soc=settings_.taper_start_soc,
                      charger_efficiency=settings_.charger_efficiency)
    return sites, cars, state, cs


def test_day_of_background_charging_statistics():
    settings_ = ChargingSettings(car_ev_arrivals_per_h=3.0)
    sites, cars, state, cs = _day_with_cars(settings_)
    bg = state.fleet == BACKGROUND_FLEET_CODE
    assert bg.sum() == cars.n_cars
    stats = site_statistics(cs, sites, 2030, "holiday")
    assert tuple(stats.columns) == SITE_STAT_COLUMNS
    assert len(stats) == sites.n_sites
    assert stats["sessions"].sum() == cs.n_sessions_logged == cars.n_cars
    assert set(stats["kind"]) <= set(SITE_KINDS)
    done = state.status[bg] == STATUS_DONE
    assert done.mean() > 0.95  # late arrivals may still charge at midnight
    assert stats["energy_kwh"].sum() == pytest.approx(state.grid_kwh.sum())
    assert state.charged_kwh.sum() == pytest.approx(
        settings_.charger_efficiency * state.grid_kwh.sum()
    )
    assert (stats["utilisation"].between(0.0, 1.0)).all()
    assert (stats["wait_p95_min"] >= 0).all()
    prof = hourly_profile(cs, sites)
    assert list(prof.columns) == ["site_id", "hour", "mean_queue", "busy_plugs"]
    assert len(prof) == 24 * sites.n_sites
    busy = prof.groupby("site_id", sort=False)["busy_plugs"].sum() * 3600.0
    np.testing.assert_allclose(busy.to_numpy(), cs.site_busy_s)
    log = session_log_frame(cs, sites, fleet=state.fleet)
    assert len(log) == cars.n_cars
    assert set(log["fleet"]) == {"car"}
    assert (log["wait_min"].dropna() >= 0).all()


# ------------------------------------------------------------------ sizing
def test_size_sites_verifies_the_target(tmp_path):
    settings_ = ChargingSettings(car_ev_arrivals_per_h=4.0, service_area_plugs=1)
    sites, _, state, cs = _day_with_cars(settings_, seed=5)
    log = session_log_frame(cs, sites, fleet=state.fleet)
    target = 10.0
    result = size_sites(log, target, site_info=sites.to_frame())
    out = result.sites
    assert len(out) == log["site_id"].nunique()
    assert (out["plugs_verified"] >= out["plugs_erlang"]).all()
    assert (out["wait_p95_min"] <= target + 1e-9).all()
    assert (out["power_needed_kw"] == out["plugs_verified"] * out["power_kw"]).all()
    # independent check: replay each site with the proposed plugs
    for _, row in out.iterrows():
        grp = log[log["site_id"] == row["site_id"]]
        service = (grp["end_s"] - grp["start_s"]).to_numpy()
        if not np.all(np.isfinite(service)):
            continue
        res = replay_queue(grp["arrive_s"].to_numpy(), service, int(row["plugs_verified"]))
        assert np.percentile(res.wait_s / 60.0, 95) <= target + 1e-9
    curve = result.curve
    assert list(curve.columns) == ["site_id", "plugs", "wait_p95_min", "wait_mean_min"]
    for _, grp in curve.groupby("site_id"):
        assert (np.diff(grp["wait_p95_min"].to_numpy()) <= 1e-9).all()  # more plugs never hurt
    png = plot_sizing(curve, tmp_path / "sizing.png", target_p95_min=target)
    assert png.exists()
    assert png.stat().st_size > 10_000


def test_size_sites_on_a_synthetic_overloaded_site():
    rng = np.random.default_rng(11)
    arrive = np.sort(rng.uniform(0, 86_400, 400))
    service = rng.exponential(40 * 60.0, 400)
    replay = replay_queue(arrive, service, 2)  # the "simulated day" had 2 plugs
    log = pd.DataFrame({"site_id": "sa:x", "arrive_s": arrive, "start_s": replay.start_s,
                        "end_s": replay.end_s})
    log.loc[log["end_s"] > 86_400, ["end_s"]] = np.nan  # cut by midnight
    log.loc[log["start_s"] > 86_400, ["start_s"]] = np.nan
    result = size_sites(log, 15.0)
    row = result.sites.iloc[0]
    assert row["plugs_verified"] >= 3
    assert row["wait_p95_min"] <= 15.0
    curve = result.curve
    p95_at = dict(zip(curve["plugs"], curve["wait_p95_min"], strict=True))
    if row["plugs_verified"] - 1 >= row["plugs_erlang"]:
        assert p95_at[row["plugs_verified"] - 1] > 15.0
    with pytest.raises(ValueError, match="columns"):
        size_sites(log.drop(columns="start_s"), 15.0)


def test_replay_queue_matches_hand_computed_fifo():
    res = replay_queue(np.array([0.0, 10.0, 20.0, 30.0]), np.array([100.0, 50.0, 10.0, 10.0]), 2)
    np.testing.assert_allclose(res.start_s, [0.0, 10.0, 60.0, 70.0])
    np.testing.assert_allclose(res.end_s, [100.0, 60.0, 70.0, 80.0])
    assert res.max_queue[0] == 2


def test_fill_background_rows_checks_room():
    sites = _sites()
    cars = draw_background_cars(np.random.default_rng(0), sites, ChargingSettings(), "weekday")
    state = FleetState.allocate(cars.n_cars, 0)
    with pytest.raises(ValueError, match="do not fit"):
        fill_background_rows(state, 1, cars, sites, 0.9)
    fill_background_rows(state, 0, cars, sites, 0.9)
    assert np.allclose(state.soc_kwh, 0.9 * cars.battery_kwh - cars.need_kwh)
    assert dataclasses.is_dataclass(cars)


# ------------------------------------------------------------------ with the movement kernel
def _corridor_world(n_nodes=12, edge_m=10_000.0):
    from transport_sim.kernels.state import KernelGraph, Targets

    tails, heads = [], []
    for u in range(n_nodes):
        for w in (u - 1, u + 1):
            if 0 <= w < n_nodes:
                tails.append(u)
                heads.append(w)
    n_e = len(tails)
    indptr = np.zeros(n_nodes + 1, np.int32)
    indptr[1:] = np.cumsum(np.bincount(tails, minlength=n_nodes))
    graph = KernelGraph(
        indptr=indptr, edge_head=np.array(heads, np.int32), edge_tail=np.array(tails, np.int32),
        edge_length_m=np.full(n_e, edge_m), edge_speed_mps=np.full(n_e, 25.0),
        edge_class=np.zeros(n_e, np.int8),
    )
    edge_of = {(t, h): e for e, (t, h) in enumerate(zip(tails, heads, strict=True))}
    idx = np.arange(n_nodes)
    nxt = np.full((n_nodes, n_nodes), -1, np.int32)
    for k in range(n_nodes):
        for u in range(n_nodes):
            if u != k:
                nxt[k, u] = edge_of[(u, u + 1 if u < k else u - 1)]
    dist = (np.abs(idx[:, None] - idx[None, :]) * edge_m).astype(np.float32)
    from transport_sim.kernels.nexthop import compact_next_hop

    targets = Targets(node=idx.astype(np.int32), next_edge=compact_next_hop(nxt, indptr),
                      dist_m=dist,
                      time_s=(dist / 25.0).astype(np.float32))
    return graph, targets


@pytest.mark.parametrize(("coverage", "arrives"), [(0.0, False), (1.0, True)])
def test_truck_strands_without_service_area_chargers(coverage, arrives):
    from transport_sim.codes import (
        N_ROAD_CLASSES,
        STATUS_DONE,
        STATUS_OFF,
        STATUS_STRANDED,
    )
    from transport_sim.kernels.charging import charging_decisions
    from transport_sim.kernels.movement import advance_tick
    from transport_sim.kernels.state import SpecTable

    graph, targets = _corridor_world()
    settings_ = ChargingSettings(service_area_coverage=Curve.constant(coverage), urban_hubs=0)
    sas = [_cand(f"sa {u}", [u], weight=1.0) for u in range(2, 11)]
    sites = build_sites([], [], sas, [], settings_, 2030, [])
    tables = sites.tables(graph.n_nodes, targets.node)
    specs = SpecTable(kwh_per_m=np.full((1, N_ROAD_CLASSES), 1.5e-3), is_bev=np.array([True]))
    state = FleetState.allocate(1, 1)
    state.fleet[0] = 2  # truck: 100 kWh, 110 km trip needs 165 kWh
    state.battery_kwh[0] = state.soc_kwh[0] = 100.0
    state.max_charge_kw[0] = 350.0
    state.max_speed_mps[0] = 25.0
    state.status[0] = STATUS_OFF
    state.leg_end[0] = 1
    state.leg_target[0] = 11
    cs = sites.charging_state(1)
    arrived = np.zeros(1, np.int8)
    factors = np.ones(N_ROAD_CLASSES)
    dt = 10.0
    for k in range(int(4 * 3600 / dt)):
        t = k * dt
        charging_decisions(state, graph, targets, specs, tables, t, dt,
                           charge_below_soc=settings_.charge_below_soc,
                           charge_to_soc=settings_.charge_to_soc,
                           plan_margin=settings_.route_energy_margin)
        advance_tick(state, graph, targets, specs, t, dt, factors, arrived)
        charging_tick(state, arrived, cs, t, dt, charge_to_soc=settings_.charge_to_soc,
                      taper_start_soc=settings_.taper_start_soc,
                      charger_efficiency=settings_.charger_efficiency)
    if arrives:
        assert state.status[0] == STATUS_DONE
        assert state.node[0] == 11
        assert cs.n_sessions_logged >= 1
        assert state.charged_kwh[0] == pytest.approx(
            state.energy_kwh[0] - 100.0 + state.soc_kwh[0], rel=1e-9
        )
    else:
        assert state.status[0] == STATUS_STRANDED
        assert state.soc_kwh[0] == pytest.approx(0.0, abs=1e-9)


def test_network_distances_for_gap_order():
    from transport_sim.charging.coverage import network_distances_km

    _, targets = _corridor_world()
    d = network_distances_km([[2, 3], [7], [0], [11]], targets.node, targets.dist_m)
    np.testing.assert_allclose(d, [[0, 40, 20, 80], [40, 0, 70, 40], [20, 70, 0, 110],
                                   [80, 40, 110, 0]])
    cands = [_cand("a", [2, 3]), _cand("b", [7])]
    assert select_covered_service_areas(cands, 0.5, "gap", distances_km=d).tolist() == [1]


def test_background_cars_survive_the_movement_kernel():
    # rows without legs are marked done by the movement kernel once their time has come;
    # the charging kernel must still queue them (arrival 0.0 is the edge case)
    from transport_sim.codes import N_ROAD_CLASSES, STATUS_DONE
    from transport_sim.kernels.movement import advance_tick
    from transport_sim.kernels.state import SpecTable

    graph, targets = _corridor_world()
    settings_ = ChargingSettings(service_area_coverage=Curve.constant(1.0), urban_hubs=0)
    sites = build_sites([], [], [_cand("sa", [4])], [], settings_, 2030, [])
    cars = draw_background_cars(np.random.default_rng(0), sites, settings_, "weekday")
    cars = dataclasses.replace(cars, site=cars.site[:3], arrive_s=np.array([0.0, 5.0, 600.0]),
                               need_kwh=cars.need_kwh[:3], battery_kwh=cars.battery_kwh[:3],
                               max_charge_kw=cars.max_charge_kw[:3])
    state = FleetState.allocate(3, 0)
    fill_background_rows(state, 0, cars, sites, settings_.charge_to_soc)
    specs = SpecTable(kwh_per_m=np.zeros((1, N_ROAD_CLASSES)), is_bev=np.array([True]))
    cs = sites.charging_state(3)
    arrived = np.zeros(3, np.int8)
    for k in range(500):
        t = k * 10.0
        advance_tick(state, graph, targets, specs, t, 10.0, np.ones(N_ROAD_CLASSES), arrived)
        charging_tick(state, arrived, cs, t, 10.0, charge_to_soc=0.9, taper_start_soc=0.8,
                      charger_efficiency=0.93)
    assert cs.n_sessions_logged == 3
    np.testing.assert_allclose(cs.log_arrive_s[:3], [0.0, 5.0, 600.0])
    assert np.isfinite(cs.log_end_s[:3]).all()
    assert (state.status == STATUS_DONE).all()
    np.testing.assert_allclose(state.soc_kwh, 0.9 * state.battery_kwh)
